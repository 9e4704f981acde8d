"""The pacing rules, written once: what a key's store admits, and what each response teaches it.

Pure: every step takes the key's ``KeyState`` (``state.py``) and ``now`` on the store's clock, changes the state,
and does no I/O. The in-process store runs the steps on state in memory; the Redis store runs the very same
steps on the state it read from Redis and writes the result back atomically (``redis/backend.py``). So a rule is
one edit, and every rule case runs against both stores. A store that knows its clock only within bounds runs a
reservation at the earliest time it may be and records an answer at the latest: either way, the client can only
wait a little longer, never send early.

What a response says arrives already read into an ``Observation`` (``interpret.py``).

Two counters never go down: ``granted`` (tokens handed out) and the count of ``ends`` (requests that ended: a
response, a release, an expired lease). A token is granted while some *bound* (a count of tokens, in all, that
the server is sure to admit) exceeds ``granted``. Three bounds are known, each proved from what the responses say
and from our own counts, never from when a response was read, so a busy event loop cannot make the client send
early:

* **A response's own.** Each token records the count of ends when it was granted (its *stamp*). A response saying
  ``remaining`` for request ``r`` proves the server will still admit ``remaining + 1 + stamp(r) - granted`` more:
  after counting ``r`` it had ``remaining`` left, and the only requests it may have counted since are those that
  had not ended when ``r`` was granted. Hits that age out or a window that resets only add room. So a late,
  out-of-order or stale response only gives a smaller bound, while a sliding log whose ``remaining`` rises as
  hits age out (as @nestjs/throttler's does) raises it as soon as an answer says so. The largest is kept.
* **An epoch's.** That bound is loose by the requests in flight when ``r`` was granted that were in fact counted
  before it. Since the last moment nothing was in flight (an *epoch*), the request counted last among those
  answered said at least the least ``remaining`` answered in the epoch, and only requests still in flight can
  have been counted after it: ``ends + least remaining`` is a bound, as long as every request that ended in
  the epoch was answered with that limit's headers (one that ended otherwise may have been counted unseen).
* **Ageing.** No request counts for longer than the window (``span``: stated, learned, or the documented
  minute). A request that ended ``span`` ago was counted before then, so it no longer counts: at time ``t`` the
  server admits ``limit`` requests beyond those that had not ended by ``t - span``, less the hits it held
  before we knew the window (*earlier hits*: the first answer that described it said ``limit - remaining``
  were live, of which only its own request is surely ours), until one span after that answer. That is what
  lets a sliding log's capacity, which frees hit by hit, be used as it frees, without waiting for a reset.

The rules assume the key's requests are the ones the store counts: other consumers of the key (processes not
sharing the store) are noticed by their 429s.

**Tokens are leases.** Each carries an id, its stamp and an expiry (the store's ``lease``): a request that gets
no response ends its lease (a release); a lease nobody ends (its process died) expires and counts as an end then.
Asking again for an id already granted returns its stamp, not a second token, so a reservation whose answer was
lost can be repeated.

**Lanes.** Every request is ``interactive`` (someone waits for it) or ``bulk``. Reservations pick whom to serve:

* a waiting interactive request goes before any waiting bulk one, except that while both lanes wait, every
  `BULK_EVERY`-th request granted goes to bulk, so bulk is never starved;
* bulk may not take a window's *reserve*: a share (``reserve_share``, default a tenth) of its limit, held back for
  interactive requests arriving later in the window and shrinking with the time left in it (the reserve at
  ``t`` is ``ceil(share * limit * time left / window length)``), so that bulk has spent it by the window's end;
* the processes waiting in a lane (*members*, each with an entry that lapses unless renewed) end each window
  with even counts: a process gets its fair share of what the lane may take now (water-filling).

Rules, in the order they apply:

* While the gate is closed (after a 429) nothing is admitted.
* Cold start: with no window known, admit only ``probe`` requests at a time until a response brings rate-limit
  headers (unless the plan was stated: that opens an assumed window of ``assumed_limit`` tokens, replaced by
  the first real answer). Responses without rate-limit headers switch pacing off until headers appear.
* Each named limit of the server is a window of its own, with its bounds and its end (reset); a request must fit
  all of them.
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
* Wake-ups: a step that gives a lane more room, or moves a window's end, says so (``Outcome.wake``), so that a
  shared store tells the other processes to look again.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import NamedTuple

import attrs

from .settings import LANES, Lane, Settings
from .state import SPOILT, KeyState, Member, Window

BULK_EVERY = 10  # while both lanes wait, one grant in this many goes to bulk
DEFAULT_LIMIT = "default"  # the unsuffixed family's name (the headers' own)
ENDS_KEPT_BEYOND = 2.0  # ends are kept this much longer than the plan's window (a learned span is never longer)
_NO_MARK = None  # the window mark while no window is known
_END_MOVED = 0.01  # seconds a window's end must move for a wake-up
# Pacing a limiter that sends no headers (``Rules._pace``). A growth is bounded both per second (from the gate's
# opening) and per request admitted, so that neither time spent idle nor a limiter admitting much at once inflates it:
SLOW_START_GROWTH = 0.1  # requests added to the slow start's in-flight allowance per answer
RAMP_FIRST = 2.0  # requests per second from the first 429, before a rate is measured, growing at most ...
RAMP_PER_SECOND, RAMP_PER_REQUEST = 2.0, 1.25  # ... these factors, until a second 429 measures a rate
PACE_FIRST = 0.97  # the share of a measured rate kept right after a 429 ...
SEARCH_PER_SECOND, SEARCH_PER_REQUEST = 1.5, 1.05  # ... growing so while that rate is known only as a floor ...
PACE_CREEP = 0.001  # ... or by this share per request admitted once it is settled
SETTLED_WITHIN = 1.08  # a rate is settled when measured again no higher than this times the last measure
MEASURED_FROM = 4  # admissions between two 429s that measure a rate, however close the 429s


class WindowSeen(NamedTuple):
    """One named limit as one response states it, read at the moment it arrived (times are seconds from then).

    ``window_id_in`` is the reset as the headers state it (it identifies the window); ``reset_in`` is the best
    estimate of the window's end (``window_id_in`` bounded and doubted, see ``interpret``); ``span`` is the
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


