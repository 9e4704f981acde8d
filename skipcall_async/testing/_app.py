"""The fake Skipcall API's plumbing: what every request passes through before its handler.

Every request passes, in order: recording, auth, the key's rate limit, fault injection, then the handler.
A public route (the health probe) skips auth and spends its caller's address's budget instead of a key's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import formatdate
from typing import Any, Final, TypeVar, cast

import attrs
from aiohttp import web

from ._faults import Faults
from ._ratelimit import Decision, KeyLimiter, RateLimitRule
from ._store import Store

Json = Any
_T = TypeVar("_T")


def _request_key(name: str, kind: type[_T]) -> web.RequestKey[_T]:
    """A typed key for a request's storage; a plain name before aiohttp 3.14, which has no ``RequestKey``."""
    maker = getattr(web, "RequestKey", None)
    return cast("web.RequestKey[_T]", maker(name, kind) if maker is not None else f"skipcall_async.{name}")


BODY: Final = _request_key("body", object)
# Headers a handler adds to its answer, such as ``Deprecation`` or ``Allow``; errors carry them too.
RESPONSE_HEADERS: Final = _request_key("response_headers", dict[str, str])
# The route name recorded for a request no operation serves.
UNMATCHED: Final = "unmatched"
MAX_URL_BYTES: Final = 8190
"""The longest request target (path and query) served, aiohttp's own limit: a longer one is the API's JSON 400."""
MAX_BODY_BYTES: Final = 1024 * 1024
"""The largest request body served (aiohttp's default): a larger one is the API's JSON 413, as body parsers answer."""
PARSER_LINE_LIMIT: Final = 1024 * 1024
"""What the HTTP parser accepts for a request line, so that up to there the fake, not the parser, answers."""
logger = logging.getLogger("skipcall_async.testing")
Handler = Callable[["Api", web.Request], Awaitable[tuple[int, Json]]]


class HttpProblem(Exception):
    """An error answer: status plus the documented ``{"error": {...}}`` body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> Json:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request the fake server received: an entry of [`requests`][skipcall_async.testing.FakeSkipcall.requests].

    Attributes:
        method: The HTTP method.
        path: The request path.
        route: The operation's name, such as `"get_call"`.
        query: The query parameters.
        headers: The request headers, without `Authorization`.
        body: The decoded JSON body (None without one).
        status: The status the server answered.
        at: When the answer was decided, in Unix seconds on the local clock.
    """

    method: str
    path: str
    route: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Json
    status: int
    at: float = 0.0  # local epoch seconds when the answer was decided


def bad_request(message: str) -> HttpProblem:
    """A 400 with a message naming what is wrong."""
    return HttpProblem(400, "BAD_REQUEST", message)


