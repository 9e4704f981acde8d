"""What every command needs to build its client: the key, the base URL, the timeout, the bounds on waits and sizes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from .._base_client import DEFAULT_MAX_RESPONSE_BYTES
from .._client import SkipcallClient
from .._pacing.policy import RateLimitPolicy

KEY_VARIABLE = "SKIPCALL_API_KEY"


class SettingsError(Exception):
    """A setting the command cannot work with (a usage error, exit code 2); the message never holds the key."""


@attrs.frozen(kw_only=True)
class Settings:
    """The connection options of one command.

    Attributes:
        api_key_file: A file holding the key; None: the key comes from ``SKIPCALL_API_KEY``.
        base_url: The API root; None: ``SKIPCALL_BASE_URL``, else the production API (the library decides).
        timeout: Seconds for one HTTP exchange.
        max_rate_limit_wait: Longest wait for a rate-limit token before the command fails.
        rate_limit_window: The plan's rate-limit window in seconds, when known; None: learned from the headers.
        max_response_bytes: The largest response body read; None: no limit.
        verbose: Whether the SDK's log is shown.
    """

    api_key_file: Path | None = None
    base_url: str | None = None
    timeout: float = 30.0
    max_rate_limit_wait: float = 300.0
    rate_limit_window: float | None = None
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES
    verbose: bool = False

    def api_key(self) -> str:
        """The key, from the file or the environment; `SettingsError` naming where it looked when there is none."""
        if self.api_key_file is not None:
            try:
                key = self.api_key_file.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise SettingsError(f"cannot read --api-key-file {self.api_key_file}: {error.strerror}") from None
            if not key:
                raise SettingsError(f"--api-key-file {self.api_key_file} is empty")
            return key
        key = os.environ.get(KEY_VARIABLE, "").strip()
        if not key:
            raise SettingsError(f"no API key: set {KEY_VARIABLE} or pass --api-key-file FILE")
        return key

    def client(self, **hooks: Any) -> SkipcallClient:
        """A client with these settings and the given hooks (``on_response=...``, ...)."""
        return SkipcallClient(
            self.api_key(),
            base_url=self.base_url,
            timeout=self.timeout,
            max_rate_limit_wait=self.max_rate_limit_wait,
            max_response_bytes=self.max_response_bytes,
            rate_limiting=None if self.rate_limit_window is None else RateLimitPolicy(window=self.rate_limit_window),
            **hooks,
        )
