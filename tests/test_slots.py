"""The connection-slot pool: a cap, FIFO hand-over, and nothing lost to cancellation."""

from __future__ import annotations

import asyncio

import pytest

from skipcall_async._slots import Slots


async def test_at_most_size_holders_and_fifo_hand_over() -> None:
    """Two slots, five tasks: never more than two inside, and they enter in arrival order."""
    slots = Slots(2)
    inside = peak = 0
    order: list[int] = []

    async def work(n: int) -> None:
        nonlocal inside, peak
        async with slots:
            order.append(n)
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(work(n) for n in range(5)))
    assert peak == 2
    assert order == [0, 1, 2, 3, 4]


async def test_a_cancelled_waiter_does_not_take_a_slot() -> None:
    """Cancel a queued task: the next one gets the slot and the pool ends with all slots free."""
    slots = Slots(1)
    await slots.acquire()
    cancelled = asyncio.create_task(slots.acquire())
    queued = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    slots.release()
    await asyncio.wait_for(queued, 1)
    assert cancelled.cancelled()
    slots.release()
    assert slots._free == 1
    assert slots.waiting == 0


async def test_a_slot_granted_to_a_task_cancelled_at_that_moment_is_passed_on() -> None:
    """The hand-over and the cancellation race: the slot moves to the next waiter instead of leaking."""
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    slots.release()
    assert slots._free == 1


def test_size_must_be_positive() -> None:
    """A pool of zero slots would deadlock every request."""
    with pytest.raises(ValueError, match="size"):
        Slots(0)
