"""Reading one response's rate-limit headers into an ``Observation``: what this process knows of the server.

Pure: time comes in as arguments (``now`` on the local monotonic clock, ``wall_now`` in epoch seconds). The state
kept here is per process and per key, and only concerns how to read headers; what the key's quota is lives in
a store (``rules.py`` over a backend). A server may enforce several limits at once (``X-RateLimit-*``
and ``X-RateLimit-*-<name>`` families): each family is read on its own, with its own learned window and doubt.

* **Clock skew.** ``X-RateLimit-Reset`` as an epoch time is read against the server's clock, estimated from
  ``Date``. ``Date`` is the server time rounded down to the second, so each response bounds the skew to
  ``[Date - local, Date + 1 - local]``; the bounds of all responses are intersected. While zero lies inside them
  the clocks agree as far as ``Date`` can tell and the local clock is used; otherwise the lower bound is, which
  can only make the client wait a little longer, never send early. A response read late (a busy event loop)
  only lowers its sample, and the lower bound is the largest sample: lateness never makes it send early.
* **The window bound.** A window ends at most one window length after the server counted its first request,
  which was before its response was read: so a reset is never later than that reading plus the window.
  A reset later than that bound only by rounding (up to two seconds) is replaced by the bound.
* **The window length.** Stated by the server (``RateLimit-Policy``'s ``w``) or in the policy, it is trusted.
  Otherwise the documented minute is the longest one believed, and a shorter one is learned: from a fresh window
  (its first request counted, ``remaining`` at ``limit - probe`` or more) opened by a probe sent right at the
  previous window's end, the span from the probe's grant to the stated reset is at most the window (measured
  from the grant, not from when the answer was read, so a late reading cannot shorten it). The shortest such span
  is kept. An epoch reset rounded up to a whole second leaves the length known within a second: when a single
  whole number of seconds fits, the window is taken to last that long (see ``WindowReader._learn_fresh``).
  A sliding log is never fresh at a probe (the last window's hits age out one by one), but one that counts
  down whole seconds from the request that opened its window (@nestjs/throttler's tracker) says the full
  length again at each probe: a probe sent right at the last end whose answer states the longest whole-second
  reset seen so far, followed in that window by an answer with more left than one read before its request was
  granted (hits aged out: a sliding log, where every hit lives that long), teaches that length too. A fixed
  window never shows more left later in a window; a sliding log that states when its oldest hit ages out says
  the longest reset only when that hit is the youngest, whose life is the whole window.
* **Resets that are not credible.** On a success, a reset beyond the longest believed window (plus rounding) is
  not believed: the window is taken to end after a probe interval of one second, doubled each time the probe
  after such a window finds nothing left (up to the window), and set back to a second when it finds requests
  left. Only a 429 can make the client wait longer than the window.
* **429 hints.** ``Retry-After`` (or the longest ``Retry-After-<name>``), else the reset, tells how long the gate
  stays closed; zero, negative or past values are no hint (the store then backs off on its own).
"""

from __future__ import annotations

import math

from .headers import RateLimitHeaders
from .rules import Observation, WindowSeen
from .settings import PLAN_WINDOW

ROUNDING_SLACK = 2.0  # a reset rounded up to the second, read through a Date of one-second resolution
MAX_FAMILIES = 8  # named limits read per key; a server sending more is not describing a plan
_SKEW_JUMP = 2.0  # a skew sample this far outside the bounds means a clock was set
_DATE_SLACK = 0.05  # network latency blurs the upper bound of the skew by about this much
_ON_TIME = 1.0  # a probe answered within this long after the last window's end was sent right at it
_MIN_WINDOW = 1.0  # shorter learned windows are noise
_WHOLE_SLACK = 0.02  # clock error allowed when telling the whole seconds of a window (under the default margin)
_FIRST_DOUBT = 1.0


