"""Secrets, wrapped so that they cannot leak through ``repr``, ``str``, logs or tracebacks: the API key and URLs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from typing import Final
from urllib.parse import unquote, unquote_plus, urlsplit

from ._errors import ConfigurationError

API_KEY_ENV: Final = "SKIPCALL_API_KEY"


class ApiKey:
    """Holds the key; prints as a redacted fingerprint, never as the key itself."""

    __slots__ = ("_value", "fingerprint")

    def __init__(self, value: str) -> None:
        self._value = value
        # A short digest identifies the key in the rate-limit registry and in debugging without revealing it.
        self.fingerprint = hashlib.sha256(value.encode()).hexdigest()[:12]

    def digest(self, *context: str) -> str:
        """A one-way digest of the key with ``context`` (24 hex digits): names shared state without storing the key."""
        material = "\0".join(("skipcall-async", *context, self._value)).encode()
        return hashlib.sha256(material).hexdigest()[:24]

    def reveal(self) -> str:
        """The key itself: only the request funnel calls this, to build the Authorization header."""
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(<redacted {self.fingerprint}>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("ApiKey cannot be pickled")


def resolve_api_key(api_key: str | None) -> ApiKey:
    """The key from the argument, else from ``SKIPCALL_API_KEY``; missing or blank is an error now, not a 401 later."""
    value = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if value is None:
        raise ConfigurationError(f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable.")
    if not isinstance(value, str):
        raise ConfigurationError(f"api_key must be a str, not {type(value).__name__}.")
    if not value.strip():
        raise ConfigurationError(f"The API key is blank (argument or {API_KEY_ENV}).")
    if value != value.strip() or any(c in value for c in "\r\n"):
        raise ConfigurationError("The API key has surrounding whitespace or a line break; check how it was loaded.")
    return ApiKey(value)


MASK: Final = "***"


class SecretUrl:
    """A connection URL holding a password: shown with every password form masked, revealed only to connect.

    Redis URLs carry a password in the userinfo (`redis://:pw@host`, `redis://user:pw@host`) or in the query
    (`?password=pw`, for `unix://` sockets too), percent-encoded or not. `shown` masks each of them, and `redact`
    removes every spelling of them (as written, and decoded as redis-py decodes them) from any text, such as
    an error message from the connection.

    A userinfo without a colon (`redis://secret@host`) is masked too: redis-py reads it as a user name, but
    redis-cli reads it as the password.
    """

    __slots__ = ("_secrets", "_value", "shown")

    def __init__(self, value: str) -> None:
        self._value = value
        self.shown, secrets = _masked(value)
        self._secrets = tuple(sorted(secrets, key=len, reverse=True))  # longest first: no partial replacement

    def reveal(self) -> str:
        """The URL itself: only for the connection pool."""
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every form of the URL's passwords replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def __repr__(self) -> str:
        return f"SecretUrl({self.shown!r})"

    def __str__(self) -> str:
        return self.shown

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("SecretUrl cannot be pickled")


def _spellings(raw: str) -> set[str]:
    """A secret as written in a URL and as each decoding of it reads (redis-py has decoded query values twice)."""
    once = unquote(raw)
    return {s for s in (raw, once, unquote(once), unquote_plus(raw), unquote(unquote_plus(raw))) if s}


def _masked(url: str) -> tuple[str, set[str]]:
    """(the URL with its passwords masked, every spelling of those passwords).

    Conservative where the URL is malformed: everything before the last ``@`` counts as userinfo, so a password
    with an unencoded ``/``, ``?`` or ``#`` is masked whole rather than shown in part.
    """
    scheme, sep, rest = url.partition("://")
    prefix = f"{scheme}://" if sep else ""
    rest = rest if sep else url  # no scheme (a mistake, refused by the caller): still masked the same way
    secrets: set[str] = set()
    userinfo, at, rest = rest.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if not colon:
            user, password = "", user  # a lone userinfo may be a password (redis-cli reads it so)
        if password:
            secrets |= _spellings(password)
            userinfo = f"{user}:{MASK}" if colon else MASK
        prefix += f"{userinfo}@"
    rest, hash_sign, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    fields = []
    for field in query.split("&") if query else ():
        name, _, value = field.partition("=")
        if _is_password(name) and value:
            field = f"{name}={MASK}"
        fields.append(field)
    for name, value in _QUERY_FIELD.findall(url):  # every password field, wherever the URL's parts are
        if _is_password(name) and value:
            secrets |= _spellings(value)
    with contextlib.suppress(ValueError):  # the password as redis-py's own parsing finds it, if it differs
        parsed = urlsplit(url).password
        if parsed:
            secrets |= _spellings(parsed)
    return f"{prefix}{rest}{question}{'&'.join(fields)}{hash_sign}{fragment}", secrets


_QUERY_FIELD: Final = re.compile(r"[?&]([^=&#]*)=([^&#]*)")


def _is_password(name: str) -> bool:
    """Whether a query field holds a password (``password``, ``ssl_password``, ...)."""
    return "password" in unquote_plus(name).lower()
