"""Flat columns of a model, for CSV files and tables: the one place that decides how JSON becomes cells.

A model's columns are its fields, camelCase as the API names them, in the API's order. A nested model (a call's
``contact``, ``caller``, ``phoneNumber``) is spread into ``parent.child`` columns. An array or a free-form object
(``phoneNumbers``, ``customFields``, ``transcript``) stays in one column, as compact JSON text. Fields the SDK does
not model (a model's ``extra``) have no column: the JSON formats keep them.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from .._codec import to_camel
from .._models import Model

_columns: dict[tuple[type[Model], str], tuple[str, ...]] = {}


def model_columns(model: type[Model], prefix: str = "") -> tuple[str, ...]:
    """The dotted column names of ``model``, nested models spread out, each name prefixed by ``prefix.``."""
    known = _columns.get((model, prefix))
    if known is None:
        known = _columns[model, prefix] = _walk(model, prefix)
    return known


def _walk(model: type[Model], prefix: str) -> tuple[str, ...]:
    hints = typing.get_type_hints(model)
    columns: list[str] = []
    for field in attrs.fields(model):
        if field.name == "extra":
            continue
        name = f"{prefix}.{to_camel(field.name)}" if prefix else to_camel(field.name)
        nested = nested_model(hints[field.name])
        columns.extend(model_columns(nested, name) if nested is not None else (name,))
    return tuple(columns)


def nested_model(hint: Any) -> type[Model] | None:
    """The model class a field holds, directly or as ``Model | None``; None for anything else (arrays included)."""
    if isinstance(hint, type) and issubclass(hint, Model):
        return hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        models = [arg for arg in typing.get_args(hint) if isinstance(arg, type) and issubclass(arg, Model)]
        return models[0] if len(models) == 1 else None
    return None


def cell(value: Any) -> str:
    """One value as a cell: null empty, booleans as JSON writes them, arrays and objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def lookup(record: Mapping[str, Any], column: str) -> Any:
    """The value under a dotted column in a JSON record; None when a parent is null or a key is absent."""
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def row(record: Mapping[str, Any], columns: tuple[str, ...]) -> list[str]:
    """The cells of ``record`` under ``columns``, in order."""
    return [cell(lookup(record, column)) for column in columns]


def _table_columns() -> dict[type[Model], tuple[str, ...]]:
    from .._models import Call, Contact, SequenceContact

    return {
        Call: (
            "id",
            "startedAt",
            "status",
            "type",
            "contact.firstName",
            "contact.lastName",
            "caller.lastName",
        ),
        Contact: ("id", "firstName", "lastName", "company", "email", "phoneNumbers", "callCount"),
        # Three UUIDs and a status cannot fit 120 columns: the row's own id is left to the other formats.
        SequenceContact: ("contactId", "status", "assignedToWorkspaceMembershipId"),
    }


def table_columns(model: type[Model]) -> tuple[str, ...]:
    """The columns a table of ``model`` shows: a few for wide models, so a row fits a terminal; else all."""
    return _table_columns().get(model) or model_columns(model)


def nested_array_model(model: type[Model]) -> tuple[str, type[Model] | None]:
    """(API name, item model) of the one field of ``model`` that is an array of models; ("", None) without one."""
    hints = typing.get_type_hints(model)
    found = [
        (to_camel(field.name), args[0])
        for field in attrs.fields(model)
        if typing.get_origin(hints[field.name]) is tuple
        and (args := typing.get_args(hints[field.name]))
        and isinstance(args[0], type)
        and issubclass(args[0], Model)
    ]
    return found[0] if len(found) == 1 else ("", None)