class WindowReader:
    """How one family's resets are read: its learned window, its doubt interval, the end it last proposed."""

    __slots__ = ("_candidate", "_doubt", "_last_reset", "_learned", "_least", "_longest_whole", "_whole_disproved",
                 "_whole_seconds", "bound_window", "ceiling", "probe", "window")  # fmt: skip

    def __init__(self, *, window: float | None, probe: int) -> None:
        self.window = window  # stated by the user: trusted, nothing learned
        self.probe = probe
        # The longest window believed on a successful response, and the one that bounds every reset estimate
        # (stated, learned, or the documented minute): plain attributes, read on every response.
        self.ceiling = self.bound_window = window if window is not None else PLAN_WINDOW
        self._learned: float | None = None
        self._doubt = _FIRST_DOUBT
        self._last_reset: float | None = None  # the end of the window this process last proposed
        self._longest_whole = 0.0  # the longest whole-second "seconds until reset" stated so far
        self._candidate: tuple[float, float] | None = None  # (window id, its length) a probe found, to confirm
        self._least: tuple[float, int] | None = None  # (when read, remaining): the least read in that window
        self._whole_seconds = False  # the learned length is a whole second taken from a rounded reset ...
        self._whole_disproved = False  # ... which a 429 proved wrong

    def __repr__(self) -> str:
        return f"WindowReader(window={self.bound_window}, doubt={self._doubt})"

    def stated_by_server(self, window: float) -> None:
        """The server states the window (``RateLimit-Policy``'s ``w``): trusted over the plan's, nothing learned."""
        if window >= _MIN_WINDOW and window != self.window:
            self.window = self.ceiling = self.bound_window = window

    def rejected(self) -> None:
        """A 429: the next doubted window is probed later; a length taken to be whole seconds is given up."""
        self._doubt = min(self._doubt * 2.0, self.ceiling)
        if self._whole_seconds:
            self._whole_seconds, self._learned, self.bound_window = False, None, self.ceiling
            self._whole_disproved = True

    def _learn_fresh(self, headers: RateLimitHeaders, stated: float, sent_ago: float) -> None:
        """The window's length from a fresh window opened by a probe granted ``sent_ago`` ago.

        A reset stated in seconds from now is measured from when the window opened (the server answers the probe
        that opened it), and is the window's length. An epoch reset is measured from the probe's grant, which is
        a little before the window opened; rounded up to a whole second (as limiters that state epoch seconds
        do), it is up to a second late: the length is then known only within ``(stated - 1, stated + sent_ago]``,
        and when exactly one whole second lies within it, the window is taken to last whole seconds, as limiters
        configure it. A 429 proves that wrong and the bound falls back to the stated reset.
        """
        if headers.reset_epoch is None:
            self._learn(stated)
        elif not self._learn_whole(headers, stated, sent_ago):
            self._learn(stated + sent_ago)

    def _learn_whole(self, headers: RateLimitHeaders, stated: float, sent_ago: float) -> bool:
        """The whole seconds a window opened by a probe lasts, from its epoch reset (see `_learn_fresh`)."""
        if headers.reset_epoch is None or headers.reset_epoch != int(headers.reset_epoch) or self._whole_disproved:
            return False
        whole = _one_whole_second(stated - 1.0 - _WHOLE_SLACK, stated + sent_ago + _WHOLE_SLACK)
        if whole is None:
            return False
        self._learn(whole)
        self._whole_seconds = self._whole_seconds or self._learned == whole
        return True

    def estimate(self, now: float, headers: RateLimitHeaders, stated: float, sent_ago: float | None) -> float:
        """The window's end: the stated reset, bounded by the window, doubted beyond the longest one believed.

        ``sent_ago``: how long before ``now`` the request was granted (None: unknown, nothing is learned).
        """
        last = self._last_reset
        after_reset = last is not None and now >= last
        if stated > self.ceiling + ROUNDING_SLACK:
            if after_reset:
                remaining = headers.remaining or 0
                self._doubt = _FIRST_DOUBT if remaining > 0 else min(self._doubt * 2.0, self.ceiling)
            reset_in = min(self._doubt, self.ceiling)
        else:
            on_time = sent_ago is not None and last is not None and 0.0 <= now - sent_ago - last <= _ON_TIME
            if on_time and sent_ago is not None and self._fresh(headers):  # a probe right at the last end: fresh
                self._learn_fresh(headers, stated, sent_ago)
            elif last is None and sent_ago is not None and self._fresh(headers):
                self._learn_whole(headers, stated, sent_ago)  # the first answer, to a request that opened its window
            self._sliding(now, headers, stated, sent_ago, on_time=on_time)
            bound = self.bound_window
            reset_in = bound if bound < stated <= bound + ROUNDING_SLACK else stated
        if after_reset or last is None or now + reset_in < last:
            self._last_reset = now + reset_in
        return reset_in

    def _sliding(
        self, now: float, headers: RateLimitHeaders, stated: float, sent_ago: float | None, *, on_time: bool
    ) -> None:
        """Learn a whole-second tracker's length from a probe, once its window shows hits ageing out."""
        whole = headers.reset_after is not None and stated == int(stated)
        remaining = headers.remaining
        if whole and on_time and stated >= self._longest_whole and remaining is not None:
            self._candidate, self._least = (now + stated, stated), (now, remaining)
        elif self._candidate is not None and remaining is not None and sent_ago is not None:
            window_id, length = self._candidate
            if abs(now + stated - window_id) > ROUNDING_SLACK:  # another window: the probe's is over
                self._candidate = self._least = None
            elif self._least is not None:
                read_at, least = self._least
                if now - sent_ago > read_at and remaining > least:  # granted after a lower answer, more left
                    self._learn(length)
                    self._candidate = self._least = None
                elif remaining < least:
                    self._least = (now, remaining)
        if whole:
            self._longest_whole = max(self._longest_whole, stated)

    def _fresh(self, headers: RateLimitHeaders) -> bool:
        """Whether this response's request was among the first counted in its window."""
        return (
            headers.limit is not None
            and headers.remaining is not None
            and headers.remaining >= headers.limit - self.probe
        )

    def _learn(self, span: float) -> None:
        """A window's span from its first request's grant: seconds until reset (as stated), or an epoch reset
        read from the grant (the caller adds the time since the grant to a span read at the response)."""
        if self.window is None and _MIN_WINDOW <= span <= PLAN_WINDOW + ROUNDING_SLACK:
            self._learned = span if self._learned is None else min(self._learned, span)
            self.bound_window = min(self._learned, PLAN_WINDOW)


