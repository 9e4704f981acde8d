"""What an export counts while it runs: records, requests, 429s, retries and the time the rate limit held it.

Fed by the client's hooks; read by the progress display and the final summary. No I/O here.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable

import attrs

from .._events import RateLimitWaitEvent, ResponseEvent, RetryEvent


class IntervalUnion:
    """The total length of a union of time intervals, kept merged as intervals arrive in any order.

    Requests wait for the rate limit side by side: a hundred requests each waiting the same ten seconds held the
    export for ten seconds, not a thousand. The union of their waits is the wall time during which at least one
    request was held.
    """

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []

    def add(self, start: float, end: float) -> None:
        """Add the interval [start, end]."""
        if end <= start:
            return
        i = bisect.bisect_left(self._ends, start)  # the first interval that ends at or after this one starts
        j = bisect.bisect_right(self._starts, end)  # past the last interval that starts at or before it ends
        if i < j:
            start = min(start, self._starts[i])
            end = max(end, self._ends[j - 1])
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]

    @property
    def total(self) -> float:
        """Seconds covered by at least one interval."""
        return sum(end - start for start, end in zip(self._starts, self._ends, strict=True))

    def covered(self, start: float, end: float) -> float:
        """Seconds of [start, end] that the intervals cover."""
        seconds = 0.0
        for i in range(bisect.bisect_left(self._ends, start), len(self._starts)):
            if self._starts[i] >= end:
                break
            seconds += min(end, self._ends[i]) - max(start, self._starts[i])
        return seconds


@attrs.define
class ExportStats:
    """Counters of one export run.

    Attributes:
        present: Records already in the file when the run started.
        written: Records this run wrote.
        total: Records the export will hold when complete (None until known).
        requests: Responses received, errors and 429s included.
        rate_limited: 429 responses.
        retries: Requests sent again after a failed attempt.
        waits: When requests were held by the rate limit (waits that have ended).
        waiting_since: Since when requests are being held, as last sampled (None: none is held).
        absent: Per ``--include`` part (and per skipped contact), how many the API did not have (404).
        quota: The key's (limit, window in seconds), as the client last knew it (None until known).
        started: ``clock()`` when the run started.
        clock: Monotonic seconds.
    """

    clock: Callable[[], float] = time.monotonic
    present: int = 0
    written: int = 0
    total: int | None = None
    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    waits: IntervalUnion = attrs.field(factory=IntervalUnion)
    waiting_since: float | None = None
    absent: Counter[str] = attrs.field(factory=Counter)
    quota: tuple[int, float] | None = None
    started: float = attrs.field(default=attrs.Factory(lambda self: self.clock(), takes_self=True))

    @property
    def done(self) -> int:
        """Records in the file: those found there and those written since."""
        return self.present + self.written

    @property
    def waited(self) -> float:
        """Seconds during which at least one request was held by the rate limit, a wait still going on included."""
        total = self.waits.total
        if self.waiting_since is not None:
            now = self.clock()
            total += (now - self.waiting_since) - self.waits.covered(self.waiting_since, now)
        return total

    def sample_waiting(self, waiting: int) -> None:
        """Record how many requests the rate limit holds right now (the client's ``rate_limit.waiting``).

        A wait is only reported to the client's hook when it ends; sampling lets a long wait count while it lasts.
        """
        now = self.clock()
        if waiting and self.waiting_since is None:
            self.waiting_since = now
        elif not waiting and self.waiting_since is not None:
            self.waits.add(self.waiting_since, now)
            self.waiting_since = None

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self.clock() - self.started

    @property
    def rate(self) -> float:
        """Records written per second by this run."""
        elapsed = self.elapsed
        return self.written / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left (None while unknown): the longer of two estimates.

        One is this run's average rate. The other is what the rate limit allows: the records left, times the
        requests a record has cost so far, at ``limit`` requests per ``window``. Early in a run the first
        window's burst makes the average rate far too high; the quota keeps the estimate honest.
        """
        if self.total is None:
            return None
        left = max(0, self.total - self.done)
        if left == 0:
            return 0.0
        estimates = [left / self.rate] if self.rate > 0 else []
        if self.quota is not None and self.written > 0:
            limit, window = self.quota
            estimates.append(left * (self.requests / self.written) * window / limit)
        return max(estimates) if estimates else None

    async def on_response(self, event: ResponseEvent) -> None:
        """Client hook: one response."""
        self.requests += 1
        if event.status == 429:
            self.rate_limited += 1

    async def on_retry(self, event: RetryEvent) -> None:
        """Client hook: one retry."""
        self.retries += 1

    async def on_rate_limit_wait(self, event: RateLimitWaitEvent) -> None:
        """Client hook: a request was held ``event.waited`` seconds, ending now."""
        now = self.clock()
        self.waits.add(now - event.waited, now)

    def hooks(self) -> dict[str, Callable[..., object]]:
        """The client's hook arguments that feed these counters."""
        return {
            "on_response": self.on_response,
            "on_retry": self.on_retry,
            "on_rate_limit_wait": self.on_rate_limit_wait,
        }


def clock_text(seconds: float | None) -> str:
    """``1:02:03``, ``2:03``, or ``?`` when unknown."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def status_line(stats: ExportStats) -> str:
    """Records done and total, rate, ETA, rate-limit wait, 429s and retries, on one line."""
    total = "?" if stats.total is None else str(stats.total)
    return (
        f"{stats.done}/{total} records, {stats.rate:.1f}/s, ETA {clock_text(stats.eta)}, "
        f"rate-limit wait {stats.waited:.1f} s, {stats.rate_limited} × 429, {stats.retries} retries"  # noqa: RUF001
    )
