"""The async waiter: FIFO release, cancellation, give-up, the concurrency cap and hooks."""

from __future__ import annotations

import asyncio
import math

import attrs
import pytest

from skipcall_async import (
    RateLimitHeaders,
    RateLimitPolicy,
    RateLimitWaitError,
    RateLimitWaitEvent,
    RequestEvent,
    ResponseEvent,
    RetryPolicy,
    SkipcallClient,
)
from skipcall_async._pacing.settings import Settings
from skipcall_async._pacing.stores import in_process_limiter
from support.backends import API_KEY, LocalServer, Reply


def spent_window(reset_in: float) -> RateLimitHeaders:
    return RateLimitHeaders(limit=10, remaining=0, reset_after=reset_in)


async def test_waiters_are_released_in_fifo_order_one_token_each() -> None:
    """Three waiters, then a window with two tokens: the first two go, in order; the third keeps waiting."""
    limiter = in_process_limiter(Settings())
    probe = await limiter.acquire()
    order: list[int] = []

    async def wait(n: int) -> None:
        await limiter.acquire()
        order.append(n)

    tasks = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert limiter.snapshot().waiting == 3
    limiter.record(probe, RateLimitHeaders(limit=10, remaining=2, reset_after=60), status=200, retry_after=None)
    await asyncio.sleep(0)
    assert order == [0, 1]
    assert limiter.snapshot().waiting == 1
    tasks[2].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_cancelling_a_waiter_leaks_nothing() -> None:
    """A cancelled waiter leaves the queue; a granted-then-cancelled one returns its token."""
    limiter = in_process_limiter(Settings())
    probe = await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.snapshot().waiting == 0
    limiter.release(probe)
    assert limiter.snapshot().in_flight == 0
    await limiter.acquire()  # the probe slot is free again
    assert limiter.snapshot().in_flight == 1


async def test_a_wait_past_the_limit_fails_at_once() -> None:
    """A 429 asking for an hour, with a 1 s allowance, raises RateLimitWaitError at once, with the wait."""
    limiter = in_process_limiter(Settings())
    probe = await limiter.acquire()
    limiter.record(probe, RateLimitHeaders(), status=429, retry_after=3600.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RateLimitWaitError) as info:
        await limiter.acquire(give_up_at=loop.time() + 1.0)
    assert loop.time() - started < 0.5
    assert info.value.retry_after == pytest.approx(3600, abs=1)


async def test_a_waiter_gives_up_when_its_deadline_passes() -> None:
    """Waiting on an unanswered probe, a waiter with a deadline fails when it passes instead of hanging."""
    limiter = in_process_limiter(Settings())
    await limiter.acquire()
    loop = asyncio.get_running_loop()
    with pytest.raises(RateLimitWaitError):
        await limiter.acquire(give_up_at=loop.time() + 0.05)
    assert limiter.snapshot().waiting == 0


async def test_a_waiter_behind_others_still_gives_up_at_its_own_deadline() -> None:
    """Queued behind a patient waiter, one with a short deadline fails on time; the patient one keeps its place."""
    limiter = in_process_limiter(Settings())
    probe = await limiter.acquire()
    loop = asyncio.get_running_loop()
    patient = asyncio.create_task(limiter.acquire(give_up_at=loop.time() + 60))
    await asyncio.sleep(0)
    started = loop.time()
    with pytest.raises(RateLimitWaitError):
        await asyncio.wait_for(limiter.acquire(give_up_at=loop.time() + 0.05), timeout=2)
    assert loop.time() - started < 1.0
    assert not patient.done()
    assert limiter.snapshot().waiting == 1
    limiter.release(probe)  # the probe's request ended without a response: the patient waiter takes its place
    await asyncio.wait_for(patient, timeout=2)


async def test_the_timer_releases_waiters_at_the_reset() -> None:
    """No response needed: the single timer admits the head when the window resets."""
    limiter = in_process_limiter(Settings())
    limiter.backend.rules.settings = attrs.evolve(limiter.backend.rules.settings, margin=0.0)
    probe = await limiter.acquire()
    limiter.record(probe, spent_window(0.05), status=200, retry_after=None)
    started = limiter.clock()
    await asyncio.wait_for(limiter.acquire(), timeout=2)
    assert 0.03 < limiter.clock() - started < 1.0


async def test_a_rejected_request_goes_first() -> None:
    """acquire(at_head=True) jumps the queue."""
    limiter = in_process_limiter(Settings())
    probe = await limiter.acquire()
    order: list[str] = []

    async def wait(name: str, at_head: bool) -> None:
        await limiter.acquire(at_head=at_head)
        order.append(name)

    tasks = [asyncio.create_task(wait("queued", False))]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(wait("rejected", True)))
    await asyncio.sleep(0)
    limiter.record(probe, RateLimitHeaders(limit=10, remaining=1, reset_after=60), status=200, retry_after=None)
    await asyncio.sleep(0)
    assert order == ["rejected"]
    tasks[0].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_the_concurrency_cap_bounds_requests_on_the_wire(server: LocalServer) -> None:
    """With max_connections=3, never more than three requests are in the server at once."""
    server.reply_for = lambda sent: Reply(json={"id": sent.raw_path.rsplit("/", 1)[-1]})  # type: ignore[assignment]
    server.delay = 0.02
    async with SkipcallClient(
        API_KEY, base_url=server.url, max_connections=3, rate_limiting=RateLimitPolicy(probe=50)
    ) as client:
        calls = await asyncio.gather(*(client.get_call(str(i)) for i in range(20)))
    assert [c.id for c in calls] == [str(i) for i in range(20)]
    assert server.peak == 3


