"""The fleet's quota in Redis: three Lua scripts, one per request step, each atomic and timed by Redis ``TIME``.

They run the rules of ``_quota.QuotaState`` (read its docstring; the tests run both on the same cases) for every
process on a key at once. The Lua lives beside this module: ``lua/quota.lua`` holds the rules, and each script
file is one step, run with those rules as its prelude:

* ``reserve.lua``: grant up to N tokens in one round trip, each as a lease (an id in a sorted set scored by its
  expiry) with its stamp, and say when to ask again;
* ``record.lua``: merge one response's observation, end its lease, and publish a wake-up when capacity rose or
  a window's end moved;
* ``release.lua``: end a lease whose request got no response, and publish a wake-up.

Requests in flight are the unexpired leases, so a worker killed while holding some gives them back when they
expire (as if answered then: a dead worker's request was counted, if ever, before it died). When requests
ended is a sorted set too, kept for the plan's window, for the ageing bound. The keys of one API
key share a ``{hash tag}`` (Redis Cluster keeps them on one node) and carry a TTL, so a fleet that stops leaves
nothing behind. Times travel as seconds relative to the script's ``TIME``: every process compares instants on
the Redis clock, never on its own. Every script returns the quota as the fleet sees it, for ``client.rate_limit``.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Final

import attrs

from .._quota import Observation, QuotaView

KEY_GRACE: Final = 120.0  # seconds every key outlives the last thing it remembers (window, gate, lease)


def _lua(name: str) -> str:
    return resources.files(__package__).joinpath("lua", name).read_text(encoding="utf-8")


_RULES = _lua("quota.lua")
RESERVE: Final = _RULES + _lua("reserve.lua")
RECORD: Final = _RULES + _lua("record.lua")
RELEASE: Final = _RULES + _lua("release.lua")


@attrs.frozen(kw_only=True)
class Grant:
    """A reservation's outcome: the stamps of the ids granted per lane (in order), and when to ask again."""

    interactive: tuple[int, ...]
    bulk: tuple[int, ...]
    retry_in: float  # seconds; inf when only a response, a wake-up (or a lease expiry) can free a token
    view: QuotaView  # the fleet's, times relative to the script's run

    @property
    def granted(self) -> int:
        return len(self.interactive) + len(self.bulk)


def _optional(raw: str) -> float | None:
    return float(raw) if raw else None


def parse_view(reply: list[str]) -> QuotaView:
    """A script's view reply: limit, remaining, reset in, in flight, gate closed for, rate limited."""
    limit, remaining = _optional(reply[0]), _optional(reply[1])
    return QuotaView(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        reset_in=_optional(reply[2]),
        in_flight=int(reply[3]),
        gate_closed_for=float(reply[4]),
        rate_limited=int(reply[5]),
    )


def parse_grant(reply: list[str]) -> Grant:
    """The reserve script's reply: granted per lane, retry in (-1: after a response), a view, then the stamps."""
    interactive, bulk, retry_in = int(reply[0]), int(reply[1]), float(reply[2])
    stamps = [int(float(stamp)) for stamp in reply[9 : 9 + interactive + bulk]]
    return Grant(
        interactive=tuple(stamps[:interactive]),
        bulk=tuple(stamps[interactive:]),
        retry_in=math.inf if retry_in < 0 else retry_in,
        view=parse_view(reply[3:9]),
    )


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def observation_args(seen: Observation) -> list[str]:
    """An observation as the record script's trailing arguments."""
    args = ["1" if seen.rate_limited else "0", _number(seen.gate_in)]
    for window in seen.windows:
        limit = "" if window.limit is None else str(window.limit)
        args += [window.name, limit, str(window.remaining), _number(window.window_id_in), _number(window.reset_in),
                 _number(window.span)]  # fmt: skip
    return args