class Api:
    """State and handlers of one fake server."""

    def __init__(
        self,
        *,
        store: Store,
        api_keys: tuple[str, ...],
        ineligible_keys: tuple[str, ...],
        rate_limit: RateLimitRule,
        faults: Faults,
        route_faults: Mapping[str, Faults],
        seed: int,
        any_key: bool = False,
    ) -> None:
        self.store = store
        self.api_keys = set(api_keys)
        self.any_key = any_key  # every non-empty bearer key is valid, each with a budget of its own
        self.ineligible_keys = set(ineligible_keys)
        self.rule = rate_limit
        self.faults = faults
        self.route_faults = dict(route_faults)
        self.requests: list[RecordedRequest] = []
        self.rate_limited = 0
        self._limiters: dict[str, KeyLimiter] = {}
        self._rng = random.Random(seed)

    # -- plumbing ----------------------------------------------------------------------------------------------

    def server_now(self) -> float:
        return time.time() + self.rule.skew

    def limiter(self, tracker: str) -> KeyLimiter:
        """The count for one tracker: an API key, or ``address:<ip>`` for a caller of a public route."""
        if tracker not in self._limiters:
            self._limiters[tracker] = KeyLimiter(self.rule)
        return self._limiters[tracker]

    async def dispatch(
        self, request: web.Request, route: str, handler: Handler, *, public: bool = False
    ) -> web.StreamResponse:
        try:
            raw, too_large = await request.read(), False
        except web.HTTPRequestEntityTooLarge:  # past the app's client_max_size: answered below, in the envelope
            raw, too_large = b"", True
        server_now = self.server_now()
        headers: dict[str, str] = {"Date": formatdate(server_now, usegmt=True)}
        faults = self.route_faults.get(route, self.faults)
        status, payload = 500, None
        request[RESPONSE_HEADERS] = {}
        try:
            limiter = self.limiter(self._tracker(request, public))
            decision = limiter.check(server_now)
            headers.update(self._rate_headers(limiter, decision, server_now, faults))
            if not decision.allowed:
                self.rate_limited += 1
                headers.update(limiter.retry_headers(decision, server_now))
                if faults.retry_after is not None:
                    headers["Retry-After"] = str(faults.retry_after)
                raise HttpProblem(429, "RATE_LIMIT_EXCEEDED", "Too many requests")
            self._check_size(request, too_large)
            if faults.latency:
                await asyncio.sleep(faults.latency)
            fault = self._roll(faults)
            if fault is not None:
                status = {"error": 503, "html": 502, "reset": 200, "malformed": 200}[fault]
                return await self._faulty(request, fault, headers)
            request[BODY] = self._json_body(raw)
            status, payload = await handler(self, request)
        except HttpProblem as problem:
            status, payload = problem.status, problem.body()
        except Exception:  # a bug of the fake: still the API's JSON error and headers, never aiohttp's text page
            logger.exception("the fake Skipcall API failed on %s %s", request.method, request.path)
            status, payload = 500, HttpProblem(500, "INTERNAL_SERVER_ERROR", "Internal server error").body()
        finally:
            self._record(request, route, raw, status)
        extra: dict[str, str] = request[RESPONSE_HEADERS]
        headers.update(extra)
        body = b"" if payload is None else json.dumps(payload).encode()
        return web.Response(
            status=status, body=body, headers=headers, content_type="application/json" if body else None
        )

    @staticmethod
    def _check_size(request: web.Request, too_large: bool) -> None:
        """A request too large to serve is refused like any bad request: counted, in the envelope, with headers."""
        if len(request.raw_path) > MAX_URL_BYTES:
            raise bad_request(f"URL is {len(request.raw_path):,} bytes long, more than {MAX_URL_BYTES:,}")
        if too_large:
            raise HttpProblem(413, "PAYLOAD_TOO_LARGE", f"body is larger than {MAX_BODY_BYTES:,} bytes")

    def _tracker(self, request: web.Request, public: bool) -> str:
        """Whose budget the request spends: its API key, or for a public route called without one, its address.

        A route that needs no key (the health probe: ``security: []`` in the API reference) still lists
        X-RateLimit-* on its answer. An API that tracks keys counts a valid key sent there like anywhere else
        (clients send their key on every call); without a valid key the request is counted by client address,
        @nestjs/throttler's default tracker, in a budget apart from every key's. Either way a spent budget is a 429
        there too, which the description does not list for health: a guard on every route answers it, and the
        client, which paces health on the key, expects the server to count it as it does (docs/testing.md).
        """
        if public:
            auth = request.headers.get("Authorization", "")
            key = auth[7:] if auth.startswith("Bearer ") else ""
            return key if self._valid(key) else f"address:{request.remote}"
        return self._authenticate(request)

    def _authenticate(self, request: web.Request) -> str:
        auth = request.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        if key in self.ineligible_keys:
            raise HttpProblem(403, "PLAN_NOT_ELIGIBLE", "API access requires STARTER, INTERMÉDIAIRE or EXPERT plan")
        if not self._valid(key):
            raise HttpProblem(401, "UNAUTHORIZED", "Invalid or revoked API key")
        return key

    def _valid(self, key: str) -> bool:
        return key in self.api_keys or (self.any_key and bool(key) and key not in self.ineligible_keys)

    def _rate_headers(
        self, limiter: KeyLimiter, decision: Decision, server_now: float, faults: Faults
    ) -> dict[str, str]:
        """The rule's X-RateLimit-* headers, spoiled as ``faults`` say; faults add none where the rule sends none."""
        headers = limiter.headers(decision, server_now)
        if not headers or faults.rate_headers == "missing":
            return {}
        if faults.rate_headers == "garbage":
            return {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "-3", "X-RateLimit-Reset": "soon"}
        if faults.far_future_reset:
            headers["X-RateLimit-Reset"] = str(int(server_now) + 86_400)
            headers["X-RateLimit-Remaining"] = "0"
        lie_at = None
        if decision.allowed and faults.reset_a_day_away:
            lie_at = server_now + 86_400
        elif not decision.allowed and faults.past_reset_on_429:
            lie_at = server_now - 60.0
        if lie_at is not None:  # in the rule's own form (epoch, epoch-ms or seconds until; a past delta is 0)
            lie = limiter.headers(attrs.evolve(decision, reset_at=lie_at), server_now)
            headers["X-RateLimit-Reset"] = lie["X-RateLimit-Reset"]
        return headers

    def _roll(self, faults: Faults) -> str | None:
        for name, rate in (
            ("error", faults.error_rate),
            ("html", faults.html_502_rate),
            ("reset", faults.reset_rate),
            ("malformed", faults.malformed_rate),
        ):
            if rate and self._rng.random() < rate:
                return name
        return None

    async def _faulty(self, request: web.Request, fault: str, headers: dict[str, str]) -> web.StreamResponse:
        if fault == "error":
            body = json.dumps(HttpProblem(503, "SERVICE_UNAVAILABLE", "try again").body()).encode()
            return web.Response(status=503, body=body, headers=headers, content_type="application/json")
        if fault == "html":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            return web.Response(status=502, body=page, headers=headers, content_type="text/html")
        if fault == "malformed":
            return web.Response(status=200, body=b'{"id": "trunc', headers=headers, content_type="application/json")
        response = web.StreamResponse(status=200, headers=headers)
        response.content_type = "application/json"
        response.content_length = 4096
        await response.prepare(request)
        await response.write(b'{"id": "cut mid-')
        if request.transport is not None:
            request.transport.close()
        return response

    def _json_body(self, raw: bytes) -> Json:
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad_request(f"body is not valid JSON: {exc}") from exc

    def _record(self, request: web.Request, route: str, raw: bytes, status: int) -> None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.raw_path.split("?")[0],
                route=route,
                query=dict(request.query),
                headers=headers,
                body=body,
                status=status,
                at=time.time(),
            )
        )