async def test_hooks_see_requests_responses_and_rate_limit_waits(server: LocalServer) -> None:
    """on_request/on_response fire per attempt; on_rate_limit_wait fires for a task that had to queue."""
    events: list[object] = []

    async def record(event: object) -> None:
        events.append(event)

    server.respond(200, {"id": "x"}, X_RateLimit_Remaining="50", X_RateLimit_Reset="60")
    async with SkipcallClient(
        API_KEY, base_url=server.url, on_request=record, on_response=record, on_rate_limit_wait=record
    ) as client:
        await asyncio.gather(client.get_call("x"), client.get_call("x"))
    kinds = [type(e) for e in events]
    assert kinds.count(RequestEvent) == 2
    assert kinds.count(ResponseEvent) == 2
    assert kinds.count(RateLimitWaitEvent) == 1  # the second call waited for the probe's headers
    response = next(e for e in events if isinstance(e, ResponseEvent))
    assert (response.method, response.path, response.status) == ("GET", "/v1/calls/x", 200)


async def test_a_429_gate_holds_every_task_then_retries_first(server: LocalServer) -> None:
    """One 429 with Retry-After closes the gate for all tasks on the key; all calls then succeed."""
    server.respond(429, None, Retry_After="0.2", X_RateLimit_Remaining="0", X_RateLimit_Reset="1")
    server.respond(200, {"id": "ok"}, X_RateLimit_Remaining="100", X_RateLimit_Reset="60")
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with SkipcallClient(API_KEY, base_url=server.url, retry=RetryPolicy(max_attempts=2)) as client:
        results = await asyncio.gather(*(client.get_call("ok") for _ in range(5)))
        snapshot = client.rate_limit
    assert [r.id for r in results] == ["ok"] * 5
    assert loop.time() - started >= 0.2
    assert snapshot.rate_limited == 1
    assert len(server.sent) == 6  # the probe got 429, was retried first, then four more


async def test_clients_on_the_same_key_share_one_governor(server: LocalServer) -> None:
    """Two clients built with the same key and base URL see the same rate-limit state."""
    server.respond(200, {"status": "ok"}, X_RateLimit_Remaining="7", X_RateLimit_Reset="60")
    async with SkipcallClient(API_KEY, base_url=server.url) as a, SkipcallClient(API_KEY, base_url=server.url) as b:
        await a.health()
        assert b.rate_limit.remaining == 7
        assert b.rate_limit.limit == 1000
        assert math.isclose(b.rate_limit.reset_at or 0, a.rate_limit.reset_at or 1)
    async with SkipcallClient("sk_other_key", base_url=server.url) as other:
        assert other.rate_limit.remaining is None


class CountingTime(float):
    """A give-up time that counts how often it is compared."""

    comparisons = 0

    def __lt__(self, other: object) -> bool:
        CountingTime.comparisons += 1
        return float(self) < other  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        CountingTime.comparisons += 1
        return float(self) <= other  # type: ignore[operator]


async def test_queueing_thousands_of_waiters_is_not_quadratic() -> None:
    """At cold start thousands of tasks queue behind the probe; each arrival must not rescan the whole queue."""
    limiter = in_process_limiter(Settings())
    probe = await limiter.acquire()  # the probe, in flight
    loop = asyncio.get_running_loop()
    waiters = 2000
    CountingTime.comparisons = 0
    tasks = [asyncio.create_task(limiter.acquire(give_up_at=CountingTime(loop.time() + 300))) for _ in range(waiters)]
    await asyncio.sleep(0)
    assert limiter.snapshot().waiting == waiters
    assert CountingTime.comparisons < waiters * 40  # n log n; a scan per arrival would be about n * n / 2
    plenty = RateLimitHeaders(limit=10_000, remaining=10_000, reset_after=60)
    limiter.record(probe, plenty, status=200, retry_after=None)
    await asyncio.gather(*tasks)
    assert limiter.snapshot().in_flight == waiters


async def test_the_first_client_on_a_key_configures_the_shared_limiter(server: LocalServer) -> None:
    """A second client on the same key shares the first one's limiter, window setting included."""
    server.respond(200, {"status": "ok"})
    first_policy = RateLimitPolicy(window=7.0)
    async with SkipcallClient(API_KEY, base_url=server.url, rate_limiting=first_policy) as first:
        await first.health()
        second_policy = RateLimitPolicy(window=60.0)
        async with SkipcallClient(API_KEY, base_url=server.url, rate_limiting=second_policy) as second:
            await second.health()
            assert second._get_limiter() is first._get_limiter()
            assert second._get_limiter().backend.rules.settings == attrs.evolve(
                first_policy._settings(), lease=math.inf
            )
            assert second.rate_limit.window == 7.0
    assert len(server.sent) == 2


async def test_reprs_show_the_state_never_a_key(server: LocalServer) -> None:
    """The limiter and the in-process store say what they hold: limit, remaining, waiters, next wake, keys."""
    server.respond(200, {"status": "ok"}, X_RateLimit_Remaining="0", X_RateLimit_Reset="30")
    async with SkipcallClient(API_KEY, base_url=server.url) as client:
        await client.health()
        waiter = asyncio.create_task(client.health())
        await asyncio.sleep(0.01)
        limiter = client._get_limiter()
        text = repr(limiter)
        store = repr(client._store)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    assert "store='in-process'" in text
    assert "limit=1000" in text
    assert "remaining=0" in text
    assert "waiting=1" in text
    assert "next_wake_in=30." in text or "next_wake_in=29." in text
    assert store.startswith("InProcessRateLimitStore(keys=")
    assert API_KEY not in text + store
