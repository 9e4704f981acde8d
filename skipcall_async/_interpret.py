"""Reading one response's rate-limit headers into an ``Observation``: what this process knows of the server.

Pure: time comes in as arguments (``now`` on the local monotonic clock, ``wall_now`` in epoch seconds). The state
kept here is per process and per key, and only concerns how to read headers; what the key's quota is lives in
a store (``_quota`` in-process, Redis for a fleet).

* **Clock skew.** ``X-RateLimit-Reset`` as an epoch time is read against the server's clock, estimated from
  ``Date``. ``Date`` is the server time rounded down to the second, so each response bounds the skew to
  ``[Date - local, Date + 1 - local]``; the bounds of all responses are intersected. While zero lies inside them
  the clocks agree as far as ``Date`` can tell and the local clock is used; otherwise the lower bound is, which
  can only make the client wait a little longer, never send early.
* **The window bound.** A window ends at most one window length after the server counted its first request,
  which was before its response arrived: so a reset is never later than a response's arrival plus the window.
  A reset later than that bound only by rounding (up to two seconds) is replaced by the bound.
* **The window length.** Stated in the policy, it is trusted. Otherwise the documented minute is the longest
  one believed, and a shorter one is learned: from a fresh window (its first request counted, ``remaining`` at
  ``limit - probe`` or more) opened by a probe sent right at the previous window's end, the span from the
  response to the stated reset is at most the window. The shortest such span is kept.
* **Resets that are not credible.** On a success, a reset beyond the longest believed window (plus rounding) is
  not believed: the window is taken to end after a probe interval of one second, doubled each time the probe
  after such a window finds nothing left (up to the window), and set back to a second when it finds requests
  left. Only a 429 can make the client wait longer than the window.
* **429 hints.** ``Retry-After``, else the reset, tells how long the gate stays closed; zero, negative or past
  values are no hint (the store then backs off on its own).
"""

from __future__ import annotations

import math

from ._headers import RateLimitHeaders
from ._quota import Observation
from ._rate_policy import PLAN_WINDOW

ROUNDING_SLACK = 2.0  # a reset rounded up to the second, read through a Date of one-second resolution
_SKEW_JUMP = 2.0  # a skew sample this far outside the bounds means a clock was set
_DATE_SLACK = 0.05  # network latency blurs the upper bound of the skew by about this much
_ON_TIME = 1.0  # a probe answered within this long after the last window's end was sent right at it
_MIN_WINDOW = 1.0  # shorter learned windows are noise
_FIRST_DOUBT = 1.0


class HeaderInterpreter:
    """Turns responses into observations; keeps the clock skew, the learned window and the doubt interval."""

    __slots__ = (
        "_doubt",
        "_last_reset",
        "_learned",
        "_skew_high",
        "_skew_low",
        "bound_window",
        "ceiling",
        "probe",
        "skew",
        "window",
    )

    def __init__(self, *, window: float | None = None, probe: int = 1) -> None:
        self.window = window  # stated by the user: trusted, nothing learned
        self.probe = probe
        # The longest window believed on a successful response, and the one that bounds every reset estimate
        # (stated, learned, or the documented minute): plain attributes, read on every response.
        self.ceiling = self.bound_window = window if window is not None else PLAN_WINDOW
        self.skew: float | None = None  # seconds the server clock is ahead, as far as Date can tell
        self._skew_low: float | None = None
        self._skew_high = math.inf
        self._learned: float | None = None
        self._doubt = _FIRST_DOUBT
        self._last_reset: float | None = None  # the end of the window this process last proposed

    def __repr__(self) -> str:
        return f"HeaderInterpreter(window={self.bound_window}, skew={self.skew}, doubt={self._doubt})"

    def read(
        self, now: float, wall_now: float, headers: RateLimitHeaders, *, status: int, retry_after: float | None
    ) -> Observation:
        """What the response that arrived at ``now`` says about the key's quota."""
        if headers.server_date is not None:
            self._update_skew(headers.server_date - wall_now)
        # Seconds until the reset the headers state; None when absent, zero or past.
        if headers.reset_after is not None:
            stated: float | None = headers.reset_after
        elif headers.reset_epoch is not None:
            stated = headers.reset_epoch - (wall_now + (self.skew or 0.0))
        else:
            stated = None
        if stated is not None and stated <= 0:
            stated = None
        if status == 429:
            self._doubt = min(self._doubt * 2.0, self.ceiling)
            hint = retry_after if retry_after is not None and retry_after > 0 else stated
            return Observation(True, headers.limit, None, None, None, hint)
        if headers.remaining is None or stated is None:
            return Observation(False, headers.limit, None, None, None)
        reset_in = self._estimate(now, headers, stated)
        window = self.window if self.window is not None else self._learned  # never the untold minute: no gain
        return Observation(False, headers.limit, headers.remaining, stated, reset_in, None, window)

    # -- internals ---------------------------------------------------------------------------------------------

    def _estimate(self, now: float, headers: RateLimitHeaders, stated: float) -> float:
        """The window's end: the stated reset, bounded by the window, doubted beyond the longest one believed."""
        last = self._last_reset
        after_reset = last is not None and now >= last
        if stated > self.ceiling + ROUNDING_SLACK:
            if after_reset:
                remaining = headers.remaining or 0
                self._doubt = _FIRST_DOUBT if remaining > 0 else min(self._doubt * 2.0, self.ceiling)
            reset_in = min(self._doubt, self.ceiling)
        else:
            if after_reset and last is not None and now - last <= _ON_TIME and self._fresh(headers):
                self._learn(stated)
            bound = self.bound_window
            reset_in = bound if bound < stated <= bound + ROUNDING_SLACK else stated
        if after_reset or last is None or now + reset_in < last:
            self._last_reset = now + reset_in
        return reset_in

    def _fresh(self, headers: RateLimitHeaders) -> bool:
        """Whether this response's request was among the first counted in its window."""
        return (
            headers.limit is not None
            and headers.remaining is not None
            and headers.remaining >= headers.limit - self.probe
        )

    def _learn(self, span: float) -> None:
        if self.window is None and _MIN_WINDOW <= span <= PLAN_WINDOW + ROUNDING_SLACK:
            self._learned = span if self._learned is None else min(self._learned, span)
            self.bound_window = min(self._learned, PLAN_WINDOW)

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
        self.skew = 0.0 if low <= 0.0 <= high + _DATE_SLACK else low
