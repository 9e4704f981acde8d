"""Client lifecycle and the one request funnel every operation goes through.

``_request``: governor token -> concurrency slot -> transport -> governor.observe -> decode, the whole run
retried by the policy. Operations (in ``_resources``) only say method, path, parameters and model.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, NamedTuple, Self, TypeVar

import aiohttp
import cattrs

from ._converter import structure_hook
from ._decode import api_error, decode_json
from ._errors import ClientClosedError, ConfigurationError, DecodeError, RateLimitError, SkipcallError
from ._events import Hook, RateLimitWaitEvent, RequestEvent, ResponseEvent, emit
from ._governor import PLAN_WINDOW, RateLimitStore
from ._headers import RateLimitHeaders, retry_after
from ._limiter import RateLimiter, RateLimitSnapshot, default_store, shared_limiter
from ._models import Page
from ._pagination import to_page
from ._retry import IDEMPOTENT_METHODS, RetryEvent, RetryPolicy, run_with_retries
from ._secret import resolve_api_key
from ._slots import Slots
from ._transport import AiohttpTransport, HttpRequest, HttpResponse
from ._urls import QueryValue, normalize_base_url, query_string, resolve_base_url
from ._version import __version__

logger = logging.getLogger("skipcall_async")

T = TypeVar("T")

USER_AGENT = f"skipcall-async/{__version__}"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RATE_LIMIT_WAIT = 300.0


class ApiResponse(NamedTuple):
    """A successful response: status, headers and the decoded JSON (None for an empty body)."""

    status: int
    headers: Any
    data: Any


class BaseClient:
    """Configuration, lifecycle and the request funnel; the operations are mixed in by ``SkipcallClient``."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        max_connections: int | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: int | None = None,
        rate_limit_probe: int = 1,
        rate_limit_window: float = PLAN_WINDOW,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        rate_limit_store: Callable[[], RateLimitStore] | None = None,
        on_request: Hook[RequestEvent] | None = None,
        on_response: Hook[ResponseEvent] | None = None,
        on_retry: Hook[RetryEvent] | None = None,
        on_rate_limit_wait: Hook[RateLimitWaitEvent] | None = None,
    ) -> None:
        self._key = resolve_api_key(api_key)
        self._base_url = normalize_base_url(resolve_base_url(base_url))
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be positive seconds or None, got {timeout!r}")
        if max_connections is not None and max_connections < 1:
            raise ConfigurationError(f"max_connections must be at least 1, got {max_connections!r}")
        if max_rate_limit_wait < 0:
            raise ConfigurationError(f"max_rate_limit_wait must not be negative, got {max_rate_limit_wait!r}")
        if rate_limit is not None and rate_limit < 1:
            raise ConfigurationError(f"rate_limit must be at least 1 request per minute, got {rate_limit!r}")
        if rate_limit_window <= 0:
            raise ConfigurationError(f"rate_limit_window must be positive seconds, got {rate_limit_window!r}")
        if rate_limit_probe < 1:
            raise ConfigurationError(f"rate_limit_probe must be at least 1, got {rate_limit_probe!r}")
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._max_rate_limit_wait = max_rate_limit_wait
        self._make_store = rate_limit_store or (
            lambda: default_store(probe=rate_limit_probe, rate_limit=rate_limit, window=rate_limit_window)
        )
        self._transport = AiohttpTransport(
            session=session, **({"connections": max_connections} if max_connections else {})
        )
        self._slots = Slots(max_connections or self._transport.connections)
        self._limiter: RateLimiter | None = None
        self._closed = False
        self._on_request = on_request
        self._on_response = on_response
        self._on_retry = on_retry
        self._on_rate_limit_wait = on_rate_limit_wait

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new SkipcallClient")
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session if the client created it (a session passed in stays open). Idempotent."""
        self._closed = True
        await self._transport.aclose()

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has been called."""
        return self._closed

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._base_url

    @property
    def rate_limit(self) -> RateLimitSnapshot:
        """An immutable snapshot of this key's rate-limit state (shared by every client on the key)."""
        return self._get_limiter().snapshot()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={self._key!r}, {state})"

    def _get_limiter(self) -> RateLimiter:
        if self._limiter is None:
            self._limiter = shared_limiter(self._base_url, self._key.fingerprint, self._make_store)
        return self._limiter

    # -- the funnel --------------------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        decode: Callable[[ApiResponse], T],
        *,
        params: Mapping[str, QueryValue] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> T:
        """Send one API call through the governor, the concurrency cap and the retry policy; ``decode`` the result."""
        if self._closed:
            raise ClientClosedError("the client is closed; create a new SkipcallClient")
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "Authorization": f"Bearer {self._key.reveal()}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        url = self._base_url + path
        if params:
            url += query_string(params)
        request = HttpRequest(method, url, headers, payload)
        deadline = math.inf if self._retry.deadline is None else self._clock() + self._retry.deadline
        try:  # the first attempt is awaited directly: no retry machinery on the path most calls take
            response = await self._attempt(request, path, 1, first=False, deadline=deadline)
        except SkipcallError as error:
            safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
            response = await self._retry_attempts(request, path, error, idempotent=safe, deadline=deadline)
        return decode(response)

    async def _retry_attempts(
        self, request: HttpRequest, path: str, first_error: SkipcallError, *, idempotent: bool, deadline: float
    ) -> ApiResponse:
        """Attempts after a failed first one, as long as the policy says the failure is worth retrying."""
        attempts = 1

        async def attempt(previous: BaseException | None) -> ApiResponse:
            nonlocal attempts
            attempts += 1
            first = isinstance(previous, RateLimitError)  # a request the server rejected re-enters the queue first
            return await self._attempt(request, path, attempts, first=first, deadline=deadline)

        return await run_with_retries(
            attempt,
            self._retry,
            idempotent=idempotent,
            sleep=asyncio.sleep,
            on_retry=self._on_retry,
            first_error=first_error,
            clock=self._clock,
            deadline_at=None if math.isinf(deadline) else deadline,
        )

    async def _attempt(
        self, request: HttpRequest, path: str, number: int, *, first: bool, deadline: float
    ) -> ApiResponse:
        limiter = self._get_limiter()
        if first or not limiter.try_acquire():
            give_up_at = min(limiter.clock() + self._max_rate_limit_wait, deadline)
            waited = await limiter.acquire(first=first, give_up_at=give_up_at)
            if waited > 0:
                logger.debug("%s %s waited %.3f s for the rate limit", request.method, path, waited)
                if self._on_rate_limit_wait is not None:
                    waiting = RateLimitWaitEvent(method=request.method, path=path, waited=waited)
                    await emit(self._on_rate_limit_wait, waiting)
        try:
            if not self._slots.try_acquire():  # held only for the HTTP exchange: the timeout starts after
                await self._slots.wait()
            try:
                if self._on_request is not None:  # events are only built for a hook that listens
                    await emit(self._on_request, RequestEvent(method=request.method, path=path, attempt=number))
                timeout = self._timeout
                if deadline != math.inf:
                    timeout = _min_timeout(timeout, deadline - self._clock())
                started = self._clock() if self._on_response is not None else 0.0  # the clock is read when needed
                response = await self._transport.send(request, timeout=timeout)
            finally:
                self._slots.release()
        except BaseException:
            limiter.release()
            raise
        if self._on_response is not None:
            event = ResponseEvent(
                method=request.method,
                path=path,
                attempt=number,
                status=response.status,
                elapsed=self._clock() - started,
            )
            await emit(self._on_response, event)
        return self._finish(limiter, request, path, response)

    def _clock(self) -> float:
        """The limiter's monotonic clock, shared by deadlines and timeouts."""
        return self._get_limiter().clock()

    def _finish(self, limiter: RateLimiter, request: HttpRequest, path: str, response: HttpResponse) -> ApiResponse:
        """Feed the governor, then turn the response into JSON or the typed error."""
        status, headers = response.status, response.headers
        rate_headers = RateLimitHeaders.parse(headers)
        wait = retry_after(headers, local_now=time.time()) if status == 429 else None
        limiter.observe(rate_headers, status=status, retry_after=wait)
        if not 200 <= status < 300:
            if status == 429:
                logger.info("%s %s got 429; the gate is closed for this key", request.method, path)
                if wait is None:
                    wait = rate_headers.reset_after
            raise api_error(status, headers, response.body, retry_after=wait)
        return ApiResponse(status, headers, decode_json(status, response.body))

    # -- decoding helpers for operations ------------------------------------------------------------------------

    def _get_model(
        self, method: str, path: str, model: type[T], *, empty_ok: bool = False, **kwargs: Any
    ) -> Coroutine[Any, Any, T]:
        """The call, decoded into ``model``; ``empty_ok`` reads an empty body as ``{}`` (undocumented bodies).

        A plain function returning the funnel's coroutine, so that operations await the funnel directly.
        """
        return self._request(method, path, _model_decoder(model, empty_ok=empty_ok), **kwargs)

    def _get_page(
        self, path: str, item_model: type[T], params: Mapping[str, QueryValue]
    ) -> Coroutine[Any, Any, Page[T]]:
        """One page of ``item_model``."""
        return self._request("GET", path, _page_decoder(item_model), params=params)


