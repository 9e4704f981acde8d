"""Pacing a limiter that sends no rate-limit headers, only bare 429s (a reverse proxy, a gateway), on both stores.

The rules start slowly (requests in flight grow with the answers), measure the limiter's rate between two 429s
(what it admitted in between is what it refilled), and pace just under it. Here they run on the test's clock
against simulated limiters of both kinds a proxy runs (a leaky bucket with a burst, a fixed window); the real
ones (nginx ``limit_req``) are in ``test_real_limiters.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from skipcall_async._pacing.rules import PACE_FIRST, RAMP_FIRST, SLOW_START_GROWTH, Observation
from support.drivers import Driver, Stores, store_fixture

stores = store_fixture()
RTT = 0.02  # seconds between a request's grant and its answer


def ok() -> Observation:
    return Observation(False, None, ())


def refused() -> Observation:
    return Observation(True, None, ())


async def test_answers_without_headers_start_slowly_and_never_switch_pacing_off(stores: Stores) -> None:
    """No rate-limit headers: requests in flight grow by a tenth of a request per answer (about 10 % per round
    trip), so that a limiter that only answers 429s refuses few of them when it runs out."""
    assert SLOW_START_GROWTH == 0.1
    driver = stores()
    await driver.reserve(1)
    await driver.record(ok())
    assert (await driver.reserve(500))[0] == 1  # the probe's count: 1.1 in flight allowed
    for _ in range(9):
        await driver.record(ok())
        await driver.reserve(1)
    assert (await driver.view()).in_flight == 1
    assert (await driver.reserve(500))[0] == 1  # 2.0 allowed: one more


async def test_the_first_429_starts_a_pace_that_grows_until_a_second_one_measures_the_rate(stores: Stores) -> None:
    """After the first 429 requests go one by one, from two a second, the pace doubling each second (and by a
    quarter per request admitted, at most); the second 429 measures the rate (what was admitted in between, over
    the time in between). A first measure is a floor (the pace was below it at first: some refill went unused),
    so the pace starts again from just under it, to search above it."""
    driver = stores(backoff_base=0.1)
    await driver.reserve(1)
    await driver.record(ok())
    await driver.reserve(1)
    await driver.record(refused())
    emptied = driver.now
    await driver.sleep(0.1)  # the gate
    assert (await driver.reserve(10))[0] == 1
    granted, retry_in = await driver.reserve(10)
    assert (granted, retry_in) == (0, pytest.approx(1.0 / RAMP_FIRST))
    admitted = 0
    while driver.now < emptied + 3.0:
        if driver.held:
            await driver.record(ok())
            admitted += 1
        await driver.sleep(0.01)
        await driver.reserve(1)
    while not driver.held:
        await driver.sleep(0.01)
        await driver.reserve(1)
    await driver.record(refused())
    rate = admitted / (driver.now - emptied)
    assert 10 <= admitted <= 40
    await driver.sleep(1.0)  # past the gate
    assert (await driver.reserve(10))[0] == 1
    granted, retry_in = await driver.reserve(10)
    assert granted == 0
    assert retry_in == pytest.approx(1.0 / (rate * PACE_FIRST), rel=0.01)


class LeakyBucket:
    """nginx's ``limit_req rate=.. burst=.. nodelay``: an excess that drains at the rate, refused above the burst."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.excess, self.last = 0.0, -math.inf

    def admit(self, now: float) -> bool:
        excess = max(0.0, self.excess - self.rate * (now - self.last)) + 1 if self.last > -math.inf else 0.0
        if excess > self.burst:
            return False
        self.excess, self.last = excess, now
        return True

    def ideal(self, calls: int) -> float:
        return (calls - self.burst - 1) / self.rate


class FixedWindow:
    """A counter per window of ``window`` seconds from the first request; refused past ``limit``."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.opened, self.count = -math.inf, 0

    def admit(self, now: float) -> bool:
        if now >= self.opened + self.window:
            self.opened, self.count = now, 0
        self.count += 1
        return self.count <= self.limit

    def ideal(self, calls: int) -> float:
        return (math.ceil(calls / self.limit) - 1) * self.window


async def run(driver: Driver, limiter: LeakyBucket | FixedWindow, calls: int) -> tuple[float, int]:
    """Every call sent through the rules until it is admitted: (seconds from the first request to the last
    admission, requests refused)."""
    start, pending, done, refusals = driver.now, calls, 0, 0
    answers: list[tuple[float, bool]] = []
    last_admitted = start
    while done < calls:
        retry_at = math.inf
        if pending:
            granted, retry_in = await driver.reserve(pending)
            pending -= granted
            answers += [(driver.now + RTT, limiter.admit(driver.now)) for _ in range(granted)]
            retry_at = driver.now + retry_in if pending else math.inf
        due = min(retry_at, answers[0][0] if answers else math.inf)
        assert due < start + 600, "stalled"
        driver.clock.now = max(driver.now, due)
        while answers and answers[0][0] <= driver.now:
            _, admitted = answers.pop(0)
            await driver.record(ok() if admitted else refused())
            if admitted:
                done, last_admitted = done + 1, driver.now - RTT
            else:
                pending, refusals = pending + 1, refusals + 1
    return last_admitted - start, refusals


LIMITERS: dict[str, Callable[[], LeakyBucket | FixedWindow]] = {
    "leaky bucket, burst 100": lambda: LeakyBucket(10.0, 100),
    "leaky bucket, burst 20": lambda: LeakyBucket(10.0, 20),
    "leaky bucket, 100 a minute": lambda: LeakyBucket(100 / 60, 100),
    "fixed window, 100 per 10 s": lambda: FixedWindow(100, 10.0),
}


@pytest.mark.parametrize("name", [name for name in LIMITERS if name.startswith("leaky")])
async def test_a_leaky_bucket_sending_only_bare_429s_is_used_fully_and_refuses_few(stores: Stores, name: str) -> None:
    """A proxy's leaky bucket (nginx ``limit_req``): at least 0.9 of its ideal rate, at most 5 % refused."""
    limiter = LIMITERS[name]()
    calls = 400 if limiter.rate >= 10 else 250
    took, refusals = await run(stores(), limiter, calls)
    utilization = limiter.ideal(calls) / took
    assert utilization >= 0.90, (took, refusals)
    assert refusals <= 0.05 * (calls + refusals), (took, utilization)


async def test_a_fixed_window_sending_only_bare_429s_loses_no_call(stores: Stores) -> None:
    """A window that only says 429 until it reopens, at a time nothing tells: the probes back off, so few are
    refused, and the pace its rate sets leaves about a third of the windows' time unused (the documented cost)."""
    limiter = FixedWindow(100, 10.0)
    took, refusals = await run(stores(), limiter, 400)
    assert limiter.ideal(400) / took >= 0.6, (took, refusals)
    assert refusals <= 0.06 * (400 + refusals), took
