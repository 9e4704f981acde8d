"""Reading the rate-limit headers, ``Retry-After`` and ``Date``: pure functions, garbage in gives None out."""

from __future__ import annotations

import email.utils
import functools
import logging
import math
from collections.abc import Mapping

import attrs

from .ietf import ietf_policies

logger = logging.getLogger("skipcall_async")

# X-RateLimit-Reset is "a Unix timestamp" without a unit; its magnitude decides what it is.
_EPOCH_MS_ABOVE = 1e11  # epoch seconds reach 1e11 only in the year 5138
_EPOCH_S_ABOVE = 1e8  # anything smaller is a number of seconds until the reset (1e8 s is three years)


def _number(raw: str | None, name: str) -> float | None:
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


_PREFIX = "x-ratelimit-"
_FIELDS = ("limit", "remaining", "reset")
_DEFAULT = "default"  # the name of the unsuffixed family (@nestjs/throttler leaves its "default" throttler so)


@attrs.frozen
class RateLimitHeaders:
    """The rate-limit facts of one response; each is None when absent or unreadable.

    The reset comes either as ``reset_epoch`` (server epoch seconds, from epoch seconds or milliseconds) or
    as ``reset_after`` (seconds from the response to the reset), decided by the value's magnitude.
    ``server_date`` is the response's ``Date`` as epoch seconds (1-second resolution).

    A server that enforces several limits at once names each one by a suffix: ``X-RateLimit-Remaining-short``
    and ``X-RateLimit-Remaining-long`` (as @nestjs/throttler does for named throttlers). The unsuffixed headers
    are this object's own fields; each suffixed family is in ``named``, under its suffix (lower case), with the
    same fields. Every family is a limit of its own: a request must fit all of them.

    The IETF fields (``RateLimit-Limit``/``-Remaining``/``-Reset``, ``RateLimit``, ``RateLimit-Policy``, every
    draft servers send today) are read too: each policy they state is a family, named ``"ietf"`` (one unnamed
    limit) or by its policy name; ``window`` is the window ``RateLimit-Policy`` gives it (``w``). When the
    unsuffixed ``X-RateLimit-*`` headers state the same limit and remaining as an IETF family, they are one
    limit, sent twice: it is read once, from the IETF fields. Without ``X-RateLimit-*`` headers, this object's
    own fields are those of the first IETF family, and ``name`` says which.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_epoch: float | None = None
    reset_after: float | None = None
    server_date: float | None = None
    named: tuple[tuple[str, RateLimitHeaders], ...] = ()
    window: float | None = None
    name: str = _DEFAULT

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateLimitHeaders:
        """Read the headers of one response."""
        legacy = _family(headers.get("X-RateLimit-Limit"), headers.get("X-RateLimit-Remaining"),
                         headers.get("X-RateLimit-Reset"))  # fmt: skip
        date, named = http_date(headers.get("Date")), _named_families(headers)
        policies = ietf_policies(headers)
        if not policies:  # positionally: this runs for every response
            return cls(*legacy, date, named)
        ietf = [cls(p.limit, p.remaining, *_reset(p.reset_after), None, (), p.window, p.name) for p in policies]
        if legacy == (None, None, None, None):
            primary, *others = ietf
            return attrs.evolve(primary, server_date=date, named=(*named, *((f.name, f) for f in others)))
        twin = next((f for f in ietf if (f.limit, f.remaining) == legacy[:2]), None)
        if twin is not None:  # the same limit, sent in both forms: read once, from the IETF fields
            others = [f for f in ietf if f is not twin]
            return attrs.evolve(twin, server_date=date, name=_DEFAULT,
                                named=(*named, *((f.name, f) for f in others)))  # fmt: skip
        return cls(*legacy, date, (*named, *((f.name, f) for f in ietf)))

    @property
    def families(self) -> tuple[tuple[str, RateLimitHeaders], ...]:
        """Every limit the response describes, as (name, headers): ``"default"`` for the unsuffixed one."""
        if self.limit is None and self.remaining is None and self.reset_epoch is None and self.reset_after is None:
            return self.named
        return ((self.name, self), *self.named)


def _family(
    raw_limit: str | None, raw_remaining: str | None, raw_reset: str | None
) -> tuple[int | None, int | None, float | None, float | None]:
    limit = _number(raw_limit, "X-RateLimit-Limit")
    remaining = _number(raw_remaining, "X-RateLimit-Remaining")
    return (
        int(limit) if limit is not None and limit >= 1 else None,
        None if remaining is None else int(remaining),
        *_reset(_number(raw_reset, "X-RateLimit-Reset")),
    )


def _reset(reset: float | None) -> tuple[float | None, float | None]:
    """(epoch, seconds until) from a reset value, by its magnitude."""
    if reset is not None and reset > _EPOCH_S_ABOVE:
        return (reset / 1000.0 if reset > _EPOCH_MS_ABOVE else reset), None
    return None, reset


def _named_families(headers: Mapping[str, str]) -> tuple[tuple[str, RateLimitHeaders], ...]:
    """The suffixed families (``X-RateLimit-Limit-<name>`` ...), in the order their first header came."""
    found: dict[str, dict[str, str]] = {}
    for name in headers:
        if len(name) <= 17 or name[:12].lower() != _PREFIX:  # shortest: x-ratelimit-limit-x
            continue
        field, _, suffix = name[12:].lower().partition("-")
        if suffix and field in _FIELDS:
            found.setdefault(suffix, {})[field] = headers[name]
    if not found:
        return ()
    return tuple(
        (suffix, RateLimitHeaders(*_family(raw.get("limit"), raw.get("remaining"), raw.get("reset"))))
        for suffix, raw in found.items()
    )


def retry_after(headers: Mapping[str, str], *, local_now: float) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds (fractions accepted) or an HTTP-date; None if unusable.

    A server enforcing named limits may send ``Retry-After-<name>`` instead (@nestjs/throttler does for a named
    throttler that refused the request); the longest usable wait among all of them is the answer.
    """
    waits = [_retry_after_value(raw, headers, local_now) for raw in _retry_after_headers(headers)]
    usable = [wait for wait in waits if wait is not None]
    return max(usable) if usable else None


def _retry_after_headers(headers: Mapping[str, str]) -> list[str]:
    plain = headers.get("Retry-After")
    found = [] if plain is None else [plain]
    for name in headers:
        if len(name) > 12 and name[:12].lower() == "retry-after-":
            found.append(headers[name])
    return found


def _retry_after_value(raw: str, headers: Mapping[str, str], local_now: float) -> float | None:
    value = _number(raw, "Retry-After")
    if value is not None:
        return value
    when = http_date(raw)
    if when is None:
        logger.debug("ignoring unparsable Retry-After header %r", raw)
        return None
    date = http_date(headers.get("Date"))
    return max(0.0, when - (date if date is not None else local_now))
