"""The codec: every hook between the API's JSON and the models, pages included, on the one cattrs converter.

Decoding is lenient about what the SDK does not model, and strict about the types of what it does (the policy,
written out in docs/models.md). Kept as it came: a field the SDK does not model (in ``Model.extra``), an enum value
it does not know (a plain ``str``), free-form JSON (``customFields``), paging metadata that is not an integer (in
the page's ``extra``), as long as it is JSON a model can write back (``kept_raw``: no NaN or infinity, no nesting
past 100 levels). Converted, losslessly: an integer where text is expected becomes its digits; a number sent
as a string in JSON's own number syntax becomes the number; a whole float where an integer is expected becomes
it; timestamps (including those the API documents as ``object``) become timezone-aware datetimes. Anything else
of the wrong JSON type, non-finite numbers and numbers a float cannot hold included, is an error naming the field:
never a different value (a tuple of characters, repr text, a truncated float, null read as False).
``strict_converter`` is the same converter with ``forbid_extra_keys=True``: the tests decode our own fixtures with
it so that a misspelt model field fails loudly.

Encoding (``Model.to_dict``) is the way back: camelCase keys in the API's order, nulls kept, enum members as
their strings, timestamps as ``timestamp_json`` writes them, whole floats as integers, and ``extra`` restored at
every level. Unknown JSON (``extra``, ``customFields``) is copied, so the result shares no container with the model.

A page is read from and written to its envelope here too, and each guess about that envelope (the items key, a
bare list, the metadata keys) is one line of the section on it. The models never import this module, which is
built from them: importing it installs its decoders and encoders behind ``Model.from_dict`` and ``to_dict``, and
the package imports it first.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._errors import DecodeError
from ._field_types import (
    allows_none,
    json_number,
    kept_raw,
    open_enum_of,
    optional_inner,
    raw_problem,
    scalar_of,
    timestamp,
    timestamp_json,
)
from ._model_hook import model_hook, model_unstructure_hook
from ._models import Model, Page
from ._models._base import install_codec

logger = logging.getLogger("skipcall_async")

T = TypeVar("T")


def to_camel(name: str) -> str:
    """``linkedin_sales_url`` -> ``linkedinSalesUrl``."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


# -- fields and models ------------------------------------------------------------------------------------------


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return timestamp(value)
    raise TypeError(f"expected an ISO-8601 timestamp string, got {json_kind(value)}")


def _structure_bool(value: Any, _: type) -> bool:
    """A JSON boolean, and nothing else: cattrs' own hook, ``bool(value)``, reads ``"false"`` as True.

    Null is refused too where the field is not optional: the API documents these booleans as never null, and
    reading null as False would say something the API did not.
    """
    if type(value) is bool:
        return value
    raise TypeError(f"expected a boolean, got {json_kind(value)}")


def _structure_str(value: Any, _: Any) -> str:
    """Text: a string as it is, an integer as its digits (``75001`` -> ``"75001"``, what the API sent); nothing else.

    cattrs' own hook, ``str(value)``, would turn an object into Python's repr (``"{'k': False}"``), a boolean into
    ``"True"`` and ``1e5`` into ``"100000.0"``: text the API never sent. Those are decoding errors.
    """
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise TypeError(f"expected a string, got {json_kind(value)}")


_JSON_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _number(value: Any) -> int | float:
    """A JSON number, or a string holding one in JSON's own syntax (``"245"``, as ORMs write big numbers).

    No other text: not ``" 7 "``, ``"1_000"``, ``"+5"`` or ``"nan"``, which Python's ``int`` and ``float`` accept.
    """
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[no-any-return]
    if kind is str:
        match = _JSON_NUMBER.fullmatch(value)
        if match is not None:
            return float(value) if match.group(1) or match.group(2) else int(value)
    raise TypeError(f"expected a number, got {json_kind(value)}")


def _structure_int(value: Any, _: Any) -> int:
    """An integer: a JSON number without a fraction (``5``, or ``5.0``, which is 5); never truncated (``5.7``)."""
    if type(value) is int:
        return value
    number = _number(value)
    if isinstance(number, int):
        return number
    if number - number != 0.0:
        raise ValueError(f"expected a finite number, got {number}")
    if not number.is_integer():
        raise ValueError(f"expected an integer, got {number!r}")
    return int(number)


