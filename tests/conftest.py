"""Shared fixtures: one recorded-traffic interface over two backends (aioresponses and a real local server)."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest
from aiohttp import web
from aioresponses import CallbackResult, aioresponses

from skipcall_async.testing._redis import RedisServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))  # the real NestJS app's launcher

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


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    backend = LocalServer()
    await backend.start()
    yield backend
    await backend.stop()


@pytest.fixture
def mocked() -> Iterator[MockedTransport]:
    with MockedTransport() as backend:
        yield backend


@pytest.fixture(params=["server", "aioresponses"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Each test using it runs twice: against a real local server and against aioresponses."""
    if request.param == "server":
        local = LocalServer()
        await local.start()
        yield local
        await local.stop()
    else:
        with MockedTransport() as mock:
            yield mock


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the whole session, on a free port, persistence off.

    Never skipped: without a redis-server binary this fails with what to install (nox installs one).
    """
    with RedisServer() as redis:
        yield redis


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> AsyncIterator[str]:
    """The session's Redis, emptied before each test (and started again if a test stopped it)."""
    import redis.asyncio as aioredis

    redis_server.start()
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushall()
    await client.aclose()
    yield redis_server.url
    redis_server.start()


@pytest.fixture(scope="session")
def nest_installed() -> str:
    """The real NestJS app's packages, installed from their lockfile once per session (``npm ci``).

    Without Node.js 20 or newer: a failure in CI (which installs it), a skip elsewhere, saying what to install.
    """
    from nestjs import ensure_installed
    from node_packages import NodeMissing
    from node_unavailable import node_unavailable

    try:
        return ensure_installed()
    except NodeMissing as missing:
        node_unavailable("the real @nestjs/throttler", str(missing))
