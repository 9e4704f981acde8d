"""Request checks of the fake API, as the API reference types each field: a wrong value is a 400 naming it.

Each check returns the value it accepted, so a handler reads a field and checks it in one step. The rules follow
the request schemas of the API reference (``skipcall_async/testing/openapi.yaml``): no field there is nullable,
so ``null`` is refused like any other value of the wrong type.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ._app import bad_request

_MISSING: Any = object()


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def text(name: str, value: Any, *, min_length: int = 0, max_length: int | None = None) -> str:
    """A JSON string within the given length bounds."""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string, not {_kind(value)}")
    if len(value) < min_length or (max_length is not None and len(value) > max_length):
        bounds = f"{min_length} to {max_length}" if max_length is not None else f"at least {min_length}"
        raise bad_request(f"{name} must be a string of {bounds} characters")
    return value


def boolean(name: str, value: Any) -> bool:
    """A JSON boolean: ``"false"`` or ``0`` is refused, never read as a truth value."""
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be a boolean, not {_kind(value)}")
    return value


def texts(name: str, value: Any, *, min_items: int = 0, max_items: int | None = None) -> list[str]:
    """A JSON array of strings, with as many items as allowed."""
    if not isinstance(value, list):
        raise bad_request(f"{name} must be an array of strings, not {_kind(value)}")
    for item in value:
        if not isinstance(item, str):
            raise bad_request(f"{name} must be an array of strings; it holds {_kind(item)}")
    if len(value) < min_items or (max_items is not None and len(value) > max_items):
        raise bad_request(f"{name} must hold {min_items} to {max_items} items, not {len(value)}")
    return value


def text_map(name: str, value: Any) -> dict[str, str]:
    """A JSON object whose values are strings (``customFields``)."""
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be an object of strings, not {_kind(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise bad_request(f"{name}.{key} must be a string, not {_kind(item)}")
    return value


def one_of(name: str, value: str | None, allowed: Collection[str]) -> str | None:
    """A query value among the documented ones (absent passes)."""
    if value is not None and value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}")
    return value


def optional(body: Mapping[str, Any], name: str) -> Any:
    """The field's value, or ``MISSING`` when the body leaves it out (``null`` is a value, and is checked)."""
    return body.get(name, _MISSING)


def given(value: Any) -> bool:
    """Whether ``optional`` found the field."""
    return value is not _MISSING
