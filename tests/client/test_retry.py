"""The retry policy: which errors, for which methods, and the exact delays (sleep and jitter injected)."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

import pytest

from skipcall_async import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    RateLimitWaitError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
    SkipcallError,
    TooManyRequestsError,
)
from skipcall_async._retry import RetryObserver, Sleep, is_retryable, run_with_retries
from support.backends import API_KEY, Backend


def highest(low: float, high: float) -> float:
    return high


class Script:
    """An attempt function that raises the scripted errors in turn, then returns 'ok'."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.previous: list[BaseException | None] = []

    async def __call__(self, previous: BaseException | None) -> str:
        self.previous.append(previous)
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def server_error(status: int = 503) -> ServerError:
    return ServerError("down", status=status)


async def run(
    script: Script | Callable[[BaseException | None], Awaitable[str]],
    policy: RetryPolicy,
    *,
    idempotent: bool,
    sleep: Sleep,
    on_retry: RetryObserver | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """What the client's funnel does: the first attempt by itself, the rest through ``run_with_retries``."""
    deadline = math.inf if policy.deadline is None else clock() + policy.deadline
    try:
        return await script(None)
    except SkipcallError as error:
        return await run_with_retries(
            script,
            policy,
            first_error=error,
            idempotent=idempotent,
            deadline_at=deadline,
            clock=clock,
            sleep=sleep,
            on_retry=on_retry,
        )


async def test_backoff_is_full_jitter_exponential_with_a_cap() -> None:
    """Delays are uniform(0, min(cap, base * 2**n)): with the top of the range drawn, 0.5, 1, 2, 2."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = RetryPolicy(max_attempts=5, base=0.5, cap=2.0, jitter=highest)
    script = Script(*(server_error() for _ in range(4)))
    assert await run(script, policy, idempotent=True, sleep=sleep) == "ok"
    assert slept == [0.5, 1.0, 2.0, 2.0]


async def test_jitter_draws_between_zero_and_the_ceiling() -> None:
    """The jitter function receives (0, ceiling) for each retry."""
    ranges: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        ranges.append((low, high))
        return 0.0

    async def sleep(_: float) -> None:
        return None

    policy = RetryPolicy(max_attempts=4, base=1.0, cap=3.0, jitter=record)
    await run(Script(server_error(), server_error(), server_error()), policy, idempotent=True, sleep=sleep)
    assert ranges == [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]


async def test_a_429_that_reaches_the_retry_policy_is_final() -> None:
    """The funnel sends a refused request again itself, within max_rate_limit_wait: a 429 that comes as far as the
    retry policy has spent that budget, and is not retried (nor slept on)."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    script = Script(TooManyRequestsError("slow", retry_after=1.0))
    with pytest.raises(TooManyRequestsError):
        await run(script, RetryPolicy(jitter=highest), idempotent=False, sleep=sleep)
    assert slept == []
    assert len(script.previous) == 1


async def test_attempts_are_counted_on_the_final_error() -> None:
    """After max_attempts the last error is raised with attempts and a note."""

    async def sleep(_: float) -> None:
        return None

    with pytest.raises(ServerError) as info:
        await run(
            Script(*(server_error() for _ in range(5))), RetryPolicy(max_attempts=3), idempotent=True, sleep=sleep
        )
    assert info.value.attempts == 3
    assert "attempts: 3" in info.value.__notes__


async def test_on_retry_hears_each_retry() -> None:
    """The call's observer is told the failed attempt's number, its error and the delay chosen."""
    told: list[tuple[int, float, type[BaseException]]] = []

    async def observer(attempt: int, error: BaseException, delay: float) -> None:
        told.append((attempt, delay, type(error)))

    async def sleep(_: float) -> None:
        return None

    await run(
        Script(server_error(), server_error()),
        RetryPolicy(jitter=highest, base=1.0),
        idempotent=True,
        sleep=sleep,
        on_retry=observer,
    )
    assert told == [(1, 1.0, ServerError), (2, 2.0, ServerError)]


NOT_SENT = APIConnectionError("refused", request_sent=False)
SENT = APIConnectionError("reset", request_sent=True)


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (server_error(500), True, True),
        (server_error(502), True, True),
        (server_error(504), True, True),
        (server_error(501), True, False),
        (server_error(503), False, False),
        (TooManyRequestsError("x", retry_after=1), True, False),  # sent again by the rate-limit wait, not by retries
        (RateLimitWaitError("x", retry_after=99), True, False),
        (SENT, True, True),
        (SENT, False, False),
        (NOT_SENT, False, True),
        (APITimeoutError("slow"), True, True),
        (APITimeoutError("slow"), False, False),
        (BadRequestError("bad", status=400), True, False),
    ],
)
def test_which_errors_are_retried(error: BaseException, idempotent: bool, expected: bool) -> None:
    """5xx gateway errors, 429, network faults for safe requests; POST only when never sent."""
    assert is_retryable(error, idempotent=idempotent) is expected


