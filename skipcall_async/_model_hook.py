"""The converter's structure function (lenient) and unstructure function for a model, generated once per class.

Structuring does what cattrs' generated function does, cheaper per response. Each field is read once. A value that
already has the field's scalar type (``str``, ``bool``, ``int``, a finite ``float``, or ``None`` where allowed) is
taken as it is. Everything else goes through the converter's own hook for the field's type, which converts it or
refuses it (the decoding policy is the codec's). Unknown keys land in ``extra`` (refused if nested past
``MAX_RAW_DEPTH``); a missing required key raises
``KeyError``, which the funnel reports as a ``DecodeError``. The strict converter keeps cattrs' stock function, and
the tests check that both decode the documented examples alike.

Unstructuring builds the JSON object in one dict display, keys in field order (the API's order), then adds the
unknown fields from ``extra``. Strings, booleans, integers and nulls are taken as they are; timestamps are written
inline in the common case (UTC, whole milliseconds); every other value goes through the converter's hook for the
field's type.

Both are about twice as fast as cattrs' own generated functions with the same field hooks
(``benchmarks/serialisation.py --stock``). Their source is registered with ``linecache`` under a name of its own,
so a traceback through one shows the generated line that failed.
"""

from __future__ import annotations

import itertools
import linecache
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import cattrs

from ._field_types import SCALARS, allows_none, kept_raw, open_enum_of, optional_inner, scalar_of, timestamp_json
from ._models import Model

_MISSING = object()
_serial = itertools.count(1)  # makes each generated function's file name unique, whatever its class is called


def model_hook(
    cl: type[Model], conv: cattrs.Converter, to_json_key: Callable[[str], str]
) -> Callable[[Any, Any], Model]:
    """A straight-line structure function for ``cl``: one statement per field, no per-field dispatch.

    The instance is allocated and each field stored through its slot, as the class's own ``__init__`` would,
    without first gathering keyword arguments; models carry no validators or converters that this would skip.
    """
    attrs.resolve_types(cl)
    if hasattr(cl, "__attrs_post_init__") or any(f.validator or f.converter for f in attrs.fields(cl)):
        raise TypeError(f"{cl.__name__}: models must not have validators, converters or __attrs_post_init__")
    fields = [f for f in attrs.fields(cl) if f.name != "extra"]
    namespace: dict[str, Any] = {
        "cl": cl,
        "new": object.__new__,
        "set_extra": _slot_setter(cl, "extra"),
        "kept_raw": kept_raw,
        "MISSING": _MISSING,
        "NO_EXTRA": attrs.fields(cl).extra.default,
        "MappingProxyType": types.MappingProxyType,
        "fromisoformat": datetime.fromisoformat,
        "UTC": UTC,
    }
    lines = [
        "def structure(o, _):",
        "    if type(o) is not dict:",
        f"        raise TypeError('{cl.__name__}: expected a JSON object, got ' + type(o).__name__)",
        "    get = o.get",
        "    self = new(cl)",
    ]
    for i, field in enumerate(fields):
        key, name = to_json_key(field.name), field.name
        namespace[f"h{i}"], namespace[f"t{i}"] = conv.get_structure_hook(field.type), field.type
        convert, handles_none = _conversion(i, field.type, conv, namespace)
        if field.default is attrs.NOTHING:
            lines.append(f"    v = o[{key!r}]")
        elif field.default is None and handles_none:  # an absent key reads as null, which means the default
            lines.append(f"    v = get({key!r})")
        else:
            if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                namespace[f"d{i}"] = field.default.factory
                default = f"d{i}()"
            else:
                namespace[f"d{i}"] = field.default
                default = f"d{i}"
            lines.append(f"    v = get({key!r}, MISSING)")
            convert = f"{default} if v is MISSING else {convert}"
        namespace[f"set{i}"] = _slot_setter(cl, name)
        lines.append(f"    set{i}(self, {convert})  # {name}")
    namespace["known"] = frozenset(to_json_key(f.name) for f in fields)
    lines += [
        "    if known.issuperset(o):",
        "        set_extra(self, NO_EXTRA)",
        "    else:",
        "        set_extra(self, MappingProxyType(kept_raw({k: v for k, v in o.items() if k not in known})))",
        "    return self",
    ]
    structure: Callable[[Any, Any], Model] = _defined("structure", lines, cl, namespace)
    return structure


