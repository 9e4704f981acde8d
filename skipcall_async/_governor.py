"""The rate-limit governor: a token bucket whose tokens and refill come from the server's headers.

Pure state machine: every method takes the time as an argument (``now`` on the monotonic clock of the caller,
``wall_now`` in epoch seconds) and does no I/O, so every rule below is tested with a fake clock.

Rules, in the order they apply:

* Cold start: until a response has carried rate-limit headers, admit only ``probe`` requests at a time
  (unless the user stated the plan, which opens an assumed one-minute window of that many requests).
* A window is (limit, remaining, reset). Tokens available = remaining - requests in flight, so requests
  already sent are counted before their responses come back.
* Within one window ``remaining`` only goes down and the earliest reset estimate wins (every estimate is an
  upper bound), so a late, out-of-order response never raises it. A reset later by more than
  ``window_tolerance`` opens a new window; an earlier one is a stale response from the last window.
* ``X-RateLimit-Reset`` is converted to the local monotonic clock with the server's clock skew, estimated
  from ``Date``. ``Date`` is the server time rounded down to the second, so each response bounds the skew to
  ``[Date - local, Date + 1 - local]``; the bounds of all responses are intersected. While zero lies inside
  them the clocks agree as far as ``Date`` can tell and the local clock (finer than a second) is used;
  otherwise the lower bound is, which can only make the SDK wait a little longer, never send early.
* A window ends at most ``window`` seconds after the server counted its first request, and that request was
  counted before its response arrived: so the reset is never later than the arrival of the window's first
  response plus ``window``, on the local clock, whatever the rule and whatever the skew. That bound replaces
  a ``X-RateLimit-Reset`` that is later only by rounding (up to two seconds); a reset far beyond it is
  believed. ``window`` is the plan's documented one minute.
* When the window's tokens are spent, nothing is admitted until its reset (plus ``margin``). After a reset
  the governor knows nothing about the new window and probes again, which works for fixed windows and
  sliding logs alike.
* A 429 closes the gate until ``Retry-After`` (or the reset) and forgets the window.
"""

from __future__ import annotations

import math
from typing import Protocol

import attrs

from ._headers import RateLimitHeaders

PLAN_WINDOW = 60.0  # plans are documented as requests per minute
_ROUNDING_SLACK = 2.0  # a reset rounded up to the second, read through a Date of one-second resolution
_SKEW_JUMP = 2.0  # a skew sample this far outside the bounds means a clock was set
_DATE_SLACK = 0.05  # network latency blurs the upper bound of the skew by about this much


@attrs.frozen(kw_only=True)
class RateLimitState:
    """The governor's view at one instant; ``reset_in`` is seconds until the window resets (None if unknown)."""

    limit: int | None
    remaining: int | None
    reset_in: float | None
    in_flight: int
    gate_closed_for: float
    rate_limited: int
    clock_skew: float | None


class RateLimitStore(Protocol):
    """What the request path needs from a rate-limit state holder, in-process or shared between processes."""

    def reserve(self, now: float) -> float | None:
        """Take a token: None when granted, else the earliest time worth asking again (``inf``: after a response)."""

    def release(self, now: float) -> None:
        """Give back a reservation whose request ended without a response (cancelled, or a network error)."""

    def observe(
        self, now: float, wall_now: float, headers: RateLimitHeaders, *, status: int, retry_after: float | None
    ) -> None:
        """Learn from one response (any status) to a reserved request."""

    def state(self, now: float) -> RateLimitState:
        """An immutable view for ``client.rate_limit``."""


