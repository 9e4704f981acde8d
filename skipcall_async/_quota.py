"""One key's quota as the request path sees it: a window of tokens, the requests in flight, and a 429 gate.

A pure state machine: every method takes ``now`` (seconds on the caller's monotonic clock) and does no I/O, so
every rule is tested with a fake clock. What a response says arrives already read into an ``Observation``
(``_interpret``); this module only decides admissions and merges observations. The Redis store runs the same
rules in Lua (``_redis/_scripts.py``) against the Redis clock, for a whole fleet of processes.

Rules, in the order they apply:

* While the gate is closed (after a 429) nothing is admitted.
* Cold start: with no current window, admit only ``probe`` requests at a time until a response brings
  rate-limit headers (unless the plan was stated: that opens an assumed window of ``assumed_limit`` tokens).
  Responses without rate-limit headers switch pacing off until headers appear.
* A window is (remaining, reset). Tokens available = remaining - requests in flight, so requests already sent
  are counted before their responses come back, and never more than the window's budget: what remained when
  the window was learned, less the requests in flight then and those granted since (a token given back without
  a response returns to it). In a fixed window the budget only repeats what the responses say; in a sliding
  log, where ``remaining`` rises as old requests age out, it keeps a response saying more from letting its own
  request be counted as free. After the reset (plus ``margin``) the window is over, and the next request is a
  probe again: that works for fixed windows and sliding logs alike.
* Merging: a response's window is identified by the reset its headers state. Within one window ``remaining``
  only goes down and the earliest reset wins (every estimate is an upper bound), so a late, out-of-order
  response never raises it. A reset later by more than ``tolerance`` opens a new window; an earlier one is a
  stale response from the last window and says nothing. Once the reset has passed, only the answer to a probe
  (a request granted after it, with nothing else in flight) may raise ``remaining`` within the same window:
  it is the only answer sure to count every request sent before it, where a response that overtook another
  on its way back would count one request too few.
* Responses age out. A server that counts each request for one window after it saw it (a sliding log, such as
  @nestjs/throttler's) may report ``remaining`` from hits of the window before, while its reset describes
  another clock. The arrival times of the key's responses (429s excepted) are kept for one window. When a
  response says ``remaining`` is left, ``limit - remaining`` hits are live, of which at most the requests still
  in flight have no arrival yet: so the ``limit - remaining - in flight``-th latest arrival came no earlier than
  the oldest live hit was counted, and the window ends no later than that arrival plus the window length.
  For fixed windows that bound is never earlier than their reset, so it only helps where it is true.
* A 429 closes the gate for the time the server asked, or, without a usable hint, for a full-jitter backoff
  that grows with consecutive 429s (from ``backoff_base`` up to the plan's window) and resets on the first
  other response. 429s that arrive while the gate is already closed answer requests sent before it closed:
  one burst, one step of the backoff. The window is forgotten: the next request probes.
"""

from __future__ import annotations

import collections
import math
import random
from collections.abc import Callable
from typing import NamedTuple

import attrs

from ._rate_policy import PLAN_WINDOW

# Arrivals are kept this much longer than a window: a response is logged when it is read, after the server
# counted it, so a hit still live when the next answer was counted may have been logged a window before that
# answer was read. Older arrivals left in the log never make the ageing rule later, only less often silent.
ARRIVAL_SLACK = 1.0


class Observation(NamedTuple):
    """What one response says about the key's quota, read at the moment it arrived.

    Times are seconds from that moment. ``window_id_in`` is the reset as the headers state it (it identifies the
    window); ``reset_in`` is the best estimate of the window's end (``window_id_in`` bounded and doubted, see
    ``_interpret``). Both are None, like ``remaining``, when the response had no usable rate-limit headers.
    ``gate_in`` is, for a 429, how long the server asked to wait (None: no usable hint). ``window`` is the
    longest the server may count a request, as the reader knows it (None: unknown, nothing ages out).
    """

    rate_limited: bool
    limit: int | None
    remaining: int | None
    window_id_in: float | None
    reset_in: float | None
    gate_in: float | None = None
    window: float | None = None


