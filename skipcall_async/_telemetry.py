"""Everything that watches a call, behind one object per call: the hooks, the log lines and OpenTelemetry.

The funnel makes one call here at each point of interest: an attempt about to be sent, its response (or the
error that took its place), a wait for a rate-limit token, a retry; ``CallObserver.run`` wraps the call for its
start and its end. ``observe`` returns None when nothing listens (no hook, the ``skipcall_async`` logger below
INFO, no OpenTelemetry SDK configured): the funnel then builds no event, reads no extra clock and does nothing
else for it. The running call's observer is found through a context variable, so the funnel's signatures carry
nothing for it.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Coroutine, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from . import _otel
from ._errors import SkipcallError
from ._events import FailureEvent, Hook, RateLimitWaitEvent, RequestEvent, ResponseEvent, RetryEvent, emit
from ._logs import WaitSummary, log_failure, log_rejected, log_request, log_retry, logger
from ._priority import lane_of
from ._retry import RetryObserver

if TYPE_CHECKING:
    from ._pacing.limiter import RateLimiter, RateLimitSnapshot
    from ._pacing.settings import Lane
    from ._routes import Route
    from ._secret import ApiKey

T = TypeVar("T")

_current: ContextVar[CallObserver | None] = ContextVar("skipcall_async_call_observer", default=None)
current_observer = _current.get


class Observed(Protocol):
    """What the observer reads of a client (``BaseClient`` is one)."""

    _on_request: Hook[RequestEvent] | None
    _on_response: Hook[ResponseEvent] | None
    _on_retry: Hook[RetryEvent] | None
    _on_rate_limit_wait: Hook[RateLimitWaitEvent] | None
    _on_failure: Hook[FailureEvent] | None
    _hooked: bool
    _priority: Lane | None

    _key: ApiKey
    _parent: Any  # the client a view was made from, or None

    @property
    def closed(self) -> bool: ...

    @property
    def rate_limit(self) -> RateLimitSnapshot: ...

    @property
    def base_url(self) -> str: ...

    def _get_limiter(self) -> RateLimiter: ...


def observe(client: Observed, route: Route, path: str) -> CallObserver | None:
    """The observer of one call, or None when nothing listens (the cheapest questions first)."""
    signals = _otel.signals()
    if signals is None and not client._hooked and not logger.isEnabledFor(logging.INFO):
        return None
    return CallObserver(client, route, path, signals)


def retry_observer() -> RetryObserver | None:
    """What ``run_with_retries`` tells of each retry: the running call's observer, if it has one."""
    observer = _current.get()
    return None if observer is None else observer.retrying


_summaries: weakref.WeakKeyDictionary[RateLimiter, WaitSummary] = weakref.WeakKeyDictionary()


def _summary_of(limiter: RateLimiter) -> WaitSummary:
    summary = _summaries.get(limiter)
    if summary is None:
        held = weakref.ref(limiter)  # the summary must not keep its key's limiter alive

        def waiting() -> int:
            alive = held()
            return 0 if alive is None else alive.snapshot().waiting

        summary = _summaries[limiter] = WaitSummary(waiting)
    return summary