class Waiting(NamedTuple):
    """Requests waiting for a token, per lane."""

    interactive: int = 0
    bulk: int = 0

    def of(self, lane: Lane) -> int:
        return self.interactive if lane == "interactive" else self.bulk


NO_WAITING = Waiting()


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


@attrs.frozen
class Grant:
    """A reservation's outcome: the (lease, stamp) of each token granted, per lane in order, and when to ask again
    (``inf``: only after a response, a release or a wake-up). ``wake``: other members are owed tokens."""

    interactive: tuple[tuple[str, int], ...]
    bulk: tuple[tuple[str, int], ...]
    retry_at: float
    wake: bool = False

    @property
    def granted(self) -> int:
        return len(self.interactive) + len(self.bulk)

    def of(self, lane: Lane) -> tuple[tuple[str, int], ...]:
        return self.interactive if lane == "interactive" else self.bulk


class Rules:
    """The steps of a key's quota under one policy's settings (see the module docstring)."""

    __slots__ = ("random", "settings")

    def __init__(self, settings: Settings, *, random: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.random = random  # the 429 backoff's jitter

    # -- the steps ------------------------------------------------------------------------------------------------

    def take(self, state: KeyState, now: float, lane: Lane, lease: str) -> int | None:
        """One token for a request of ``lane`` if it may go now and no other process waits: its stamp, else None.

        The fast path of a process whose own queue is empty; `reserve` is the general step.
        """
        now = self.advance(state, now)
        if self.admissible(state, now, lane) is not None:
            return None
        stamp = state.ends.count
        self._commit(state, now, lane, 0)
        state.add_lease(lease, now + self.settings.lease, stamp)
        return stamp

    def adopt(self, state: KeyState, now: float, lease: str) -> None:
        """Count a token another store granted for one of this process's requests, as if granted here.

        A process pacing through a shared store keeps its own state warm this way, so that it can pace alone,
        knowing its own requests in flight, when the shared store cannot be reached.
        """
        now = self.advance(state, now)
        if lease not in state.leases:
            state.granted += 1
            state.add_lease(lease, now + self.settings.lease, state.ends.count)

    def reserve(
        self,
        state: KeyState,
        now: float,
        member: str,
        asked: Mapping[Lane, list[str]],
        more: Waiting = NO_WAITING,
        new_id: Callable[[], str] | None = None,
        lasts: float = 3.0,
    ) -> Grant:
        """Tokens for ``member``'s waiting requests: one per id ``asked`` in each lane, then ``more`` new ones.

        An id granted before keeps its stamp (asking again is idempotent). What is still wanted afterwards stays
        registered for ``lasts`` seconds, so that every process waiting on the key counts for the lanes' order
        and for the even shares.
        """
        now = self.advance(state, now)
        self._assume(state, now)
        mark = self._mark(state)
        granted: dict[Lane, list[tuple[str, int]]] = {"interactive": [], "bulk": []}
        wanted: dict[Lane, list[str]] = {"interactive": [], "bulk": []}
        for lane in LANES:
            for lease in asked.get(lane, ()):
                held = state.leases.get(lease)
                if held is not None:
                    granted[lane].append((lease, held.stamp))
                else:
                    wanted[lane].append(lease)
        want = {lane: len(wanted[lane]) + more.of(lane) for lane in LANES}
        taken, others, members = self._members(state, now, member, mark)
        caps = {
            lane: _fair_share(self.room(state, now, lane), [*members[lane], (taken.of(lane), want[lane])], want[lane])
            for lane in LANES
        }
        got = {"interactive": 0, "bulk": 0}
        retry_at, owed = math.inf, False
        while True:
            waiting = Waiting(want["interactive"] - got["interactive"] + others.interactive,
                              want["bulk"] - got["bulk"] + others.bulk)  # fmt: skip
            chosen, blocked = self.pick(state, now, waiting)
            if chosen is None:
                retry_at = blocked
                break
            if got[chosen] >= want[chosen] or got[chosen] >= caps[chosen]:
                owed = True  # the next token is another process's (its lane, or beyond this one's share)
                break
            index = got[chosen]
            lease = wanted[chosen][index] if index < len(wanted[chosen]) else _new(new_id)
            stamp = state.ends.count
            self._commit(state, now, chosen, waiting.bulk)
            state.add_lease(lease, now + self.settings.lease, stamp)
            granted[chosen].append((lease, stamp))
            got[chosen] += 1
        left = Waiting(want["interactive"] - got["interactive"], want["bulk"] - got["bulk"])
        if left.interactive + left.bulk > 0:
            took = (taken.interactive + got["interactive"], taken.bulk + got["bulk"])
            state.members[member] = Member(left.interactive, left.bulk, now + lasts, self._mark(state), *took)
        else:
            state.members.pop(member, None)
        return Grant(
            tuple(granted["interactive"]),
            tuple(granted["bulk"]),
            retry_at,
            wake=owed and others.interactive + others.bulk > 0,
        )

    def record(
        self,
        state: KeyState,
        now: float,
        lease: str | None,
        stamp: int | None,
        seen: Observation,
        *,
        wakes: bool = True,
    ) -> bool:
        """Learn from one response (any status) to the request of ``lease``; True when other processes should look
        again (the interactive lane has more room, or a window's end moved).

        ``stamp``: its token's stamp; None when this state did not grant the request (it then only says what is
        left right now, and the latest such answer wins: a store kept warm for an outage of the shared one).
        ``wakes``: False when no other process shares the state (nothing to tell, nothing to work out).
        """
        now = self.advance(state, now)
        before, ends = (self.room(state, now, "interactive", reserve=False), _ends(state)) if wakes else (0, {})
        held = lease is not None and state.leases.pop(lease, None) is not None
        if held:
            self._end(state, now)
        for window in seen.windows:
            self._merge(state, now, window, stamp)
        if held and len(seen.windows) < len(state.windows):
            described = {window.name for window in seen.windows}
            for name, unseen in state.windows.items():
                if name not in described:
                    unseen.epoch_least = SPOILT
        _end_epoch(state)
        if seen.windows:
            state.blind = False
        elif not state.windows and not seen.rate_limited:
            if not state.blind:
                state.blind, state.cwnd = True, float(self.settings.probe)
            state.cwnd += SLOW_START_GROWTH
        if seen.rate_limited:
            state.rate_limited += 1
            if state.blind:
                self._emptied(state, now)
            if now >= state.gate_until:  # requests in flight when the gate closed are one burst: it counts once
                state.streak += 1
            wait = self._backoff(state) if seen.gate_in is None else seen.gate_in
            if seen.gate_in is not None and state.streak > 1:  # the last hint was followed and refused again:
                wait = max(wait, self._backoff(state, streak=state.streak - 1))  # it is not believed alone
            state.gate_until = max(state.gate_until, now + wait)
            state.windows.clear()  # what we believed was wrong: probe after the gate opens
        else:
            state.streak = 0
            if state.blind:
                state.admitted += 1
        if not wakes:
            return False
        return self.room(state, now, "interactive", reserve=False) > before or _ends_moved(ends, _ends(state))

    def release(self, state: KeyState, now: float, lease: str, *, sent: bool = True, wakes: bool = True) -> bool:
        """End a lease whose request got no response (cancelled, or a network error); True when other processes
        should look again.

        ``sent``: whether the request may have reached the server. One that provably did not gives its token
        back; one that may have is spent, as if answered now, and counted unseen.
        """
        now = self.advance(state, now)
        before = self.room(state, now, "interactive", reserve=False) if wakes else 0
        if state.leases.pop(lease, None) is None:
            return False
        if sent:
            self._end(state, now)
            _spoil(state)
        else:
            state.granted -= 1  # never counted: as if never granted (later tokens only counted it as in flight)
        _end_epoch(state)
        return wakes and self.room(state, now, "interactive", reserve=False) > before

    def advance(self, state: KeyState, now: float) -> float:
        """Bring the state to ``now``: leases past their expiry end, as if answered then (a dead process's request
        was counted, if ever, before it died)."""
        if state.expiries and state.expiries[0][0] <= now:
            expired = state.expired(now)
            if expired:
                for _ in expired:
                    self._end(state, now)
                _spoil(state)
                _end_epoch(state)
        return now

    # -- what a step decides with -----------------------------------------------------------------------------------

    def pick(self, state: KeyState, now: float, waiting: Waiting) -> tuple[Lane | None, float]:
        """Which lane the next token goes to (None: neither, and when to ask again); nothing is taken yet."""
        bulk_turn = waiting.bulk > 0 and (waiting.interactive == 0 or state.interactive_run >= BULK_EVERY - 1)
        order: tuple[Lane, ...] = ("bulk", "interactive") if bulk_turn else LANES
        retry_at = math.inf
        for lane in order:
            if waiting.of(lane) <= 0:
                continue
            blocked = self.admissible(state, now, lane)
            if blocked is None:
                return lane, math.inf
            retry_at = min(retry_at, blocked)
        return None, retry_at

    def admissible(self, state: KeyState, now: float, lane: Lane) -> float | None:
        """None if a request of ``lane`` may go now, else the earliest time worth asking again (``inf``: after
        a response). Nothing is taken; a stated plan opens its assumed window here."""
        if now < state.gate_until:
            return state.gate_until
        windows = state.windows
        if not windows:
            self._assume(state, now)
            if state.blind:
                return self._blind_admissible(state, now)
        granted, probing, wait_until = state.granted, not windows, -math.inf
        margin = self.settings.margin
        for window in windows.values():
            free = self._best(state, window, now) - granted
            held = self._reserved(window, now) if lane == "bulk" else 0
            if free > held:
                continue
            end = window.probe_at + margin  # (never before reset_at: that is the least of all the ends)
            if now < end:
                freed = self._next_ageing(state, window, now, held)  # room may age out (bulk: beyond the reserve)
                wait_until = max(wait_until, min(end, freed, self._reserve_shrinks(window, free)))
            else:
                probing = True
        if wait_until > -math.inf:
            return wait_until
        if probing and state.in_flight >= self.settings.probe:
            return math.inf
        return None

    def room(self, state: KeyState, now: float, lane: Lane, *, reserve: bool = True) -> int:
        """How many tokens ``lane`` could take now (``reserve``: bulk keeps out of the reserve)."""
        if now < state.gate_until:
            return 0
        self._assume(state, now)
        if state.blind and not state.windows:
            return 0 if self._blind_admissible(state, now) is not None else max(1, self._slow_start_room(state))
        least: int | None = None
        probing = not state.windows
        for window in state.windows.values():
            free = self._best(state, window, now) - state.granted
            held = self._reserved(window, now) if lane == "bulk" and reserve else 0
            if free > held:
                least = free - held if least is None else min(least, free - held)
            elif now < window.probe_at + self.settings.margin:
                return 0
            else:
                probing = True
        if probing:
            probes = max(0, self.settings.probe - state.in_flight)
            least = probes if least is None else min(least, probes)
        return least or 0

    def view(self, state: KeyState, now: float) -> QuotaView:
        """The quota as it stands at ``now``."""
        current = [window for window in state.windows.values() if now < window.reset_at]
        free = {id(window): self._best(state, window, now) - state.granted for window in current}
        binding = min(current, key=lambda window: free[id(window)]) if current else None
        return QuotaView(
            limit=binding.limit if binding is not None else _any_limit(state),
            remaining=None if binding is None else max(0, free[id(binding)]),
            reset_in=None if binding is None else binding.reset_at - now,
            in_flight=state.in_flight,
            gate_closed_for=max(0.0, state.gate_until - now),
            rate_limited=state.rate_limited,
        )

    def idle_until(self, state: KeyState, now: float) -> float | None:
        """When the state stops mattering (nothing in flight, windows over, gate open); None while busy."""
        if state.in_flight:
            return None
        return max(now, state.gate_until, *(window.reset_at for window in state.windows.values()))

    def matters_until(self, state: KeyState, now: float) -> float:
        """The latest time anything in the state still matters (a store may forget it some time after)."""
        times = [now, state.gate_until, *(window.reset_at for window in state.windows.values())]
        times += [lease.expires for lease in state.leases.values()]
        times += [member.lapses for member in state.members.values()]
        if state.ends.times:
            times.append(state.ends.times[-1] + self.settings.window)  # (aged out by then)
        return max(times)

    # -- internals ------------------------------------------------------------------------------------------------

    def _commit(self, state: KeyState, now: float, lane: Lane, bulk_waiting: int) -> None:
        state.granted += 1
        if state.blind and not state.windows and state.emptied_at > -math.inf:
            state.pace_at = max(state.pace_at, now) + 1.0 / self._pace(state, now)
        if lane == "bulk":
            state.interactive_run = 0
        elif bulk_waiting > 0:
            state.interactive_run += 1

    def _end(self, state: KeyState, now: float) -> None:
        """A request ended at ``now``, or, if a step already recorded a later end, then (ends stay in order, and a
        later end only makes its request count longer)."""
        times = state.ends.times
        state.ends.add(max(now, times[-1]) if times else now, self.settings.window + ENDS_KEPT_BEYOND)

    def _assume(self, state: KeyState, now: float) -> None:
        """A stated plan opens an assumed window while none is known (and no 429 said the plan is wrong)."""
        limit = self.settings.assumed_limit
        if state.windows or limit is None or state.rate_limited:
            return
        end = now + self.settings.window
        state.windows[DEFAULT_LIMIT] = Window(limit, limit + state.granted, end, end, self.settings.window,
                                              assumed=True)  # fmt: skip

    @staticmethod
    def _mark(state: KeyState) -> float | None:
        """What marks the current window for the even shares: when the first named limit's window opened."""
        first = next(iter(state.windows.values()), None)
        return _NO_MARK if first is None else first.opened_at

    @staticmethod
    def _members(
        state: KeyState, now: float, member: str, mark: float | None
    ) -> tuple[Waiting, Waiting, dict[Lane, list[tuple[int, int]]]]:
        """What ``member`` took in this window, what the others wait for, and (taken, waiting) of each other
        member waiting per lane; entries that lapsed are dropped."""
        taken, others = Waiting(), Waiting()
        members: dict[Lane, list[tuple[int, int]]] = {"interactive": [], "bulk": []}
        for name, entry in list(state.members.items()):
            if entry.lapses <= now:
                del state.members[name]
                continue
            took = (entry.taken_interactive, entry.taken_bulk) if entry.mark == mark else (0, 0)
            if name == member:
                taken = Waiting(*took)
                continue
            others = Waiting(others.interactive + entry.interactive, others.bulk + entry.bulk)
            if entry.interactive > 0:
                members["interactive"].append((took[0], entry.interactive))
            if entry.bulk > 0:
                members["bulk"].append((took[1], entry.bulk))
        return taken, others, members

    def _reserved(self, window: Window, now: float) -> int:
        """The window's reserve at ``now``: held back from bulk for interactive requests to come."""
        share = self.settings.reserve_share
        if window.limit is None or share <= 0 or now >= window.reset_at:
            return 0
        length = max(window.reset_at - window.opened_at, self.settings.margin)
        left = min(1.0, (window.reset_at - now) / length)
        return math.ceil(math.ceil(share * window.limit) * left - 1e-9)

    def _reserve_shrinks(self, window: Window, free: int) -> float:
        """When the reserve falls below ``free`` (a bulk request may then go); ``inf`` if ``free`` is none."""
        if free <= 0 or window.limit is None:
            return math.inf
        share = math.ceil(self.settings.reserve_share * window.limit)
        length = max(window.reset_at - window.opened_at, self.settings.margin)
        return window.reset_at - length * (free - 1) / share if share > 0 else -math.inf

    @staticmethod
    def _aged(state: KeyState, window: Window, now: float) -> int:
        """The ageing bound at ``now`` (0 when the limit is unknown)."""
        if window.limit is None or window.assumed:
            return 0
        earlier = window.earlier if now < window.earlier_until else 0
        return window.limit + state.ends.by(now - window.span) - earlier

    def _best(self, state: KeyState, window: Window, now: float) -> int:
        return max(window.bound, self._aged(state, window, now))

    @staticmethod
    def _next_ageing(state: KeyState, window: Window, now: float, held: int = 0) -> float:
        """When the ageing bound next admits a request beyond ``held`` more (``inf``: only after more end)."""
        if window.limit is None or window.assumed:
            return math.inf
        needed = state.granted - window.limit + 1 + held  # the end that must be a span old
        if now < window.earlier_until:
            sooner = _aged_at(state, needed + window.earlier, window.span)
            if sooner < window.earlier_until:
                return sooner
            return max(window.earlier_until, _aged_at(state, needed, window.span))
        return _aged_at(state, needed, window.span)

    def _backoff(self, state: KeyState, streak: int | None = None) -> float:
        """Full jitter over a ceiling that doubles with each consecutive 429, capped at the plan's window; from
        the time one request takes at a measured rate, else from ``backoff_base``."""
        base = 1.0 / state.rate if state.blind and state.rate > 0 else self.settings.backoff_base
        ceiling = min(self.settings.window, base * 2.0 ** ((state.streak if streak is None else streak) - 1))
        return self.random() * ceiling

    # -- a limiter that sends no headers ----------------------------------------------------------------------

    def _blind_admissible(self, state: KeyState, now: float) -> float | None:
        """Admission while answers carry no rate-limit headers: at the pace kept since the first 429, else in
        slow start (``cwnd`` requests in flight)."""
        if state.emptied_at > -math.inf:
            return None if now >= state.pace_at else state.pace_at
        return None if state.in_flight < _allowance(state) else math.inf

    @staticmethod
    def _slow_start_room(state: KeyState) -> int:
        return max(0, _allowance(state) - state.in_flight)

    def _emptied(self, state: KeyState, now: float) -> None:
        """A 429 without headers: the limiter had nothing left. What it admitted since it last had nothing left
        is what it refilled meanwhile: its rate (measured from four admissions or more, or over a second).

        That holds if the requests went at least as fast as it refills all along; sent slower for a while (as
        the pace is at first), some of what it refilled went unused, and the figure is only a floor. So the
        rate is searched above (the pace grows fast) until a measure is no higher than the last one: then it
        is settled (the pace creeps).
        """
        elapsed = now - state.emptied_at
        if state.admitted >= MEASURED_FROM or (state.admitted >= 2 and elapsed >= 1.0):
            measured = state.admitted / elapsed
            state.settled = 0 < measured <= SETTLED_WITHIN * state.rate
            state.rate = measured
        state.emptied_at, state.admitted = now, 0
        state.pace_at = now

    def _pace(self, state: KeyState, now: float) -> float:
        """Requests per second while blind: from just under the measured rate, growing while no 429 comes (fast
        while the rate is a floor, slowly once settled); before a rate is measured, from one request a second."""
        admitted = min(state.admitted, 1_000)
        since = min(max(0.0, now - max(state.emptied_at, state.gate_until)), 60.0)
        if state.rate <= 0:
            return RAMP_FIRST * min(float(RAMP_PER_SECOND**since), float(RAMP_PER_REQUEST**admitted))
        if state.settled:
            return state.rate * (PACE_FIRST + PACE_CREEP * admitted)
        return state.rate * PACE_FIRST * min(float(SEARCH_PER_SECOND**since), float(SEARCH_PER_REQUEST**admitted))

    def _merge(self, state: KeyState, now: float, seen: WindowSeen, stamp: int | None) -> None:
        """One named limit of one response into its window."""
        answered = state.ends.count
        bound = seen.remaining + 1 + stamp if stamp is not None else seen.remaining + state.granted
        window_id, reset_at = now + seen.window_id_in, now + seen.reset_in
        window = state.windows.get(seen.name)
        if window is None:  # (the interpreter reads a bounded number of named limits)
            window = state.windows[seen.name] = Window(seen.limit, bound, reset_at, window_id, seen.span,
                                                       assumed=False)  # fmt: skip
            window.opened_at = now
            window.reset_stamp = answered if stamp is None else stamp
            _first_described(window, now, seen, stamp)
            return
        if window.assumed:
            _first_described(window, now, seen, stamp)
        if seen.limit is not None:
            window.limit = seen.limit
        # Every reader's span is an upper bound of how long the server counts a request: the shortest holds.
        window.span = seen.span if window.assumed else min(window.span, seen.span)
        if stamp is not None and window.epoch_least != SPOILT:
            least = seen.remaining if window.epoch_least is None else min(window.epoch_least, seen.remaining)
            window.epoch_least = least
            bound = max(bound, answered + least)
        window.bound = bound if window.assumed or stamp is None else max(window.bound, bound)
        # The end a probe may go after comes from the newest answers (granted last): with nothing in flight they
        # count every request, where an older answer's end may be a sliding log's hit that has aged out since
        # (its room taken by a request granted later). An answer to a request this state did not grant is news
        # of now.
        generation = answered if stamp is None else stamp
        tolerance = self.settings.tolerance
        # A window ends within its span of its first answer (the server counted a request before answering it),
        # whichever process learnt the span: a reset rounded up is cut back to that.
        if window.assumed or now >= window.reset_at or window_id > window.window_id + tolerance:
            reset_at = min(reset_at, now + window.span)
            window.window_id, window.reset_at = window_id, reset_at  # a new window (or the first real answer)
            window.opened_at, window.probe_at, window.reset_stamp = now, reset_at, generation
        elif window_id >= window.window_id - tolerance:  # the same window: keep the tightest figures
            reset_at = min(reset_at, window.opened_at + window.span)
            window.window_id = min(window.window_id, window_id)
            window.reset_at = min(window.reset_at, reset_at)
            if generation > window.reset_stamp:
                window.probe_at, window.reset_stamp = reset_at, generation
            elif generation == window.reset_stamp:
                window.probe_at = min(window.probe_at, reset_at)
        window.assumed = False


def _first_described(window: Window, now: float, seen: WindowSeen, stamp: int | None) -> None:
    """The earlier hits, from the first answer that describes a window: all live ones but its own request."""
    if seen.limit is not None:
        window.earlier = max(0, seen.limit - seen.remaining - (1 if stamp is not None else 0))
        window.earlier_until = now + seen.span


def _aged_at(state: KeyState, number: int, span: float) -> float:
    ended = state.ends.time_of(number)
    return math.inf if ended is None else ended + span


def _any_limit(state: KeyState) -> int | None:
    default = state.windows.get(DEFAULT_LIMIT)
    if default is not None:
        return default.limit
    return next((window.limit for window in state.windows.values()), None)


def _spoil(state: KeyState) -> None:
    """Some request ended unseen: no epoch bound until the next epoch."""
    for window in state.windows.values():
        window.epoch_least = SPOILT


def _end_epoch(state: KeyState) -> None:
    """With nothing in flight, the next request starts a new epoch."""
    if state.granted == state.ends.count:
        for window in state.windows.values():
            window.epoch_least = None


def _ends(state: KeyState) -> dict[str, float]:
    return {name: window.reset_at for name, window in state.windows.items()}


def _ends_moved(before: dict[str, float], after: dict[str, float]) -> bool:
    """Whether a window appeared, went, or moved its end by more than a hundredth of a second (a waiter's timer
    may now be wrong)."""
    return before.keys() != after.keys() or any(abs(after[name] - at) > _END_MOVED for name, at in before.items())


def _new(new_id: Callable[[], str] | None) -> str:
    if new_id is None:
        raise ValueError("more tokens were wanted than ids asked, and no new_id was given")
    return new_id()


def _fair_share(room: int, members: list[tuple[int, int]], mine: int) -> int:
    """A member's share of a lane's ``room``: the members waiting in the lane (each ``(taken, waiting)``, this
    one last, waiting ``mine``) end the window with even counts (taken so far plus share), none given more than
    it waits for, and what a capped one leaves going to the others (water-filling). The level is found by
    bisection: there are never many members."""
    if mine <= 0 or room <= 0:
        return 0

    def given(level: float) -> float:
        return sum(max(0.0, min(taken + waiting, level) - taken) for taken, waiting in members)

    low, high = 0.0, float(max(taken + waiting for taken, waiting in members))
    if given(high) <= room:
        return mine
    for _ in range(40):
        middle = (low + high) / 2
        if given(middle) <= room:
            low = middle
        else:
            high = middle
    taken = members[-1][0]
    return min(mine, math.ceil(max(0.0, min(taken + mine, low) - taken) - 1e-9))


def _allowance(state: KeyState) -> int:
    """Requests the slow start lets in flight (its sum of growths, read with a rounding error's slack)."""
    return math.floor(state.cwnd + 1e-9)
