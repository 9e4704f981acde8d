"""One key's quota as the request path sees it: what the server is sure to admit, the requests in flight, a gate.

A pure state machine: every method takes ``now`` (seconds on the caller's monotonic clock) and does no I/O, so
every rule is tested with a fake clock. What a response says arrives already read into an ``Observation``
(``_interpret``); this module only decides admissions and merges observations. The Redis store runs the same
rules in Lua (``_redis/lua/quota.lua``) against the Redis clock, for a whole fleet of processes; the tests run
both on the same cases.

Two counters never go down: ``granted`` (tokens handed out) and ``answered`` (requests that ended: a response,
a release, an expired lease). A token is granted while some *bound* (a count of tokens, in all, that the server
is sure to admit) exceeds ``granted``. Three bounds are known, each proved from what the responses say and from
our own counts, never from when a response was read, so a busy event loop cannot make the client send early:

* **A response's own.** Each token records ``answered`` when it was granted (its *stamp*). A response saying
  ``remaining`` for request ``r`` proves the server will still admit ``remaining + 1 + stamp(r) - granted`` more:
  after counting ``r`` it had ``remaining`` left, and the only requests it may have counted since are those that
  had not ended when ``r`` was granted. Hits that age out or a window that resets only add room. So a late,
  out-of-order or stale response only gives a smaller bound, while a sliding log whose ``remaining`` rises as
  hits age out (as @nestjs/throttler's does) raises it as soon as an answer says so. The largest is kept.
* **An epoch's.** That bound is loose by the requests in flight when ``r`` was granted that were in fact counted
  before it. Since the last moment nothing was in flight (an *epoch*), the request counted last among those
  answered said at least the least ``remaining`` answered in the epoch, and only requests still in flight can
  have been counted after it: ``answered + least remaining`` is a bound, as long as every request that ended in
  the epoch was answered with that limit's headers (one that ended otherwise may have been counted unseen).
* **Ageing.** No request counts for longer than the window (``span``: stated, learned, or the documented
  minute). A request that ended ``span`` ago was counted before then, so it no longer counts: at time ``t`` the
  server admits ``limit`` requests beyond those that had not ended by ``t - span``, less the hits it held
  before we knew the window (*earlier hits*: the first answer that described it said ``limit - remaining``
  were live, of which only its own request is surely ours), until one span after that answer. That is what
  lets a sliding log's capacity, which frees hit by hit, be used as it frees, without waiting for a reset.

The rules assume the key's requests are the ones the store counts: other consumers of the key (processes not
sharing the store) are noticed by their 429s.

**Lanes.** Every request is ``interactive`` (someone waits for it) or ``bulk``. `grant` picks whom to serve:

* a waiting interactive request goes before any waiting bulk one, except that while both lanes wait, every
  `BULK_EVERY`-th request granted goes to bulk, so bulk is never starved;
* bulk may not take a window's *reserve*: a share (``reserve_share``, default a tenth) of its limit, held back for
  interactive requests arriving later in the window and shrinking with the time left in it (the reserve at
  ``t`` is ``ceil(share * limit * time left / window length)``), so that bulk has spent it by the window's end.

Rules, in the order they apply:

* While the gate is closed (after a 429) nothing is admitted.
* Cold start: with no window known, admit only ``probe`` requests at a time until a response brings rate-limit
  headers (unless the plan was stated: that opens an assumed window of ``assumed_limit`` tokens, replaced by
  the first real answer). Responses without rate-limit headers switch pacing off until headers appear.
* Each named limit of the server (``X-RateLimit-*`` and each ``X-RateLimit-*-<name>`` family) is a window of
  its own, with its bounds and its end (reset); a request must fit all of them.
* A window whose bounds are spent waits for the first of its end (plus ``margin``) and the next request that
  ages out; after the end the next request is a probe (only ``probe`` may be in flight): its answer says what
  the new window holds. That works for fixed windows and sliding logs alike.
* Ends: a response's window is identified by the reset its headers state. A reset later by more than
  ``tolerance`` opens a new window; within it, the earliest end wins (every estimate is an upper bound); an
  earlier one is a stale response of the last window and says nothing about the end. Once the end has passed,
  the next answer sets it anew.
* A 429 closes the gate for the time the server asked, or, without a usable hint, for a full-jitter backoff
  that grows with consecutive 429s (from ``backoff_base`` up to the plan's window) and resets on the first
  other response. 429s that arrive while the gate is already closed answer requests sent before it closed:
  one burst, one step of the backoff. The windows are forgotten: the next request probes.
"""

