"""The async side of pacing: a FIFO of waiting tasks per lane and one timer per key, and ``client.rate_limit``.

No lock is held across an ``await``: state is only touched from the event loop's thread between awaits. Waiters
are released one by one, in order within their lane (a request the server rejected re-enters at its lane's head),
each only when the key's backend grants a token to that lane, so a reset wakes exactly as many tasks as it has
tokens, not a herd. Which lane is served next is a rule (``rules.Rules.reserve``).

One limiter class serves every store: it asks its backend (``backend.py``) to grant at once, and when the
backend cannot (a shared store), one reservation task asks it for a token per live waiter, hands out what it got
in order, and sleeps until the time the store names, a wake-up, or the safety poll.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

import attrs

from .._errors import RateLimitWaitError
from .backend import Backend, Ticket
from .headers import RateLimitHeaders
from .interpret import HeaderInterpreter
from .rules import Grant, Observation, Waiting
from .settings import LANES, Lane

_MOST_ASKED = 1000  # ids one reservation asks a shared store for, per lane (no window holds more)


@attrs.frozen(kw_only=True)
class RateLimitSnapshot:
    """The key's quota at one instant: what [`client.rate_limit`][skipcall_async.SkipcallClient.rate_limit] returns.

    Attributes:
        limit: Requests per window, as the server last said (None until known).
        remaining: What may still be sent in the current window: the server's count minus requests in flight
            (None when no window is current).
        reset_at: The current window's end, as a Unix time on the local clock (None when unknown).
        waiting: Tasks of this process queued for a token (both lanes).
        in_flight: Requests sent and not yet answered (every process's, with a shared store).
        rate_limited: 429 responses seen on the key (by every process, with a shared store).
        gate_closed_for: Seconds before the pause after a 429 ends (0 when open).
        clock_skew: Seconds the server's clock is ahead of this one, as far as its ``Date`` headers tell.
        window: The window length that bounds reset estimates: stated, learned, or the documented minute.
        store: Where the state lives: ``"in-process"`` or ``"redis"``.
        degraded: True while a shared store cannot be reached and this process paces on its own.
        waiting_interactive: Of ``waiting``, the tasks of the interactive lane (the default).
        waiting_bulk: Of ``waiting``, the tasks of the bulk lane.
    """

    limit: int | None
    remaining: int | None
    reset_at: float | None
    waiting: int
    in_flight: int
    rate_limited: int
    gate_closed_for: float
    clock_skew: float | None
    window: float
    store: Literal["in-process", "redis"] = "in-process"
    degraded: bool = False
    waiting_interactive: int = 0
    waiting_bulk: int = 0


class WaitQueue:
    """Tasks waiting for a token, first come first served within each lane, with give-up times and one timer.

    The owner decides how many waiters of which lane to grant (`grant_head`) and calls `settle` with the earliest
    time a token may come, which fails the waiters that would give up before it and moves the one timer.
    """

    __slots__ = ("_give_ups", "_loop", "_sequence", "_timer", "_timer_at", "clock", "lanes", "wake")

    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Callable[[], float], wake: Callable[[], None]) -> None:
        self._loop = loop
        self.clock = clock
        self.wake = wake
        # A FIFO of waiters per lane, granted by result; read directly on the hot path (empty: nobody waits).
        self.lanes: dict[Lane, collections.deque[asyncio.Future[Ticket]]] = {
            lane: collections.deque() for lane in LANES
        }
        self._give_ups: list[tuple[float, int, asyncio.Future[Ticket]]] = []  # heap of finite give-up times
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def __bool__(self) -> bool:
        return any(self.lanes.values())

    def live(self, lane: Lane | None = None) -> int:
        """Waiters still waiting, in one lane or both (cancelled ones stay queued until they reach the head)."""
        queues = self.lanes.values() if lane is None else (self.lanes[lane],)
        return sum(1 for queue in queues for w in queue if not w.done())

    @property
    def timer_at(self) -> float:
        """When the timer fires next (``inf``: no timer)."""
        return self._timer_at

    def push(self, lane: Lane, *, at_head: bool, give_up_at: float) -> tuple[asyncio.Future[Ticket], bool]:
        """Queue a waiter; also says whether the queue must be woken (it changes what a wake would decide)."""
        waiter: asyncio.Future[Ticket] = self._loop.create_future()
        queue = self.lanes[lane]
        needs_wake = at_head or not queue  # queued behind others of its lane, a waiter changes nothing ...
        if at_head:
            queue.appendleft(waiter)
        else:
            queue.append(waiter)
        if math.isfinite(give_up_at):
            heapq.heappush(self._give_ups, (give_up_at, next(self._sequence), waiter))
            needs_wake = needs_wake or self._give_ups[0][2] is waiter  # ... unless it gives up soonest
        return waiter, needs_wake

    def has_head(self, lane: Lane | None = None) -> bool:
        """Whether a live waiter is queued (in ``lane``, or any); done ones at a head are dropped on the way."""
        for name in LANES if lane is None else (lane,):
            queue = self.lanes[name]
            while queue:
                if not queue[0].done():
                    return True
                queue.popleft()
        return False

    def waiting(self) -> Waiting:
        """How many wait in each lane, as the store's rules see it (cancelled waiters not yet dropped included)."""
        return Waiting(
            len(self.lanes["interactive"]) if self.has_head("interactive") else 0,
            len(self.lanes["bulk"]) if self.has_head("bulk") else 0,
        )

    def grant(self, lane: Lane, ticket: Ticket) -> bool:
        """Hand a token to the oldest live waiter of ``lane``; False when nobody waits there."""
        if not self.has_head(lane):
            return False
        self.grant_head(lane, ticket)
        return True

    def grant_head(self, lane: Lane, ticket: Ticket) -> None:
        """Hand a token to the waiter at the head of ``lane``, which :meth:`has_head` just said is live."""
        self.lanes[lane].popleft().set_result(ticket)

    def settle(self, now: float, retry_at: float, *, poll: float = math.inf) -> None:
        """Fail the waiters who would give up before ``retry_at``; set the timer for the next event.

        ``retry_at`` is the earliest time a token may come (``inf``: only after a response); ``poll`` is a time
        to look again regardless (a shared store's safety net). The give-up heap keeps this O(log n) per waiter.
        """
        if not self.has_head():
            self._give_ups.clear()  # every waiter that left was granted or is done: no give-up is left to police
            self._set_timer(math.inf)
            return
        limit = retry_at if math.isfinite(retry_at) else now
        while self._give_ups and (self._give_ups[0][0] < limit or self._give_ups[0][0] <= now):
            _, _, waiter = heapq.heappop(self._give_ups)
            if not waiter.done():
                waiter.set_exception(too_long(retry_at - now if math.isfinite(retry_at) else None))
        wake_at = min(retry_at, poll, self._give_ups[0][0] if self._give_ups else math.inf)
        self._set_timer(wake_at if self.has_head() else math.inf)

    def _set_timer(self, wake_at: float) -> None:
        if wake_at == self._timer_at:  # one timer, moved only when the next event moves
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(wake_at, self.wake) if math.isfinite(wake_at) else None
        self._timer_at = wake_at


class RateLimiter:
    """Paces one key in one process: admits requests as its backend grants tokens, queues the rest."""

    def __init__(
        self,
        backend: Backend,
        *,
        window: float | None = None,
        probe: int = 1,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self._loop = asyncio.get_running_loop()
        self.clock = clock or self._loop.time  # monotonic seconds: the loop's clock unless a test injects one
        self.wall_clock = wall_clock
        self.reader = HeaderInterpreter(window=window, probe=probe)
        self.queue = WaitQueue(self._loop, self.clock, self._wake)
        self.member = uuid.uuid4().hex[:16]  # this process's name among those sharing the key
        self._ids = itertools.count()
        # ids of a reservation that got no answer, per lane: asked again, never granted twice
        self._unanswered: dict[Lane, list[str]] = {lane: [] for lane in LANES}
        self._reserving: asyncio.Task[None] | None = None
        self._poked = False
        self._retry_at = -math.inf  # when asking a shared store again is worth it (local clock)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop this limiter's waiting tasks and timer belong to."""
        return self._loop

    def __repr__(self) -> str:
        view = self.backend.view(self.clock())
        return (
            f"RateLimiter(store={self.backend.kind!r}, limit={view.limit}, remaining={view.remaining}, "
            f"in_flight={view.in_flight}, waiting={self.queue.live()}, next_wake_in={self._next_wake_in()})"
        )

    # -- the request path -------------------------------------------------------------------------------------

    def try_acquire(self, lane: Lane = "interactive") -> Ticket | None:
        """Take a token now if one is free and nobody is queued; None means `acquire` must wait."""
        if self.queue:
            return None
        return self.backend.take_now(lane, self._new_id(), self.clock())

    async def acquire(
        self, lane: Lane = "interactive", *, at_head: bool = False, give_up_at: float = math.inf
    ) -> Ticket:
        """Wait for a token of ``lane`` and return its ticket.

        ``at_head`` puts the caller at the head of its lane (a request the server just rejected with 429).
        Raises `RateLimitWaitError` as soon as the earliest possible admission is after ``give_up_at``.
        """
        waiter, needs_wake = self.queue.push(lane, at_head=at_head, give_up_at=give_up_at)
        if needs_wake:
            self._wake()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result(), sent=False)  # granted, then cancelled before using it
            self._wake()  # a cancelled waiter stays queued, done, and is dropped when it reaches the head
            raise

    def record(
        self, ticket: Ticket, headers: RateLimitHeaders, *, status: int, retry_after: float | None
    ) -> Awaitable[None] | None:
        """Feed one response to the key's state and admit whoever it makes room for.

        Returns None when that is done, or what to await for it (a shared store's round trip).
        """
        now = self.clock()
        seen = self.reader.read(
            now, self.wall_clock(), headers, status=status, retry_after=retry_after, sent_ago=now - ticket.granted_at
        )
        if self.backend.record_now(ticket, seen, now) is None:
            return self._record_shared(ticket, seen)
        if self.queue:
            self._wake()
        return None

    def release(self, ticket: Ticket, *, sent: bool = True) -> None:
        """End a token whose request got no response; ``sent``: whether it may have reached the server."""
        self.backend.release(ticket, sent=sent, local_now=self.clock())
        self._wake()

    def poke(self) -> None:
        """Look again now: capacity may have come back (a wake-up from another process, a reconnection)."""
        self._poked = True
        self._retry_at = -math.inf
        self._wake()

    # -- what the client shows ----------------------------------------------------------------------------------

    def snapshot(self) -> RateLimitSnapshot:
        """The key's quota now, as ``client.rate_limit`` shows it."""
        view = self.backend.view(self.clock())
        return RateLimitSnapshot(
            limit=view.limit,
            remaining=view.remaining,
            reset_at=None if view.reset_in is None else self.wall_clock() + view.reset_in,
            waiting=self.queue.live(),
            in_flight=view.in_flight,
            rate_limited=view.rate_limited,
            gate_closed_for=view.gate_closed_for,
            clock_skew=self.reader.skew,
            window=self.reader.bound_window,
            store=self.backend.kind,
            degraded=self.backend.degraded,
            waiting_interactive=self.queue.live("interactive"),
            waiting_bulk=self.queue.live("bulk"),
        )

    def idle_until(self, now: float) -> float | None:
        """When this key's state stops mattering (see `Rules.idle_until`); None while busy.

        `now` is the caller's reading of `clock`: read again here, it would always be later than the caller's,
        and an idle limiter would never look idle to it.
        """
        if self.queue:
            return None
        return self.backend.idle_until(now)

    # -- granting ----------------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"{self.member}-{next(self._ids)}"

    def _next_wake_in(self) -> float | None:
        at = self.queue.timer_at
        return None if math.isinf(at) else round(at - self.clock(), 3)

    def _wake(self) -> None:
        """Grant tokens to the heads of the queue while the backend has them, then wait for the next event."""
        queue = self.queue
        now = self.clock()
        if not queue.has_head():
            queue.settle(now, math.inf)
            return
        granted = self.backend.reserve_now(self.member, queue.waiting(), self._new_id, now)
        if granted is not None:
            grant, shared = granted
            self._hand_out(grant, now, shared=shared)
            queue.settle(now, grant.retry_at)
            return
        poll = now + self.backend.poll_interval
        if self.backend.waits_for_store:  # a strict store, unreachable: wait, within each waiter's give-up time
            queue.settle(now, math.inf, poll=poll)
            return
        if self._reserving is None and now >= self._retry_at:
            self._reserving = self._loop.create_task(self._reserve())
        queue.settle(now, self._retry_at if self._reserving is None else math.inf, poll=poll)

    def _hand_out(self, grant: Grant, now: float, *, shared: bool) -> None:
        """Tokens to the waiters at the heads of their lanes, in order; one whose waiter left goes back."""
        for lane in LANES:
            for lease, stamp in grant.of(lane):
                ticket = Ticket(stamp, now, lease, shared)
                if not self.queue.grant(lane, ticket):
                    self.backend.release(ticket, sent=False, local_now=now)

    async def _reserve(self) -> None:
        """Ask a shared store for one token per live waiter of each lane, hand them out in order, until a round
        falls short."""
        try:
            while self.queue.has_head() and not self.backend.degraded:
                self._poked = False
                ids = {lane: self._lease_ids(lane) for lane in LANES}
                grant = await self.backend.reserve(self.member, ids, lasts=3 * self.backend.poll_interval)
                if grant is None:  # no answer: asked again by the finally's wake, or the stand-in takes over
                    self._unanswered = ids
                    return
                self._unanswered = {lane: [] for lane in LANES}
                self._hand_out(grant, self.clock(), shared=True)
                if grant.granted < len(ids["interactive"]) + len(ids["bulk"]):  # ask again then, or at the poll
                    now = self.clock()
                    self._retry_at = min(self.backend.to_local(grant.retry_at), now + self.backend.poll_interval)
                    if not self._poked:
                        return
        finally:
            self._reserving = None
            self._wake()

    def _lease_ids(self, lane: Lane) -> list[str]:
        """An id per live waiter of ``lane`` (up to a window's worth): those asked for before (maybe granted
        then: asking again is idempotent), then new ones."""
        wanted = min(self.queue.live(lane), _MOST_ASKED)
        ids = self._unanswered[lane][:wanted]
        return ids + [self._new_id() for _ in range(wanted - len(ids))]

    async def _record_shared(self, ticket: Ticket, seen: Observation) -> None:
        """Record in the shared store; then ask again when the answer says room may be there."""
        view = await self.backend.record(ticket, seen)
        if view is not None and self.queue:
            now = self.clock()
            if view.gate_closed_for > 0:  # a 429: ask again when the gate opens
                self._retry_at = now + view.gate_closed_for
            elif view.remaining is None or view.remaining > 0:
                self._retry_at = -math.inf  # room now, or a probe to send
            elif view.reset_in is not None:  # the window's end may have come sooner
                self._retry_at = min(self._retry_at, now + view.reset_in + self.backend.rules.settings.margin)
        self._wake()


def too_long(wait: float | None) -> RateLimitWaitError:
    """The error for a waiter whose admission would come after it gives up."""
    when = f"{wait:.1f} s" if wait is not None else "an unknown time"
    return RateLimitWaitError(
        f"the rate limit would delay this request by {when}, past max_rate_limit_wait or its deadline",
        retry_after=wait,
    )
