"""The Redis store through the client, on a real redis-server: configuration, shared state, failure, recovery.

Several stores in one process stand for several processes here (each store has its own connections and
listener); ``test_fleet.py`` runs real worker processes.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any

import pytest

from skipcall_async import (
    ConfigurationError,
    RateLimitPolicy,
    RateLimitWaitError,
    RedisRateLimitStore,
    SkipcallClient,
)
from skipcall_async._pacing.resolve import resolve_store
from skipcall_async.testing import PLANS, FakeSkipcall, Faults, RateLimitRule
from support.redis_servers import RedisServer, free_port
from support.wakeups import wait_behind_a_probe

SCALE = 30.0  # the one-minute window lasts 2 s


def in_scope(server: FakeSkipcall, count: int) -> list[str]:
    return [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:count]


def client(server: FakeSkipcall, store: RedisRateLimitStore, **kwargs: Any) -> SkipcallClient:
    window = server.api.rule.window
    return SkipcallClient(
        server.api_key, base_url=server.url, rate_limiting=RateLimitPolicy(window=window, store=store), **kwargs
    )


async def redis_keys(url: str) -> dict[str, float]:
    """Every key in Redis with its TTL in seconds."""
    import redis.asyncio as aioredis

    conn = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return {key: await conn.pttl(key) / 1000 async for key in conn.scan_iter()}
    finally:
        await conn.aclose()


async def redis_state(url: str, key: str) -> str:
    """The state JSON a key holds."""
    import redis.asyncio as aioredis

    conn = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return str(await conn.hget(key, "s"))
    finally:
        await conn.aclose()


@pytest.mark.slow
@pytest.mark.redis
async def test_two_stores_share_one_quota_and_send_no_429(redis_url: str) -> None:
    """Two independent stores on one key (as two processes) split 250 calls at 100 per 2 s with no 429."""
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule, calls=600) as server:
        ids = in_scope(server, 250)
        a_store, b_store = RedisRateLimitStore(redis_url), RedisRateLimitStore(redis_url)
        async with client(server, a_store) as a, client(server, b_store) as b:
            results = await asyncio.gather(*(a.get_call(i) for i in ids[::2]), *(b.get_call(i) for i in ids[1::2]))
            snapshot = a.rate_limit
    assert sorted(c.id for c in results) == sorted(ids)
    assert server.rate_limited == 0
    assert len(server.requests) == 250
    span = server.requests[-1].at - server.requests[0].at
    assert 4.0 - 0.05 <= span <= 4.0 * 1.05 + 0.3  # two full windows before the third: the ideal
    assert (snapshot.store, snapshot.degraded, snapshot.limit) == ("redis", False, 100)


@pytest.mark.slow
async def test_the_same_two_clients_without_redis_trip_the_limit() -> None:
    """The contrast: two in-process states on one key each spend the whole quota and get 429s."""
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule, calls=600) as server:
        ids = in_scope(server, 250)
        done = []
        for share in (ids[::2], ids[1::2]):  # two event loops stand for two processes
            code = (
                "import asyncio, sys\n"
                "from skipcall_async import SkipcallClient, RetryPolicy\n"
                "async def main(ids):\n"
                f"    async with SkipcallClient({server.api_key!r}, base_url={server.url!r},"
                " retry=RetryPolicy(max_attempts=10, base=0.05, cap=0.5)) as c:\n"
                "        await asyncio.gather(*(c.get_call(i) for i in ids))\n"
                "asyncio.run(main(sys.argv[1:]))\n"
            )
            done.append(await asyncio.create_subprocess_exec(sys.executable, "-c", code, *share))
        assert [await p.wait() for p in done] == [0, 0]
    assert server.rate_limited > 0


@pytest.mark.redis
async def test_the_environment_variable_turns_redis_on_for_every_client(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SKIPCALL_REDIS_URL set: a client built with no rate-limit arguments keeps its key's state in Redis."""
    monkeypatch.setenv("SKIPCALL_REDIS_URL", redis_url)
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as sdk:
        await sdk.get_call(in_scope(server, 1)[0])
        assert sdk.rate_limit.store == "redis"
        keys = await redis_keys(redis_url)
    assert [key.rsplit(":", 1)[1] for key in keys] == ["v3"]  # the key's whole state, in this release's layout
    assert '"leases":{}' in await redis_state(redis_url, next(iter(keys)))  # no lease left
    assert all(server.api_key not in key for key in keys)
    tags = {key.split("{")[1].split("}")[0] for key in keys}
    assert len(tags) == 1  # one hash tag: Redis Cluster keeps a key's state on one node
    assert all(0 < ttl <= 60 + 120 + 1 for ttl in keys.values())  # the window plus the grace, never forever


