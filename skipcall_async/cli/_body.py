"""The fields of a write, from a JSON body file and from options: options win, names are the API's."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

import click

from .._codec import to_camel


def load_body(file: TextIO | None) -> dict[str, Any]:
    """The JSON object in ``file`` (empty without one); a usage error when it is not a JSON object."""
    if file is None:
        return {}
    name = getattr(file, "name", "the body")
    try:
        data = json.load(file)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"{name} is not JSON: {error}", param_hint="--body") from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{name} must hold a JSON object, not {type(data).__name__}", param_hint="--body")
    return data


def merge(body: Mapping[str, Any], options: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Keyword arguments for an operation: the body's fields (camelCase) under their snake_case names, then the
    options that were given (not None, not an empty tuple) on top.

    Raises:
        click.BadParameter: The body names a field the operation does not take.
    """
    by_api_name = {to_camel(name): name for name in fields}
    unknown = [key for key in body if key not in by_api_name]
    if unknown:
        raise click.BadParameter(
            f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(by_api_name)}", param_hint="--body"
        )
    kwargs = {by_api_name[key]: value for key, value in body.items()}
    kwargs.update({name: value for name, value in options.items() if value is not None and value != ()})
    return kwargs


def pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a usage error for one without ``=``."""
    result: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint=option)
        result[name] = rest
    return result