def _structure_float(value: Any, _: Any) -> float:
    """A finite float from a JSON number: not NaN or infinity, which JSON cannot hold, nor a number past a float's."""
    number = _number(value)
    try:
        result = float(number)
    except OverflowError:
        raise ValueError(f"expected a number a float can hold, got {json_kind(number)}") from None
    if result - result != 0.0:
        raise ValueError(f"expected a finite number, got {result}")
    return result


def json_kind(value: Any) -> str:
    """What JSON value ``value`` is, for an error message: ``an object``, ``the string ' 7 '``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return f"the string {value[:40]!r}" + (" (cut)" if len(value) > 40 else "")
    if isinstance(value, int):
        return f"the number {value}" if value.bit_length() < 128 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return f"the number {value!r}"
    return type(value).__name__


_SCALAR_HOOKS: Final[dict[type, Callable[[Any, Any], Any]]] = {
    str: _structure_str,
    bool: _structure_bool,
    int: _structure_int,
    float: _structure_float,
}


def _open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """A known value as its member, an unknown string as it is; anything but a string (or null) is an error."""
    enum_cls = open_enum_of(tp)
    assert enum_cls is not None  # the predicate matched
    optional = allows_none(tp)
    members = enum_cls._value2member_map_

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, str):
            member = members.get(value)
            if member is None:
                logger.debug("unknown %s value %r kept as a string", enum_cls.__name__, value)
                return str(value)
            return member
        if value is None and optional:
            return None
        raise TypeError(f"expected a string, got {json_kind(value)}")

    return structure


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], tuple[Any, ...]]:
    """``tuple[Item, ...]`` from a JSON array only: cattrs' hook takes any iterable, a string as its characters."""
    item = get_args(tp)[0]
    hook = conv.get_structure_hook(item)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list and type(value) is not tuple:
            raise TypeError(f"expected an array, got {json_kind(value)}")
        return tuple([hook(element, item) for element in value])

    return structure


def _structure_json_object(value: Any, _: Any) -> dict[str, Any]:
    """Free-form JSON (``customFields``): an object, its values kept as they came; cattrs' hook takes pairs too."""
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {json_kind(value)}")
    return kept_raw(dict(value))


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
    hook = _SCALAR_HOOKS[scalar]

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, scalar)

    return structure


def _optional_hook_factory(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Resolve the inner hook once, instead of dispatching on every value as cattrs' generic hook does."""
    inner = optional_inner(tp)
    hook = conv.get_structure_hook(inner)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Model) and attrs.has(tp)


def _is_page(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Page)


def _is_json_object(tp: Any) -> bool:
    """``Mapping[str, Any]``: JSON the SDK does not model (``customFields``, sequence-contact tags)."""
    return get_origin(tp) is Mapping and get_args(tp) == (str, Any)


