"""pytest fixtures for testing code that uses skipcall-async (registered through the ``pytest11`` entry point).

``skipcall_server`` is a started ``FakeSkipcall`` (a fresh one per test); ``skipcall_client`` is a
``SkipcallClient`` bound to it. Both are async fixtures run by pytest-asyncio, which the ``testing`` extra
installs.

pytest loads this module in every run of anyone who installed the package, whether or not they use the
fixtures, so it must import without pytest-asyncio. Then the fixtures still exist, and only a test that asks
for one fails, saying what to install.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final, NoReturn

import pytest

from .._client import SkipcallClient
from ._ratelimit import PLANS, RateLimitRule
from ._server import FakeSkipcall

INSTALL: Final = 'pip install "skipcall-async[testing]"'
MISSING: Final = (
    "the skipcall_server and skipcall_client fixtures are async and need pytest-asyncio, which is not "
    f"installed: {INSTALL} (pytest and pytest-asyncio)"
)

try:  # pytest-asyncio in strict mode only runs async fixtures it has been told about
    from pytest_asyncio import fixture as async_fixture

    HAS_PYTEST_ASYNCIO = True
except ImportError:
    HAS_PYTEST_ASYNCIO = False

if HAS_PYTEST_ASYNCIO:

    @async_fixture(loop_scope="function")  # each test's own loop, whatever the project's default loop scope
    async def skipcall_server() -> AsyncIterator[FakeSkipcall]:
        """A fake Skipcall API on 127.0.0.1 with the expert plan (1000 requests per minute)."""
        async with FakeSkipcall(rate_limit=RateLimitRule(plan=PLANS["expert"])) as server:
            yield server

    @async_fixture(loop_scope="function")
    async def skipcall_client(skipcall_server: FakeSkipcall) -> AsyncIterator[SkipcallClient]:
        """A client using the fake server's key and URL, closed after the test."""
        async with SkipcallClient(skipcall_server.api_key, base_url=skipcall_server.url) as client:
            yield client

else:

    @pytest.fixture(name="skipcall_server")
    def _server_needs_pytest_asyncio() -> NoReturn:
        """Stands for the fake server fixture: says what to install."""
        pytest.fail(MISSING, pytrace=False)

    @pytest.fixture(name="skipcall_client")
    def _client_needs_pytest_asyncio() -> NoReturn:
        """Stands for the client fixture: says what to install."""
        pytest.fail(MISSING, pytrace=False)
