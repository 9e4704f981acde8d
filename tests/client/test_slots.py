"""The connection-slot pool: a cap, FIFO hand-over, and nothing lost to cancellation.

Slots are taken the way the funnel takes them: ``try_acquire()``, else ``await wait()``; then ``release()``.
"""

from __future__ import annotations

import asyncio

import pytest

from skipcall_async._slots import Slots


async def take(slots: Slots) -> None:
    """Take a slot as the funnel does: at once if one is free and nobody is queued, else in turn."""
    if not slots.try_acquire():
        await slots.wait()


def free_slots(slots: Slots) -> int:
    """How many slots a newcomer can take right now (they are taken, so only call this at the end of a test)."""
    taken = 0
    while slots.try_acquire():
        taken += 1
    return taken


async def test_at_most_size_holders_and_fifo_hand_over() -> None:
    """Two slots, five tasks: never more than two inside, they enter in arrival order, and both slots come back."""
    slots = Slots(2)
    inside = peak = 0
    order: list[int] = []

    async def work(n: int) -> None:
        nonlocal inside, peak
        await take(slots)
        try:
            order.append(n)
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1
        finally:
            slots.release()

    await asyncio.gather(*(work(n) for n in range(5)))
    assert peak == 2
    assert order == [0, 1, 2, 3, 4]
    assert free_slots(slots) == 2


async def test_a_released_slot_goes_to_the_waiter_not_to_a_newcomer() -> None:
    """Between a release and the waiter waking up, try_acquire still says no: nobody jumps the queue."""
    slots = Slots(1)
    assert slots.try_acquire()
    waiter = asyncio.create_task(slots.wait())
    await asyncio.sleep(0)
    slots.release()
    assert not slots.try_acquire()
    await asyncio.wait_for(waiter, 1)
    slots.release()
    assert free_slots(slots) == 1


async def test_a_cancelled_waiter_does_not_take_a_slot() -> None:
    """Cancel a queued task: the next one gets the slot and the pool ends with all slots free."""
    slots = Slots(1)
    assert slots.try_acquire()
    cancelled = asyncio.create_task(slots.wait())
    queued = asyncio.create_task(slots.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    slots.release()
    await asyncio.wait_for(queued, 1)
    assert cancelled.cancelled()
    slots.release()
    assert free_slots(slots) == 1


async def test_a_slot_granted_to_a_task_cancelled_at_that_moment_is_passed_on() -> None:
    """The hand-over and the cancellation race: the slot moves to the next waiter instead of leaking."""
    slots = Slots(1)
    assert slots.try_acquire()
    first = asyncio.create_task(slots.wait())
    second = asyncio.create_task(slots.wait())
    await asyncio.sleep(0)
    slots.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    slots.release()
    assert free_slots(slots) == 1


def test_size_must_be_positive() -> None:
    """A pool of zero slots would deadlock every request."""
    with pytest.raises(ValueError, match="size"):
        Slots(0)
