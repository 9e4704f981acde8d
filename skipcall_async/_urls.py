"""Base-URL checks and path building: ids become exactly one percent-encoded path segment, never a dot segment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from ._errors import ConfigurationError, InvalidArgumentError, InvalidArgumentTypeError

DEFAULT_BASE_URL: Final = "https://api-public.skipcall.app"
BASE_URL_ENV: Final = "SKIPCALL_BASE_URL"
_PLAIN_SEGMENT: Final = re.compile(r"[A-Za-z0-9_.~-]+")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (IPv4 127/8 and ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_base_url(base_url: str | None) -> str:
    """The argument, else ``SKIPCALL_BASE_URL``, else the production API."""
    return base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def normalize_base_url(base_url: str) -> str:
    """Validate ``base_url`` and drop a trailing slash; plain http is only allowed to a loopback host."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {base_url!r}.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"base_url must use https (plain http is only allowed to a loopback host), got {base_url!r}."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("base_url must not carry a query, a fragment or credentials.")
    return base_url.rstrip("/")


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in, for same-host comparisons."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def segment(value: str, name: str = "id") -> str:
    """Percent-encode ``value`` as one path segment, so that ``/``, ``?`` and ``#`` cannot leave it.

    A dot segment is refused: ``.``, ``..``, or anything that percent-decodes to one (``%2E%2E``). Encoding is not
    enough, since URL normalisation in proxies and gateways (WHATWG URL parsing reads ``%2E`` as ``.``) would turn
    it back into a step up the path, and the request would reach another endpoint.
    """
    if isinstance(value, str) and _PLAIN_SEGMENT.fullmatch(value) and value != "." and value != "..":
        return value  # the common case (uuids): nothing to encode, nothing to reject
    if not isinstance(value, str):
        raise InvalidArgumentTypeError(f"{name} must be a str, not {type(value).__name__}", argument=name)
    if not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string", argument=name)
    if is_dot_segment(value):
        message = f"{name} must not be {value!r}: a proxy reads it as a dot segment, a path to another endpoint"
        raise InvalidArgumentError(message, argument=name)
    try:
        return quote(value, safe="")
    except UnicodeEncodeError as exc:
        message = f"{name} is not valid text: it holds a lone surrogate at index {exc.start}"
        raise InvalidArgumentError(message, argument=name) from None


def is_dot_segment(value: str) -> bool:
    """Whether ``value``, percent-decoded as often as it changes (a proxy may decode twice), is ``.`` or ``..``."""
    while value not in (".", ".."):
        decoded = unquote(value)
        if decoded == value:
            return False
        value = decoded
    return True


QueryValue = str | int | float | bool | list[str] | tuple[str, ...] | None


def query_string(params: Mapping[str, QueryValue] | None) -> str:
    """``?a=1&b=x%2Cy`` from params, dropping None; lists become one comma-separated value."""
    if not params:
        return ""
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | tuple):
            text = ",".join(value)
        else:
            text = str(value)
        pairs.append(f"{quote(name, safe='')}={quote(text, safe=',')}")
    return "?" + "&".join(pairs) if pairs else ""