def test_without_the_variable_the_in_process_store_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SKIPCALL_REDIS_URL, no store named: the in-process store."""
    monkeypatch.delenv("SKIPCALL_REDIS_URL", raising=False)
    assert type(resolve_store(None)).__name__ == "InProcessRateLimitStore"


def test_nothing_imports_redis_unless_asked() -> None:
    """Importing the package and using a client in-process never imports redis-py."""
    code = (
        "import sys, asyncio\n"
        "import skipcall_async\n"
        "from skipcall_async import SkipcallClient\n"
        "async def main():\n"
        "    async with SkipcallClient('k', base_url='http://127.0.0.1:9') as c:\n"
        "        c.rate_limit\n"
        "asyncio.run(main())\n"
        "assert not [m for m in sys.modules if m == 'redis' or m.startswith('redis.')], 'redis imported'\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.redis
def test_the_password_never_shows(redis_server: RedisServer) -> None:
    """repr and errors show the URL with its password masked."""
    store = RedisRateLimitStore("redis://:s3cr3t-pass@127.0.0.1:6379/0")
    assert "s3cr3t-pass" not in repr(store)
    assert "***" in repr(store)
    with pytest.raises(ConfigurationError) as info:
        RedisRateLimitStore("http://:s3cr3t-pass@cache:6379")
    assert "s3cr3t-pass" not in str(info.value)
    assert "redis://" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"command_timeout": 0}, "command_timeout"),
        ({"poll_interval": -1}, "poll_interval"),
        ({"max_connections": 0}, "max_connections"),
    ],
)
def test_bad_store_settings_name_the_argument(kwargs: dict[str, float], message: str) -> None:
    """Each invalid setting is refused at construction, naming it."""
    with pytest.raises(ConfigurationError, match=message):
        RedisRateLimitStore("redis://127.0.0.1:6379/0", **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_redis_unreachable_from_the_start_falls_back_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listens: every call still succeeds, paced in-process; one WARNING, without the password."""
    caplog.set_level(logging.WARNING, logger="skipcall_async")
    store = RedisRateLimitStore(f"redis://:hunter2@127.0.0.1:{free_port()}/0", command_timeout=0.5)
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    async with FakeSkipcall(rate_limit=rule) as server, client(server, store) as sdk:
        ids = in_scope(server, 120)
        results = await asyncio.gather(*(sdk.get_call(i) for i in ids))
        snapshot = sdk.rate_limit
    assert [c.id for c in results] == ids
    assert server.rate_limited == 0
    assert (snapshot.store, snapshot.degraded) == ("redis", True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()
    assert "hunter2" not in caplog.text


@pytest.mark.slow
@pytest.mark.redis
async def test_redis_stopped_mid_run_then_back(redis_server: RedisServer, redis_url: str, caplog: Any) -> None:
    """Redis dies mid-run: nothing fails, one WARNING; it comes back and the client shares state again."""
    caplog.set_level(logging.INFO, logger="skipcall_async")
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    store = RedisRateLimitStore(redis_url, command_timeout=0.5)
    async with FakeSkipcall(rate_limit=rule, calls=600) as server, client(server, store) as sdk:
        ids = in_scope(server, 300)
        first = await asyncio.gather(*(sdk.get_call(i) for i in ids[:150]))
        redis_server.kill()
        second = await asyncio.gather(*(sdk.get_call(i) for i in ids[150:]))
        assert sdk.rate_limit.degraded
        redis_server.start()
        for _ in range(100):  # the reconnection backs off up to a few seconds
            if not sdk.rate_limit.degraded:
                break
            await asyncio.sleep(0.05)
        await sdk.get_call(ids[0])
        snapshot = sdk.rate_limit
    assert [c.id for c in first + second] == ids
    assert (snapshot.store, snapshot.degraded) == ("redis", False)
    messages = [r.getMessage() for r in caplog.records if r.name == "skipcall_async"]
    assert len([m for m in messages if "unreachable" in m]) == 1
    assert len([m for m in messages if "reachable again" in m]) == 1


@pytest.mark.redis
async def test_a_command_failing_outside_redis_py_s_errors_is_an_outage(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """redis-py raising something other than its own errors (as 5.0.2 does mid-failover) never reaches the call."""
    import redis.asyncio as aioredis

    async def broken(*_: Any, **__: Any) -> Any:
        raise AttributeError("'NoneType' object has no attribute 'writelines'")

    monkeypatch.setattr(aioredis.Redis, "evalsha", broken)
    caplog.set_level(logging.WARNING, logger="skipcall_async")
    async with FakeSkipcall() as server, client(server, RedisRateLimitStore(redis_url)) as sdk:
        ids = in_scope(server, 3)
        async with asyncio.timeout(10):  # (before the fix the reservation task died and the calls hung)
            calls = await asyncio.gather(*(sdk.get_call(i) for i in ids))
        snapshot = sdk.rate_limit
    assert [c.id for c in calls] == ids
    assert snapshot.degraded
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "AttributeError" in warnings[0]


async def test_a_strict_store_holds_requests_while_redis_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    """strict=True: no in-process fallback; the call waits, then gives up; the WARNING says it holds requests."""
    store = RedisRateLimitStore(f"redis://127.0.0.1:{free_port()}/0", command_timeout=0.1, strict=True)
    caplog.set_level(logging.WARNING, logger="skipcall_async")
    async with FakeSkipcall() as server, client(server, store, max_rate_limit_wait=0.5) as sdk:
        with pytest.raises(RateLimitWaitError):
            await sdk.get_call(in_scope(server, 1)[0])
        assert server.requests == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].endswith("holding requests until it is back (strict)")
    assert "pacing in-process" not in warnings[0]


@pytest.mark.redis
async def test_a_waiter_is_woken_by_another_process_s_response(redis_url: str) -> None:
    """B waits for A's slow probe; A's response opens the window and B is woken by pub/sub, not its 30 s poll."""
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE)
    slow = {"get_call": Faults(latency=0.3)}
    async with FakeSkipcall(rate_limit=rule, route_faults=slow) as server:
        ids = in_scope(server, 2)
        a_store = RedisRateLimitStore(redis_url)
        b_store = RedisRateLimitStore(redis_url, poll_interval=30.0)
        async with client(server, a_store) as a, client(server, b_store) as b:
            assert b.rate_limit.store == "redis"  # B's link exists and subscribes
            await asyncio.sleep(0.2)
            waited = await wait_behind_a_probe(a, b, ids)
    assert [r.path.rsplit("/", 1)[1] for r in server.requests] == ids
    assert waited < 1.0  # 0.25 s of A's probe, then B's own 0.3 s


