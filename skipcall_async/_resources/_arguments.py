"""Argument checks and body building shared by the operations.

Every refusal is an `InvalidArgumentError` (`InvalidArgumentTypeError` for a wrong type) naming the argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from .._codec import to_camel
from .._errors import InvalidArgumentError, InvalidArgumentTypeError
from .._field_types import timestamp_json
from .._types import NOT_GIVEN

MAX_BATCH = 100


def body(fields: Mapping[str, Any], *, omit_none: bool) -> dict[str, Any]:
    """camelCase JSON body from snake_case fields, leaving out ``NOT_GIVEN`` (and ``None`` if ``omit_none``)."""
    return {
        to_camel(name): list(value) if isinstance(value, tuple) else value
        for name, value in fields.items()
        if value is not NOT_GIVEN and not (omit_none and value is None)
    }


def encodable(name: str, value: str, *, argument: str | None = None) -> str:
    """``value`` if it can be sent as UTF-8: a lone surrogate (from a bad decode) cannot, in a path, query or body.

    ``name`` is how the message names the value (``custom_fields['k']``), ``argument`` the argument, if not ``name``.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        message = f"{name} is not valid text: it holds a lone surrogate at index {exc.start}"
        raise InvalidArgumentError(message, argument=argument or name) from None
    return value


def check_text(
    name: str, value: Any, *, min_length: int = 0, max_length: int | None = None, required: bool = False
) -> None:
    """A string within the documented length bounds; ``None`` and ``NOT_GIVEN`` pass unless ``required``."""
    if value is None or value is NOT_GIVEN:
        if required:
            raise InvalidArgumentTypeError(f"{name} is required: a str, not {value!r}", argument=name)
        return
    if not isinstance(value, str):
        raise InvalidArgumentTypeError(f"{name} must be a str, not {type(value).__name__}", argument=name)
    encodable(name, value)
    if len(value.strip()) < min_length:
        raise InvalidArgumentError(f"{name} must not be empty", argument=name)
    if max_length is not None and len(value) > max_length:
        raise InvalidArgumentError(f"{name} must be at most {max_length} characters, got {len(value)}", argument=name)


def string_list(
    name: str, values: Any, *, min_items: int = 0, max_items: int | None = None, no_commas: bool = False
) -> list[str]:
    """A list of non-empty strings; a bare string is refused (it would be split into characters).

    ``no_commas``: the list is sent as one comma-separated value, so an item holding a comma would be read as two.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidArgumentTypeError(f"{name} must be a list of strings, not {type(values).__name__}", argument=name)
    items = list(values)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidArgumentError(f"{name} must contain only non-empty strings, got {item!r}", argument=name)
        encodable(name, item)
        if no_commas and "," in item:
            message = f"{name} items must not contain a comma (the list is sent comma-separated), got {item!r}"
            raise InvalidArgumentError(message, argument=name)
    if len(items) < min_items:
        raise InvalidArgumentError(f"{name} must contain at least {min_items} item(s)", argument=name)
    if max_items is not None and len(items) > max_items:
        raise InvalidArgumentError(f"{name} must contain at most {max_items} items, got {len(items)}", argument=name)
    return items


def optional_id(name: str, value: str | None) -> str | None:
    """An id sent as a query or body value: ``None`` or a non-empty string."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidArgumentError(f"{name} must be a non-empty string or None, got {value!r}", argument=name)
    return None if value is None else encodable(name, value)


def text_map(name: str, value: Any) -> dict[str, str]:
    """A mapping of strings to strings, as the API documents ``customFields``: nothing else can be sent as JSON."""
    if not isinstance(value, Mapping):
        raise InvalidArgumentTypeError(
            f"{name} must be a mapping of field name to str, not {type(value).__name__}", argument=name
        )
    checked = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidArgumentTypeError(f"{name} keys must be str, not {type(key).__name__}", argument=name)
        if not isinstance(item, str):
            message = f"{name}[{key!r}] must be a str (the API takes text values), not {type(item).__name__}"
            raise InvalidArgumentTypeError(message, argument=name)
        checked[encodable(f"{name} key", key, argument=name)] = encodable(f"{name}[{key!r}]", item, argument=name)
    return checked


def iso(name: str, value: date | datetime | str | None) -> str | None:
    """A date argument in the one ISO 8601 form the API's examples use, checked before it is sent.

    A date is sent as ``2026-01-31``. A datetime is an instant, sent in UTC as the API writes its timestamps,
    ``2026-01-31T09:00:00.000Z`` (an offset with seconds, ``-00:30:15``, has no ISO form); a naive one is read as
    UTC, as the SDK reads a timestamp without an offset. Text must be one of the two, and is sent in that form.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _instant(name, value)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        message = f"{name} must be a date, datetime or ISO string, not {type(value).__name__}"
        raise InvalidArgumentTypeError(message, argument=name)
    text = encodable(name, value)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return _instant(name, datetime.fromisoformat(text))
    except ValueError:
        message = f"{name} must be an ISO 8601 date or date-time (2026-01-31, 2026-01-31T09:00:00Z), got {text!r}"
        raise InvalidArgumentError(message, argument=name) from None


def _instant(name: str, moment: datetime) -> str:
    try:
        utc = moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)
    except OverflowError:
        raise InvalidArgumentError(f"{name} is out of range once in UTC: {moment!r}", argument=name) from None
    return timestamp_json(utc)


def choice(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    """One of the documented values (or None)."""
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise InvalidArgumentError(f"{name} must be one of {', '.join(allowed)}; got {value!r}", argument=name)
    return value


def workspace_filter(workspace_ids: Iterable[str] | None) -> list[str] | None:
    """The ``workspaceIds`` list filter (sent comma-separated), or None for every workspace of the key."""
    if workspace_ids is None:
        return None
    return string_list("workspace_ids", workspace_ids, min_items=1, no_commas=True)