class CallObserver:
    """One call's hooks, log lines and telemetry."""

    __slots__ = (
        "_fields",
        "_pending_wait",
        "_started",
        "_telemetry",
        "client",
        "lane",
        "path",
        "rejections",
        "route",
        "sends",
        "status",
        "waited",
    )

    def __init__(self, client: Observed, route: Route, path: str, signals: _otel.Signals | None) -> None:
        self.client = client
        self.route = route
        self.path = path
        self.lane: Lane = lane_of(client._priority)
        self.sends = 0
        self.status: int | None = None
        self.waited = 0.0  # the call's rate-limit waits, together
        self._pending_wait = 0.0  # the wait of the attempt about to be sent
        self.rejections = 0
        self._fields = {"operation": route.operation, "method": route.method, "route": route.template, "path": path}
        self._started = time.monotonic()
        self._telemetry: _otel.CallTelemetry | None = None
        if signals is not None:
            host, port = _otel.server_of(client.base_url)
            attributes = {
                "http.request.method": route.method,
                "server.address": host,
                "server.port": port,
                "url.template": route.template,
            }
            self._telemetry = _otel.CallTelemetry(signals, attributes, route.operation, self.lane)

    async def run(self, call: Coroutine[Any, Any, T]) -> T:
        """Await the funnel's coroutine as this observer's call: current while it runs, told how it ended."""
        token = _current.set(self)
        telemetry = self._telemetry
        span_token = None if telemetry is None else telemetry.enter()
        try:
            result = await call
        except BaseException as error:
            await self._ended(error)
            raise
        finally:
            if telemetry is not None:
                telemetry.exit(span_token)
            _current.reset(token)
        await self._ended(None)
        return result

    # -- the points of interest, in the order a call meets them ----------------------------------------------------

    async def waited_for_token(self, waited: float, lane: Lane, limiter: RateLimiter) -> None:
        """A task waited ``waited`` seconds for a rate-limit token of ``lane``."""
        self.waited += waited
        self._pending_wait += waited
        if self._telemetry is not None:
            self._telemetry.waited(waited, lane, self.sends + 1)
        if logger.isEnabledFor(logging.INFO):
            _summary_of(limiter).add(waited, lane)
        hook = self.client._on_rate_limit_wait
        if hook is not None:
            event = RateLimitWaitEvent(
                method=self.route.method,
                path=self.path,
                waited=waited,
                lane=lane,
                operation=self.route.operation,
                route=self.route.template,
            )
            await emit(hook, event)

    async def sending(self, headers: Mapping[str, str], url: str, attempt: int) -> None:
        """Attempt ``attempt`` holds its token and is about to take a connection slot and go."""
        self.sends = attempt
        if self._telemetry is not None:
            self._telemetry.sending(headers, url, attempt, self._pending_wait)
        hook = self.client._on_request
        if hook is not None:
            event = RequestEvent(
                method=self.route.method,
                path=self.path,
                attempt=attempt,
                operation=self.route.operation,
                route=self.route.template,
            )
            await emit(hook, event)

    async def answered(self, attempt: int, status: int, elapsed: float, retry_after: float | None) -> None:
        """A response to attempt ``attempt`` (any status), ``elapsed`` seconds after it held a connection slot."""
        self.status = status
        waited, self._pending_wait = self._pending_wait, 0.0
        if self._telemetry is not None:
            self._telemetry.answered(status, elapsed, retry_after, attempt)
            if self._telemetry._meters is not None:
                client = self.client._parent or self.client  # a view reports its client's key
                _otel.watch_client(client, client.base_url, client._key.fingerprint)
        if logger.isEnabledFor(logging.DEBUG):
            log_request(self._fields, attempt, status, elapsed, waited, self.path)
        if status == 429:
            self.rejections += 1
            if logger.isEnabledFor(logging.INFO):
                log_rejected(self._fields, attempt, retry_after)
        hook = self.client._on_response
        if hook is not None:
            event = ResponseEvent(
                method=self.route.method,
                path=self.path,
                attempt=attempt,
                status=status,
                elapsed=elapsed,
                operation=self.route.operation,
                route=self.route.template,
            )
            await emit(hook, event)

    def unanswered(self, attempt: int, error: BaseException, elapsed: float) -> None:
        """Attempt ``attempt`` went (or tried to) and got no response: ``error`` took its place."""
        waited, self._pending_wait = self._pending_wait, 0.0
        if self._telemetry is not None:
            self._telemetry.unanswered(error, elapsed)
        if logger.isEnabledFor(logging.DEBUG):
            log_request(self._fields, attempt, type(error).__name__, elapsed, waited, self.path)

    async def retrying(self, attempt: int, error: BaseException, delay: float) -> None:
        """Attempt ``attempt`` failed with ``error``; another follows after ``delay`` seconds."""
        if self._telemetry is not None:
            self._telemetry.retrying(attempt, error, delay)
        if logger.isEnabledFor(logging.INFO):
            log_retry(self._fields, attempt, error, delay)
        hook = self.client._on_retry
        if hook is not None:
            event = RetryEvent(
                method=self.route.method,
                path=self.path,
                attempt=attempt,
                error=error,
                delay=delay,
                operation=self.route.operation,
                route=self.route.template,
            )
            await emit(hook, event)

    async def _ended(self, error: BaseException | None) -> None:
        elapsed = time.monotonic() - self._started
        if self._telemetry is not None:
            self._telemetry.end(
                operation=self.route.operation,
                lane=self.lane,
                status=self.status,
                error=error,
                attempts=self.sends,
                waited=self.waited,
                rejections=self.rejections,
                elapsed=elapsed,
            )
        if not isinstance(error, SkipcallError):
            return  # a success, or not the call's failure (a cancellation, a bug): no failure event
        log_failure(self._fields, self.sends, error, elapsed)
        hook = self.client._on_failure
        if hook is not None:
            event = FailureEvent(
                method=self.route.method,
                path=self.path,
                error=error,
                attempts=self.sends,
                status=self.status,
                elapsed=elapsed,
                operation=self.route.operation,
                route=self.route.template,
            )
            await emit(hook, event)


__all__ = ["CallObserver", "current_observer", "observe", "retry_observer"]
