"""Real worker processes on one key, through a real redis-server: the fleet's pacing, crashes and outages."""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import time
from collections.abc import Sequence
from typing import Any

import pytest

from skipcall_async.testing import PLANS, FakeSkipcall, Faults, Plan, RateLimitRule
from support.fleet import WorkerReport, collect, split, start_workers
from support.redis_servers import RedisServer

pytestmark = pytest.mark.slow

SCALE = 30.0  # the one-minute window lasts 2 s
PROCESSES = 4


def in_scope(server: FakeSkipcall, count: int) -> list[str]:
    return [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:count]


def jobs(server: FakeSkipcall, ids: Sequence[str], parts: int, **extra: Any) -> list[dict[str, Any]]:
    start_at = time.time() + 2.0  # every worker starts its gather at once, whatever its start-up time
    return [
        {"base_url": server.url, "api_key": server.api_key, "ids": share, "start_at": start_at, **extra}
        for share in split(ids, parts)
    ]


async def run(jobs: list[dict[str, Any]], redis_url: str | None) -> list[WorkerReport | None]:
    processes = start_workers(jobs, redis_url=redis_url)
    return await asyncio.get_running_loop().run_in_executor(None, collect, processes)


@pytest.mark.redis
@pytest.mark.parametrize(
    "rule",
    [
        RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE),
        RateLimitRule(plan=PLANS["starter"], rule="nestjs-throttler", time_scale=SCALE),
    ],
    ids=["fixed-first", "nestjs-throttler"],
)
async def test_four_processes_share_the_quota_with_no_429(redis_url: str, rule: RateLimitRule) -> None:
    """Four workers, 400 calls, 100 per 2 s: every id back, no 429, in about the time one process would take."""
    async with FakeSkipcall(rate_limit=rule, calls=1000) as server:
        ids = in_scope(server, 400)
        reports = await run(jobs(server, ids, PROCESSES, window=rule.window), redis_url)
        admitted = [r.at for r in server.requests if r.status == 200]
    assert all(r is not None for r in reports)
    done = [r for r in reports if r is not None]
    assert sorted(i for r in done for i in r.fetched) == sorted(ids)
    assert server.rate_limited == 0
    assert all(r.store == "redis" and not r.degraded and not r.warnings for r in done)
    ideal = math.floor((len(ids) - 1) / rule.plan.limit) * rule.window
    span = admitted[-1] - admitted[0]
    # Never sooner than the server allows, and no window lost waiting for something that never comes (a lease,
    # a lost wake-up). How close to the ideal is the benchmark's to measure (benchmarks/fleet.py), at a 10 s
    # window: this test's 2 s windows on a busy machine exaggerate every delay.
    assert ideal - 0.05 <= span <= ideal + 2 * rule.window, (span, ideal)


async def test_without_redis_the_same_fleet_trips_the_limit() -> None:
    """The contrast, in the same setting: each process spends the whole quota alone."""
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule, calls=1000) as server:
        ids = in_scope(server, 400)
        reports = await run(jobs(server, ids, PROCESSES, window=rule.window, max_attempts=20), None)
    assert all(r is not None and r.store == "in-process" for r in reports)
    assert server.rate_limited > 100