def _one_whole_second(low: float, high: float) -> float | None:
    """The one whole number of seconds in ``(low, high]``, if there is exactly one."""
    first = math.floor(low) + 1
    return float(first) if first <= high < first + 1 and first >= _MIN_WINDOW else None


class HeaderInterpreter:
    """Turns responses into observations; keeps the clock skew and a `WindowReader` per named limit."""

    __slots__ = ("_readers", "_skew_high", "_skew_low", "probe", "skew", "window")

    def __init__(self, *, window: float | None = None, probe: int = 1) -> None:
        self.window = window
        self.probe = probe
        self.skew: float | None = None  # seconds the server clock is ahead, as far as Date can tell
        self._skew_low: float | None = None
        self._skew_high = math.inf
        self._readers: dict[str, WindowReader] = {}

    def __repr__(self) -> str:
        return f"HeaderInterpreter(window={self.bound_window}, skew={self.skew}, limits={sorted(self._readers)})"

    @property
    def bound_window(self) -> float:
        """The window that bounds reset estimates (stated, learned, or the documented minute); the shortest
        of the limits read so far."""
        readers = self._readers.values()
        if not readers:
            return self.window if self.window is not None else PLAN_WINDOW
        return min(reader.bound_window for reader in readers)

    def read(
        self,
        now: float,
        wall_now: float,
        headers: RateLimitHeaders,
        *,
        status: int,
        retry_after: float | None,
        sent_ago: float | None = None,
    ) -> Observation:
        """What the response read at ``now`` says about the key's quota.

        ``sent_ago``: seconds since its request was granted, when known (it bounds what a late reading learns).
        """
        if headers.server_date is not None:
            self._update_skew(headers.server_date - wall_now)
        if status == 429:
            for reader in self._readers.values():
                reader.rejected()
            hint = retry_after if retry_after is not None and retry_after > 0 else None
            if hint is None:  # the reset of a refused request's own headers, if any, is the next best hint
                resets = [s for _, family in headers.families if (s := self._stated(family, wall_now)) is not None]
                hint = max(resets) if resets else None
            return Observation(True, hint, ())
        windows: list[WindowSeen] = []
        for name, family in headers.families:
            stated = self._stated(family, wall_now)
            found = self._reader(name) if family.remaining is not None and stated is not None else None
            if found is None or family.remaining is None or stated is None:
                continue
            if family.window is not None:
                found.stated_by_server(family.window)
            reset_in = found.estimate(now, family, stated, sent_ago)
            windows.append(WindowSeen(name, family.limit, family.remaining, stated, reset_in, found.bound_window))
        return Observation(False, None, tuple(windows))

    # -- internals ---------------------------------------------------------------------------------------------

    def _reader(self, name: str) -> WindowReader | None:
        reader = self._readers.get(name)
        if reader is None and len(self._readers) < MAX_FAMILIES:
            reader = self._readers[name] = WindowReader(window=self.window, probe=self.probe)
        return reader

    def _stated(self, headers: RateLimitHeaders, wall_now: float) -> float | None:
        """Seconds until the reset the headers state; None when absent, zero or past."""
        if headers.reset_after is not None:
            stated: float | None = headers.reset_after
        elif headers.reset_epoch is not None:
            stated = headers.reset_epoch - (wall_now + (self.skew or 0.0))
        else:
            return None
        return stated if stated is not None and stated > 0 else None

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
