"""Argument checks and body building shared by the operations; errors name the offending argument."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .._converter import to_camel
from .._types import NOT_GIVEN

MAX_BATCH = 100


def body(fields: Mapping[str, Any], *, omit_none: bool) -> dict[str, Any]:
    """camelCase JSON body from snake_case fields, leaving out ``NOT_GIVEN`` (and ``None`` if ``omit_none``)."""
    return {
        to_camel(name): list(value) if isinstance(value, tuple) else value
        for name, value in fields.items()
        if value is not NOT_GIVEN and not (omit_none and value is None)
    }


def check_text(name: str, value: Any, *, min_length: int = 0, max_length: int | None = None) -> None:
    """A string within the documented length bounds (``None`` and ``NOT_GIVEN`` pass)."""
    if value is None or value is NOT_GIVEN:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if len(value.strip()) < min_length:
        raise ValueError(f"{name} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"{name} must be at most {max_length} characters, got {len(value)}")


def string_list(name: str, values: Any, *, min_items: int = 0, max_items: int | None = None) -> list[str]:
    """A list of non-empty strings; a bare string is refused (it would be split into characters)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of strings, not {type(values).__name__}")
    items = list(values)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{name} must contain only non-empty strings, got {item!r}")
    if len(items) < min_items:
        raise ValueError(f"{name} must contain at least {min_items} item(s)")
    if max_items is not None and len(items) > max_items:
        raise ValueError(f"{name} must contain at most {max_items} items, got {len(items)}")
    return items


def optional_id(name: str, value: str | None) -> str | None:
    """An id sent as a query or body value: ``None`` or a non-empty string."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{name} must be a non-empty string or None, got {value!r}")
    return value


def iso(name: str, value: date | datetime | str | None) -> str | None:
    """A date parameter in ISO format."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    raise TypeError(f"{name} must be a date, datetime or ISO string, not {type(value).__name__}")


def choice(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    """One of the documented values (or None)."""
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def workspace_filter(workspace_ids: Iterable[str] | None) -> list[str] | None:
    """The ``workspaceIds`` list filter (sent comma-separated), or None for every workspace of the key."""
    return None if workspace_ids is None else string_list("workspace_ids", workspace_ids, min_items=1)
