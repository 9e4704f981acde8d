"""Recorded-traffic backends of the request tests: one interface over a real local server and aioresponses.

A test queues replies with `Backend.respond` and reads what was sent from `Backend.sent`; the ``backend`` fixture
(``tests/client/conftest.py``) runs it against both.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
from aiohttp import web
from aioresponses import CallbackResult, aioresponses

API_KEY = "sk_test_0123456789abcdefSECRET"
RATE_HEADERS = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "999", "X-RateLimit-Reset": "60"}


@attrs.frozen
class Sent:
    """One request as it reached the backend."""

    method: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@attrs.define
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = attrs.field(factory=lambda: dict(RATE_HEADERS))

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return b"" if self.json is None else json.dumps(self.json).encode()


class Backend:
    """Replies from a queue (the last reply repeats) and records every request."""

    name = "base"
    url = ""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.replies: list[Reply] = []
        self.reply_for: Callable[[Sent], Reply] | None = None

    def respond(self, status: int = 200, json: Any = None, *, body: bytes | None = None, **headers: str) -> None:
        extra = {k.replace("_", "-"): v for k, v in headers.items()}
        self.replies.append(Reply(status=status, json=json, body=body, headers={**RATE_HEADERS, **extra}))

    def _next(self, sent: Sent) -> Reply:
        self.sent.append(sent)
        if self.reply_for is not None:
            return self.reply_for(sent)
        if not self.replies:
            return Reply(json={})
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    @property
    def last(self) -> Sent:
        return self.sent[-1]


def _body(raw: bytes | None) -> Any:
    return json.loads(raw) if raw else None


class LocalServer(Backend):
    name = "server"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        await self._runner.cleanup()

    delay = 0.0  # seconds each request is held, to observe concurrency
    active = 0
    peak = 0

    async def _handle(self, request: web.Request) -> web.Response:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._reply(request)
        finally:
            self.active -= 1

    async def _reply(self, request: web.Request) -> web.Response:
        raw = await request.read()
        sent = Sent(
            method=request.method,
            raw_path=request.raw_path.split("?")[0],
            query=dict(parse_qsl(request.query_string, keep_blank_values=True)),
            headers=dict(request.headers),
            body=_body(raw),
        )
        reply = self._next(sent)
        return web.Response(
            status=reply.status,
            body=reply.payload(),
            headers=reply.headers,
            content_type=None if "Content-Type" in reply.headers else "application/json",
        )


class MockedTransport(Backend):
    name = "aioresponses"
    url = "http://127.0.0.1:9"

    def __enter__(self) -> MockedTransport:
        self._mock = aioresponses()
        mock = self._mock.__enter__()
        pattern = re.compile(r"^http://127\.0\.0\.1:9/.*$")
        for method in ("GET", "POST", "PATCH", "DELETE"):
            mock.add(pattern, method=method, callback=functools.partial(self._callback, method), repeat=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._mock.__exit__(None, None, None)

    def _callback(self, method: str, url: Any, **kwargs: Any) -> CallbackResult:
        parts = urlsplit(str(url))
        sent = Sent(
            method=method,
            raw_path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=dict(kwargs.get("headers") or {}),
            body=_body(kwargs.get("data")),
        )
        reply = self._next(sent)
        return CallbackResult(status=reply.status, body=reply.payload(), headers=reply.headers)
