"""Once every call has returned, nothing is in flight, with either store; the docs' fleet example runs under
``python -W error`` (redis-py 8 warns when an asyncio client is given a synchronous ``Retry``)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skipcall_async import InProcessRateLimitStore, RateLimitPolicy, RedisRateLimitStore, SkipcallClient
from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule
from support.redis_servers import RedisServer
from support.threaded_server import threaded_server

FLEET_PAGE = Path(__file__).resolve().parents[2] / "docs" / "fleet.md"


async def every_call_returned(store: InProcessRateLimitStore | RedisRateLimitStore, kind: str) -> None:
    """The fleet page's example: a page, then a gather of its calls; the snapshot right after says 0 in flight,
    and what is left is what the server counted (on 0.1.0's Redis store, 8 to 14 of 21 stayed counted)."""
    async with FakeSkipcall(rate_limit=RateLimitRule(plan=PLANS["starter"])) as server:
        for _ in range(3):  # a fresh key state, then state left by the previous client
            async with SkipcallClient(
                server.api_key, base_url=server.url, rate_limiting=RateLimitPolicy(store=store)
            ) as client:
                page = await client.list_calls(size=20)
                calls = await asyncio.gather(*(client.get_call(call.id) for call in page))
                state = client.rate_limit
                assert len(calls) == 20
                assert state.in_flight == 0, state
                assert state.store == kind
                assert state.remaining == server.api.rule.plan.limit - len(server.requests)
        assert all(r.status == 200 for r in server.requests)


async def test_in_flight_is_zero_once_every_call_has_returned_in_process() -> None:
    """In-process store: nothing in flight once the gather has returned."""
    await every_call_returned(InProcessRateLimitStore(), "in-process")


@pytest.mark.redis
async def test_in_flight_is_zero_once_every_call_has_returned_through_redis(redis_url: str) -> None:
    """Redis store: nothing in flight once the gather has returned, the fleet-wide count included."""
    await every_call_returned(RedisRateLimitStore(redis_url, command_timeout=0.5), "redis")


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeSkipcall]:
    with threaded_server(rate_limit=RateLimitRule(plan=PLANS["expert"])) as server:
        yield server


@pytest.mark.redis
@pytest.mark.slow
def test_the_fleet_example_runs_under_w_error(fake_api: FakeSkipcall, redis_server: RedisServer) -> None:
    """The first example of docs/fleet.md, as its own process with every warning an error: exit 0, the output
    it promises, nothing on stderr."""
    example = re.search(r"^```python\n(.*?)^```", FLEET_PAGE.read_text(), flags=re.DOTALL | re.MULTILINE)
    assert example is not None
    assert "SKIPCALL_REDIS_URL" in example.group(1)
    redis_server.start()  # (again, if a test stopped it)
    env = {**os.environ, "SKIPCALL_API_KEY": fake_api.api_key, "SKIPCALL_BASE_URL": fake_api.url,
           "SKIPCALL_REDIS_URL": redis_server.url}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", example.group(1)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "20 calls; redis store, degraded: False in flight: 0"
    assert result.stderr == ""
