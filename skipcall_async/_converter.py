"""The one cattrs converter: camelCase JSON in, frozen models out, leniently.

Lenient means: a field the SDK does not model lands in ``Model.extra``; an enum value it does not know stays a
plain ``str``; timestamps (including those the API documents as ``object``) become timezone-aware datetimes.
``strict_converter`` is the same converter with ``forbid_extra_keys=True``: the tests decode our own fixtures
with it so that a misspelt model field fails loudly.
"""

from __future__ import annotations

import enum
import logging
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

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
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value)
    else:
        raise TypeError(f"expected an ISO-8601 timestamp string, got {type(value).__name__}")
    # A timestamp without an offset is read as UTC: the API speaks UTC ("...Z").
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _is_open_enum(tp: Any) -> bool:
    """``SomeEnum | str`` (optionally ``| None``): an enum that tolerates values it does not list."""
    if get_origin(tp) not in (Union, types.UnionType):
        return False
    args = set(get_args(tp)) - {type(None)}
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    return len(enums) == 1 and args == {enums[0], str}


def _open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    enum_cls = next(a for a in get_args(tp) if isinstance(a, type) and issubclass(a, enum.Enum))
    optional = type(None) in get_args(tp)

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


_SCALARS = (str, bool, int, float)


def _is_optional_scalar(tp: Any) -> bool:
    """``str | None`` and friends: the most common field type, given a fast path."""
    if get_origin(tp) not in (Union, types.UnionType):
        return False
    args = get_args(tp)
    return len(args) == 2 and type(None) in args and any(a in _SCALARS for a in args)


def _optional_scalar_hook(tp: Any) -> Callable[[Any, Any], Any]:
    scalar = next(a for a in get_args(tp) if a is not type(None))

    def structure(value: Any, _: Any) -> Any:
        if value is None or type(value) is scalar:
            return value
        if scalar is bool and not isinstance(value, bool):
            raise TypeError(f"expected a boolean, got {type(value).__name__}")
        return scalar(value)

    return structure


def _is_optional(tp: Any) -> bool:
    """``X | None`` for any single X (scalars and open enums have their own hooks)."""
    if get_origin(tp) not in (Union, types.UnionType):
        return False
    args = get_args(tp)
    return len(args) == 2 and type(None) in args


def _optional_hook_factory(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Resolve the inner hook once, instead of dispatching on every value as cattrs' generic hook does."""
    inner = next(a for a in get_args(tp) if a is not type(None))
    hook = conv.get_structure_hook(inner)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _build(*, forbid_extra_keys: bool) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=forbid_extra_keys, detailed_validation=forbid_extra_keys)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook_factory(_is_optional, _optional_hook_factory)
    conv.register_structure_hook_factory(_is_open_enum, _open_enum_hook)
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


_decoders: dict[Any, Callable[[Any], Any]] = {}


def structure_hook(model: type[T]) -> Callable[[Any], T]:
    """``data -> model`` with the lenient converter, its hook resolved once per model rather than per call."""
    decoder = _decoders.get(model)
    if decoder is None:
        hook = converter.get_structure_hook(model)
        decoder = _decoders[model] = lambda data: hook(data, model)
    return decoder
