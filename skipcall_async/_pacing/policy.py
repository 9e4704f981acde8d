"""How a key's requests are paced: a frozen policy, validated once, like `RetryPolicy` for retries."""

from __future__ import annotations

from typing import Any

import attrs

from .._errors import ConfigurationError
from .settings import PLAN_WINDOW, Settings
from .stores import RateLimitStore


def _positive_or_none(_: object, attribute: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None and not value > 0:
        raise ConfigurationError(f"RateLimitPolicy.{attribute.name} must be positive seconds or None, got {value!r}")


def _a_share(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ConfigurationError(f"RateLimitPolicy.{attribute.name} must be a share from 0 to below 1, got {value!r}")


def _at_least_one_or_none(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigurationError(f"RateLimitPolicy.{attribute.name} must be an int of at least 1, got {value!r}")


@attrs.frozen(kw_only=True)
class RateLimitPolicy:
    """How requests on one API key are paced; pass it as `SkipcallClient(rate_limiting=...)`.

    Frozen and checked when built. Every client on the key shares one pacing state: in a process, the first
    client that sends on a key configures it, later clients share it.

    Attributes:
        limit: The plan's requests per window (100 or 1000), if known. The first window's requests then go
            out at once instead of after a one-request probe. None (the default): learn it from the first response.
        window: The plan's window in seconds, trusted as stated. None (the default): the documented minute is the
            longest window believed on a successful response, and a shorter one is learned from the headers.
        probe: Requests sent while the key's quota is unknown (at start, after a reset, after a 429). Default 1.
        interactive_reserve: The share of each window held back for interactive calls: bulk calls (see
            [`priority`][skipcall_async.priority]) may not take it, except as the window runs out (the reserve
            shrinks with the time left in the window, so bulk has spent it by the window's end). Default 0.1:
            an interactive call arriving mid-window finds room while bulk work saturates the key. Its cost: bulk
            runs up to that share behind early in each window (never over a whole window), and a window whose
            end is known only roughly may leave a token of it unused. 0: no reserve.
        store: Where the pacing state lives: an [`InProcessRateLimitStore`][skipcall_async.InProcessRateLimitStore]
            (this process only) or a [`RedisRateLimitStore`][skipcall_async.RedisRateLimitStore] (every process of
            a fleet). None (the default): Redis if the environment variable `SKIPCALL_REDIS_URL` is set, else
            in-process.

    Raises:
        ConfigurationError: `limit` or `probe` is not an int of at least 1, `window` is not positive, or
            `interactive_reserve` is not a share from 0 to below 1.
    """

    limit: int | None = attrs.field(default=None, validator=_at_least_one_or_none)
    window: float | None = attrs.field(default=None, validator=_positive_or_none)
    probe: int = attrs.field(default=1, validator=_at_least_one_or_none)
    interactive_reserve: float = attrs.field(default=0.1, validator=_a_share)
    store: RateLimitStore | None = None

    @property
    def plan_window(self) -> float:
        """The longest window believed, in seconds: the stated one, else the documented minute."""
        return self.window if self.window is not None else PLAN_WINDOW

    def _settings(self) -> Settings:
        """What the rules read of this policy."""
        return Settings(
            probe=self.probe,
            assumed_limit=self.limit,
            window=self.plan_window,
            stated_window=self.window,
            reserve_share=self.interactive_reserve,
        )