def _defined(name: str, lines: list[str], cl: type, namespace: dict[str, Any]) -> Any:
    """Function ``name`` of the generated ``lines``, its source given to ``linecache`` for tracebacks to show."""
    source = "\n".join(lines) + "\n"
    filename = f"<skipcall_async {name} {cl.__module__}.{cl.__qualname__} #{next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _slot_setter(cl: type, name: str) -> Callable[[Any, Any], None]:
    """Store into one slot of a frozen instance: the slot's own descriptor, which frozen ``__setattr__`` guards."""
    descriptor = getattr(cl, name)
    if not isinstance(descriptor, types.MemberDescriptorType):
        raise TypeError(f"{cl.__name__}.{name} is not a slot: models are slotted attrs classes")
    setter: Callable[[Any, Any], None] = descriptor.__set__
    return setter


def _conversion(i: int, tp: Any, conv: cattrs.Converter, namespace: dict[str, Any]) -> tuple[str, bool]:
    """The expression turning JSON value ``v`` into field ``i``'s type, and whether it maps null to None."""
    generic = f"h{i}(v, t{i})"
    if tp == datetime | None:  # timestamps: _field_types.timestamp, inlined (six per call: a call each adds up)
        aware = "(d if (d := fromisoformat(v)).tzinfo is not None else d.replace(tzinfo=UTC))"
        return f"{aware} if type(v) is str else None if v is None else {generic}", True
    open_enum = open_enum_of(tp)
    if open_enum is not None:  # a known value becomes the member, any other value keeps the hook's handling
        namespace[f"m{i}"] = open_enum._value2member_map_
        return f"m{i}.get(v) or {generic} if type(v) is str else {generic}", allows_none(tp)
    inner = optional_inner(tp)
    if inner is not None and inner not in SCALARS:  # X | None: the inner hook, without a wrapper
        namespace[f"i{i}"], namespace[f"it{i}"] = conv.get_structure_hook(inner), inner
        return f"None if v is None else i{i}(v, it{i})", True
    scalar, nullable = scalar_of(tp)
    if scalar is not None:
        namespace[f"s{i}"] = scalar
        accept = f"type(v) is s{i}"
        if scalar is float:  # finite only (inf - inf and nan - nan are nan): the hook refuses the others
            accept += " and v - v == 0.0"
        if nullable:
            accept = f"v is None or {accept}"
        return f"v if {accept} else {generic}", nullable
    return generic, False


def model_unstructure_hook(
    cl: type[Model], conv: cattrs.Converter, to_json_key: Callable[[str], str]
) -> Callable[[Model], dict[str, Any]]:
    """A straight-line unstructure function for ``cl``: the JSON object the API sent for an instance.

    Every field is written, None as null; a key of ``extra`` that names a field is skipped (the field wins).
    """
    attrs.resolve_types(cl)
    fields = [f for f in attrs.fields(cl) if f.name != "extra"]
    namespace: dict[str, Any] = {
        "value_of": conv.get_unstructure_hook(Any),
        "UTC": UTC,
        "UTC_MS": "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
        "timestamp_json": timestamp_json,
    }
    entries = []
    for i, field in enumerate(fields):
        entries.append(f"        {to_json_key(field.name)!r}: {_writing(i, field.name, field.type, conv, namespace)},")
    lines = [
        "def unstructure(o):",
        "    res = {",
        *entries,
        "    }",
        "    extra = o.extra",
        "    if extra:",
        "        for k, v in extra.items():",
        "            if k not in res:",
        "                res[k] = value_of(v)",
        "    return res",
    ]
    unstructure: Callable[[Model], dict[str, Any]] = _defined("unstructure", lines, cl, namespace)
    return unstructure


def _writing(i: int, name: str, tp: Any, conv: cattrs.Converter, namespace: dict[str, Any]) -> str:
    """The expression turning field ``i`` of instance ``o`` into its JSON value."""
    scalar, _ = scalar_of(tp)
    if scalar is not None and scalar is not float:  # str, bool, int: JSON as they are
        return f"o.{name}"
    if tp == datetime | None:  # _field_types.timestamp_json, its common case inlined (faster than isoformat)
        utc = "UTC_MS % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond // 1000)"
        fast = f"{utc} if v.tzinfo is UTC and not v.microsecond % 1000 else timestamp_json(v)"
        return f"None if (v := o.{name}) is None else {fast}"
    open_enum = open_enum_of(tp)
    if open_enum is not None:  # a member becomes its value; a string kept from decoding, or None, stays
        namespace[f"m{i}"] = {member: member.value for member in open_enum}
        return f"m{i}.get(v := o.{name}, v)"
    inner = optional_inner(tp)
    if inner is not None:  # X | None: the inner hook, without a wrapper
        namespace[f"i{i}"] = conv.get_unstructure_hook(inner)
        return f"None if (v := o.{name}) is None else i{i}(v)"
    namespace[f"h{i}"] = conv.get_unstructure_hook(tp)
    return f"h{i}(o.{name})"