from __future__ import annotations

import bisect
import collections
import math
import random
from collections.abc import Callable
from typing import Literal, NamedTuple, TypeAlias

import attrs

from ._rate_policy import PLAN_WINDOW

Lane: TypeAlias = Literal["interactive", "bulk"]
"""A rate-limit lane: `"interactive"` (someone waits for the call) or `"bulk"` (exports, syncs, backfills)."""
LANES: tuple[Lane, ...] = ("interactive", "bulk")
BULK_EVERY = 10  # while both lanes wait, one grant in this many goes to bulk
DEFAULT_LIMIT = "default"  # the unsuffixed family's name (the headers' own)
SPOILT = -1  # an epoch in which some request ended without this limit's headers
ENDS_KEPT_BEYOND = 2.0  # ends are kept this much longer than the plan's window (a learned span is never longer)


class WindowSeen(NamedTuple):
    """One named limit as one response states it, read at the moment it arrived (times are seconds from then).

    ``window_id_in`` is the reset as the headers state it (it identifies the window); ``reset_in`` is the best
    estimate of the window's end (``window_id_in`` bounded and doubted, see ``_interpret``); ``span`` is the
    longest the server may count a request, as the reader knows it.
    """

    name: str
    limit: int | None
    remaining: int
    window_id_in: float
    reset_in: float
    span: float


class Observation(NamedTuple):
    """What one response says about the key's quota.

    ``gate_in`` is, for a 429, how long the server asked to wait (None: no usable hint). ``windows`` holds each
    limit the response described with usable headers (none: no rate-limit headers, or a 429).
    """

    rate_limited: bool
    gate_in: float | None
    windows: tuple[WindowSeen, ...]


@attrs.frozen(kw_only=True)
class QuotaView:
    """The quota at one instant, for snapshots; ``reset_in`` is None when no window is current.

    ``remaining`` and ``reset_in`` are those of the limit that binds: the current window with the least room.
    """

    limit: int | None
    remaining: int | None
    reset_in: float | None
    in_flight: int
    gate_closed_for: float
    rate_limited: int


class Waiting(NamedTuple):
    """Requests waiting for a token, per lane (in this process, or fleet-wide)."""

    interactive: int = 0
    bulk: int = 0

    def of(self, lane: Lane) -> int:
        return self.interactive if lane == "interactive" else self.bulk


class Window:
    """What is known of one named limit: its bounds (see the module docstring) and its end."""

    __slots__ = (
        "assumed",
        "bound",
        "earlier",
        "earlier_until",
        "epoch_least",
        "limit",
        "opened_at",
        "probe_at",
        "reset_at",
        "reset_stamp",
        "span",
        "window_id",
    )  # fmt: skip

    def __init__(
        self, limit: int | None, bound: int, reset_at: float, window_id: float, span: float, *, assumed: bool
    ) -> None:
        self.limit = limit
        self.bound = bound  # the best response's or epoch's bound
        self.reset_at = reset_at  # when the current window ends, the tightest estimate known
        self.window_id = window_id  # the reset the headers state: identifies the window
        self.span = span  # the longest the server counts a request
        self.assumed = assumed  # opened from a stated plan, not from an answer
        # The least remaining answered in this epoch; None: none yet; SPOILT: a request ended unseen.
        self.epoch_least: int | None = SPOILT
        self.earlier = 0  # hits that may not be ours, live when the window was first described ...
        self.earlier_until = -math.inf  # ... and counted no later than one span before this
        self.opened_at = reset_at - span  # when the current window began, as far as is known (for the reserve)
        self.probe_at = reset_at  # the end as the newest answers state it: a probe goes after it (see _merge)
        self.reset_stamp = -1  # the stamp of those newest answers

    def __repr__(self) -> str:
        return f"Window(limit={self.limit}, bound={self.bound}, reset_at={self.reset_at}, span={self.span})"


