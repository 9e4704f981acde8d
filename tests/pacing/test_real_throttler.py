"""The real @nestjs/throttler, in a real NestJS app started by the tests: the judge of the pacing and of the fake.

The app (`support.limiters.nestjs`) is installed from its committed lockfile with ``npm ci`` and started on a free
port. Its clock can be set from the test (``--fake-clock``), so one request trace is replayed against the real
guard and the fake server's ``nestjs-throttler`` rule at the same instants, and their answers compared.
"""

from __future__ import annotations

import asyncio
import http.client
import random
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from skipcall_async import RateLimitPolicy, RedisRateLimitStore, SkipcallClient
from skipcall_async.testing import NamedThrottler, Plan, RateLimitRule
from skipcall_async.testing._ratelimit import KeyLimiter
from support.fleet import collect, split, start_workers
from support.limiters.nestjs import NestApp, throttler

pytestmark = [pytest.mark.node, pytest.mark.slow]

T0 = 1_800_000_000_000  # the replay's first instant, epoch milliseconds
COMPARED = ("x-ratelimit-", "retry-after")  # the headers the guard sets


# -- one trace, two servers ---------------------------------------------------------------------------------------


def trace(seed: int, *, requests: int, ttl_ms: int, trackers: tuple[str, ...] = ("key-a",)) -> list[tuple[int, str]]:
    """Request times (ms from T0) and trackers: bursts, gaps around the ttl, and instants right at expiries."""
    rng = random.Random(seed)
    at, out = 0, []
    for _ in range(requests):
        roll = rng.random()
        if roll < 0.5:
            at += rng.randint(0, 20)  # a burst
        elif roll < 0.8:
            at += rng.randint(50, ttl_ms // 2)
        elif roll < 0.9:
            at += ttl_ms  # exactly one ttl on: a hit expiring at this very millisecond
        else:
            at += rng.randint(ttl_ms, 3 * ttl_ms)  # a pause: windows restart, blocks end
        out.append((at, rng.choice(trackers)))
    return out


def real_answers(app: NestApp, requests: list[tuple[int, str]]) -> list[dict[str, str]]:
    """Status and the guard's headers for each request, sent to the real app with its clock set to its instant."""
    parts = urlsplit(app.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    out = []
    try:
        for at, tracker in requests:
            conn.request("POST", f"/__admin/clock?now={T0 + at}")
            conn.getresponse().read()
            conn.request("GET", "/v1/calls/trace", headers={"Authorization": f"Bearer {tracker}"})
            response = conn.getresponse()
            response.read()
            headers = {k.lower(): v for k, v in response.getheaders() if k.lower().startswith(COMPARED)}
            out.append({"status": str(response.status), **headers})
    finally:
        conn.close()
    return out


def fake_answers(rule: RateLimitRule, requests: list[tuple[int, str]]) -> list[dict[str, str]]:
    """The same, from the fake server's rule (one count per tracker, as the app tracks bearer keys)."""
    limiters: dict[str, KeyLimiter] = {}
    out = []
    for at, tracker in requests:
        limiter = limiters.setdefault(tracker, KeyLimiter(rule))
        now = (T0 + at) / 1000.0
        decision = limiter.check(now)
        headers = {**limiter.headers(decision, now)}
        if not decision.allowed:
            headers.update(limiter.retry_headers(decision, now))
        out.append({"status": "200" if decision.allowed else "429", **{k.lower(): v for k, v in headers.items()}})
    return out


CASES = {
    # name: (the app's ThrottlerModule list, the fake's rule, ttl of the trace in ms)
    "no block": (
        [throttler(2, 5, block=0)],
        RateLimitRule(plan=Plan(limit=5, window=2), rule="nestjs-throttler"),
        2000,
    ),
    "the library's default block (one ttl)": (
        [throttler(2, 5)],
        RateLimitRule(plan=Plan(limit=5, window=2), rule="nestjs-throttler", block_duration=2),
        2000,
    ),
    "a block longer than the ttl": (
        [throttler(1.5, 4, block=4)],
        RateLimitRule(plan=Plan(limit=4, window=1.5), rule="nestjs-throttler", block_duration=4),
        1500,
    ),
    "a block shorter than the ttl": (
        [throttler(3, 4, block=1)],
        RateLimitRule(plan=Plan(limit=4, window=3), rule="nestjs-throttler", block_duration=1),
        3000,
    ),
    "two named throttlers beside the default, blocks mixed": (
        [throttler(3, 6, block=0), throttler(1, 2, name="short"), throttler(6, 9, block=0, name="long")],
        RateLimitRule(
            plan=Plan(limit=6, window=3),
            rule="nestjs-throttler",
            throttlers=(
                NamedThrottler(name="short", plan=Plan(limit=2, window=1), block_duration=1),
                NamedThrottler(name="long", plan=Plan(limit=9, window=6)),
            ),
        ),
        1000,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_fake_throttler_answers_a_trace_as_the_real_one_does(nest_installed: str, case: str) -> None:
    """Every request of a 300-request trace on two keys gets the same status and headers from both servers."""
    throttlers, rule, ttl_ms = CASES[case]
    requests = trace(sum(map(ord, case)), requests=300, ttl_ms=ttl_ms, trackers=("key-a", "key-b"))
    with NestApp(throttlers, fake_clock=True) as app:
        real = real_answers(app, requests)
    fake = fake_answers(rule, requests)
    assert {answer["status"] for answer in real} == {"200", "429"}  # the trace does reach the limits
    mismatches = [(i, requests[i], r, f) for i, (r, f) in enumerate(zip(real, fake, strict=True)) if r != f]
    assert not mismatches, mismatches[:3]


def test_the_real_guard_sends_the_headers_the_docs_describe(nest_installed: str) -> None:
    """200: limit, remaining, whole seconds to the tracker's end, per throttler; 429: Retry-After of the refuser.

    The shorter throttler runs first: a request the longer one refuses was counted by the shorter one, whose
    headers come on the 429; one the shorter refuses never reaches the longer one.
    """
    requests = [(0, "k"), (10, "k"), (20, "k"), (1500, "k"), (1510, "k")]
    with NestApp([throttler(10, 3, block=0), throttler(1, 2, block=0, name="short")], fake_clock=True) as app:
        answers = real_answers(app, requests)
    assert answers == [
        {"status": "200", "x-ratelimit-limit-short": "2", "x-ratelimit-remaining-short": "1",
         "x-ratelimit-reset-short": "1", "x-ratelimit-limit": "3", "x-ratelimit-remaining": "2",
         "x-ratelimit-reset": "10"},
        {"status": "200", "x-ratelimit-limit-short": "2", "x-ratelimit-remaining-short": "0",
         "x-ratelimit-reset-short": "1", "x-ratelimit-limit": "3", "x-ratelimit-remaining": "1",
         "x-ratelimit-reset": "10"},
        {"status": "429", "retry-after-short": "1"},
        {"status": "200", "x-ratelimit-limit-short": "2", "x-ratelimit-remaining-short": "1",
         "x-ratelimit-reset-short": "1", "x-ratelimit-limit": "3", "x-ratelimit-remaining": "0",
         "x-ratelimit-reset": "9"},
        {"status": "429", "x-ratelimit-limit-short": "2", "x-ratelimit-remaining-short": "0",
         "x-ratelimit-reset-short": "1", "retry-after": "9"},
    ]  # fmt: skip


# -- the client against the real guard ---------------------------------------------------------------------------


@pytest.fixture
def lagging_loop() -> Iterator[None]:
    """A CPU hog beside the event loop that holds the GIL for 50-200 ms at a time (a loaded pod).

    The work is one C call (``sum`` over a range), which keeps the GIL to its end: a busy loop of Python code
    would hand it back every few milliseconds and barely delay the loop.
    """
    stop = threading.Event()
    started = time.perf_counter()
    sum(range(2_000_000))
    per_second = 2_000_000 / (time.perf_counter() - started)

    def hog() -> None:
        rng = random.Random(7)
        while not stop.is_set():
            sum(range(int(rng.uniform(0.05, 0.2) * per_second)))
            time.sleep(rng.uniform(0.0, 0.1))

    thread = threading.Thread(target=hog, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


async def gather_calls(url: str, count: int, **client: Any) -> list[str]:
    async with SkipcallClient("sk_test_real_throttler", base_url=url, **client) as sdk:
        calls = await asyncio.gather(*(sdk.get_call(f"call-{i}") for i in range(count)))
    return [call.id for call in calls]


@pytest.mark.parametrize("block", [None, 0.0], ids=["default block", "no block"])
async def test_a_gather_through_the_real_guard_never_trips_it(nest_installed: str, block: float | None) -> None:
    """130 calls against 40 per 2 s: every call back, each sent once, and the guard never refused one."""
    with NestApp([throttler(2, 40, block=block)]) as app:
        ids = await gather_calls(app.url, 130)
        log = app.log()
    assert ids == [f"call-{i}" for i in range(130)]
    assert [status for _, status in log] == [200] * 130


async def test_a_starved_event_loop_still_never_trips_the_real_guard(nest_installed: str, lagging_loop: None) -> None:
    """The same with the loop stalled for up to 200 ms at a time: answers are read late, and still no 429."""
    lags: list[float] = []
    probe = asyncio.create_task(measure_lag(lags))
    with NestApp([throttler(2, 40)]) as app:
        ids = await gather_calls(app.url, 130)
        log = app.log()
    probe.cancel()
    assert max(lags) >= 0.05, "the hog did not stall the loop"
    assert ids == [f"call-{i}" for i in range(130)]
    assert [status for _, status in log] == [200] * 130


async def measure_lag(lags: list[float]) -> None:
    """Append how late each 10 ms sleep wakes, until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(0.01)
        lags.append(loop.time() - started - 0.01)


async def test_named_throttlers_are_each_paced(nest_installed: str) -> None:
    """10 a second and 30 per 3 s at once, unsuffixed headers for neither: both respected, no 429."""
    with NestApp([throttler(1, 10, name="second"), throttler(3, 30, name="burst")]) as app:
        ids = await gather_calls(app.url, 70)
        log = app.log()
    assert ids == [f"call-{i}" for i in range(70)]
    assert [status for _, status in log] == [200] * 70
    admitted = sorted(at for at, _ in log)
    assert all(b - a >= 1.0 for a, b in zip(admitted, admitted[10:], strict=False))  # never 11 in a second


@pytest.mark.redis
async def test_a_process_through_redis_never_trips_the_real_guard(nest_installed: str, redis_url: str) -> None:
    """One process pacing through Redis against the real guard: every call back, no 429."""
    store = RedisRateLimitStore(redis_url)
    with NestApp([throttler(2, 40)]) as app:
        ids = await gather_calls(app.url, 130, rate_limiting=RateLimitPolicy(store=store))
        log = app.log()
    assert ids == [f"call-{i}" for i in range(130)]
    assert [status for _, status in log] == [200] * 130


@pytest.mark.redis
async def test_four_processes_through_redis_never_trip_the_real_guard(nest_installed: str, redis_url: str) -> None:
    """Four worker processes on one key, sharing its quota through Redis: every id back, no 429 at the guard."""
    ids = [f"call-{i}" for i in range(240)]
    with NestApp([throttler(2, 50)]) as app:
        start_at = time.time() + 2.0
        jobs = [{"base_url": app.url, "api_key": "sk_test_fleet", "ids": share, "start_at": start_at}
                for share in split(ids, 4)]  # fmt: skip
        processes = start_workers(jobs, redis_url=redis_url)
        reports = await asyncio.get_running_loop().run_in_executor(None, collect, processes)
        log = app.log()
    assert all(report is not None and report.store == "redis" for report in reports)
    assert sorted(i for report in reports if report for i in report.fetched) == sorted(ids)
    assert [status for _, status in log] == [200] * len(ids)


async def test_without_a_shared_store_the_same_fleet_trips_it(nest_installed: str) -> None:
    """The control: the same four processes each pacing alone are refused (and still get every id, by retrying)."""
    ids = [f"call-{i}" for i in range(240)]
    with NestApp([throttler(2, 50, block=0)]) as app:
        start_at = time.time() + 2.0
        jobs = [{"base_url": app.url, "api_key": "sk_test_fleet", "ids": share, "start_at": start_at,
                 "max_attempts": 30} for share in split(ids, 4)]  # fmt: skip
        processes = start_workers(jobs, redis_url=None)
        reports = await asyncio.get_running_loop().run_in_executor(None, collect, processes)
        log = app.log()
    assert sorted(i for report in reports if report for i in report.fetched) == sorted(ids)
    assert sum(1 for _, status in log if status == 429) > 0
