"""What kind of value a model field holds: the one place the converter and the generated model hook ask.

Models annotate fields with a handful of shapes: a JSON scalar (``str``, ``bool``, ``int``, ``float``), maybe
``| None``; an open enum (``SomeEnum | str``, maybe ``| None``), whose unknown values stay strings; another type
``| None``; and timestamps, read as timezone-aware datetimes. Two values are written back in a form of their own:
timestamps (``timestamp_json``) and whole floats (``json_number``), both as the API's JavaScript writes them.
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


MAX_RAW_DEPTH: Final = 100
"""How deep JSON kept as it came (unknown fields, ``customFields``) may nest: far past any real payload, and well
inside the interpreter's recursion limit, so that ``to_dict``, ``repr`` and ``json.dumps`` of a model always work."""


def raw_problem(value: Any) -> str | None:
    """Why ``value`` cannot be kept as JSON: nested past ``MAX_RAW_DEPTH``, or holding a number JSON cannot write
    (NaN, an infinity); None when it can. Walked without recursion."""
    if type(value) is float:
        return None if value - value == 0.0 else f"holds {value}, which is not a JSON number"
    if not isinstance(value, dict | list | tuple):
        return None
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_RAW_DEPTH:
            return f"is nested more than {MAX_RAW_DEPTH} levels deep"
        for item in container.values() if isinstance(container, dict) else container:
            if isinstance(item, dict | list | tuple):
                stack.append((item, depth + 1))
            elif type(item) is float and item - item != 0.0:
                return f"holds {item}, which is not a JSON number"
    return None


def kept_raw(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (JSON the SDK keeps as it came), or a ``ValueError`` naming a key that ``raw_problem`` refuses."""
    for key, value in values.items():
        problem = raw_problem(value)
        if problem is not None:
            raise ValueError(f"{key!r} {problem}")
    return values


def timestamp(value: str) -> datetime:
    """An ISO-8601 timestamp as an aware datetime; one without an offset is UTC, as the API speaks ("...Z")."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def timestamp_json(moment: datetime) -> str:
    """A datetime as the API writes it, ``2024-01-15T10:30:00.000Z``: ``timestamp`` reads it back unchanged.

    Milliseconds always, microseconds only when the value has a finer part (the API never sends one), so no value
    is lost. ``Z`` for UTC and for a naive datetime (read as UTC, as ``timestamp`` reads one); another offset is
    kept as it is, ``+02:00``.
    """
    spec = "microseconds" if moment.microsecond % 1000 else "milliseconds"
    offset = moment.utcoffset()
    if not offset:  # None (naive) or zero
        return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    return moment.isoformat(timespec=spec)


def json_number(value: float) -> float:
    """A float as JavaScript's ``JSON.stringify`` writes it: a whole number without ``.0`` (``245``, not ``245.0``).

    The API's ``number`` fields arrive as ``245`` and are decoded as floats; written back, they read ``245`` again.
    Like JavaScript, numbers from 1e21 on keep their float form.
    """
    if type(value) is float and value.is_integer() and -1e21 < value < 1e21:
        return int(value)
    return value
