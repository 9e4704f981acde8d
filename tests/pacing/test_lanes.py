"""Priority lanes at the client's surface: per view, per block of code, in the queue, in snapshots and hooks."""

from __future__ import annotations

import asyncio

import pytest

from skipcall_async import (
    ConfigurationError,
    RateLimitHeaders,
    RateLimitPolicy,
    RateLimitWaitEvent,
    SkipcallClient,
    priority,
)
from skipcall_async._pacing.stores import in_process_limiter
from skipcall_async.testing import FakeSkipcall, Plan, RateLimitRule
from support.backends import API_KEY, LocalServer

SCALE = 30.0  # the one-minute window lasts 2 s


def in_scope(server: FakeSkipcall, count: int) -> list[str]:
    return [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:count]


async def test_an_interactive_waiter_is_granted_before_bulk_ones_queued_earlier() -> None:
    """Three bulk waiters, then an interactive one: the next token goes to the interactive one."""
    limiter = in_process_limiter(RateLimitPolicy(interactive_reserve=0.0)._settings())
    probe = await limiter.acquire()
    order: list[str] = []

    async def wait(name: str, lane: str) -> None:
        await limiter.acquire(lane)  # type: ignore[arg-type]
        order.append(name)

    tasks = [asyncio.create_task(wait(f"bulk-{i}", "bulk")) for i in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(wait("interactive", "interactive")))
    await asyncio.sleep(0)
    snapshot = limiter.snapshot()
    assert (snapshot.waiting, snapshot.waiting_interactive, snapshot.waiting_bulk) == (4, 1, 3)
    limiter.record(probe, RateLimitHeaders(limit=10, remaining=2, reset_after=60), status=200, retry_after=None)
    await asyncio.sleep(0)
    assert order == ["interactive", "bulk-0"]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.slow
async def test_a_gather_of_bulk_calls_lets_an_interactive_call_through_first() -> None:
    """60 bulk calls at 10 per 2 s: an interactive call made just after them is admitted in the first window.

    Judged on the server's order of admission, not on a clock: the reserve kept a token of the first window
    from the bulk calls, so the interactive call goes far ahead of the 50 bulk calls queued before it.
    """
    rule = RateLimitRule(plan=Plan(limit=10), rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule, calls=500) as server:
        ids = in_scope(server, 61)
        policy = RateLimitPolicy(window=rule.window)
        async with SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy) as client:
            bulk = client.with_options(priority="bulk")
            work = asyncio.gather(*(bulk.get_call(i) for i in ids[:60]))
            await asyncio.sleep(0.05)
            interactive = await client.get_call(ids[60])
            await work
    assert interactive.id == ids[60]
    order = [r.path.rsplit("/", 1)[1] for r in server.requests if r.status == 200]
    assert sorted(order) == sorted(ids)
    assert order.index(ids[60]) < 10  # the first window's ten
    assert server.rate_limited == 0


async def test_the_priority_block_applies_to_every_call_inside_and_to_its_tasks(server: LocalServer) -> None:
    """Calls in a `priority("bulk")` block, and in tasks it starts, wait as bulk; a view's own lane wins."""
    server.respond(200, {"status": "ok"}, X_RateLimit_Remaining="0", X_RateLimit_Reset="0.05")
    lanes: list[str] = []

    async def on_wait(event: RateLimitWaitEvent) -> None:
        lanes.append(event.lane)

    async with SkipcallClient(API_KEY, base_url=server.url, on_rate_limit_wait=on_wait) as client:
        await client.health()  # the probe: nothing left afterwards, each later call waits for the reset
        with priority("bulk"):
            await client.health()
            await asyncio.create_task(client.health())
            await client.with_options(priority="interactive").health()
        await client.health()
    assert lanes == ["bulk", "bulk", "interactive", "interactive"]
    assert [s.raw_path for s in server.sent] == ["/v1/health"] * 5


@pytest.mark.parametrize("value", ["urgent", "", None, 1])
async def test_an_unknown_priority_is_refused(value: object) -> None:
    """Neither 'interactive' nor 'bulk': ConfigurationError naming the value, from the block and from a view."""
    with pytest.raises(ConfigurationError, match="priority must be 'interactive' or 'bulk'"):
        with priority(value):  # type: ignore[arg-type]
            pass
    async with SkipcallClient(API_KEY, base_url="http://127.0.0.1:9") as client:
        with pytest.raises(ConfigurationError, match=repr(value)):
            client.with_options(priority=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("reserve", [-0.1, 1.0, 2, True, "0.1"])
def test_the_reserve_is_a_share_below_one(reserve: object) -> None:
    """interactive_reserve must be a number from 0 to below 1."""
    with pytest.raises(ConfigurationError, match="interactive_reserve"):
        RateLimitPolicy(interactive_reserve=reserve)  # type: ignore[arg-type]