class Governor:
    """The in-process :class:`RateLimitStore`; one per (base URL, API key)."""

    __slots__ = (
        "_assumed",
        "_gate_until",
        "_header_reset",
        "_headerless",
        "_in_flight",
        "_limit",
        "_rate_limited",
        "_remaining",
        "_reset_at",
        "_skew",
        "_skew_high",
        "_skew_low",
        "assumed_limit",
        "gate_fallback",
        "margin",
        "probe",
        "window",
        "window_tolerance",
    )

    def __init__(
        self,
        *,
        probe: int = 1,
        assumed_limit: int | None = None,
        margin: float = 0.05,
        window: float = PLAN_WINDOW,
        window_tolerance: float = 1.0,
        gate_fallback: float = 1.0,
    ) -> None:
        if probe < 1:
            raise ValueError("probe must be at least 1")
        if assumed_limit is not None and assumed_limit < 1:
            raise ValueError("rate_limit must be at least 1 request per window")
        if window <= 0:
            raise ValueError("window must be positive seconds")
        self.probe = probe
        self.assumed_limit = assumed_limit
        self.margin = margin
        self.window = window
        self.window_tolerance = window_tolerance
        self.gate_fallback = gate_fallback
        self._limit: int | None = assumed_limit
        self._remaining = 0
        self._reset_at: float | None = None  # when the window ends, the tightest bound known
        self._header_reset: float | None = None  # what the headers say; identifies the window
        self._assumed = False
        self._in_flight = 0
        self._gate_until = -math.inf
        self._headerless = False
        self._skew_low: float | None = None
        self._skew_high = math.inf
        self._skew: float | None = None  # derived from the bounds each time they move
        self._rate_limited = 0

    # -- the request path -------------------------------------------------------------------------------------

    def reserve(self, now: float) -> float | None:
        if now < self._gate_until:
            return self._gate_until
        if self.assumed_limit is not None and self._reset_at is None and not self._rate_limited:
            self._open_window(now, self.assumed_limit, now + self.window, assumed=True)
        if self._reset_at is not None and now < self._reset_at + self.margin:
            if self._remaining - self._in_flight > 0:
                self._in_flight += 1
                return None
            return self._reset_at + self.margin
        # No current window: probe, unless responses carry no rate-limit headers at all.
        if self._headerless or self._in_flight < self.probe:
            self._in_flight += 1
            return None
        return math.inf

    def release(self, now: float) -> None:
        if self._in_flight > 0:
            self._in_flight -= 1

    def observe(
        self, now: float, wall_now: float, headers: RateLimitHeaders, *, status: int, retry_after: float | None
    ) -> None:
        if self._in_flight > 0:
            self._in_flight -= 1
        if headers.server_date is not None:
            self._update_skew(headers.server_date - wall_now)
        reset_in = self._reset_in(wall_now, headers)
        if headers.limit is not None:
            self._limit = headers.limit
        if headers.remaining is not None and reset_in is not None:
            self._headerless = False
            self._merge_window(now, headers.remaining, now + reset_in)
        elif self._reset_at is None and not self._assumed:
            self._headerless = True
        if status == 429:
            self._rate_limited += 1
            wait = retry_after if retry_after is not None else reset_in
            self._gate_until = max(self._gate_until, now + (wait if wait is not None else self.gate_fallback))
            self._reset_at = None  # the window we believed in was wrong: probe after the gate opens
            self._headerless = False

    def state(self, now: float) -> RateLimitState:
        window = self._reset_at is not None and now < self._reset_at
        return RateLimitState(
            limit=self._limit,
            remaining=max(0, self._remaining - self._in_flight) if window else None,
            reset_in=(self._reset_at - now) if window and self._reset_at is not None else None,
            in_flight=self._in_flight,
            gate_closed_for=max(0.0, self._gate_until - now),
            rate_limited=self._rate_limited,
            clock_skew=self._skew,
        )

    # -- internals ---------------------------------------------------------------------------------------------

    def _update_skew(self, sample: float) -> None:
        low, high = self._skew_low, self._skew_high
        if low is None or sample < low - _SKEW_JUMP or sample + 1.0 > high + _SKEW_JUMP:
            low, high = sample, sample + 1.0  # first sample, or the server clock was reset
        elif sample <= low and sample + 1.0 >= high:
            return  # the usual case: this sample does not narrow the bounds
        else:
            low = max(low, sample)
            high = max(low, min(high, sample + 1.0))
        self._skew_low, self._skew_high = low, high
        # Seconds the server clock is ahead of the local one, as far as the Date headers can tell.
        self._skew = 0.0 if low <= 0.0 <= high + _DATE_SLACK else low

    def _reset_in(self, wall_now: float, headers: RateLimitHeaders) -> float | None:
        if headers.reset_after is not None:
            return headers.reset_after
        if headers.reset_epoch is None:
            return None
        server_now = wall_now + (self._skew or 0.0)
        return max(0.0, headers.reset_epoch - server_now)

    def _merge_window(self, now: float, remaining: int, reset_at: float) -> None:
        if reset_at <= now:
            return  # describes a window that is already over
        current = self._header_reset
        if (
            current is None
            or self._reset_at is None
            or self._assumed
            or now >= self._reset_at
            or reset_at > current + self.window_tolerance
        ):
            self._open_window(now, remaining, reset_at, assumed=False)
        elif reset_at >= current - self.window_tolerance:  # the same window: keep the tightest figures
            if remaining < self._remaining:
                self._remaining = remaining
            if reset_at < current:
                self._header_reset = reset_at
            if reset_at < self._reset_at:
                self._reset_at = reset_at
        # else: an older window's late response; it says nothing about this one

    def _open_window(self, now: float, remaining: int, header_reset: float, *, assumed: bool) -> None:
        self._remaining = remaining
        self._header_reset = header_reset
        bound = now + self.window
        # Only a header within rounding (and Date's resolution) of the bound is tightened; a reset far beyond
        # one window is the server saying something else (a longer block), and is believed.
        self._reset_at = bound if bound < header_reset <= bound + _ROUNDING_SLACK else header_reset
        self._assumed = assumed
