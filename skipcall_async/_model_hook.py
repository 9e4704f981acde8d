"""The lenient converter's structure function for a model, generated once per class.

It does what cattrs' generated function does, cheaper per response. Each field is read once. A value that
already has the field's scalar type (``str``, ``bool``, ``int``, ``float``, or ``None`` where allowed) is taken
as it is. Everything else goes through the converter's own hook for the field's type. Unknown keys land in
``extra``; a missing required key raises ``KeyError``, which the funnel reports as a ``DecodeError``. The strict
converter keeps cattrs' stock function, and the tests check that both decode the documented examples alike.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Union, get_args, get_origin

import attrs
import cattrs

from ._models import Model

_SCALARS = (str, bool, int, float)
_MISSING = object()


def _scalar_of(tp: Any) -> tuple[type | None, bool]:
    """(scalar type, None allowed) for ``str``, ``str | None`` and the like; (None, ...) for anything else."""
    if tp in _SCALARS:
        return tp, False
    if get_origin(tp) in (Union, types.UnionType):
        args = get_args(tp)
        if len(args) == 2 and type(None) in args:
            inner = next(a for a in args if a is not type(None))
            if inner in _SCALARS:
                return inner, True
    return None, False


def model_hook(
    cl: type[Model], conv: cattrs.Converter, to_json_key: Callable[[str], str]
) -> Callable[[Any, Any], Model]:
    """A straight-line structure function for ``cl``: one statement per field, no per-field dispatch."""
    attrs.resolve_types(cl)
    fields = [f for f in attrs.fields(cl) if f.name != "extra"]
    namespace: dict[str, Any] = {"cl": cl, "MISSING": _MISSING, "MappingProxyType": types.MappingProxyType}
    lines = [
        "def structure(o, _):",
        "    if type(o) is not dict:",
        f"        raise TypeError('{cl.__name__}: expected a JSON object, got ' + type(o).__name__)",
        "    get = o.get",
        "    kw = {}",
    ]
    for i, field in enumerate(fields):
        key, name = to_json_key(field.name), field.name
        namespace[f"h{i}"], namespace[f"t{i}"] = conv.get_structure_hook(field.type), field.type
        scalar, nullable = _scalar_of(field.type)
        convert = f"h{i}(v, t{i})"
        if scalar is not None:
            namespace[f"s{i}"] = scalar
            accept = f"v is None or type(v) is s{i}" if nullable else f"type(v) is s{i}"
            convert = f"v if {accept} else h{i}(v, t{i})"
        if field.default is attrs.NOTHING:
            lines.append(f"    v = o[{key!r}]")
            lines.append(f"    kw[{name!r}] = {convert}")
        else:
            lines.append(f"    v = get({key!r}, MISSING)")
            lines.append("    if v is not MISSING:")
            lines.append(f"        kw[{name!r}] = {convert}")
    namespace["known"] = frozenset(to_json_key(f.name) for f in fields)
    lines += [
        "    if not known.issuperset(o):",
        "        kw['extra'] = MappingProxyType({k: v for k, v in o.items() if k not in known})",
        "    return cl(**kw)",
    ]
    exec(compile("\n".join(lines), f"<skipcall_async structure {cl.__name__}>", "exec"), namespace)
    structure: Callable[[Any, Any], Model] = namespace["structure"]
    return structure
