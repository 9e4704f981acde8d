"""Redis as production runs it: a real 3-master Cluster and a real master, replica and Sentinel, on loopback.

Each is started by the tests (`support.redis_servers`) and taken through a failover while worker
processes pace one key through it: nothing is lost, the server's 429s stay under one window's worth, and each
process logs at most one WARNING.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from skipcall_async import ConfigurationError, RateLimitPolicy, RedisRateLimitStore, SkipcallClient
from skipcall_async._pacing.redis.link import Scope
from skipcall_async._secret import ApiKey
from skipcall_async._urls import normalize_base_url
from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule
from support.fleet import WorkerReport, collect, split, start_workers
from support.redis_servers import RedisCluster, RedisSentinels
from support.wakeups import wait_behind_a_probe

SCALE = 30.0  # the one-minute window lasts 2 s
RULE = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    """Three masters, each with a replica, slots split evenly among the masters."""
    with RedisCluster(masters=3, replicas=1) as started:
        yield started


@pytest.fixture
def sentinels() -> Iterator[RedisSentinels]:
    with RedisSentinels() as started:
        yield started


def in_scope(server: FakeSkipcall, count: int) -> list[str]:
    return [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:count]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+cluster://127.0.0.1:7000/1", "only database 0"),
        ("redis+cluster://", "names no host:port"),
        ("redis+cluster://127.0.0.1", "host:port"),
        ("redis+sentinel://127.0.0.1:26379", "names its master"),
        ("redis+sentinel://127.0.0.1:26379/main/x", "is a number"),
        ("memcached://127.0.0.1:11211", "must start with"),
    ],
)
def test_a_deployment_url_that_cannot_work_is_refused_at_once(url: str, message: str) -> None:
    """A Cluster URL with a database, a Sentinel URL without a master: ConfigurationError, before any request."""
    with pytest.raises(ConfigurationError, match=message):
        RedisRateLimitStore(url)


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://:hunter2-secret@10.0.0.1:7000,10.0.0.2:7000",
        "rediss+cluster://user:hunter2-secret@cache.example:6379",
        "redis+sentinel://:hunter2-secret@10.0.0.1:26379,10.0.0.2:26379/main/2",
        "redis+sentinel://10.0.0.1:26379/main?sentinel_password=hunter2-secret",
    ],
)
def test_deployment_urls_never_show_their_passwords(url: str) -> None:
    """The master's password in the userinfo, the Sentinels' in the query: masked in the repr and the url."""
    store = RedisRateLimitStore(url)
    assert "hunter2-secret" not in repr(store) + store.url + str(vars(store))
    assert store.kind == ("cluster" if "cluster" in url else "sentinel")


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.cluster
async def test_keys_on_every_node_of_a_cluster_are_paced_without_a_429(cluster: RedisCluster) -> None:
    """Three API keys whose state lives on three different masters: each paced through its node, no 429."""
    keys = [f"sk_test_cluster_{i}" for i in range(40)]
    base = normalize_base_url("http://127.0.0.1:1")
    by_node: dict[int, str] = {}
    for key in keys:
        scope = Scope(ApiKey(key).digest("rate-limit", base))
        by_node.setdefault(cluster.node_of(scope.key).port, key)
    assert len(by_node) == 3  # the keys chosen do land on every master
    chosen = list(by_node.values())
    store = RedisRateLimitStore(cluster.url)
    async with FakeSkipcall(rate_limit=RULE, calls=1000, any_key=True) as server:
        ids = in_scope(server, 150)
        fake_base = server.url

        async def run(key: str) -> tuple[int, bool]:
            policy = RateLimitPolicy(store=store, window=RULE.window)
            async with SkipcallClient(key, base_url=fake_base, rate_limiting=policy) as client:
                calls = await asyncio.gather(*(client.get_call(i) for i in ids))
                return len(calls), client.rate_limit.degraded

        results = await asyncio.gather(*(run(key) for key in chosen))
    assert results == [(150, False)] * 3
    assert server.rate_limited == 0
    assert len(server.requests) == 450


def fleet_through(url: str, server: FakeSkipcall, ids: list[str], processes: int) -> list[dict[str, Any]]:
    start_at = time.time() + 2.0
    return [
        {"base_url": server.url, "api_key": server.api_key, "ids": share, "start_at": start_at,
         "window": RULE.window, "max_attempts": 20}
        for share in split(ids, processes)
    ]  # fmt: skip


async def run_with_failover(url: str, failover: Callable[[], None]) -> tuple[list[WorkerReport | None], int]:
    """Two worker processes fetch 400 calls through ``url``; 3 s in (mid-run), ``failover`` runs."""
    async with FakeSkipcall(rate_limit=RULE, calls=1200) as server:
        ids = in_scope(server, 400)
        processes = start_workers(fleet_through(url, server, ids, 2), redis_url=url)
        timer = threading.Timer(3.0 + 2.0, failover)  # the workers start their gathers 2 s from now
        timer.start()
        reports = await asyncio.get_running_loop().run_in_executor(None, collect, processes)
        timer.join()
        fetched = sorted(i for r in reports if r is not None for i in r.fetched)
        assert fetched == sorted(ids)  # nothing lost
        return reports, server.rate_limited


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.cluster
async def test_a_cluster_failover_mid_run_loses_nothing(cluster: RedisCluster) -> None:
    """Every master hands over to its replica while two processes run (so does the one holding the key's slot)."""

    def failover() -> None:
        for index in range(len(cluster.masters)):
            cluster.failover(index)
        cluster.wait_ok()

    reports, rate_limited = await run_with_failover(cluster.url, failover)
    assert all(r is not None and r.store == "redis" for r in reports)
    assert rate_limited <= RULE.plan.limit  # at most one window's worth, while the new masters catch up
    assert all(len(r.warnings) <= 1 for r in reports if r is not None)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.cluster
async def test_a_sentinel_failover_mid_run_is_followed(sentinels: RedisSentinels) -> None:
    """The Sentinel promotes the replica while two processes run: they follow the new master, nothing is lost."""
    before = sentinels.master_port()
    reports, rate_limited = await run_with_failover(sentinels.url, sentinels.failover)
    assert sentinels.master_port() != before
    assert all(r is not None and r.store == "redis" for r in reports)
    assert rate_limited <= RULE.plan.limit
    assert all(len(r.warnings) <= 1 for r in reports if r is not None)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.cluster
async def test_after_a_sentinel_failover_the_state_lives_on_the_new_master(sentinels: RedisSentinels) -> None:
    """Once the old master is a replica, the store writes to the new one (no READONLY loop)."""
    import redis.asyncio as aioredis

    store = RedisRateLimitStore(sentinels.url)
    async with FakeSkipcall(rate_limit=RULE, calls=200) as server:
        ids = in_scope(server, 20)
        policy = RateLimitPolicy(store=store, window=RULE.window)
        async with SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy) as client:
            await client.get_call(ids[0])
            await asyncio.get_running_loop().run_in_executor(None, sentinels.failover)
            calls = await asyncio.gather(*(client.get_call(i) for i in ids[1:]))
            for _ in range(100):  # the failover may have broken the link for a moment: it rejoins
                if not client.rate_limit.degraded:
                    break
                await asyncio.sleep(0.05)
            await client.get_call(ids[0])
            assert not client.rate_limit.degraded
    assert len(calls) == 19
    new_master = aioredis.Redis(port=sentinels.master_port(), decode_responses=True)
    keys = [key async for key in new_master.scan_iter("skipcall-async:*:v3")]
    await new_master.aclose()
    assert len(keys) == 1


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.cluster
async def test_a_waiter_is_woken_through_the_cluster_s_pub_sub(cluster: RedisCluster) -> None:
    """B waits for A's slow probe; A's answer, published on the key's node, reaches B's subscription on another
    node of the cluster: B goes at once, not at its 30 s poll."""
    from skipcall_async.testing import Faults

    slow = {"get_call": Faults(latency=0.3)}
    async with FakeSkipcall(rate_limit=RULE, route_faults=slow) as server:
        ids = in_scope(server, 2)
        a_store = RedisRateLimitStore(cluster.url)
        b_store = RedisRateLimitStore(cluster.url, poll_interval=30.0)
        policy_a, policy_b = RateLimitPolicy(store=a_store), RateLimitPolicy(store=b_store)
        async with (
            SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy_a) as a,
            SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy_b) as b,
        ):
            assert b.rate_limit.store == "redis"
            await asyncio.sleep(0.3)  # B's subscription is up
            waited = await wait_behind_a_probe(a, b, ids)
    assert [r.path.rsplit("/", 1)[1] for r in server.requests] == ids
    assert waited < 5.0  # woken by the message (the poll would be 30 s)
