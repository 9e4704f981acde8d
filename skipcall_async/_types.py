"""``NOT_GIVEN``: tells "leave this field alone" apart from ``None`` ("set it to null") in partial updates."""

from __future__ import annotations

import enum
from typing import Final, Literal, TypeAlias


class _NotGiven(enum.Enum):
    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = _NotGiven.NOT_GIVEN
"""Default of optional fields in partial updates: the field is not sent at all."""

NotGiven: TypeAlias = Literal[_NotGiven.NOT_GIVEN]