@pytest.mark.redis
async def test_a_worker_killed_holding_tokens_gives_them_back_when_its_leases_expire(
    redis_server: RedisServer, redis_url: str
) -> None:
    """SIGKILL a worker whose 99 requests are in flight: the others wait for the leases, then finish every id."""
    import redis.asyncio as aioredis

    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    slow = Faults(latency=1.0)  # the victim's requests are still in flight when it dies
    lease = {"timeout": 2.0, "store": {"lease_slack": 0.5}}  # each token is held at most 2.5 s
    async with FakeSkipcall(rate_limit=rule, calls=1000, faults=slow) as server:
        ids = in_scope(server, 250)
        victim_job = jobs(server, ids[:100], 1, window=rule.window, **lease)
        victim = start_workers(victim_job, redis_url=redis_url)[0]
        conn = aioredis.Redis.from_url(redis_url, decode_responses=True)
        leases: dict[str, list[float]] = {}
        for _ in range(200):  # wait until the victim holds the whole window
            keys = [k async for k in conn.scan_iter("skipcall-async:*:v3")]
            leases = json.loads(await conn.hget(keys[0], "s") or "{}").get("leases", {}) if keys else {}
            if len(leases) >= 99:
                break
            await asyncio.sleep(0.05)
        assert len(leases) >= 99
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.time()
        victim.communicate()
        expiry = max(expires for expires, _ in leases.values())
        redis_now = float((await conn.time())[0]) + (await conn.time())[1] / 1e6
        leases_end = killed_at + (expiry - redis_now)
        survivors = await run(jobs(server, ids[100:], 3, window=rule.window, **lease), redis_url)
        await conn.aclose()
        theirs = set(ids[100:])
        counted = sorted(r.at - slow.latency for r in server.requests if r.path.rsplit("/", 1)[1] in theirs)
    assert all(r is not None for r in survivors)
    assert sorted(i for r in survivors if r for i in r.fetched) == sorted(ids[100:])
    # Blocked by the dead leases until they expired, but for the victim's probe: answered, it ages out.
    assert len([at for at in counted if at < leases_end - 0.2]) <= 1
    assert counted[1] <= leases_end + 3.0  # ... and going again soon after (the poll is 1 s; the machine is busy)
    assert server.rate_limited <= 1


@pytest.mark.redis
async def test_redis_stopped_mid_run_loses_nothing_and_rejoins(redis_server: RedisServer, redis_url: str) -> None:
    """Kill Redis for longer than a window while four workers run: every id comes back, each warns once, rejoins.

    The outage outlasts a window so that every worker needs Redis during it (a worker whose requests all wait for
    the next window sends no command, and a shorter outage could pass unnoticed).
    """
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule, calls=1200) as server:
        ids = in_scope(server, 800)
        job_list = jobs(server, ids, PROCESSES, window=rule.window, max_attempts=20, store={"command_timeout": 0.5})
        processes = start_workers(job_list, redis_url=redis_url)
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, job_list[0]["start_at"] - time.time()) + 1.0)
        redis_server.kill()
        killed_at = round(time.time(), 2)
        await asyncio.sleep(1.5 * rule.window)
        redis_server.start()
        restarted_at = time.time()
        reports = await loop.run_in_executor(None, collect, processes)
    assert all(r is not None for r in reports)
    done = [r for r in reports if r is not None]
    assert sorted(i for r in done for i in r.fetched) == sorted(ids)
    assert [r.failed for r in done if r.failed] == []
    seen = [(len(r.fetched), round(r.started, 2), round(r.ended, 2), r.warnings, r.rejoined) for r in done]
    assert [len([w for w in r.warnings if "unreachable" in w]) for r in done] == [1, 1, 1, 1], (killed_at, seen)
    # Reconnection backs off up to 2 s: a worker still running 3 s after the restart has rejoined by then.
    assert [r.rejoined for r in done if r.ended > restarted_at + 3.0] == [
        1 for r in done if r.ended > restarted_at + 3.0
    ]
    assert all(r.rejoined <= 1 for r in done)
    assert not any(r.degraded for r in done if r.ended > restarted_at + 3.0)


@pytest.mark.redis
async def test_interactive_calls_in_one_process_go_before_bulk_work_in_another(redis_url: str) -> None:
    """A worker gathers 120 bulk calls, another makes 6 interactive ones 0.3 s apart, 20 per 2 s through Redis.

    Judged on the server's order: the interactive calls, made in the first window, are all admitted among its
    first 40 requests (the first two windows), not behind the bulk backlog; every id comes back, no 429.
    """
    rule = RateLimitRule(plan=Plan(limit=20), rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule, calls=1000) as server:
        ids = in_scope(server, 126)
        bulk, interactive = ids[:120], ids[120:]
        start_at = time.time() + 2.0
        base = {"base_url": server.url, "api_key": server.api_key, "start_at": start_at, "window": rule.window}
        jobs = [{**base, "ids": bulk, "priority": "bulk"}, {**base, "ids": interactive, "every": 0.3}]
        reports = await run(jobs, redis_url)
        order = [r.path.rsplit("/", 1)[1] for r in server.requests if r.status == 200]
    assert all(r is not None for r in reports)
    assert sorted(i for r in reports if r for i in r.fetched) == sorted(ids)
    assert server.rate_limited == 0
    assert max(order.index(i) for i in interactive) < 40
