"""What a store keeps of one key: plain data that the rules (``rules.py``) read and change, and its JSON form.

Nothing here decides anything. The in-process backend holds one ``KeyState`` per key in memory; the Redis
backend keeps its JSON under the key's name and swaps it atomically, so both stores hold exactly the same
data, and the tests compare them field by field.

Times are seconds on the store's clock: the event loop's for the in-process store, Redis ``TIME`` for a fleet.
"""

from __future__ import annotations

import bisect
import collections
import heapq
import json
import math
from typing import Any, NamedTuple

SPOILT = -1  # an epoch in which some request ended without this limit's headers (``Window.epoch_least``)


class Window:
    """What is known of one named limit: its bounds (see ``rules``) and its end."""

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
        self.probe_at = reset_at  # the end as the newest answers state it: a probe goes after it
        self.reset_stamp = -1  # the stamp of those newest answers

    def __repr__(self) -> str:
        return f"Window(limit={self.limit}, bound={self.bound}, reset_at={self.reset_at}, span={self.span})"

    def fields(self) -> list[Any]:
        return [getattr(self, name) for name in self.__slots__]

    @classmethod
    def from_fields(cls, values: list[Any]) -> Window:
        window = cls.__new__(cls)
        for name, value in zip(cls.__slots__, values, strict=True):
            setattr(window, name, value)
        return window


class Ends:
    """When the latest requests ended, oldest first: how many had ended by a given time, for ageing."""

    __slots__ = ("count", "times")

    def __init__(self, count: int = 0, times: collections.deque[float] | None = None) -> None:
        self.count = count  # every end so far
        self.times: collections.deque[float] = times if times is not None else collections.deque()

    def add(self, now: float, keep: float) -> None:
        self.count += 1
        times = self.times
        times.append(now)
        while times[0] < now - keep:
            times.popleft()

    def by(self, moment: float) -> int:
        """How many requests had ended at ``moment`` (exact while it is within the kept span)."""
        return self.count - (len(self.times) - bisect.bisect_right(self.times, moment))

    def time_of(self, number: int) -> float | None:
        """When the ``number``-th end (from 1) happened; None if it has not, or is no longer kept."""
        index = number - (self.count - len(self.times)) - 1
        return self.times[index] if 0 <= index < len(self.times) else None


class Lease(NamedTuple):
    """A token in flight: when it counts as spent if nobody ends it, and its stamp."""

    expires: float
    stamp: int


class Member(NamedTuple):
    """A process whose requests wait on the key: how many per lane, until when the entry holds, and what it took
    in the window marked ``mark`` (for even shares)."""

    interactive: int
    bulk: int
    lapses: float
    mark: float | None
    taken_interactive: int
    taken_bulk: int