@attrs.frozen(kw_only=True)
class QuotaView:
    """The quota at one instant, for snapshots; ``reset_in`` is None when no window is current."""

    limit: int | None
    remaining: int | None
    reset_in: float | None
    in_flight: int
    gate_closed_for: float
    rate_limited: int


class QuotaState:
    """Admissions and merged observations for one key (see the module docstring for the rules)."""

    __slots__ = (
        "_arrivals",
        "_assumed",
        "_budget",
        "_gate_until",
        "_headerless",
        "_in_flight",
        "_limit",
        "_probes",
        "_rate_limited",
        "_remaining",
        "_reset_at",
        "_streak",
        "_window_id",
        "assumed_limit",
        "backoff_base",
        "margin",
        "probe",
        "random",
        "tolerance",
        "window",
    )

    def __init__(
        self,
        *,
        probe: int = 1,
        assumed_limit: int | None = None,
        window: float = PLAN_WINDOW,
        margin: float = 0.05,
        tolerance: float = 1.0,
        backoff_base: float = 1.0,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.probe = probe
        self.assumed_limit = assumed_limit
        self.window = window  # the plan's window: an assumed window's length and the cap of the 429 backoff
        self.margin = margin
        self.tolerance = tolerance
        self.backoff_base = backoff_base
        self.random = random
        self._limit: int | None = assumed_limit
        self._remaining = 0
        self._budget = 0  # tokens the current window may still grant (see the module docstring)
        self._reset_at: float | None = None  # when the current window ends, the tightest estimate known
        self._window_id: float | None = None  # the reset the headers state: identifies the window
        self._assumed = False
        self._in_flight = 0
        self._probes = 0  # probes granted since the window was last opened, still unanswered
        self._gate_until = -math.inf
        self._headerless = False
        self._rate_limited = 0
        self._streak = 0  # consecutive 429s
        self._arrivals: collections.deque[float] = collections.deque()  # responses counted, within one window

    def __repr__(self) -> str:
        return (
            f"QuotaState(limit={self._limit}, remaining={self._remaining}, reset_at={self._reset_at}, "
            f"in_flight={self._in_flight}, gate_until={self._gate_until})"
        )

    # -- the request path -------------------------------------------------------------------------------------

    def reserve(self, now: float) -> float | None:
        """Take a token: None when granted, else the earliest time worth asking again (``inf``: after a response)."""
        if now < self._gate_until:
            return self._gate_until
        if self.assumed_limit is not None and self._reset_at is None and not self._rate_limited:
            self._open(self.assumed_limit, now + self.window, now + self.window, assumed=True)
        reset_at = self._reset_at
        if reset_at is not None and now < reset_at + self.margin:
            if self._remaining - self._in_flight > 0 and self._budget > 0:
                self._in_flight += 1
                self._budget -= 1
                return None
            return reset_at + self.margin
        if self._headerless or self._in_flight < self.probe:
            self._in_flight += 1
            if not self._headerless:
                self._probes += 1
            return None
        return math.inf

    def release(self, now: float) -> None:
        """Give back a token whose request ended without a response (cancelled, or a network error)."""
        self._answered_probe()
        if self._in_flight > 0:
            self._in_flight -= 1
            self._budget += 1

    def record(self, now: float, seen: Observation, *, held: bool = True) -> None:
        """Learn from one response (any status); ``held``: its request held one of this state's tokens."""
        probe = held and self._answered_probe()
        if held and self._in_flight > 0:
            self._in_flight -= 1
        if seen.limit is not None:
            self._limit = seen.limit
        if not seen.rate_limited:
            arrivals = self._arrivals
            arrivals.append(now)
            kept_after = now - self.window - ARRIVAL_SLACK
            if arrivals[0] <= kept_after:
                while arrivals and arrivals[0] <= kept_after:
                    arrivals.popleft()
        if seen.remaining is not None and seen.window_id_in is not None and seen.reset_in is not None:
            self._headerless = False
            self._merge(now, seen.remaining, now + seen.window_id_in, now + seen.reset_in, probe=probe, held=held)
            if seen.window is not None:
                self._age(seen)
        elif self._reset_at is None and not self._assumed and not seen.rate_limited:
            self._headerless = True
        if seen.rate_limited:
            self._rate_limited += 1
            if now >= self._gate_until:  # requests in flight when the gate closed are one burst: it counts once
                self._streak += 1
            wait = seen.gate_in if seen.gate_in is not None else self._backoff()
            self._gate_until = max(self._gate_until, now + wait)
            self._reset_at = None  # the window we believed in was wrong: probe after the gate opens
            self._headerless = False
        else:
            self._streak = 0

    def view(self, now: float) -> QuotaView:
        """The quota as it stands at ``now``."""
        current = self._reset_at is not None and now < self._reset_at
        return QuotaView(
            limit=self._limit,
            remaining=max(0, min(self._remaining - self._in_flight, self._budget)) if current else None,
            reset_in=(self._reset_at - now) if current and self._reset_at is not None else None,
            in_flight=self._in_flight,
            gate_closed_for=max(0.0, self._gate_until - now),
            rate_limited=self._rate_limited,
        )

    def idle_until(self, now: float) -> float | None:
        """When this state stops mattering (nothing in flight, window over, gate open); None while busy."""
        if self._in_flight:
            return None
        return max(now, self._gate_until, self._reset_at if self._reset_at is not None else now)

    # -- internals ---------------------------------------------------------------------------------------------

    def _backoff(self) -> float:
        """Full jitter over a ceiling that doubles with each consecutive 429, capped at the plan's window."""
        ceiling = min(self.window, self.backoff_base * 2.0 ** (self._streak - 1))
        return self.random() * ceiling

    def _age(self, seen: Observation) -> None:
        """Bring the window's end forward to when the hit that frees the next request ages out, if that is sooner."""
        if seen.limit is None or seen.remaining is None or seen.window is None or self._reset_at is None:
            return  # (the caller checks the window: most responses have none to age by)
        known = seen.limit - seen.remaining - self._in_flight  # live hits whose responses arrived
        if 0 < known <= len(self._arrivals):
            ages_out = self._arrivals[-known] + seen.window
            if ages_out < self._reset_at:
                self._reset_at = ages_out

    def _answered_probe(self) -> bool:
        """Whether the request now ending was a probe: it is when every request in flight is one.

        With the default single probe that is exact (a probe goes only when nothing is in flight, and nothing
        else goes until it is answered); with more, a stale answer may pass for a probe's, never the reverse.
        """
        if 0 < self._in_flight <= self._probes:
            self._probes -= 1
            return True
        return False

    def _merge(self, now: float, remaining: int, window_id: float, reset_at: float, *, probe: bool, held: bool) -> None:
        current = self._window_id
        if current is not None and not self._assumed and window_id < current - self.tolerance:
            # An older window's late response says nothing about this one, except that its request, in flight
            # when this window was learned and so taken from its budget, was not counted in it.
            if held:
                self._budget += 1
            return
        if window_id <= now:
            return  # describes a window that is already over
        if (
            current is None
            or self._reset_at is None
            or self._assumed
            or (probe and now >= self._reset_at)
            or window_id > current + self.tolerance
        ):
            self._open(remaining, window_id, reset_at, assumed=False)
        else:  # the same window: keep the tightest figures
            if remaining < self._remaining:
                self._remaining = remaining
            if window_id < current:
                self._window_id = window_id
            if reset_at < self._reset_at:
                self._reset_at = reset_at

    def _open(self, remaining: int, window_id: float, reset_at: float, *, assumed: bool) -> None:
        self._probes = 0  # a probe still in flight was sent before this window was known: no longer one
        self._remaining = remaining
        self._budget = remaining - self._in_flight  # requests in flight may all be counted after this answer
        self._window_id = window_id
        self._reset_at = reset_at
        self._assumed = assumed