@pytest.mark.redis
async def test_round_trips_per_request(redis_url: str) -> None:
    """On the success path a request costs at most three Redis commands (a reservation and a record)."""
    import redis.asyncio as aioredis

    rule = RateLimitRule(plan=PLANS["expert"], rule="fixed-first")
    async with FakeSkipcall(rate_limit=rule, calls=600) as server:
        conn = aioredis.Redis.from_url(redis_url, decode_responses=True)
        await conn.config_resetstat()
        async with client(server, RedisRateLimitStore(redis_url)) as sdk:
            for call_id in in_scope(server, 50):  # one at a time: no batching helps
                await sdk.get_call(call_id)
        stats = await conn.info("commandstats")
        await conn.aclose()
    calls = sum(v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))
    assert len(server.requests) == 50
    assert calls / 50 <= 3
    assert calls / 50 >= 2  # it did go through Redis


async def test_a_redis_that_never_answers_counts_as_down_after_two_late_commands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Redis that accepts connections but never answers: one late command is forgiven, the second is not."""
    caplog.set_level(logging.WARNING, logger="skipcall_async")

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers
        writer.close()

    blackhole = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = blackhole.sockets[0].getsockname()[1]
    store = RedisRateLimitStore(f"redis://127.0.0.1:{port}/0", command_timeout=0.2)
    try:
        async with FakeSkipcall() as server, client(server, store) as sdk:
            loop = asyncio.get_running_loop()
            started = loop.time()
            call = await sdk.get_call(in_scope(server, 1)[0])
            took = loop.time() - started
            assert sdk.rate_limit.degraded
    finally:
        blackhole.close()
        await blackhole.wait_closed()
    assert call.id
    assert 0.4 <= took < 1.5  # two timeouts of 0.2 s, then the call went in-process
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1


def test_without_redis_py_the_variable_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """SKIPCALL_REDIS_URL set but redis-py missing: the client refuses at construction, naming the extra."""
    import skipcall_async._pacing.resolve as stores

    monkeypatch.setenv("SKIPCALL_REDIS_URL", "redis://:pw@cache:6379/0")
    monkeypatch.setattr(stores, "_from_environment", {})
    for name in [m for m in sys.modules if m == "redis" or m.startswith("redis.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis now raises ImportError
    with pytest.raises(ConfigurationError) as info:
        SkipcallClient("sk_test", base_url="http://127.0.0.1:9")
    assert 'pip install "skipcall-async[redis]"' in str(info.value)
    assert "pw" not in str(info.value)
