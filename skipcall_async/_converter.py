"""The one cattrs converter: camelCase JSON in, frozen models out, leniently.

Lenient means: a field the SDK does not model lands in ``Model.extra``; an enum value it does not know stays a
plain ``str``; timestamps (including those the API documents as ``object``) become timezone-aware datetimes.
``strict_converter`` is the same converter with ``forbid_extra_keys=True``: the tests decode our own fixtures
with it so that a misspelt model field fails loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._field_types import allows_none, open_enum_of, optional_inner, scalar_of, timestamp
from ._model_hook import model_hook
from ._models import Model

logger = logging.getLogger("skipcall_async")

T = TypeVar("T")


def to_camel(name: str) -> str:
    """``linkedin_sales_url`` -> ``linkedinSalesUrl``."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return timestamp(value)
    raise TypeError(f"expected an ISO-8601 timestamp string, got {type(value).__name__}")


def _open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    enum_cls = open_enum_of(tp)
    assert enum_cls is not None  # the predicate matched
    optional = allows_none(tp)

    def structure(value: Any, _: Any) -> Any:
        if value is None and optional:
            return None
        try:
            return enum_cls(value)
        except ValueError:
            logger.debug("unknown %s value %r kept as a string", enum_cls.__name__, value)
            return str(value)

    return structure


def _model_hook_factory(cl: type[Model], conv: cattrs.Converter) -> Callable[[Any, Any], Model]:
    """Structure function for one model: camelCase keys; unknown keys rejected (strict) or kept in ``extra``."""
    if conv.forbid_extra_keys:
        renames: dict[str, Any] = {f.name: override(rename=to_camel(f.name)) for f in attrs.fields(cl)}
        renames["extra"] = override(omit=True)
        return make_dict_structure_fn(cl, conv, _cattrs_forbid_extra_keys=True, **renames)
    return model_hook(cl, conv, to_camel)


def _is_optional_scalar(tp: Any) -> bool:
    """``str | None`` and friends: the most common field type, given a fast path."""
    scalar, nullable = scalar_of(tp)
    return scalar is not None and nullable


def _optional_scalar_hook(tp: Any) -> Callable[[Any, Any], Any]:
    scalar = optional_inner(tp)

    def structure(value: Any, _: Any) -> Any:
        if value is None or type(value) is scalar:
            return value
        if scalar is bool and not isinstance(value, bool):
            raise TypeError(f"expected a boolean, got {type(value).__name__}")
        return scalar(value)

    return structure


def _optional_hook_factory(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Resolve the inner hook once, instead of dispatching on every value as cattrs' generic hook does."""
    inner = optional_inner(tp)
    hook = conv.get_structure_hook(inner)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _build(*, forbid_extra_keys: bool) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=forbid_extra_keys, detailed_validation=forbid_extra_keys)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook_factory(lambda tp: optional_inner(tp) is not None, _optional_hook_factory)
    conv.register_structure_hook_factory(lambda tp: open_enum_of(tp) is not None, _open_enum_hook)
    conv.register_structure_hook_factory(_is_optional_scalar, _optional_scalar_hook)
    conv.register_structure_hook_factory(
        lambda tp: isinstance(tp, type) and issubclass(tp, Model) and attrs.has(tp), _model_hook_factory
    )
    return conv


converter = _build(forbid_extra_keys=False)
strict_converter = _build(forbid_extra_keys=True)


def structure(data: Any, model: type[T] | Any, *, strict: bool = False) -> T:
    """Decode JSON data into ``model`` with the lenient (default) or the strict converter."""
    conv = strict_converter if strict else converter
    result: T = conv.structure(data, model)
    return result
