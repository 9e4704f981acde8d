"""Hook events for metrics and tracing: plain values, never the API key or request headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Protocol, TypeVar

import attrs

logger = logging.getLogger("skipcall_async")

E = TypeVar("E")
E_contra = TypeVar("E_contra", contravariant=True)


class Hook(Protocol[E_contra]):
    """An async callable that receives one event: ``async def hook(event) -> None``.

    Hooks are for metrics and tracing. One that raises is logged at WARNING and never fails the request.
    """

    def __call__(self, event: E_contra, /) -> Awaitable[None]: ...


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
class RetryEvent:
    """Passed to ``on_retry``: the attempt that failed, its error, and the sleep before the next one."""

    attempt: int
    error: BaseException
    delay: float


@attrs.frozen(kw_only=True)
class RateLimitWaitEvent:
    """Passed to ``on_rate_limit_wait`` after a request waited ``waited`` seconds for a rate-limit token."""

    method: str
    path: str
    waited: float


async def emit(hook: Hook[E] | None, event: E) -> None:
    """Run a user hook: the one path every hook goes through. A failing hook is logged, never fails the request."""
    if hook is None:
        return
    try:
        await hook(event)
    except Exception:
        logger.warning("hook %r raised on %r", hook, event, exc_info=True)


__all__ = ["Hook", "RateLimitWaitEvent", "RequestEvent", "ResponseEvent", "RetryEvent", "emit"]
