"""Fixtures of the request tests: each test using ``backend`` runs against a real local server and aioresponses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from support.backends import Backend, LocalServer, MockedTransport


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
