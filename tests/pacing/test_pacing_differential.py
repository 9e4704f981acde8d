"""Both stores, one engine: random runs of reservations, answers, releases and time, step by step the same.

Each run drives an in-process backend and a Redis backend (a real redis-server) with the same random steps on one
fake clock: three processes reserve in both lanes, answers of every kind come back (named limits, 429s with and
without a hint, no headers, stale ones), requests are released sent and unsent, leases expire. After every step
the grants and quotas must be equal, and the state Redis holds must be the in-process state to the byte.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from skipcall_async._pacing.backend import MemoryBackend, Ticket
from skipcall_async._pacing.redis.backend import RedisBackend
from skipcall_async._pacing.redis.link import Link, Scope
from skipcall_async._pacing.redis.store import RedisRateLimitStore
from skipcall_async._pacing.rules import Observation, Rules, WindowSeen
from skipcall_async._pacing.settings import LANES, Lane, Settings
from support.drivers import Clock

pytestmark = [pytest.mark.redis, pytest.mark.slow]

MEMBERS = ("process-a", "process-b", "process-c")
STEPS = 150


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[Link]:
    link = Link(RedisRateLimitStore(redis_url))
    yield link
    await link.aclose()


def observation(rng: random.Random) -> Observation:
    """An answer of any kind: headers of one or two limits, none, or a 429 with or without a hint."""
    kind = rng.random()
    if kind < 0.15:
        return Observation(True, rng.choice([None, rng.uniform(0.1, 3.0)]), ())
    if kind < 0.25:
        return Observation(False, None, ())
    windows = []
    for name, limit in (("default", 20), ("short", 5)):
        if name == "short" and rng.random() < 0.6:
            continue
        reset = rng.uniform(0.05, 4.0)
        stated = reset + rng.choice([0.0, 0.0, 0.7])  # sometimes a rounded-up reset
        span = rng.choice([2.0, 4.0, 60.0])
        windows.append(WindowSeen(name, rng.choice([limit, None]), rng.randint(0, limit), stated, reset, span))
    return Observation(False, None, tuple(windows))


async def run(seed: int, link: Link, redis_url: str) -> int:
    """One random run; the number of tokens granted (so that a run that grants nothing shows)."""
    import redis.asyncio as aioredis

    rng = random.Random(seed)
    clock = Clock(1000.0)
    settings = Settings(
        probe=rng.choice([1, 2]),
        assumed_limit=rng.choice([None, 10]),
        window=rng.choice([5.0, 60.0]),
        reserve_share=rng.choice([0.0, 0.1, 0.3]),
        lease=rng.choice([1.5, 30.0]),
    )
    memory = MemoryBackend(Rules(settings, random=lambda: 0.5), clock)
    scope = Scope(f"differential-{seed}")
    shared = RedisBackend(link, scope, Rules(settings, random=lambda: 0.5), local_clock=clock, clock=clock)
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    held: list[tuple[str, int]] = []
    serial, granted = 0, 0
    try:
        for step in range(STEPS):
            action = rng.random()
            if action < 0.35 or not held:
                member = rng.choice(MEMBERS)
                asked: dict[Lane, list[str]] = {}
                for lane in LANES:
                    asked[lane] = [f"{member}-{serial + i}" for i in range(rng.choice([0, 0, 1, 3, 8]))]
                    serial += len(asked[lane])
                if held and rng.random() < 0.1:  # asked again after a lost answer: the same id
                    asked["interactive"].append(rng.choice(held)[0])
                lasts = rng.choice([0.5, 3.0])
                a = await memory.reserve(member, asked, lasts=lasts)
                b = await shared.reserve(member, asked, lasts=lasts)
                assert a == b, f"seed {seed}, step {step}: reserve"
                fresh = [token for token in (*a.interactive, *a.bulk) if token not in held]
                held += fresh
                granted += len(fresh)
            elif action < 0.7:
                lease, stamp = held.pop(rng.randrange(len(held)))
                seen = observation(rng)
                a_view = await memory.record(Ticket(stamp, clock.now, lease), seen)
                b_view = await shared.record(Ticket(stamp, clock.now, lease, shared=True), seen)
                assert a_view == b_view, f"seed {seed}, step {step}: record {seen}"
            elif action < 0.8:
                lease, stamp = held.pop(rng.randrange(len(held)))
                sent = rng.random() < 0.7
                a_view = await memory.end(Ticket(stamp, clock.now, lease), sent=sent)
                b_view = await shared.end(Ticket(stamp, clock.now, lease, shared=True), sent=sent)
                assert a_view == b_view, f"seed {seed}, step {step}: release"
            else:
                clock.now += rng.choice([0.01, 0.1, 0.5, 1.0, 3.0])
                continue
            stored: Any = await redis.hget(scope.key, "s")
            assert stored == memory.state.to_json(), f"seed {seed}, step {step}: the states differ"
    finally:
        await redis.aclose()
    return granted


@pytest.mark.parametrize("seed", range(40))
async def test_both_stores_agree_step_by_step(seed: int, link: Link, redis_url: str) -> None:
    """Random steps on one clock: the same grants, the same quota, and the same state, after every step."""
    assert await run(seed, link, redis_url) > 0
