"""Base-URL checks and path building: ids become exactly one percent-encoded path segment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote, urlsplit

from ._errors import ConfigurationError

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
    """Percent-encode ``value`` as one path segment; ``/``, ``?``, ``#`` and dot segments cannot escape it."""
    if isinstance(value, str) and _PLAIN_SEGMENT.fullmatch(value) and value != "." and value != "..":
        return value  # the common case (uuids): nothing to encode, nothing to reject
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    try:
        encoded = quote(value, safe="")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{name} is not valid text: it holds a lone surrogate at index {exc.start}") from None
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


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