def _json_value_hook(_: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    """Unknown JSON, written back as it came: objects and arrays copied, anything else not JSON through ``conv``."""

    def copy(value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return value
        if isinstance(value, Mapping):
            return {key: copy(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [copy(item) for item in value]
        return conv.unstructure(value)  # a datetime, an enum or a model that user code put in ``extra``

    return copy


def _open_enum_unstructure_hook(tp: Any) -> Callable[[Any], Any]:
    values = {member: member.value for member in open_enum_of(tp) or ()}

    def unstructure(value: Any) -> Any:
        return values.get(value, value)

    return unstructure


def _optional_unstructure_hook(tp: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    hook = conv.get_unstructure_hook(optional_inner(tp))

    def unstructure(value: Any) -> Any:
        return None if value is None else hook(value)

    return unstructure


def _model_unstructure_hook(cl: type[Model], conv: cattrs.Converter) -> Callable[[Model], dict[str, Any]]:
    return model_unstructure_hook(cl, conv, to_camel)


# -- the page envelope: guesses, none confirmed by an operation page --------------------------------------------

ITEMS_KEY: Final = "data"
"""Where a page's items are, unless the body is a bare list of them."""
META_KEYS: Final = {"total": "total", "page": "page", "size": "size", "totalPages": "total_pages"}
"""Paging metadata a page may carry: JSON key -> ``Page`` attribute, in the order the API reference lists them."""


def split_envelope(data: Any) -> tuple[list[Any], dict[str, Any]]:
    """(items, everything else) from ``{"data": [...], ...}`` or a bare list."""
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get(ITEMS_KEY), list):
        return data[ITEMS_KEY], {k: v for k, v in data.items() if k != ITEMS_KEY}
    raise TypeError(f"expected a list or an object with a {ITEMS_KEY!r} list, got {type(data).__name__}")


def _is_page_of(tp: Any) -> bool:
    """``Page[Item]``: a page whose items' model is known, which is what a page body needs to be decoded."""
    return get_origin(tp) is Page


def _page_structure_hook(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Page[Any]]:
    """A page from its envelope: items through the converter; metadata read as integers, or else kept in ``extra``."""
    (item,) = get_args(tp)
    items_type: Any = list[item]  # type: ignore[valid-type]
    items_hook = conv.get_structure_hook(items_type)

    def structure(data: Any, _: Any) -> Page[Any]:
        raw_items, meta = split_envelope(data)
        items = items_hook(raw_items, items_type)
        known: dict[str, int] = {}
        extra: dict[str, Any] = {}
        for key, value in meta.items():
            attr = META_KEYS.get(key)
            if attr is None:
                extra[key] = value
                problem = raw_problem(value)
                if problem is not None:
                    raise ValueError(f"{key!r} {problem}")
            elif value is not None:
                try:
                    known[attr] = value if type(value) is int else _structure_int(value, int)
                except (TypeError, ValueError):  # not an integer: kept as it came, in extra
                    extra[key] = value
        return Page(items=tuple(items), extra=MappingProxyType(extra), **known)

    return structure


def _page_unstructure_hook(_: type[Page[Any]], conv: cattrs.Converter) -> Callable[[Page[Any]], dict[str, Any]]:
    """A page as an envelope: items under the items key, the metadata it holds (None: not sent), then ``extra``."""
    value_of = conv.get_unstructure_hook(Any)

    def unstructure(page: Page[Any]) -> dict[str, Any]:
        res: dict[str, Any] = {ITEMS_KEY: [conv.unstructure(item) for item in page.items]}
        for key, attr in META_KEYS.items():
            value = getattr(page, attr)
            if value is not None:
                res[key] = value
        for key, value in page.extra.items():
            if key not in res:
                res[key] = value_of(value)
        return res

    return unstructure


def to_page(data: Any, item_model: type[T]) -> Page[T]:
    """Decode one page body into a ``Page`` of ``item_model``."""
    page: Page[T] = converter.structure(data, Page[item_model])  # type: ignore[valid-type]
    return page


# -- the converters ---------------------------------------------------------------------------------------------


def _build(*, forbid_extra_keys: bool) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=forbid_extra_keys, detailed_validation=forbid_extra_keys)
    conv.register_structure_hook(datetime, _structure_datetime)
    for scalar, hook in _SCALAR_HOOKS.items():
        conv.register_structure_hook(scalar, hook)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
    conv.register_structure_hook_func(_is_json_object, _structure_json_object)
    conv.register_structure_hook_factory(lambda tp: optional_inner(tp) is not None, _optional_hook_factory)
    conv.register_structure_hook_factory(lambda tp: open_enum_of(tp) is not None, _open_enum_hook)
    conv.register_structure_hook_factory(_is_optional_scalar, _optional_scalar_hook)
    conv.register_structure_hook_factory(_is_model, _model_hook_factory)
    conv.register_structure_hook_factory(_is_page_of, _page_structure_hook)

    conv.register_unstructure_hook(datetime, timestamp_json)
    conv.register_unstructure_hook(float, json_number)
    conv.register_unstructure_hook_factory(lambda tp: tp is Any or _is_json_object(tp), _json_value_hook)
    conv.register_unstructure_hook_factory(lambda tp: optional_inner(tp) is not None, _optional_unstructure_hook)
    conv.register_unstructure_hook_factory(lambda tp: open_enum_of(tp) is not None, _open_enum_unstructure_hook)
    conv.register_unstructure_hook_factory(lambda tp: _is_model(tp) and not _is_page(tp), _model_unstructure_hook)
    conv.register_unstructure_hook_factory(_is_page, _page_unstructure_hook)
    return conv


converter = _build(forbid_extra_keys=False)
strict_converter = _build(forbid_extra_keys=True)


# -- what the models, the funnel and the tests call -------------------------------------------------------------

STRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    cattrs.BaseValidationError,
)
"""What a structure hook raises for data that does not fit the model (a required key missing, a wrong type).

The hooks raise only the first two for a value; the others would come from data no hook expects (a value nested
past the interpreter's recursion limit), and are caught all the same, so that nothing else reaches a user.
"""


def dict_decoder(tp: Any) -> Callable[[Any], Any]:
    """``Model.from_dict`` of a model class, and ``Page.from_dict`` of ``Page[Item]``: the lenient hook for ``tp``.

    Data that does not fit raises a ``DecodeError`` (also a ``ValueError``) naming the field, the hook's error as
    its cause.
    """
    hook = converter.get_structure_hook(tp)

    def decode(data: Any) -> Any:
        try:
            return hook(data, tp)
        except STRUCTURE_ERRORS as exc:
            raise mismatch("data", data, tp, exc) from exc

    return decode


def mismatch(
    subject: str, data: Any, tp: Any, error: Exception, *, status: int | None = None, headers: Any = None
) -> DecodeError:
    """The ``DecodeError`` for ``data`` that does not fit ``tp``: the failing field's path, the hook's message."""
    try:
        where = failing_field(data, tp)
    except RecursionError:  # data nested deeper than the models: the top-level message says enough
        where = None
    at = f" (at {where})" if where else ""
    message = f"{subject} does not match {_described(tp)}{at}: {error}"
    return DecodeError(message, status=status, body=_json_text(data), headers=headers, field=where)


def _json_text(data: Any) -> str:
    """``data`` as JSON for an error's snippet, or nothing when it cannot be written (too deep, not JSON)."""
    try:
        return json.dumps(data, ensure_ascii=False, default=repr)[:1000]
    except (ValueError, TypeError, RecursionError):
        return ""


def _described(tp: Any) -> str:
    return f"a page of {get_args(tp)[0].__name__}" if _is_page_of(tp) else str(tp.__name__)


def dict_encoder(model: type[Model]) -> Callable[[Model], dict[str, Any]]:
    """``Model.to_dict`` of ``model``: the converter's unstructure hook for the class."""
    hook: Callable[[Model], dict[str, Any]] = converter.get_unstructure_hook(model)
    return hook


def structure(data: Any, model: type[T] | Any, *, strict: bool = False) -> T:
    """Decode JSON data into ``model`` with the lenient (default) or the strict converter."""
    conv = strict_converter if strict else converter
    result: T = conv.structure(data, model)
    return result


def failing_field(data: Any, model: Any) -> str | None:
    """Where ``data`` does not fit ``model``, as a path such as ``contact.email`` or ``data[2].date``; None if unknown.

    Only called once decoding has failed, so the fast path of a response pays nothing for the error's detail.
    """
    model = optional_inner(model) or model
    if _is_page_of(model):
        return _page_item_path(data, get_args(model)[0])
    if not (_is_model(model) and isinstance(data, dict)):
        return None
    known = set()
    for field in attrs.fields(model):
        key = to_camel(field.name)
        known.add(key)
        if field.name == "extra" or key not in data:
            continue
        try:
            converter.structure(data[key], field.type)
        except STRUCTURE_ERRORS:
            return key + (_inner_path(data[key], field.type) or "")
    return next((key for key, value in data.items() if key not in known and raw_problem(value)), None)


def _page_item_path(data: Any, item: Any) -> str | None:
    """``data[2].date``: the first item of a page body that does not fit ``item``, and where in it."""
    try:
        items, _ = split_envelope(data)
    except TypeError:
        return None
    where = ITEMS_KEY if isinstance(data, dict) else ""
    for i, value in enumerate(items):
        try:
            converter.structure(value, item)
        except STRUCTURE_ERRORS:
            deeper = failing_field(value, item)
            return f"{where}[{i}]" + ("." + deeper if deeper else "")
    return None


def _inner_path(value: Any, tp: Any) -> str | None:
    inner = failing_field(value, tp)
    if inner is not None:
        return "." + inner
    args = get_args(optional_inner(tp) or tp)
    if isinstance(value, list) and len(args) == 2 and args[1] is Ellipsis:  # tuple[Item, ...]
        for i, item in enumerate(value):
            try:
                converter.structure(item, args[0])
            except STRUCTURE_ERRORS:
                deeper = failing_field(item, args[0])
                return f"[{i}]" + ("." + deeper if deeper else "")
    return None


install_codec(dict_decoder, dict_encoder)
