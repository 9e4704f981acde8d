"""The API key, wrapped so that it cannot leak through ``repr``, ``str``, logs or tracebacks."""

from __future__ import annotations

import hashlib
import os
from typing import Final

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
