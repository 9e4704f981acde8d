"""What kind of value a model field holds: the one place the converter and the generated model hook ask.

Models annotate fields with a handful of shapes: a JSON scalar (``str``, ``bool``, ``int``, ``float``), maybe
``| None``; an open enum (``SomeEnum | str``, maybe ``| None``), whose unknown values stay strings; another type
``| None``; and timestamps, read as timezone-aware datetimes.
"""

from __future__ import annotations

import enum
import types
from datetime import UTC, datetime
from typing import Any, Final, Union, get_args, get_origin

SCALARS: Final = (str, bool, int, float)


def _union_args(tp: Any) -> tuple[Any, ...]:
    return get_args(tp) if get_origin(tp) in (Union, types.UnionType) else ()


def optional_inner(tp: Any) -> Any:
    """X of ``X | None``; None for anything else."""
    args = _union_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return next(a for a in args if a is not type(None))


def scalar_of(tp: Any) -> tuple[type | None, bool]:
    """(scalar type, None allowed) for ``str``, ``str | None`` and the like; (None, False) for anything else."""
    if tp in SCALARS:
        return tp, False
    inner = optional_inner(tp)
    return (inner, True) if inner in SCALARS else (None, False)


def open_enum_of(tp: Any) -> type[enum.Enum] | None:
    """The enum of ``SomeEnum | str`` (optionally ``| None``): a field whose unknown values stay strings."""
    args = set(_union_args(tp)) - {type(None)}
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    return enums[0] if len(enums) == 1 and args == {enums[0], str} else None


def allows_none(tp: Any) -> bool:
    """Whether ``None`` is a value of ``tp``."""
    return type(None) in _union_args(tp)


def timestamp(value: str) -> datetime:
    """An ISO-8601 timestamp as an aware datetime; one without an offset is UTC, as the API speaks ("...Z")."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