class KeyState:
    """Everything a store keeps of one key's quota."""

    __slots__ = (
        "admitted",
        "blind",
        "cwnd",
        "emptied_at",
        "ends",
        "expiries",
        "gate_until",
        "granted",
        "interactive_run",
        "leases",
        "members",
        "pace_at",
        "rate",
        "rate_limited",
        "settled",
        "streak",
        "windows",
    )

    def __init__(self) -> None:
        self.granted = 0  # tokens handed out, ever (less those given back unsent)
        self.ends = Ends()  # requests that ended: answered, released sent, or whose lease expired
        self.windows: dict[str, Window] = {}
        self.gate_until = -math.inf
        # Pacing a limiter that sends no headers (see ``rules``): answers came without them ...
        self.blind = False
        self.cwnd = 0.0  # ... requests it lets in flight before its first 429 (0: the probe's count) ...
        self.emptied_at = -math.inf  # ... when a 429 last showed the key had nothing left ...
        self.admitted = 0  # ... the requests it admitted since ...
        self.rate = 0.0  # ... the rate it admits at, as measured between two such 429s (0: not yet) ...
        self.settled = False  # ... measured while sending faster than that (else: a floor) ...
        self.pace_at = -math.inf  # ... and when the next request may go at the pace kept since
        self.rate_limited = 0  # 429s seen
        self.streak = 0  # consecutive 429s
        self.interactive_run = 0  # interactive grants in a row while bulk waited
        self.leases: dict[str, Lease] = {}
        self.expiries: list[tuple[float, str]] = []  # a heap of the leases' expiries (stale entries skipped)
        self.members: dict[str, Member] = {}

    def __repr__(self) -> str:
        return (
            f"KeyState(granted={self.granted}, answered={self.ends.count}, windows={self.windows}, "
            f"gate_until={self.gate_until}, leases={len(self.leases)})"
        )

    @property
    def in_flight(self) -> int:
        return self.granted - self.ends.count

    def add_lease(self, lease: str, expires: float, stamp: int) -> None:
        self.leases[lease] = Lease(expires, stamp)
        if expires < math.inf:  # (a lease that never expires needs no place in the heap)
            heapq.heappush(self.expiries, (expires, lease))

    def expired(self, now: float) -> list[str]:
        """Take out the leases whose expiry is not after ``now``."""
        gone: list[str] = []
        expiries, leases = self.expiries, self.leases
        while expiries and expiries[0][0] <= now:
            expires, lease = heapq.heappop(expiries)
            held = leases.get(lease)
            if held is not None and held.expires == expires:
                del leases[lease]
                gone.append(lease)
        return gone

    # -- JSON ---------------------------------------------------------------------------------------------------

    def to_json(self) -> str:
        """The state as compact JSON (infinities as null): what the Redis backend stores."""
        return json.dumps(
            {
                "granted": self.granted,
                "answered": self.ends.count,
                "ends": list(self.ends.times),
                "windows": {name: [_finite(v) for v in w.fields()] for name, w in self.windows.items()},
                "gate_until": _finite(self.gate_until),
                "blind": [
                    self.blind,
                    self.cwnd,
                    _finite(self.emptied_at),
                    self.admitted,
                    self.rate,
                    self.settled,
                    _finite(self.pace_at),
                ],
                "rate_limited": self.rate_limited,
                "streak": self.streak,
                "interactive_run": self.interactive_run,
                "leases": {lease: list(held) for lease, held in self.leases.items()},
                "members": {member: list(entry) for member, entry in self.members.items()},
            },
            separators=(",", ":"),
            allow_nan=False,
        )

    @classmethod
    def from_json(cls, text: str) -> KeyState:
        raw = json.loads(text)
        state = cls()
        state.granted = raw["granted"]
        state.ends = Ends(raw["answered"], collections.deque(raw["ends"]))
        state.windows = {name: _window(values) for name, values in raw["windows"].items()}
        state.gate_until = _infinite(raw["gate_until"], -math.inf)
        blind, cwnd, emptied_at, admitted, rate, settled, pace_at = raw["blind"]
        state.blind, state.cwnd, state.admitted, state.rate, state.settled = blind, cwnd, admitted, rate, settled
        state.emptied_at, state.pace_at = _infinite(emptied_at, -math.inf), _infinite(pace_at, -math.inf)
        state.rate_limited = raw["rate_limited"]
        state.streak = raw["streak"]
        state.interactive_run = raw["interactive_run"]
        state.leases = {lease: Lease(*held) for lease, held in raw["leases"].items()}
        state.expiries = [(held.expires, lease) for lease, held in state.leases.items() if held.expires < math.inf]
        heapq.heapify(state.expiries)
        state.members = {member: Member(*entry) for member, entry in raw["members"].items()}
        return state


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and math.isinf(value) else value


def _infinite(value: float | None, default: float) -> float:
    return default if value is None else value


def _window(values: list[Any]) -> Window:
    window = Window.from_fields(values)
    if window.earlier_until is None:
        window.earlier_until = -math.inf
    return window
