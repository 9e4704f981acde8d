"""A key's state in Redis, shared by every process on the key: the rules run here, Redis only swaps the result.

Each step (a reservation, a response, a release) runs the same ``Rules`` as the in-process store, on the latest
state this process has seen, and is written back with `Link.swap`: it lands only if nobody wrote in between,
else Redis hands back what it holds and the step runs again on that. Steps that arrive while a swap is in flight
wait and go together in the next one, so a busy process sends one swap per round trip, not one per step.

Time is Redis's: every swap brings back Redis ``TIME``, taken after the swap was sent and before its reply
arrived, so this process knows Redis's clock within the round trip: a reservation runs at the earliest time it may
be (the swap refuses it if that is ahead of ``TIME``), an answer is recorded at the latest. Either way the fleet
can only wait a little longer, never send early.

While Redis cannot be reached the process paces on its own state (a `MemoryBackend`, kept warm with every
response the fleet's requests get), unless the store is strict: requests then wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

from ..backend import Backend, MemoryBackend, Ticket
from ..rules import Grant, Observation, QuotaView, Rules, Waiting
from ..settings import Lane
from ..state import KeyState
from .link import UNREAD, Link, Scope, Swapped

KEY_GRACE: Final = 120.0  # seconds a key's state outlives the last thing in it that matters
_MOST_CONFLICTS: Final = 50  # swaps lost in a row before a step gives up (the link then looks lost)

Step = Callable[[KeyState, float, float], Any]  # (state, earliest, latest): the step uses the bound it needs


class RedisBackend(Backend):
    """One key's state in Redis for this process (see the module docstring)."""

    kind: Literal["in-process", "redis"] = "redis"

    def __init__(
        self,
        link: Link,
        scope: Scope,
        rules: Rules,
        *,
        local_clock: Callable[[], float],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.link = link
        self.scope = scope
        self.rules = rules
        self.local_clock = local_clock
        self.poll_interval = link.store.poll_interval
        self.stand_in = MemoryBackend(rules, local_clock)  # this process's own pacing while Redis is away
        self._clock = clock  # a fixed reading of the store's clock (tests); None: Redis TIME
        # Redis's clock minus the local one, at least and at most, as the latest swap showed it
        self._offsets = (0.0, 0.0)
        self._state: KeyState | None = None  # the latest state seen in Redis (None: not read, or not trusted)
        self._version = UNREAD
        self._pending: list[tuple[Step, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"RedisBackend({self.scope.key}, version={self._version}, state={self._state!r})"

    @property
    def degraded(self) -> bool:
        return not self.link.healthy

    @property
    def waits_for_store(self) -> bool:
        return not self.link.healthy and self.link.store.strict

    @property
    def _standing_in(self) -> bool:
        return not self.link.healthy and not self.link.store.strict

    def now(self) -> float:
        """Redis's clock as this process reads it: the earliest it may be."""
        return self._bounds()[0]

    def _bounds(self) -> tuple[float, float]:
        """The earliest and the latest Redis's clock may be now."""
        if self._clock is not None:
            now = self._clock()
            return now, now
        local = self.local_clock()
        return local + self._offsets[0], local + self._offsets[1]

    def to_local(self, moment: float) -> float:
        return moment - (self.now() - self.local_clock())

    # -- the steps ------------------------------------------------------------------------------------------------

    def take_now(self, lane: Lane, lease: str, local_now: float) -> Ticket | None:
        return self.stand_in.take_now(lane, lease, local_now) if self._standing_in else None

    def reserve_now(
        self, member: str, waiting: Waiting, new_id: Callable[[], str], local_now: float
    ) -> tuple[Grant, bool] | None:
        return self.stand_in.reserve_now(member, waiting, new_id, local_now) if self._standing_in else None

    async def reserve(self, member: str, asked: Mapping[Lane, list[str]], *, lasts: float) -> Grant | None:
        def step(state: KeyState, earliest: float, _: float) -> Grant:
            return self.rules.reserve(state, earliest, member, asked, lasts=lasts)

        grant: Grant | None = await self._apply(step, lambda grant: grant.wake)
        if grant is not None:
            self.stand_in.adopt(grant, self.local_clock())
        return grant

    def record_now(self, ticket: Ticket, seen: Observation, local_now: float) -> bool | None:
        if not ticket.shared:  # granted by the stand-in: its response is the stand-in's
            return self.stand_in.record_now(ticket, seen, local_now)
        self.stand_in.observe_elsewhere(ticket, seen, local_now)  # kept warm for an outage
        return None

    async def record(self, ticket: Ticket, seen: Observation) -> QuotaView | None:
        if not ticket.shared:
            return await self.stand_in.record(ticket, seen)

        def step(state: KeyState, _: float, latest: float) -> tuple[bool, QuotaView]:
            wake = self.rules.record(state, latest, ticket.lease, ticket.stamp, seen)
            return wake, self.rules.view(state, latest)

        done = await self._apply(step, lambda outcome: outcome[0])
        return None if done is None else done[1]

    async def end(self, ticket: Ticket, *, sent: bool) -> QuotaView | None:
        if not ticket.shared:
            return await self.stand_in.end(ticket, sent=sent)

        def step(state: KeyState, _: float, latest: float) -> tuple[bool, QuotaView]:
            wake = self.rules.release(state, latest, ticket.lease, sent=sent)
            return wake, self.rules.view(state, latest)

        done = await self._apply(step, lambda outcome: outcome[0])
        return None if done is None else done[1]

    def release(self, ticket: Ticket, *, sent: bool, local_now: float) -> None:
        self.stand_in.release(ticket, sent=sent, local_now=local_now)  # (a shared one was adopted there too)
        if ticket.shared and self.link.healthy:  # (if Redis is away, the lease expires there)
            self.link.in_background(self.end(ticket, sent=sent))

    def view(self, local_now: float) -> QuotaView:
        if self._state is None or not self.link.healthy:
            return self.stand_in.view(local_now)
        return self.rules.view(self._state, self.now())

    # -- writing ------------------------------------------------------------------------------------------------

    async def _apply(self, step: Step, wakes: Callable[[Any], bool]) -> Any:
        """Run ``step`` on the key's state in Redis; its result, or None when Redis cannot be reached."""
        if not self.link.healthy:
            return None
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((lambda state, early, late: _with_wake(step(state, early, late), wakes), done))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await done

    async def _write(self) -> None:
        """Swap the pending steps in, a batch per round trip, until none is left."""
        batch: list[tuple[Step, asyncio.Future[Any]]] = []
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                results = await self._swap([step for step, _ in batch])
                for (_, done), result in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(result)
        except BaseException as error:  # (cancelled with the loop): nobody may wait forever
            for _, done in [*batch, *self._pending]:
                if not done.done():
                    done.set_exception(error)
            raise
        finally:
            self._writer = None

    async def _swap(self, steps: list[Callable[[KeyState, float, float], tuple[Any, bool]]]) -> list[Any]:
        """Run ``steps`` on the latest state and write it; again on what Redis holds if another process wrote."""
        for _ in range(_MOST_CONFLICTS):
            if self._state is None:
                reply = await self._exchange(UNREAD, "", ttl=1.0, wake="", checked=None)
                if reply is None:
                    return [None] * len(steps)
                self._adopt(reply)
            state = self._state
            assert state is not None
            earliest, latest = self._bounds()
            outcomes = [step(state, earliest, latest) for step in steps]
            ttl = self.rules.matters_until(state, latest) - earliest + KEY_GRACE
            wake = "wake" if any(wakes for _, wakes in outcomes) else ""
            checked = None if self._clock is not None else earliest
            reply = await self._exchange(self._version, state.to_json(), ttl=ttl, wake=wake, checked=checked)
            if reply is None:
                self._state = None  # a write may or may not have landed: read again next time
                return [None] * len(steps)
            if reply.written:
                self._version = reply.version
                return [result for result, _ in outcomes]
            self._adopt(reply)
        self._state = None
        return [None] * len(steps)

    async def _exchange(
        self, version: str, state: str, *, ttl: float, wake: str, checked: float | None
    ) -> Swapped | None:
        """One swap; Redis's ``TIME`` in its reply was taken between its sending and its reply: bounds of the
        offset of Redis's clock."""
        sent = self.local_clock()
        reply = await self.link.swap(self.scope, version, state, ttl=ttl, wake=wake, now=checked)
        if reply is not None:
            self._offsets = (reply.time - self.local_clock(), reply.time - sent)
        return reply

    def _adopt(self, reply: Swapped) -> None:
        """Take what Redis holds as the latest state (one that cannot be read is written anew)."""
        try:
            self._state = KeyState.from_json(reply.state) if reply.state else KeyState()
        except (ValueError, KeyError, TypeError):  # not this release's layout: start the key afresh
            self._state = KeyState()
        self._version = reply.version

    async def aclose(self) -> None:
        if self._writer is not None:
            await asyncio.wait({self._writer}, timeout=self.link.store.command_timeout)


def _with_wake(result: Any, wakes: Callable[[Any], bool]) -> tuple[Any, bool]:
    return result, wakes(result)
