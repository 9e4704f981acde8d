"""Reading the rate-limit headers, ``Retry-After`` and ``Date``: pure functions, garbage in gives None out."""

from __future__ import annotations

import email.utils
import functools
import logging
import math
from collections.abc import Mapping

import attrs

logger = logging.getLogger("skipcall_async")

# X-RateLimit-Reset is "a Unix timestamp" without a unit; its magnitude decides what it is.
_EPOCH_MS_ABOVE = 1e11  # epoch seconds reach 1e11 only in the year 5138
_EPOCH_S_ABOVE = 1e8  # anything smaller is a number of seconds until the reset (1e8 s is three years)


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)  # surrounding whitespace is allowed
    except ValueError:
        logger.debug("ignoring unparsable %s header %r", name, raw)
        return None
    if not math.isfinite(value) or value < 0:
        logger.debug("ignoring out-of-range %s header %r", name, raw)
        return None
    return value


@functools.lru_cache(maxsize=64)
def http_date(value: str | None) -> float | None:
    """An HTTP-date as epoch seconds, or None (cached: every response of the same second repeats it)."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


@attrs.frozen
class RateLimitHeaders:
    """The rate-limit facts of one response; each is None when absent or unreadable.

    The reset comes either as ``reset_epoch`` (server epoch seconds, from epoch seconds or milliseconds) or
    as ``reset_after`` (seconds from the response to the reset), decided by the value's magnitude.
    ``server_date`` is the response's ``Date`` as epoch seconds (1-second resolution).
    """

    limit: int | None = None
    remaining: int | None = None
    reset_epoch: float | None = None
    reset_after: float | None = None
    server_date: float | None = None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateLimitHeaders:
        """Read the headers of one response."""
        limit = _number(headers, "X-RateLimit-Limit")
        remaining = _number(headers, "X-RateLimit-Remaining")
        reset = _number(headers, "X-RateLimit-Reset")
        reset_epoch = reset_after = None
        if reset is not None and reset > _EPOCH_S_ABOVE:
            reset_epoch = reset / 1000.0 if reset > _EPOCH_MS_ABOVE else reset
        else:
            reset_after = reset
        return cls(  # positionally: this runs for every response
            int(limit) if limit is not None and limit >= 1 else None,
            None if remaining is None else int(remaining),
            reset_epoch,
            reset_after,
            http_date(headers.get("Date")),
        )


def retry_after(headers: Mapping[str, str], *, local_now: float) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds (fractions accepted) or an HTTP-date; None if unusable."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    value = _number(headers, "Retry-After")
    if value is not None:
        return value
    when = http_date(raw)
    if when is None:
        logger.debug("ignoring unparsable Retry-After header %r", raw)
        return None
    date = http_date(headers.get("Date"))
    return max(0.0, when - (date if date is not None else local_now))