def no_result(response: ApiResponse) -> None:
    """The decoder of operations that return nothing (their body, if any, is not read)."""


_model_decoders: dict[tuple[type, bool], Callable[[ApiResponse], Any]] = {}
_page_decoders: dict[type, Callable[[ApiResponse], Any]] = {}


def _model_decoder(model: type[T], *, empty_ok: bool) -> Callable[[ApiResponse], T]:
    """``response -> model``, built once per model."""
    decoder = _model_decoders.get((model, empty_ok))
    if decoder is None:
        hook, what = structure_hook(model), model.__name__

        def decoder(response: ApiResponse) -> T:
            data = {} if response.data is None and empty_ok else response.data
            return _decode_as(response.status, data, hook, what)

        _model_decoders[(model, empty_ok)] = decoder
    return decoder


def _page_decoder(item_model: type[T]) -> Callable[[ApiResponse], Page[T]]:
    """``response -> Page[item_model]``, built once per item model."""
    decoder = _page_decoders.get(item_model)
    if decoder is None:
        what = f"a page of {item_model.__name__}"

        def decode_page(data: Any) -> Page[T]:
            return to_page(data, item_model)

        def decoder(response: ApiResponse) -> Page[T]:
            return _decode_as(response.status, response.data, decode_page, what)

        _page_decoders[item_model] = decoder
    return decoder


def _min_timeout(timeout: float | None, remaining: float) -> float:
    return max(0.0, remaining if timeout is None else min(timeout, remaining))


def _decode_as(status: int, data: Any, decode: Callable[[Any], T], what: str) -> T:
    try:
        return decode(data)
    except (TypeError, ValueError, KeyError, AttributeError, cattrs.BaseValidationError) as exc:
        raise DecodeError(f"Response does not match {what}: {exc}", status=status, body=json.dumps(data)) from exc
