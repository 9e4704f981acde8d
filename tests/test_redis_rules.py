"""The quota rules, run twice: by the in-process QuotaState and by the Redis scripts, on the same cases.

Each case drives a ``Driver``: reserve N tokens, record an observation for the oldest token held, release one,
let time pass, and read the view. The in-process driver moves a fake clock; the Redis driver sleeps for real
(short times) and runs the Lua scripts on a real redis-server, timed by Redis ``TIME``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest

from skipcall_async._quota import Observation, QuotaState, QuotaView
from skipcall_async._redis._fleet import Scope
from skipcall_async._redis._scripts import (
    KEY_GRACE,
    RECORD,
    RELEASE,
    RESERVE,
    observation_args,
    parse_grant,
    parse_view,
)

LEASE = 30.0
MARGIN = 0.05
WINDOW = 60.0


def seen(
    remaining: int | None, reset_in: float | None, *, limit: int = 100, window: float | None = None
) -> Observation:
    """A success whose headers say ``remaining`` left until ``reset_in`` seconds from now."""
    return Observation(False, limit, remaining, reset_in, reset_in, None, window)


def rejected(gate_in: float | None) -> Observation:
    """A 429 asking to wait ``gate_in`` seconds (None: no usable hint)."""
    return Observation(True, None, None, None, None, gate_in)


class Driver(Protocol):
    async def reserve(self, count: int) -> tuple[int, float]: ...
    async def record(self, observation: Observation) -> None: ...
    async def release(self) -> None: ...
    async def view(self) -> QuotaView: ...
    async def sleep(self, seconds: float) -> None: ...


class LocalDriver:
    """QuotaState on a fake clock."""

    def __init__(self, **settings: Any) -> None:
        self.now = 1000.0
        self.quota = QuotaState(margin=MARGIN, window=WINDOW, random=lambda: 1.0, **settings)

    async def reserve(self, count: int) -> tuple[int, float]:
        granted = 0
        retry_at: float | None = None
        while granted < count and (retry_at := self.quota.reserve(self.now)) is None:
            granted += 1
        return granted, (math.inf if retry_at is None or granted == count else retry_at - self.now)

    async def record(self, observation: Observation) -> None:
        self.quota.record(self.now, observation)

    async def release(self) -> None:
        self.quota.release(self.now)

    async def view(self) -> QuotaView:
        return self.quota.view(self.now)

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class RedisDriver:
    """The Lua scripts on a real Redis; tokens are leases whose ids this driver keeps in order."""

    def __init__(
        self, client: Any, *, probe: int = 1, assumed_limit: int | None = None, backoff_base: float = 1.0
    ) -> None:
        self.client = client
        self.scope = Scope("0123456789abcdef01234567")
        self.probe, self.assumed_limit, self.backoff_base = probe, assumed_limit, backoff_base
        self.held: list[str] = []
        self.serial = 0
        self.scripts = {name: client.register_script(src) for name, src in
                        (("reserve", RESERVE), ("record", RECORD), ("release", RELEASE))}  # fmt: skip

    async def reserve(self, count: int) -> tuple[int, float]:
        ids = [f"t-{self.serial + i}" for i in range(count)]
        self.serial += count
        args = [self.probe, self.assumed_limit or 0, WINDOW, MARGIN, LEASE, KEY_GRACE, *ids]
        grant = parse_grant(await self.scripts["reserve"](keys=self.scope.keys, args=args))
        self.held += ids[: grant.granted]
        return grant.granted, (math.inf if grant.granted == count else grant.retry_in)

    async def record(self, observation: Observation) -> None:
        ticket = self.held.pop(0) if self.held else "none"
        args = [ticket, self.probe, MARGIN, WINDOW, 1.0, self.backoff_base, 1.0, KEY_GRACE, self.scope.channel]
        await self.scripts["record"](keys=self.scope.keys, args=[*args, *observation_args(observation)])

    async def release(self) -> None:
        args = [self.held.pop(0), self.probe, MARGIN, KEY_GRACE, self.scope.channel]
        await self.scripts["release"](keys=self.scope.keys, args=args)

    async def view(self) -> QuotaView:
        args = ["no-such-lease", self.probe, MARGIN, KEY_GRACE, self.scope.channel]  # releases nothing
        return parse_view(await self.scripts["release"](keys=self.scope.keys, args=args))

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Any]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture(params=["in-process", "redis"])
def make(request: pytest.FixtureRequest, redis_client: Any) -> Any:
    """A factory of drivers for the parametrised store."""

    def build(**settings: Any) -> Driver:
        if request.param == "in-process":
            return LocalDriver(**settings)
        return RedisDriver(redis_client, **settings)

    return build


async def test_cold_start_admits_one_probe_until_headers_arrive(make: Any) -> None:
    """One probe; when its headers say 99 left, 99 more are granted and the rest wait for the reset."""
    driver = make()
    assert (await driver.reserve(3))[0] == 1
    await driver.record(seen(99, 60.0))
    granted, retry_in = await driver.reserve(150)
    assert granted == 99
    assert retry_in == pytest.approx(60.0 + MARGIN, abs=0.05)
    assert (await driver.view()).in_flight == 99


async def test_a_stated_plan_opens_an_assumed_window(make: Any) -> None:
    """With the plan's limit given, a whole window goes out at once, then the real headers take over."""
    driver = make(assumed_limit=20)
    assert (await driver.reserve(25))[0] == 20
    await driver.record(seen(5, 10.0))
    view = await driver.view()
    assert (view.remaining, view.in_flight) == (0, 19)  # 5 left, 19 still in flight: nothing to spare
    assert view.reset_in == pytest.approx(10.0, abs=0.05)


