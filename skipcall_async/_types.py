"""Types of operation arguments that are not models, all exported from ``skipcall_async``.

``NOT_GIVEN`` tells "leave this field alone" apart from ``None`` ("set it to null") in partial updates; the
aliases name the values the statistics operations accept.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Final, Literal, TypeAlias


class NotGiven(enum.Enum):
    """The type of [`NOT_GIVEN`][skipcall_async.NOT_GIVEN], its only value: `str | NotGiven` means "or leave it out"."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN
"""Default of optional fields in partial updates: the field is not sent at all, unlike None, which clears it."""

StatsCallType: TypeAlias = Literal["all", "sequence", "direct", "inbound", "outbound"]
"""The `call_type` filter of the tag-distribution and call-duration statistics."""

Granularity: TypeAlias = Literal["hour", "day", "week", "month", "none"]
"""Time buckets of the statistics operations (`"none"`: one total)."""

TeamStatsPeriod: TypeAlias = Literal["day", "week", "month", "custom"]
"""The `period` of [`get_team_stats`][skipcall_async.SkipcallClient.get_team_stats] (`"custom"` takes dates)."""

DateLike: TypeAlias = date | datetime | str
"""A date argument: a `date`, a `datetime` or an ISO 8601 string, sent in ISO format."""
