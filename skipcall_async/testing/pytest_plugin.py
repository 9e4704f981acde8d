"""pytest fixtures for testing code that uses skipcall-async (registered through the ``pytest11`` entry point).

``skipcall_server`` is a started ``FakeSkipcall`` (a fresh one per test); ``skipcall_client`` is a
``SkipcallClient`` bound to it. Both need an asyncio test runner such as pytest-asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

try:  # pytest-asyncio in strict mode only runs async fixtures it has been told about
    from pytest_asyncio import fixture as async_fixture
except ImportError:  # pragma: no cover - another asyncio runner handles plain async fixtures
    async_fixture = pytest.fixture  # type: ignore[assignment]

from .._client import SkipcallClient
from ._ratelimit import PLANS, RateLimitRule
from ._server import FakeSkipcall


@async_fixture
async def skipcall_server() -> AsyncIterator[FakeSkipcall]:
    """A fake Skipcall API on 127.0.0.1 with the expert plan (1000 requests per minute)."""
    async with FakeSkipcall(rate_limit=RateLimitRule(plan=PLANS["expert"])) as server:
        yield server


@async_fixture
async def skipcall_client(skipcall_server: FakeSkipcall) -> AsyncIterator[SkipcallClient]:
    """A client using the fake server's key and URL, closed after the test."""
    async with SkipcallClient(skipcall_server.api_key, base_url=skipcall_server.url) as client:
        yield client