async def test_remaining_only_falls_within_a_window_and_in_flight_counts(make: Any) -> None:
    """A late response with a higher Remaining gives nothing back; requests in flight are subtracted.

    The window's budget is what remained when it was learned less the requests then in flight (they may all be
    counted after that answer), so the late answer of one of them gives nothing back either.
    """
    driver = make(probe=3)
    assert (await driver.reserve(3))[0] == 3
    await driver.record(seen(5, 60.0))
    await driver.record(seen(9, 60.0))  # processed earlier by the server, arrived later
    view = await driver.view()
    assert view.remaining == 5 - 2
    assert view.in_flight == 1


async def test_a_later_reset_opens_a_new_window_and_an_earlier_one_is_stale(make: Any) -> None:
    """Past the tolerance a later reset replaces the window; an earlier one is an old window's straggler."""
    driver = make(probe=3)
    await driver.reserve(3)
    await driver.record(seen(10, 5.0))
    await driver.record(seen(40, 30.0))  # a new window
    await driver.record(seen(1, 3.0))  # stale
    view = await driver.view()
    assert view.remaining == 40
    assert view.reset_in == pytest.approx(30.0, abs=0.05)


async def test_after_the_reset_a_single_probe_goes_first(make: Any) -> None:
    """A spent window makes everyone wait for its reset; then one probe learns the next window."""
    driver = make()
    await driver.reserve(1)
    await driver.record(seen(0, 0.3))
    granted, retry_in = await driver.reserve(5)
    assert granted == 0
    assert retry_in == pytest.approx(0.3 + MARGIN, abs=0.05)
    await driver.sleep(0.4)
    assert (await driver.reserve(5))[0] == 1


async def test_a_429_closes_the_gate_then_probes(make: Any) -> None:
    """A 429 with a hint closes the gate for that long for everybody and forgets the window."""
    driver = make()
    await driver.reserve(1)
    await driver.record(seen(50, 60.0))
    assert (await driver.reserve(2))[0] == 2
    await driver.record(rejected(0.3))
    granted, retry_in = await driver.reserve(5)
    assert granted == 0
    assert retry_in == pytest.approx(0.3, abs=0.05)
    view = await driver.view()
    assert view.rate_limited == 1
    assert view.remaining is None
    await driver.sleep(0.35)
    await driver.release()  # the last one in flight never answers
    assert (await driver.reserve(5))[0] == 1  # the probe after the gate


async def test_429s_without_a_hint_back_off_growing_and_a_success_resets(make: Any) -> None:
    """No hint: the gate doubles (top of the jitter range) with each 429 in a row; a success starts it over."""
    driver = make(backoff_base=0.1)
    gates = []
    for _ in range(3):
        assert (await driver.reserve(1))[0] == 1
        await driver.record(rejected(None))
        gates.append((await driver.view()).gate_closed_for)
        await driver.sleep(gates[-1] + 0.02)
    assert gates == pytest.approx([0.1, 0.2, 0.4], abs=0.02)
    await driver.reserve(1)
    await driver.record(seen(10, 60.0))
    await driver.reserve(1)
    await driver.record(rejected(None))
    assert (await driver.view()).gate_closed_for == pytest.approx(0.1, abs=0.02)


