"""The async side of the governor: a FIFO of waiting futures and one timer, shared by every task on a key.

No lock is held across an ``await``: the store is only touched from the event loop's thread between awaits.
Waiters are released one by one in order (a 429-rejected request re-enters at the head), each only when the
store grants it a token, so a reset wakes exactly as many tasks as it has tokens, not a herd.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import math
import time
import weakref
from collections.abc import Callable

import attrs

from ._errors import RateLimitError
from ._governor import Governor, RateLimitState, RateLimitStore
from ._headers import RateLimitHeaders


@attrs.frozen(kw_only=True)
class RateLimitSnapshot:
    """What ``client.rate_limit`` shows: the governor's view of the key's quota at one instant.

    ``remaining`` is what the SDK may still send in the current window (server's count minus requests in
    flight); ``reset_at`` is the window's end on the local wall clock (None when unknown); ``waiting`` counts
    tasks queued for a token; ``rate_limited`` counts 429 responses seen on this key.
    """

    limit: int | None
    remaining: int | None
    reset_at: float | None
    waiting: int
    in_flight: int
    rate_limited: int
    gate_closed_for: float
    clock_skew: float | None


class RateLimiter:
    """Admits requests when the store grants a token, queueing the rest in FIFO order."""

    def __init__(
        self,
        store: RateLimitStore,
        *,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._loop = asyncio.get_running_loop()
        self.clock = clock or self._loop.time  # monotonic seconds: the loop's clock unless a test injects one
        self._wall_clock = wall_clock
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()  # FIFO, granted by result
        self._give_ups: list[tuple[float, int, asyncio.Future[None]]] = []  # heap of finite give-up times
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def try_acquire(self) -> bool:
        """Take a token now if one is free and nobody is queued ahead; False means :meth:`acquire` must wait."""
        return not self._waiters and self.store.reserve(self.clock()) is None

    async def acquire(self, *, first: bool = False, give_up_at: float = math.inf) -> float:
        """Wait for a token; returns the seconds spent waiting.

        ``first`` puts the caller at the head of the queue (a request the server just rejected with 429).
        Raises :class:`RateLimitError` at once when the earliest possible admission is after ``give_up_at``.
        """
        start = self.clock()
        if not self._waiters:
            retry_at = self.store.reserve(start)
            if retry_at is None:
                return 0.0
            if math.isfinite(retry_at) and retry_at > give_up_at:
                raise _too_long(retry_at - start)
        waiter: asyncio.Future[None] = self._loop.create_future()
        # Queued behind others, a waiter changes nothing a wake would look at, unless it gives up soonest.
        needs_wake = first or not self._waiters
        if first:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        if math.isfinite(give_up_at):
            heapq.heappush(self._give_ups, (give_up_at, next(self._sequence), waiter))
            needs_wake = needs_wake or self._give_ups[0][2] is waiter
        if needs_wake:
            self._wake()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.store.release(self.clock())  # granted, then cancelled before using it
            self._wake()  # a cancelled waiter stays queued, done, and is dropped when it reaches the head
            raise
        return self.clock() - start

    def observe(self, headers: RateLimitHeaders, *, status: int, retry_after: float | None) -> None:
        """Feed one response to the store and admit whoever it makes room for."""
        self.store.observe(self.clock(), self._wall_clock(), headers, status=status, retry_after=retry_after)
        self._wake()

    def release(self) -> None:
        """Give back a token whose request got no response."""
        self.store.release(self.clock())
        self._wake()

    def snapshot(self) -> RateLimitSnapshot:
        state: RateLimitState = self.store.state(self.clock())
        return RateLimitSnapshot(
            limit=state.limit,
            remaining=state.remaining,
            reset_at=None if state.reset_in is None else self._wall_clock() + state.reset_in,
            waiting=sum(1 for w in self._waiters if not w.done()),
            in_flight=state.in_flight,
            rate_limited=state.rate_limited,
            gate_closed_for=state.gate_closed_for,
            clock_skew=state.clock_skew,
        )

    def _wake(self) -> None:
        if not self._waiters:  # the common case after a response: nobody is waiting
            # Every waiter that left the queue was granted or is done, so no give-up time is left to police.
            if self._give_ups:
                self._give_ups.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer, self._timer_at = None, math.inf
            return
        now = self.clock()
        retry_at = math.inf
        while self._waiters:
            head = self._waiters[0]
            if head.done():  # cancelled or failed: dropped here, never searched for
                self._waiters.popleft()
                continue
            granted = self.store.reserve(now)
            if granted is None:
                self._waiters.popleft()
                head.set_result(None)
                continue
            retry_at = granted
            break
        # Nobody waits past the moment they would give up, and nobody sleeps a day because a header said so.
        # The heap keeps this O(log n) per waiter; scanning the queue on every wake would be quadratic.
        limit = retry_at if math.isfinite(retry_at) else now
        while self._give_ups and (self._give_ups[0][0] < limit or self._give_ups[0][0] <= now):
            _, _, waiter = heapq.heappop(self._give_ups)
            if not waiter.done():
                waiter.set_exception(_too_long(retry_at - now if math.isfinite(retry_at) else None))
        wake_at = min(retry_at, self._give_ups[0][0] if self._give_ups else math.inf)
        if not self._waiters or not math.isfinite(wake_at):
            wake_at = math.inf
        if wake_at != self._timer_at:  # one timer, moved only when the next event moves
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(wake_at, self._wake) if math.isfinite(wake_at) else None
            self._timer_at = wake_at


def _too_long(wait: float | None) -> RateLimitError:
    when = f"{wait:.1f} s" if wait is not None else "an unknown time"
    return RateLimitError(
        f"the rate limit would delay this request by {when}, past max_rate_limit_wait or its deadline",
        retry_after=wait,
        code="RATE_LIMIT_WAIT_EXCEEDED",
    )


_registry: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], RateLimiter]]
_registry = weakref.WeakKeyDictionary()


def shared_limiter(base_url: str, key_fingerprint: str, make_store: Callable[[], RateLimitStore]) -> RateLimiter:
    """The one limiter for (base URL, key) in the running loop; every client on that key shares it."""
    loop = asyncio.get_running_loop()
    per_loop = _registry.setdefault(loop, {})
    limiter = per_loop.get((base_url, key_fingerprint))
    if limiter is None:
        limiter = per_loop[(base_url, key_fingerprint)] = RateLimiter(make_store())
    return limiter


def default_store(*, probe: int, rate_limit: int | None, window: float) -> Governor:
    """The in-process store, configured from the client's arguments."""
    return Governor(probe=probe, assumed_limit=rate_limit, window=window)
