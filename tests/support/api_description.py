"""The API description the tests hold the fake server and the client to, read as the SDK reads it.

The description is the package's copy, ``skipcall_async/testing/openapi.yaml`` (so the tests read no file outside
the repository). It is used as it is, but for one reading, the only place the tests depart from its letter:

- **``type: object`` fields whose values are strings.** The API's NestJS/Swagger output types ``string | null``
  fields as ``object`` (``email``, ``company``, ``adminProviderSid``, ``summary``, several timestamps); each such
  field carries an ``x-type-note`` and a string ``example``. They are read as nullable strings, as the SDK's models
  and the fake server hold them. Taken literally, a real answer ("a@b.c") would violate its own description.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import yaml

from skipcall_async.testing import API_DESCRIPTION


def _nodes(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in the document, with its JSON-pointer-like path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nodes(value, f"{path}/{i}")


def is_string_typed_as_object(node: dict[str, Any]) -> bool:
    """A field documented as ``object`` while its note and example say it holds a string."""
    return node.get("type") == "object" and "x-type-note" in node and isinstance(node.get("example"), str)


def read(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The description with the reading above applied, and the paths of the fields it changed."""
    document = copy.deepcopy(raw)
    changed = []
    for path, node in _nodes(document):
        if is_string_typed_as_object(node):
            node["type"] = "string"
            node["nullable"] = True
            changed.append(path)
    return document, changed


RAW: dict[str, Any] = yaml.safe_load(API_DESCRIPTION.read_text(encoding="utf-8"))
DESCRIPTION, READ_AS_STRINGS = read(RAW)