async def test_a_get_is_retried_on_503_through_the_client(backend: Backend) -> None:
    """Two 503s then a 200: three identical GETs went out and the call succeeds."""
    backend.respond(503, None)
    backend.respond(503, None)
    backend.respond(200, {"id": "c"})
    policy = RetryPolicy(base=0.001, cap=0.001)
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=policy) as client:
        call = await client.get_call("c")
    assert call.id == "c"
    assert [(s.method, s.raw_path) for s in backend.sent] == [("GET", "/v1/calls/c")] * 3


async def test_a_post_is_not_retried_after_a_503(backend: Backend) -> None:
    """create_contact may have taken effect: one attempt only."""
    backend.respond(503, None)
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(base=0.001)) as client:
        with pytest.raises(ServerError) as info:
            await client.create_contact(first_name="J", last_name="D", phone_numbers=["+1"])
    assert info.value.attempts == 1
    assert len(backend.sent) == 1


async def test_documented_idempotent_posts_are_retried(backend: Backend) -> None:
    """add_sequence_contacts is documented idempotent, so a 502 is retried with the same body."""
    backend.respond(502, None)
    backend.respond(201, {})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(base=0.001)) as client:
        await client.add_sequence_contacts("s", ["c1"])
    assert [s.body for s in backend.sent] == [{"contacts": [{"contactId": "c1"}]}] * 2


async def test_a_post_is_retried_when_the_connection_was_refused() -> None:
    """Nothing reached the server, so even a POST is retried; the final error counts the attempts."""
    policy = RetryPolicy(max_attempts=3, base=0.001, cap=0.001)
    async with SkipcallClient(API_KEY, base_url="http://127.0.0.1:9", retry=policy) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.create_tag(label="x")
    assert info.value.attempts == 3


async def test_the_deadline_bounds_all_attempts(backend: Backend) -> None:
    """With a deadline shorter than the backoff, the call stops early instead of sleeping on."""
    backend.respond(503, None)
    policy = RetryPolicy(max_attempts=10, base=5.0, cap=5.0, deadline=0.5, jitter=highest)
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=policy) as client:
        with pytest.raises(ServerError) as info:
            await client.get_call("x")
    assert info.value.attempts == 1


async def test_the_deadline_counts_the_first_attempt() -> None:
    """A first attempt that used most of the deadline leaves no room for a retry and its backoff."""
    now = [0.0]

    async def slow_first(previous: BaseException | None) -> str:
        now[0] += 9.0  # the first attempt took 9 of the 10 seconds
        raise server_error()

    async def sleep(_: float) -> None:
        return None

    policy = RetryPolicy(max_attempts=5, base=2.0, cap=2.0, deadline=10.0, jitter=highest)
    with pytest.raises(ServerError) as info:
        await run(slow_first, policy, idempotent=True, sleep=sleep, clock=lambda: now[0])
    assert info.value.attempts == 1


CALL = {"id": "c-1", "organizationId": "org-1", "status": "completed"}
REFUSED = {"error": {"code": "RATE_LIMITED", "message": "slow down", "status": 429}}


async def test_429s_are_rate_limit_waits_not_attempts(backend: Backend) -> None:
    """Three 429s then a 200 with retries off: the call returns, each refused request sent again at the gate's end."""
    for _ in range(3):
        backend.respond(429, REFUSED, Retry_After="0.1")
    backend.respond(200, CALL)
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(max_attempts=1)) as client:
        started = time.monotonic()
        call = await client.get_call("c-1")
        took = time.monotonic() - started
    assert (call.id, call.organization_id) == ("c-1", "org-1")
    assert [(s.method, s.raw_path) for s in backend.sent] == [("GET", "/v1/calls/c-1")] * 4
    assert all(s.headers["Authorization"] == f"Bearer {API_KEY}" for s in backend.sent)
    assert took >= 0.3  # each 429 closed the gate for its Retry-After


async def test_a_call_refused_past_its_rate_limit_budget_raises_its_last_429(backend: Backend) -> None:
    """429s that never end: the waits, together, stay within max_rate_limit_wait; then the last 429 is raised,
    saying how many times the call was refused, with every request sent counted as an attempt."""
    backend.respond(429, REFUSED, Retry_After="0.3")
    async with SkipcallClient(API_KEY, base_url=backend.url, max_rate_limit_wait=0.5) as client:
        started = time.monotonic()
        with pytest.raises(TooManyRequestsError) as info:
            await client.get_call("c-1")
        took = time.monotonic() - started
    assert len(backend.sent) == 2  # at 0 and 0.3 s: the next wait (0.3 s at least) would pass 0.5 s
    assert all((s.method, s.raw_path) == ("GET", "/v1/calls/c-1") for s in backend.sent)
    assert info.value.attempts == 2
    assert any("refused 2 times" in note for note in info.value.__notes__)
    assert 0.3 <= took < 0.5
