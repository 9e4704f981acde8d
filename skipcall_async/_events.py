"""Hook events for metrics and tracing: plain values, never the API key or request headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from ._retry import RetryEvent

logger = logging.getLogger("skipcall_async")

E = TypeVar("E")
Hook = Callable[[E], Awaitable[None]]


@attrs.frozen(kw_only=True)
class RequestEvent:
    """Passed to ``on_request`` just before an attempt goes on the wire (``attempt`` counts from 1)."""

    method: str
    path: str
    attempt: int


@attrs.frozen(kw_only=True)
class ResponseEvent:
    """Passed to ``on_response`` for every response, errors and 429s included; ``elapsed`` is wire time."""

    method: str
    path: str
    attempt: int
    status: int
    elapsed: float


@attrs.frozen(kw_only=True)
class RateLimitWaitEvent:
    """Passed to ``on_rate_limit_wait`` after a request waited ``waited`` seconds for a rate-limit token."""

    method: str
    path: str
    waited: float


async def emit(hook: Hook[E] | None, event: E) -> None:
    """Run a user hook; a failing hook is logged, never allowed to fail the request."""
    if hook is None:
        return
    try:
        await hook(event)
    except Exception:
        logger.warning("hook %r raised on %r", hook, event, exc_info=True)


__all__ = ["Hook", "RateLimitWaitEvent", "RequestEvent", "ResponseEvent", "RetryEvent", "emit"]