async def test_releasing_returns_a_token(make: Any) -> None:
    """A request that got no response gives its token back."""
    driver = make()
    await driver.reserve(1)
    await driver.record(seen(3, 60.0))
    assert (await driver.reserve(5))[0] == 3
    await driver.release()
    assert (await driver.reserve(5))[0] == 1
    assert (await driver.view()).in_flight == 3


async def test_responses_without_headers_switch_pacing_off(make: Any) -> None:
    """No rate-limit headers at all: the concurrency cap and the 429 gate are all that is left."""
    driver = make()
    await driver.reserve(1)
    await driver.record(seen(None, None))
    assert (await driver.reserve(500))[0] == 500


async def test_hits_age_out_one_window_after_their_responses(make: Any) -> None:
    """A sliding log reporting a far reset: the window ends when the oldest live hit ages out, if that is sooner."""
    driver = make(probe=10)
    assert (await driver.reserve(10))[0] == 10
    for n in range(10):
        await driver.record(seen(99 - n, 30.0, window=0.5))  # ten hits counted, the server resets in 30 s
    view = await driver.view()
    assert view.reset_in == pytest.approx(0.5, abs=0.05)  # the first of them ages out in half a second
    assert view.remaining == 90
    await driver.sleep(0.6)
    assert (await driver.reserve(20))[0] == 10  # the window is over: probes go


async def test_hits_still_in_flight_are_not_mistaken_for_aged_ones(make: Any) -> None:
    """Old arrivals of expired hits do not stand in for live hits whose responses are still on their way."""
    driver = make(probe=5)
    assert (await driver.reserve(5))[0] == 5
    for n in range(5):
        await driver.record(seen(99 - n, 30.0, window=0.5))
    await driver.sleep(0.6)  # those five hits have aged out
    assert (await driver.reserve(3))[0] == 3
    await driver.record(seen(98, 30.0, window=0.5))  # two live: this one and one still in flight
    assert (await driver.view()).reset_in == pytest.approx(30.0, abs=0.05)


async def test_asking_again_for_the_same_lease_takes_one_token(redis_client: Any) -> None:
    """A reservation retried after a lost answer names the same ids: a lease granted then is not taken twice."""
    driver = RedisDriver(redis_client, probe=1)
    await driver.reserve(1)
    await driver.record(seen(10, 60.0))
    args = [1, 0, WINDOW, MARGIN, LEASE, KEY_GRACE]
    first = parse_grant(await driver.scripts["reserve"](keys=driver.scope.keys, args=[*args, "a", "b"]))
    again = parse_grant(await driver.scripts["reserve"](keys=driver.scope.keys, args=[*args, "a", "b", "c"]))
    assert (first.granted, again.granted) == (2, 3)
    assert again.view.in_flight == 3
    assert again.view.remaining == 7


async def test_a_burst_of_429s_counts_as_one_step_of_the_backoff(make: Any) -> None:
    """Ten requests in flight all refused without a hint: the gate closes for one step, not ten doublings."""
    driver = make(backoff_base=0.1)
    await driver.reserve(1)
    await driver.record(seen(50, 60.0))
    assert (await driver.reserve(10))[0] == 10
    for _ in range(10):
        await driver.record(rejected(None))
    view = await driver.view()
    assert view.rate_limited == 10
    assert view.gate_closed_for == pytest.approx(0.1, abs=0.02)
    await driver.sleep(0.12)
    await driver.reserve(1)  # the probe after the gate: refused again, the next step
    await driver.record(rejected(None))
    assert (await driver.view()).gate_closed_for == pytest.approx(0.2, abs=0.02)


