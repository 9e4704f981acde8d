"""Client lifecycle and the one request funnel every operation goes through.

``_request``: rate-limit token -> concurrency slot -> transport -> limiter.observe -> decode, the whole run
retried by the policy. Operations (in ``_resources``) only say method, path, parameters and model.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Self, TypeVar

import aiohttp

from . import _otel
from ._decode import ApiResponse, api_error, decode_json, model_decoder, page_decoder
from ._errors import (
    APIConnectionError,
    ClientClosedError,
    ConfigurationError,
    RateLimitWaitError,
    ResponseTooLargeError,
    SkipcallError,
    TooManyRequestsError,
    event_loop_error,
    locate,
)
from ._events import FailureEvent, Hook, RateLimitWaitEvent, RequestEvent, ResponseEvent, RetryEvent
from ._models import Page
from ._pacing.backend import Ticket
from ._pacing.headers import RateLimitHeaders, retry_after
from ._pacing.limiter import RateLimiter, RateLimitSnapshot
from ._pacing.policy import RateLimitPolicy
from ._pacing.resolve import resolve_store
from ._pacing.settings import Lane
from ._priority import Priority, checked_priority, lane_of
from ._raw_response import RawResponse
from ._retry import IDEMPOTENT_METHODS, RetryPolicy, run_with_retries
from ._routes import Route
from ._secret import resolve_api_key
from ._slots import Slots
from ._telemetry import current_observer, observe, retry_observer
from ._transport import AiohttpTransport, HttpRequest
from ._types import NOT_GIVEN, NotGiven
from ._urls import QueryValue, normalize_base_url, query_string, resolve_base_url
from ._version import __version__

T = TypeVar("T")

USER_AGENT = f"skipcall-async/{__version__}"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RATE_LIMIT_WAIT = 300.0
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""16 MiB: over a hundred times a full page of 100 calls, and several times the transcription of a long call."""


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
        rate_limiting: RateLimitPolicy | None = None,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        on_request: Hook[RequestEvent] | None = None,
        on_response: Hook[ResponseEvent] | None = None,
        on_retry: Hook[RetryEvent] | None = None,
        on_rate_limit_wait: Hook[RateLimitWaitEvent] | None = None,
        on_failure: Hook[FailureEvent] | None = None,
    ) -> None:
        self._key = resolve_api_key(api_key)
        self._base_url = normalize_base_url(resolve_base_url(base_url))
        if max_connections is not None and max_connections < 1:
            raise ConfigurationError(f"max_connections must be at least 1, got {max_connections!r}")
        if rate_limiting is not None and not isinstance(rate_limiting, RateLimitPolicy):
            raise ConfigurationError(f"rate_limiting must be a RateLimitPolicy, not {type(rate_limiting).__name__}")
        self._timeout = _checked_timeout(timeout)
        self._retry = _checked_retry(retry) or RetryPolicy()
        self._rate_policy = rate_limiting or RateLimitPolicy()
        self._store = resolve_store(self._rate_policy.store)
        self._max_rate_limit_wait = _checked_wait(max_rate_limit_wait)
        self._max_response_bytes = _checked_max_bytes(max_response_bytes)
        self._priority: Lane | None = None  # a view's own lane; None: the enclosing `priority` block's
        self._extra_headers: Mapping[str, str] = {}
        self._parent: BaseClient | None = None  # set on views (with_options, the raw view): the client they share
        self._raw = False  # a raw view's funnel returns a RawResponse instead of the decoded result
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
        self._on_failure = on_failure
        self._hooked = any(h is not None for h in (on_request, on_response, on_retry, on_rate_limit_wait, on_failure))
        _otel.load()  # OpenTelemetry's API, if installed: imported with the first client, not with the package

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new SkipcallClient")
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session if the client created it (a session passed in stays open). Idempotent.

        On a view made by [`with_options`][skipcall_async.SkipcallClient.with_options], this closes the view
        only: the session and the rate-limit state belong to the client it came from.
        """
        if self._closed:
            return
        self._closed = True
        if self._parent is not None:
            return
        try:
            await self._transport.aclose()
        finally:
            if self._limiter is not None:
                await self._store._detach(self._limiter)

    @property
    def closed(self) -> bool:
        """True once [`aclose`][skipcall_async.SkipcallClient.aclose] has been called (on a view: or on its client)."""
        return self._closed or (self._parent is not None and self._parent.closed)

    def with_options(
        self,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        max_rate_limit_wait: float | NotGiven = NOT_GIVEN,
        headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
        priority: Priority | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A view of this client for some calls with other settings; it shares everything else.

        The view uses this client's HTTP session, connection slots and the key's rate-limit state: it is cheap to
        make, and calls through it are paced with every other call on the key. Closing this client closes the
        view; a closed view raises [`ClientClosedError`][skipcall_async.ClientClosedError].

        Args:
            timeout: Seconds for one HTTP exchange, or None for no limit.
            retry: The retry policy, e.g. `RetryPolicy(max_attempts=1)` for no retries.
            max_rate_limit_wait: Longest time the call waits for the rate limit, 429s included (see the client).
            headers: Extra headers sent with every request of the view (added to, or replacing, the view's own
                extra headers). `Authorization` is refused: the key is the client's.
            priority: The rate-limit lane of the view's calls: `"interactive"` (someone waits for them: granted
                first) or `"bulk"` (exports, syncs: they may not take the window's interactive reserve). It wins
                over an enclosing [`priority`][skipcall_async.priority] block.
            max_response_bytes: The largest response body the view's calls read, in bytes, or None for no limit
                (a larger successful body raises [`ResponseTooLargeError`][skipcall_async.ResponseTooLargeError]).

        Returns:
            The view: a client of the same class.

        Raises:
            ConfigurationError: A setting is out of range or of the wrong type, or a header is not allowed.
        """
        view = self._view()
        if not isinstance(timeout, NotGiven):
            view._timeout = _checked_timeout(timeout)
        if not isinstance(retry, NotGiven):
            view._retry = _checked_retry(retry) or self._retry
        if not isinstance(max_rate_limit_wait, NotGiven):
            view._max_rate_limit_wait = _checked_wait(max_rate_limit_wait)
        if not isinstance(headers, NotGiven):
            view._extra_headers = {**self._extra_headers, **_checked_headers(headers)}
        if not isinstance(priority, NotGiven):
            view._priority = checked_priority(priority)
        if not isinstance(max_response_bytes, NotGiven):
            view._max_response_bytes = _checked_max_bytes(max_response_bytes)
        return view

    def _view(self) -> Self:
        """A copy sharing this client's session, slots, store and rate-limit state."""
        view = copy.copy(self)
        view._parent = self._parent or self
        view._closed = False
        return view

    def _raw_view(self) -> Self:
        view = self._view()
        view._raw = True
        return view

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._base_url

    @property
    def rate_limit(self) -> RateLimitSnapshot:
        """An immutable snapshot of this key's rate-limit state (shared by every client on the key)."""
        return self._get_limiter().snapshot()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        kind = " view" if self._parent is not None else ""
        return f"{type(self).__name__}{kind}(base_url={self._base_url!r}, api_key={self._key!r}, {state})"

    def _get_limiter(self) -> RateLimiter:
        if self._parent is not None:
            return self._parent._get_limiter()  # a view paces with its client, on the client's store registration
        if self._limiter is None:
            self._limiter = self._store._limiter_for(
                self._base_url, self._key, self._rate_policy._settings(), timeout=self._timeout
            )
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
        resource_id: str | None = None,
    ) -> T:
        """Send one API call through the rate limiter, the concurrency cap and the retry policy; ``decode`` it.

        Every error it raises names the request (``method``, ``path``, the operation's ``resource_id``).
        """
        if self._closed or (self._parent is not None and self._parent.closed):
            raise ClientClosedError("the client is closed; create a new SkipcallClient")
        request = self._build(method, path, params, body)
        limiter = self._get_limiter()
        if limiter.loop is not asyncio.get_running_loop():  # its futures and connections would fail obscurely
            raise self._outside_its_loop(limiter)
        lane = lane_of(self._priority)
        started = limiter.clock()
        call = _Call(math.inf if self._retry.deadline is None else started + self._retry.deadline)
        try:  # the first attempt is awaited directly: no retry machinery on the path most calls take
            response = await self._attempt(limiter, request, path, call, lane=lane)
        except SkipcallError as error:
            locate(error, method, path, resource_id)

            async def again(previous: BaseException) -> ApiResponse:
                try:
                    return await self._attempt(limiter, request, path, call, lane=lane)
                except SkipcallError as failed:
                    locate(failed, method, path, resource_id)
                    raise

            response = await run_with_retries(
                again,
                self._retry,
                first_error=error,
                idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
                deadline_at=call.deadline,
                clock=limiter.clock,
                sleep=asyncio.sleep,
                on_retry=retry_observer(),
                sends=call.count,
            )
        attempts = call.sends
        if self._raw:
            raw = RawResponse(
                response,
                decode,
                method=method,
                url=request.url,
                attempts=attempts,
                elapsed=limiter.clock() - started,
                located=(path, resource_id),
            )
            return raw  # type: ignore[return-value]  # WithRawResponse types the raw view's operations
        try:
            return decode(response)
        except SkipcallError as error:
            locate(error, method, path, resource_id)
            raise

    def _outside_its_loop(self, limiter: RateLimiter) -> SkipcallError:
        """The error for a call in another loop than the client's; a client whose loop has ended lets go of its
        connections, which nothing can close any more, so that only this error is reported."""
        if limiter.loop.is_closed():
            (self._parent or self)._transport.abandon()
        return event_loop_error(type(self).__name__, closed=limiter.loop.is_closed())

    def _build(self, method: str, path: str, params: Mapping[str, QueryValue] | None, body: Any) -> HttpRequest:
        """The HTTP request of one call: the only place the key is revealed."""
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "Authorization": f"Bearer {self._key.reveal()}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        if self._extra_headers:
            headers.update(self._extra_headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        url = self._base_url + path
        if params:
            url += query_string(params)
        return HttpRequest(method, url, headers, payload)

    async def _attempt(
        self, limiter: RateLimiter, request: HttpRequest, path: str, call: _Call, *, lane: Lane
    ) -> ApiResponse:
        """One attempt: sent until the server does not refuse it with a 429, within the call's rate-limit budget.

        A 429 is the rate limit's doing, not the request's: the request goes back to the head of its lane and
        waits there for the key's gate, and none of that counts as an attempt (`RetryPolicy.max_attempts`). What
        bounds it is time: the call's waits for the rate limit, together, stay within `max_rate_limit_wait` (and
        the call's deadline); past it, the last 429 is raised.
        """
        at_head = False
        while True:
            try:
                return await self._send(limiter, request, path, call, lane=lane, at_head=at_head)
            except TooManyRequestsError as refused:
                if call.gave_up:  # the rate-limit budget is spent: this 429 is the call's answer
                    raise
                call.refused, at_head = refused, True  # back at the head of its lane, behind the gate
                call.refusals += 1

    async def _send(
        self, limiter: RateLimiter, request: HttpRequest, path: str, call: _Call, *, lane: Lane, at_head: bool
    ) -> ApiResponse:
        """One request, in four steps: a rate-limit token, a connection slot, the exchange, the response read.

        Steps that need no waiting are inline rather than awaited (most requests find a token and a slot free):
        this function runs for every request, and each coroutine layer costs as much as a step.
        """
        observer = current_observer()  # hooks, logs, telemetry: None when nothing listens
        # 1. A rate-limit token, taken at once if free.
        ticket = None if at_head else limiter.try_acquire(lane)
        if ticket is None:
            ticket = await self._admit(limiter, request, path, call, lane=lane, at_head=at_head)
        call.sends += 1
        number, deadline = call.sends, call.deadline
        sent = False
        try:
            # 2. A connection slot, after on_request: a slow hook must not hold a connection.
            if observer is not None:
                await observer.sending(request.headers, request.url, number)
            if not self._slots.try_acquire():
                await self._slots.wait()
            # 3. The exchange, its timeout starting once the slot is held and ending by the call's deadline.
            try:
                timeout = self._timeout
                if deadline != math.inf:
                    timeout = _min_timeout(timeout, deadline - limiter.clock())
                started = limiter.clock() if observer is not None else 0.0  # the clock is read when needed
                sent = True
                response = await self._transport.send(request, timeout=timeout, max_bytes=self._max_response_bytes)
            finally:
                self._slots.release()
        except BaseException as error:
            # A request that never left (cancelled before its slot, a refused connection) gives its token back.
            refused = isinstance(error, APIConnectionError) and not error.request_sent
            limiter.release(ticket, sent=sent and not refused)
            if observer is not None and sent:
                observer.unanswered(number, error, limiter.clock() - started)
            raise
        # 4. The limiter learns from the response (any status); then it becomes the result or the typed error.
        status, headers = response.status, response.headers
        rate_headers = RateLimitHeaders.parse(headers)
        wait = retry_after(headers, local_now=time.time()) if status == 429 else None
        pending = limiter.record(ticket, rate_headers, status=status, retry_after=wait)
        if pending is not None:  # a shared store's round trip
            await pending
        if observer is not None:
            await observer.answered(number, status, limiter.clock() - started, wait)
        if not 200 <= status < 300:
            if status == 429 and wait is None:
                wait = rate_headers.reset_after
            raise api_error(status, headers, response.body, retry_after=wait)  # a cut body only feeds its message
        if response.cut:
            limit = self._max_response_bytes or 0
            raise ResponseTooLargeError(status=status, limit=limit, body=response.body[:1000], headers=headers)
        return ApiResponse(status, headers, decode_json(status, response.body, headers))

    async def _admit(
        self, limiter: RateLimiter, request: HttpRequest, path: str, call: _Call, *, lane: Lane, at_head: bool
    ) -> Ticket:
        """A rate-limit token, queued for in its lane (a request the server rejected goes back at the head), within
        what is left of the call's `max_rate_limit_wait`; past it, the call's last 429 if it got one."""
        started = limiter.clock()
        give_up_at = min(started + self._max_rate_limit_wait - call.waited, call.deadline)
        try:
            ticket = await limiter.acquire(lane, at_head=at_head, give_up_at=give_up_at)
        except RateLimitWaitError as too_long:
            if call.refused is None:
                raise
            call.gave_up = True
            call.refused.retry_after = too_long.retry_after
            call.refused.add_note(f"refused {call.refusals} times; {too_long}")
            raise call.refused from too_long
        waited = limiter.clock() - started
        call.waited += waited
        if waited > 0 and (observer := current_observer()) is not None:
            await observer.waited_for_token(waited, lane, limiter)
        return ticket

    # -- what operations call ----------------------------------------------------------------------------------

    def _call(
        self, route: Route, path: str, decode: Callable[[ApiResponse], T], **kwargs: Any
    ) -> Coroutine[Any, Any, T]:
        """The funnel's coroutine for one operation, at ``path`` (built from ``route``), observed if anything listens.

        A plain function returning the funnel's coroutine, so that operations await the funnel directly; an observed
        call is awaited inside its observer (hooks, logs, OpenTelemetry), which names it by its route.
        """
        observer = observe(self, route, path)
        call = self._request(route.method, path, decode, **kwargs)
        return call if observer is None else observer.run(call)

    def _request_model(
        self, route: Route, path: str, model: type[T], *, empty_ok: bool = False, **kwargs: Any
    ) -> Coroutine[Any, Any, T]:
        """Any call whose answer is one ``model``; ``empty_ok`` reads an empty body as ``{}`` (undocumented bodies).

        ``_call`` written out, as the most used entry: a layer less on every call.
        """
        observer = observe(self, route, path)
        call = self._request(route.method, path, model_decoder(model, empty_ok=empty_ok), **kwargs)
        return call if observer is None else observer.run(call)

    def _request_page(
        self,
        route: Route,
        path: str,
        item_model: type[T],
        params: Mapping[str, QueryValue],
        *,
        resource_id: str | None = None,
    ) -> Coroutine[Any, Any, Page[T]]:
        """One page of ``item_model`` (a GET); ``resource_id`` names the parent (a sequence, a workspace)."""
        observer = observe(self, route, path)
        call = self._request("GET", path, page_decoder(item_model), params=params, resource_id=resource_id)
        return call if observer is None else observer.run(call)


class _Call:
    """One call's bookkeeping across its requests: its deadline, requests sent, time spent waiting for the rate
    limit, and the last 429 the server answered it with."""

    __slots__ = ("deadline", "gave_up", "refusals", "refused", "sends", "waited")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.gave_up = False
        self.sends = 0
        self.waited = 0.0
        self.refused: TooManyRequestsError | None = None
        self.refusals = 0

    def count(self) -> int:
        return self.sends


def _checked_timeout(timeout: float | None) -> float | None:
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0):
        raise ConfigurationError(f"timeout must be positive seconds or None, got {timeout!r}")
    return timeout


def _checked_max_bytes(limit: int | None) -> int | None:
    if limit is not None and (type(limit) is not int or limit < 1):
        raise ConfigurationError(f"max_response_bytes must be a positive number of bytes or None, got {limit!r}")
    return limit


def _checked_retry(retry: RetryPolicy | None) -> RetryPolicy | None:
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
    return retry


def _checked_wait(wait: float) -> float:
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not wait >= 0:
        raise ConfigurationError(f"max_rate_limit_wait must not be negative seconds, got {wait!r}")
    return wait


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)


def _checked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Extra headers as given, refusing the key's header and anything that could split a request."""
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"headers must be a mapping of str to str, not {type(headers).__name__}")
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ConfigurationError(f"header name {name!r} is not a valid HTTP header name")
        if name.lower() == "authorization":
            raise ConfigurationError("the Authorization header is the client's: pass api_key to a new client instead")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise ConfigurationError(f"header {name} must be a str without line breaks")
        checked[name] = value
    return checked


def _min_timeout(timeout: float | None, remaining: float) -> float:
    return max(0.0, remaining if timeout is None else min(timeout, remaining))
