"""Fixtures shared across folders: a recorded-traffic local server, a real redis-server, the real NestJS app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from support.backends import LocalServer
from support.limiters.nestjs import ensure_installed
from support.node_packages import NodeMissing
from support.node_unavailable import node_unavailable
from support.redis_servers import RedisServer


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    backend = LocalServer()
    await backend.start()
    yield backend
    await backend.stop()


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
    try:
        return ensure_installed()
    except NodeMissing as missing:
        node_unavailable("the real @nestjs/throttler", str(missing))
