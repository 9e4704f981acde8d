"""Hook events for metrics and tracing: plain values, never the API key or request headers.

Every event names the operation (`get_call`) and its route template (`/v1/calls/{id}`): a label with one value
per operation, where `path` holds one per resource.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Literal, Protocol, TypeVar

import attrs

logger = logging.getLogger("skipcall_async")

E = TypeVar("E")
E_contra = TypeVar("E_contra", contravariant=True)


class Hook(Protocol[E_contra]):
    """An async callable that receives one event: `async def hook(event) -> None`.

    Hooks are for metrics and tracing; pass them to [`SkipcallClient`][skipcall_async.SkipcallClient] as
    `on_request`, `on_response`, `on_retry`, `on_rate_limit_wait` and `on_failure`. One that raises is logged at
    WARNING and never fails the request.
    """

    def __call__(self, event: E_contra, /) -> Awaitable[None]: ...


@attrs.frozen(kw_only=True)
class RequestEvent:
    """Passed to `on_request` just before an attempt goes on the wire.

    Attributes:
        method: The HTTP method.
        path: The request path, such as `/v1/calls/123` (no query string).
        attempt: Which attempt this is, counting from 1.
        operation: The client method that made the call, such as `get_call`.
        route: The path's template, such as `/v1/calls/{id}`.
    """

    method: str
    path: str
    attempt: int
    operation: str
    route: str


@attrs.frozen(kw_only=True)
class ResponseEvent:
    """Passed to `on_response` for every response, errors and 429s included.

    Attributes:
        method: The HTTP method.
        path: The request path (no query string).
        attempt: Which attempt this is, counting from 1.
        status: The HTTP status.
        elapsed: Seconds on the wire, from when the request held a connection slot (rate-limit waits excluded).
        operation: The client method that made the call, such as `get_call`.
        route: The path's template, such as `/v1/calls/{id}`.
    """

    method: str
    path: str
    attempt: int
    status: int
    elapsed: float
    operation: str
    route: str


@attrs.frozen(kw_only=True)
class RetryEvent:
    """Passed to `on_retry` when an attempt failed and another one will follow.

    Attributes:
        method: The HTTP method.
        path: The request path (no query string).
        attempt: The attempt that failed, counting from 1.
        error: What it raised.
        delay: Seconds of sleep before the next attempt.
        operation: The client method that made the call, such as `get_call`.
        route: The path's template, such as `/v1/calls/{id}`.
    """

    method: str
    path: str
    attempt: int
    error: BaseException
    delay: float
    operation: str
    route: str


@attrs.frozen(kw_only=True)
class RateLimitWaitEvent:
    """Passed to `on_rate_limit_wait` after a request had to wait for a rate-limit token.

    Attributes:
        method: The HTTP method.
        path: The request path (no query string).
        waited: Seconds the request waited.
        lane: The lane it waited in: `"interactive"` or `"bulk"` (see [`priority`][skipcall_async.priority]).
        operation: The client method that made the call, such as `get_call`.
        route: The path's template, such as `/v1/calls/{id}`.
    """

    method: str
    path: str
    waited: float
    operation: str
    route: str
    lane: Literal["interactive", "bulk"] = "interactive"


@attrs.frozen(kw_only=True)
class FailureEvent:
    """Passed to `on_failure` once when a call fails for good: no retry follows, the error is raised next.

    Attributes:
        method: The HTTP method.
        path: The request path (no query string).
        error: What the call raises.
        attempts: Requests sent for the call (0 if none left, such as when the rate-limit wait was too long).
        status: The status of the last response, or None if none came (a connection error, a local refusal).
        elapsed: Seconds from the call's start, rate-limit waits and retries included.
        operation: The client method that made the call, such as `get_call`.
        route: The path's template, such as `/v1/calls/{id}`.
    """

    method: str
    path: str
    error: BaseException
    attempts: int
    status: int | None
    elapsed: float
    operation: str
    route: str


async def emit(hook: Hook[E] | None, event: E) -> None:
    """Run a user hook: the one path every hook goes through. A failing hook is logged, never fails the request."""
    if hook is None:
        return
    try:
        await hook(event)
    except Exception:
        logger.warning("hook %r raised on %r", hook, event, exc_info=True)


__all__ = ["FailureEvent", "Hook", "RateLimitWaitEvent", "RequestEvent", "ResponseEvent", "RetryEvent", "emit"]