async def test_an_expired_lease_counts_as_spent_until_its_window_ends(redis_client: Any) -> None:
    """A worker killed with requests in flight: once their leases expire, the window still counts them.

    Their requests may have reached the server, so the capacity comes back with the next window, not at the
    leases' expiry (which, with a lease shorter than the window, would send requests into a spent window).
    """
    driver = RedisDriver(redis_client, probe=1)
    await driver.reserve(1)
    await driver.record(seen(10, 1.0))
    base = [1, 0, WINDOW, MARGIN]
    dead = [f"dead-{i}" for i in range(4)]
    grant = parse_grant(await driver.scripts["reserve"](keys=driver.scope.keys, args=[*base, 0.2, KEY_GRACE, *dead]))
    assert grant.granted == 4
    assert grant.retry_in == math.inf  # nothing more wanted
    await driver.sleep(0.3)  # the leases expired, their responses never came
    view = await driver.view()
    assert (view.in_flight, view.remaining) == (0, 10 - 4)
    assert await redis_client.zcard(driver.scope.keys[2]) == 1 + 4  # the probe's response and the four, for ageing
    granted, retry_in = await driver.reserve(8)
    assert granted == 6
    assert retry_in == pytest.approx(1.0 - 0.3 + MARGIN, abs=0.1)  # the rest when the window ends


async def test_a_lease_still_running_in_a_new_window_holds_its_token_there_until_that_window_ends(
    redis_client: Any,
) -> None:
    """A lease taken in one window and never answered counts in flight in the next, then as spent there.

    Which window its request landed in is unknown; counting it in the one it expired in costs at most that token.
    """
    driver = RedisDriver(redis_client, probe=1)
    await driver.reserve(1)
    await driver.record(seen(10, 0.2))
    args = [1, 0, WINDOW, MARGIN, 0.4, KEY_GRACE, "slow"]
    assert parse_grant(await driver.scripts["reserve"](keys=driver.scope.keys, args=args)).granted == 1
    await driver.sleep(0.3)  # the window ended; the lease still runs
    await driver.reserve(1)  # the next window's probe
    await driver.record(seen(10, 1.0))
    assert (await driver.view()).remaining == 10 - 1  # in flight
    await driver.sleep(0.2)  # now the old lease expires
    view = await driver.view()
    assert (view.in_flight, view.remaining) == (0, 10 - 1)  # spent


async def test_after_the_reset_only_a_probe_s_answer_raises_remaining(make: Any) -> None:
    """Answers overtaking each other after the reset cannot raise remaining; the probe's answer can.

    Five requests of a sliding log's window are in flight when the window's end passes. The one the server
    counted last comes back first (3 left), then one it counted earlier (4 left, from before the other was
    counted): believing the 4 would count one request too few. Only a probe, sent once nothing is in
    flight, counts everything before it.
    """
    driver = make()
    await driver.reserve(1)
    await driver.record(seen(5, 0.3))
    assert (await driver.reserve(5))[0] == 5
    await driver.sleep(0.35)  # the window's end passed with the five in flight
    await driver.record(seen(3, 0.6))  # counted last, back first
    await driver.record(seen(4, 0.6))  # counted before it, back after it
    assert (await driver.reserve(1))[0] == 0  # no room believed: the probe waits for the three still in flight
    for _ in range(3):
        await driver.record(seen(2, 0.6))
    assert (await driver.reserve(2))[0] == 1  # now the probe
    await driver.record(seen(6, 0.6))
    view = await driver.view()
    assert view.remaining == 6
    assert (await driver.reserve(6))[0] == 6


async def test_answers_that_say_more_left_do_not_free_their_own_requests(make: Any) -> None:
    """In a log whose hits age out, Remaining rises: the window's budget still counts every request granted.

    A probe finds 8 left; 8 go out, and five answer 13 to 11 (old hits aged out meanwhile). Those five were
    counted, yet remaining (min 8) less in flight (3) would offer 5 more: the budget (8 granted of 8) offers
    none until the window's end brings a probe.
    """
    driver = make()
    await driver.reserve(1)
    await driver.record(seen(8, 0.3))
    assert (await driver.reserve(8))[0] == 8
    for left in (13, 11, 13, 13, 12):
        await driver.record(seen(left, 0.3))
    view = await driver.view()
    assert (view.remaining, view.in_flight) == (0, 3)
    assert (await driver.reserve(5))[0] == 0


async def test_a_late_answer_from_the_last_window_gives_its_token_back_to_this_one(make: Any) -> None:
    """A request in flight when a new window was learned was taken from its budget; the last window counted it."""
    driver = make(probe=2)
    assert (await driver.reserve(2))[0] == 2
    await driver.record(seen(30, 20.0))  # a new window; one request still in flight
    assert (await driver.view()).remaining == 29
    await driver.record(seen(0, 2.0))  # that one: the last window's straggler
    assert (await driver.view()).remaining == 30