class Ends:
    """When the latest requests ended, oldest first: how many had ended by a given time, for ageing."""

    __slots__ = ("_times", "count")

    def __init__(self) -> None:
        self.count = 0  # every end so far
        self._times: collections.deque[float] = collections.deque()  # of ends count - len + 1 ... count

    def add(self, now: float, keep: float) -> None:
        self.count += 1
        times = self._times
        times.append(now)
        while times[0] < now - keep:
            times.popleft()

    def by(self, moment: float) -> int:
        """How many requests had ended at ``moment`` (exact while it is within the kept span)."""
        return self.count - (len(self._times) - bisect.bisect_right(self._times, moment))

    def time_of(self, number: int) -> float | None:
        """When the ``number``-th end (from 1) happened; None if it has not, or is no longer kept."""
        index = number - (self.count - len(self._times)) - 1
        return self._times[index] if 0 <= index < len(self._times) else None


class QuotaState:
    """Admissions and merged observations for one key (see the module docstring for the rules)."""

    __slots__ = (
        "_ends",
        "_gate_until",
        "_granted",
        "_headerless",
        "_interactive_run",
        "_rate_limited",
        "_streak",
        "_windows",
        "assumed_limit",
        "backoff_base",
        "margin",
        "probe",
        "random",
        "reserve_share",
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
        reserve_share: float = 0.1,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.probe = probe
        self.reserve_share = reserve_share  # the share of each limit bulk may not take (the module docstring)
        self.assumed_limit = assumed_limit
        self.window = window  # the plan's window: an assumed window's length and the cap of the 429 backoff
        self.margin = margin
        self.tolerance = tolerance
        self.backoff_base = backoff_base
        self.random = random
        self._granted = 0
        self._ends = Ends()
        self._windows: dict[str, Window] = {}
        self._gate_until = -math.inf
        self._headerless = False
        self._rate_limited = 0
        self._streak = 0  # consecutive 429s
        self._interactive_run = 0  # interactive grants in a row while bulk waited

    def __repr__(self) -> str:
        return (
            f"QuotaState(granted={self._granted}, answered={self._ends.count}, windows={self._windows}, "
            f"gate_until={self._gate_until})"
        )

    @property
    def stamp(self) -> int:
        """What a token granted now records: the requests that have ended so far."""
        return self._ends.count

    @property
    def in_flight(self) -> int:
        return self._granted - self._ends.count

    # -- the request path -------------------------------------------------------------------------------------

    def grant(self, now: float, waiting: Waiting) -> tuple[Lane | None, float]:
        """Take a token for one of the waiting requests: the lane served, or None and when to ask again.

        A granted token's stamp is `stamp` as read right before this call.
        """
        lane, retry_at = self.pick(now, waiting)
        if lane is not None:
            self.commit(lane, waiting)
        return lane, retry_at

    def pick(self, now: float, waiting: Waiting) -> tuple[Lane | None, float]:
        """Which lane the next token goes to (None: neither, and when to ask again); nothing is taken yet."""
        bulk_turn = waiting.bulk > 0 and (waiting.interactive == 0 or self._interactive_run >= BULK_EVERY - 1)
        order: tuple[Lane, ...] = ("bulk", "interactive") if bulk_turn else LANES
        retry_at = math.inf
        for lane in order:
            if waiting.of(lane) <= 0:
                continue
            blocked = self.admissible(now, lane)
            if blocked is None:
                return lane, math.inf
            retry_at = min(retry_at, blocked)
        return None, retry_at

    def commit(self, lane: Lane, waiting: Waiting) -> None:
        """Take the token `pick` chose for ``lane`` (``waiting``: who waited when it was picked)."""
        self._granted += 1
        if lane == "bulk":
            self._interactive_run = 0
        elif waiting.bulk > 0:
            self._interactive_run += 1

    def reserve_token(self, now: float, lane: Lane = "interactive") -> float | None:
        """Take a token for a request of ``lane``: None when granted, else the earliest time worth asking again
        (``inf``: after a response). A granted token's stamp is `stamp` as read right before this call.
        """
        blocked = self.admissible(now, lane)
        if blocked is None:
            self._granted += 1
        return blocked

    def admissible(self, now: float, lane: Lane) -> float | None:
        """None if a request of ``lane`` may go now, else the earliest time worth asking again (``inf``: after
        a response). Nothing is taken; a stated plan opens its assumed window here."""
        if now < self._gate_until:
            return self._gate_until
        windows = self._windows
        if not windows and self.assumed_limit is not None and not self._rate_limited:
            end = now + self.window
            windows[DEFAULT_LIMIT] = Window(
                self.assumed_limit, self.assumed_limit + self._granted, end, end, self.window, assumed=True
            )
        if self._headerless:
            return None
        granted, probing, wait_until = self._granted, not windows, -math.inf
        for window in windows.values():
            free = self._best(window, now) - granted
            held = self._reserved(window, now) if lane == "bulk" else 0
            if free > held:
                continue
            end = window.probe_at + self.margin  # (never before reset_at: that is the least of all the ends)
            if now < end:
                freed = self._next_ageing(window, now, held)  # room may age out (bulk: beyond the reserve)
                wait_until = max(wait_until, min(end, freed, self._reserve_shrinks(window, free)))
            else:
                probing = True
        if wait_until > -math.inf:
            return wait_until
        if probing and self.in_flight >= self.probe:
            return math.inf
        return None

    def release(self, now: float, *, sent: bool = True) -> None:
        """End a token whose request got no response (cancelled, or a network error).

        ``sent``: whether the request may have reached the server. One that provably did not gives its token
        back; one that may have is spent, as if answered now, and counted unseen.
        """
        if self._granted <= self._ends.count:
            return
        if not sent:
            self._granted -= 1  # never counted: as if never granted (later tokens only counted it as in flight)
        else:
            self._ends.add(now, self.window + ENDS_KEPT_BEYOND)
            for window in self._windows.values():
                window.epoch_least = SPOILT
        self._end_epoch()

    def record(self, now: float, seen: Observation, stamp: int | None) -> None:
        """Learn from one response (any status).

        ``stamp``: its token's stamp; None when this state did not grant its request (it then only says what is
        left right now, and the latest such answer wins).
        """
        held = stamp is not None and self._granted > self._ends.count
        if held:
            self._ends.add(now, self.window + ENDS_KEPT_BEYOND)
        for window in seen.windows:
            self._merge(now, window, stamp)
        if held and len(seen.windows) < len(self._windows):
            described = {window.name for window in seen.windows}
            for name, unseen in self._windows.items():
                if name not in described:
                    unseen.epoch_least = SPOILT
        self._end_epoch()
        if seen.windows:
            self._headerless = False
        elif not self._windows and not seen.rate_limited:
            self._headerless = True
        if seen.rate_limited:
            self._rate_limited += 1
            if now >= self._gate_until:  # requests in flight when the gate closed are one burst: it counts once
                self._streak += 1
            wait = seen.gate_in if seen.gate_in is not None else self._backoff()
            self._gate_until = max(self._gate_until, now + wait)
            self._windows.clear()  # what we believed was wrong: probe after the gate opens
            self._headerless = False
        else:
            self._streak = 0

    def view(self, now: float) -> QuotaView:
        """The quota as it stands at ``now``."""
        current = [window for window in self._windows.values() if now < window.reset_at]
        free = {id(window): self._best(window, now) - self._granted for window in current}
        binding = min(current, key=lambda window: free[id(window)]) if current else None
        return QuotaView(
            limit=binding.limit if binding is not None else self._any_limit(),
            remaining=None if binding is None else max(0, free[id(binding)]),
            reset_in=None if binding is None else binding.reset_at - now,
            in_flight=self.in_flight,
            gate_closed_for=max(0.0, self._gate_until - now),
            rate_limited=self._rate_limited,
        )

    def idle_until(self, now: float) -> float | None:
        """When this state stops mattering (nothing in flight, windows over, gate open); None while busy."""
        if self.in_flight:
            return None
        ends = [window.reset_at for window in self._windows.values()]
        return max(now, self._gate_until, *ends)

    # -- internals ---------------------------------------------------------------------------------------------

    def _reserved(self, window: Window, now: float) -> int:
        """The window's reserve at ``now``: held back from bulk for interactive requests to come."""
        if window.limit is None or self.reserve_share <= 0 or now >= window.reset_at:
            return 0
        length = max(window.reset_at - window.opened_at, self.margin)
        left = min(1.0, (window.reset_at - now) / length)
        return math.ceil(math.ceil(self.reserve_share * window.limit) * left - 1e-9)

    def _reserve_shrinks(self, window: Window, free: int) -> float:
        """When the reserve falls below ``free`` (a bulk request may then go); ``inf`` if ``free`` is none."""
        if free <= 0 or window.limit is None:
            return math.inf
        share = math.ceil(self.reserve_share * window.limit)
        length = max(window.reset_at - window.opened_at, self.margin)
        return window.reset_at - length * (free - 1) / share if share > 0 else -math.inf

    def _aged(self, window: Window, now: float) -> int:
        """The ageing bound at ``now`` (0 when the limit is unknown)."""
        if window.limit is None or window.assumed:
            return 0
        earlier = window.earlier if now < window.earlier_until else 0
        return window.limit + self._ends.by(now - window.span) - earlier

    def _best(self, window: Window, now: float) -> int:
        return max(window.bound, self._aged(window, now))

    def _next_ageing(self, window: Window, now: float, held: int = 0) -> float:
        """When the ageing bound next admits a request beyond ``held`` more (``inf``: only after more end)."""
        if window.limit is None or window.assumed:
            return math.inf
        needed = self._granted - window.limit + 1 + held  # the end that must be a span old
        if now < window.earlier_until:
            sooner = self._aged_at(needed + window.earlier, window.span)
            if sooner < window.earlier_until:
                return sooner
            return max(window.earlier_until, self._aged_at(needed, window.span))
        return self._aged_at(needed, window.span)

    @staticmethod
    def _first_described(window: Window, now: float, seen: WindowSeen, stamp: int | None) -> None:
        """The earlier hits, from the first answer that describes a window: all live ones but its own request."""
        if seen.limit is not None:
            window.earlier = max(0, seen.limit - seen.remaining - (1 if stamp is not None else 0))
            window.earlier_until = now + seen.span

    def _aged_at(self, number: int, span: float) -> float:
        ended = self._ends.time_of(number)
        return math.inf if ended is None else ended + span

    def _any_limit(self) -> int | None:
        default = self._windows.get(DEFAULT_LIMIT)
        if default is not None:
            return default.limit
        return next((window.limit for window in self._windows.values()), None)

    def _end_epoch(self) -> None:
        """With nothing in flight, the next request starts a new epoch."""
        if self._granted == self._ends.count:
            for window in self._windows.values():
                window.epoch_least = None

    def _backoff(self) -> float:
        """Full jitter over a ceiling that doubles with each consecutive 429, capped at the plan's window."""
        ceiling = min(self.window, self.backoff_base * 2.0 ** (self._streak - 1))
        return self.random() * ceiling

    def _merge(self, now: float, seen: WindowSeen, stamp: int | None) -> None:
        bound = seen.remaining + 1 + stamp if stamp is not None else seen.remaining + self._granted
        window_id, reset_at = now + seen.window_id_in, now + seen.reset_in
        window = self._windows.get(seen.name)
        if window is None:  # (the interpreter reads a bounded number of named limits)
            window = self._windows[seen.name] = Window(seen.limit, bound, reset_at, window_id, seen.span,
                                                       assumed=False)  # fmt: skip
            window.opened_at = now
            window.reset_stamp = self._ends.count if stamp is None else stamp
            self._first_described(window, now, seen, stamp)
            return
        if window.assumed:
            self._first_described(window, now, seen, stamp)
        if seen.limit is not None:
            window.limit = seen.limit
        # Every reader's span is an upper bound of how long the server counts a request: the shortest holds.
        window.span = seen.span if window.assumed else min(window.span, seen.span)
        if stamp is not None and window.epoch_least != SPOILT:
            least = seen.remaining if window.epoch_least is None else min(window.epoch_least, seen.remaining)
            window.epoch_least = least
            bound = max(bound, self._ends.count + least)
        window.bound = bound if window.assumed or stamp is None else max(window.bound, bound)
        # The end a probe may go after comes from the newest answers (granted last): with nothing in flight they
        # count every request, where an older answer's end may be a sliding log's hit that has aged out since
        # (its room taken by a request granted later). An answer to a request this state did not grant is news
        # of now.
        generation = self._ends.count if stamp is None else stamp
        if window.assumed or now >= window.reset_at or window_id > window.window_id + self.tolerance:
            window.window_id, window.reset_at = window_id, reset_at  # a new window (or the first real answer)
            window.opened_at, window.probe_at, window.reset_stamp = now, reset_at, generation
        elif window_id >= window.window_id - self.tolerance:  # the same window: keep the tightest figures
            window.window_id = min(window.window_id, window_id)
            window.reset_at = min(window.reset_at, reset_at)
            if generation > window.reset_stamp:
                window.probe_at, window.reset_stamp = reset_at, generation
            elif generation == window.reset_stamp:
                window.probe_at = min(window.probe_at, reset_at)
        window.assumed = False
