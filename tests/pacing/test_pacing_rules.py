"""The pure pacing rules, driven by a fake clock: windows, skew, ordering, reset formats, garbage, the 429 gate.

``Governor`` here is the pair the limiter drives: the header interpreter and the key's store; every case that
needs a store runs on both, in-process and through a real redis-server.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import pytest

from skipcall_async import RateLimitHeaders
from skipcall_async._pacing.headers import retry_after
from skipcall_async._pacing.interpret import HeaderInterpreter
from skipcall_async._pacing.rules import QuotaView
from skipcall_async._pacing.settings import PLAN_WINDOW
from support.drivers import Clock, Driver, Stores, store_fixture

WALL = 1_800_000_000.0  # local wall clock at monotonic 0
NEVER = 1e9  # a lease that outlives every case
stores = store_fixture()


def headers(
    remaining: int | None, reset: str | None, *, limit: str = "100", date: str | None = None
) -> RateLimitHeaders:
    raw = {"X-RateLimit-Limit": limit}
    if remaining is not None:
        raw["X-RateLimit-Remaining"] = str(remaining)
    if reset is not None:
        raw["X-RateLimit-Reset"] = reset
    if date is not None:
        raw["Date"] = date
    return RateLimitHeaders.parse(raw)


class Governor:
    """A header interpreter and a key's store wired as the limiter wires them, on the test's clock.

    Granted tokens queue up; a response or a release ends the oldest one (or the one a test names).
    """

    def __init__(self, driver: Driver, *, probe: int, window: float | None) -> None:
        self.driver = driver
        self.reader = HeaderInterpreter(window=window, probe=probe)

    @property
    def margin(self) -> float:
        return self.driver.rules.settings.margin

    def set_probe(self, probe: int) -> None:
        self.driver.rules.settings = attrs.evolve(self.driver.rules.settings, probe=probe)

    async def reserve(self, now: float) -> float | None:
        self.driver.clock.now = now
        grant = await self.driver.grant(1)
        return None if grant.granted else grant.retry_at

    async def release(self, now: float, *, sent: bool = True) -> None:
        self.driver.clock.now = now
        await self.driver.release(sent=sent)

    async def observe(
        self, now: float, h: RateLimitHeaders, *, status: int = 200, after: float | None = None, token: int = 0
    ) -> None:
        self.driver.clock.now = now
        lease, stamp, granted_at = self.driver.held.pop(token)
        seen = self.reader.read(now, WALL + now, h, status=status, retry_after=after, sent_ago=now - granted_at)
        await self.driver.backend.record(self.driver.ticket(lease, stamp, granted_at), seen)

    async def state(self, now: float) -> QuotaView:
        self.driver.clock.now = now
        return await self.driver.view()


@pytest.fixture
def make(stores: Stores) -> Callable[..., Governor]:
    """Governors on the parametrised store; tokens never expire (as in one process)."""

    def build(
        *, probe: int = 1, assumed_limit: int | None = None, window: float | None = None, margin: float = 0.05
    ) -> Governor:
        driver = stores(
            clock=Clock(0.0), probe=probe, assumed_limit=assumed_limit, window=window or PLAN_WINDOW,
            stated_window=window, margin=margin, lease=NEVER,
        )  # fmt: skip
        return Governor(driver, probe=probe, window=window)

    return build


async def observe(
    gov: Governor, now: float, h: RateLimitHeaders, status: int = 200, after: float | None = None, token: int = 0
) -> None:
    await gov.observe(now, h, status=status, after=after, token=token)


async def admit(gov: Governor, now: float, cap: int = 1_000) -> int:
    """How many requests the store grants at ``now`` before it says wait (at most ``cap``), asked at once."""
    gov.driver.clock.now = now
    return (await gov.driver.grant(cap)).granted


async def test_cold_start_admits_one_probe_until_headers_arrive(make: Callable[..., Governor]) -> None:
    """Only the probe goes out; once its headers say 99 left, 99 more are admitted (none past the quota)."""
    gov = make()
    assert await gov.reserve(0.0) is None
    assert await gov.reserve(0.0) == math.inf
    await observe(gov, 0.1, headers(99, "60"))
    assert await admit(gov, 0.1) == 99
    # Nothing left until the probe's own hit ages out: counted before its answer, at most a minute before 60.1.
    assert await gov.reserve(0.1) == pytest.approx(60.1)


async def test_a_larger_probe_and_a_stated_plan(make: Callable[..., Governor]) -> None:
    """probe=3 admits three at cold start; a stated plan admits a whole window at once."""
    assert await admit(make(probe=3), 0.0) == 3
    assert await admit(make(assumed_limit=100), 0.0) == 100


async def test_a_stated_plan_gives_way_to_the_first_real_headers(make: Callable[..., Governor]) -> None:
    """The assumed window is replaced by what the server says, even if its reset is earlier."""
    gov = make(assumed_limit=100)
    assert await gov.reserve(0.0) is None
    await observe(gov, 0.1, headers(0, "10"))
    assert await gov.reserve(0.1) == pytest.approx(10.1 + gov.margin)


async def test_requests_in_flight_count_against_remaining(make: Callable[..., Governor]) -> None:
    """Ten requests out and remaining=12 leaves room for exactly two more... after each response, recount."""
    gov = make(probe=1)
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(20, "60"))
    assert await admit(gov, 0.0) == 20
    await observe(gov, 0.1, headers(12, "60"))  # 19 still in flight
    assert await gov.reserve(0.1) is not None
    for _ in range(19):
        await observe(gov, 0.2, headers(0, "60"))
    assert (await gov.state(0.2)).remaining == 0


async def test_an_answer_frees_only_what_it_proves(make: Callable[..., Governor]) -> None:
    """An answer saying 9 left, of three requests sent together, proves 9 less the two others: 7, no more.

    Whether it was counted before or after the answer saying 5 (a log whose hits age out can say more later),
    the two requests in flight when it was granted may have been counted after it; nothing else can have been.
    """
    gov = make(probe=3)
    assert await admit(gov, 0.0) == 3
    await observe(gov, 0.1, headers(5, "60"))
    assert (await gov.state(0.1)).remaining == 5 - 2
    await observe(gov, 0.1, headers(9, "60"))
    assert (await gov.state(0.1)).remaining == 9 - 2
    assert await admit(gov, 0.1) == 7


async def test_a_later_reset_opens_a_new_window_and_an_earlier_one_is_stale(make: Callable[..., Governor]) -> None:
    """New window: its end replaces the last one's. An older window's late response moves nothing back."""
    gov = make(probe=2)
    assert await admit(gov, 0.0) == 2
    await observe(gov, 0.0, headers(0, "10"))
    assert await admit(gov, 5.0) == 0
    assert await admit(gov, 10.0 + gov.margin) == 1  # window over: probe the new one
    await observe(gov, 10.2, headers(98, "60"), token=1)
    assert (await gov.state(10.2)).reset_in == pytest.approx(60.0)
    await observe(gov, 10.3, headers(0, "5"))  # stale: reset earlier than the window we know
    assert (await gov.state(10.3)).reset_in == pytest.approx(59.9)
    assert (
        await gov.state(10.3)
    ).remaining == 98 - 1  # the straggler, in flight at the probe, may count in the new one


async def test_waiters_sleep_until_the_reset_plus_margin(make: Callable[..., Governor]) -> None:
    """Spent tokens: the next admission is at reset + margin, then a probe of the new window."""
    gov = make(margin=0.05)
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(0, "30"))
    assert await gov.reserve(1.0) == pytest.approx(30.05)
    assert await gov.reserve(30.04) == pytest.approx(30.05)
    assert await gov.reserve(30.05) is None
    assert await gov.reserve(30.05) == math.inf  # the rest wait for the probe's headers


@pytest.mark.parametrize(
    ("reset", "expected_in"),
    [
        (str(int(WALL) + 42), 42.0),  # epoch seconds
        (str((int(WALL) + 42) * 1000), 42.0),  # epoch milliseconds
        ("42", 42.0),  # seconds until reset
        ("41.5", 41.5),  # fractional seconds until reset
    ],
)
async def test_reset_formats_are_decided_by_magnitude(
    reset: str, expected_in: float, make: Callable[..., Governor]
) -> None:
    """Epoch seconds, epoch milliseconds and seconds-until-reset all mean 'in 42 s'."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(0, reset))
    assert (await gov.state(0.0)).reset_in == pytest.approx(expected_in, abs=1e-6)


@pytest.mark.parametrize("skew", [-90.0, 90.0, 600.0])
async def test_server_clock_skew_is_corrected_from_date(skew: float, make: Callable[..., Governor]) -> None:
    """A server clock off by minutes: the reset is read against the server's Date, not the local clock."""
    from email.utils import formatdate

    gov = make()
    await gov.reserve(0.0)
    server_now = WALL + skew
    date = formatdate(server_now, usegmt=True)
    await observe(gov, 0.0, headers(0, str(int(server_now) + 30), date=date))
    reset_in = (await gov.state(0.0)).reset_in
    assert reset_in is not None
    assert 30.0 <= reset_in <= 31.0  # never early; at most the 1 s resolution of Date late


async def test_skew_estimate_tightens_with_more_responses(make: Callable[..., Governor]) -> None:
    """Date is rounded down: the largest (Date - local) sample is the best lower bound of the skew."""
    from email.utils import formatdate

    gov = make(probe=10)
    await admit(gov, 0.0)
    skew = 90.4
    for now in (0.0, 0.3, 0.59):
        await observe(gov, now, headers(50, "30", date=formatdate(int(WALL + now + skew), usegmt=True)))
    assert gov.reader.skew == pytest.approx(skew - 0.99 + 0.59 + 0.01, abs=0.02)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"X-RateLimit-Remaining": "abc", "X-RateLimit-Reset": "60"},
        {"X-RateLimit-Remaining": "-5", "X-RateLimit-Reset": "60"},
        {"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": "soon"},
        {"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": "nan"},
        {"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": "-1"},
        {"X-RateLimit-Limit": "inf", "X-RateLimit-Remaining": "", "Date": "not a date"},
    ],
)
async def test_garbage_headers_are_ignored(raw: dict[str, str], make: Callable[..., Governor]) -> None:
    """Unreadable or negative values are dropped, never a crash; without headers the key starts slowly."""
    parsed = RateLimitHeaders.parse(raw)
    assert parsed.remaining is None or (parsed.reset_after is None and parsed.reset_epoch is None)
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, parsed)
    assert await admit(gov, 0.0) == 1  # no pacing information: one more in flight per ten answers


async def test_a_429_closes_the_gate_until_retry_after_then_probes(make: Callable[..., Governor]) -> None:
    """Everyone waits for Retry-After; then a single probe learns the new window."""
    gov = make(probe=1)
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(50, "60"))
    await admit(gov, 0.0)
    await observe(gov, 0.5, headers(0, "60"), status=429, after=7.0)
    assert await gov.reserve(1.0) == pytest.approx(7.5)
    assert (await gov.state(1.0)).rate_limited == 1
    assert (await gov.state(1.0)).gate_closed_for == pytest.approx(6.5)
    for _ in range(49):
        await gov.release(2.0)
    assert await gov.reserve(7.5) is None
    assert await gov.reserve(7.5) == math.inf


async def test_a_429_without_retry_after_waits_for_the_reset(make: Callable[..., Governor]) -> None:
    """The reset of the 429's own headers closes the gate; without any header the backoff's first second does."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(0, "12"), status=429)
    assert await gov.reserve(0.0) == pytest.approx(12.0)
    bare = make()
    await bare.reserve(0.0)
    await observe(bare, 0.0, RateLimitHeaders.parse({}), status=429)
    assert await bare.reserve(0.0) == pytest.approx(1.0)


async def test_a_request_that_never_left_gives_its_token_back(make: Callable[..., Governor]) -> None:
    """Cancelled before it was sent (or refused a connection): its token is free again, nothing leaks."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(3, "60"))
    assert await admit(gov, 0.0) == 3
    await gov.release(0.1, sent=False)
    assert await admit(gov, 0.1) == 1
    assert (await gov.state(0.1)).in_flight == 3


async def test_a_request_that_may_have_reached_the_server_spends_its_token(make: Callable[..., Governor]) -> None:
    """A timeout or a broken connection after sending: the server may have counted it, so its token is spent."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(3, "60"))
    assert await admit(gov, 0.0) == 3
    await gov.release(0.1)
    assert await admit(gov, 0.1) == 0
    assert (await gov.state(0.1)).in_flight == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"Retry-After": "5"}, 5.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT", "Date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 30.0),
        ({"Retry-After": "Thu, 01 Jan 2026 00:00:00 GMT", "Date": "Thu, 01 Jan 2026 00:01:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "-3"}, None),
        ({}, None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(raw: dict[str, str], expected: float | None) -> None:
    """Delta seconds, HTTP-dates (against the response's Date) or None for anything unusable."""
    assert retry_after(raw, local_now=0.0) == expected


async def test_agreeing_clocks_use_the_precise_local_time(make: Callable[..., Governor]) -> None:
    """When every Date agrees with the local clock to the second, no skew is applied (no idle second)."""
    from email.utils import formatdate

    gov = make(probe=5)
    await admit(gov, 0.0)
    for now in (0.0, 0.2, 0.7):
        await observe(
            gov, now, headers(50, str((int(WALL) + 30) * 1000), date=formatdate(int(WALL + now), usegmt=True))
        )
    assert gov.reader.skew == 0.0
    assert (await gov.state(0.7)).reset_in == pytest.approx(30.0 - 0.7)


async def test_a_rounded_up_reset_is_tightened_by_the_window_length(make: Callable[..., Governor]) -> None:
    """The window ends within `window` of its first response: a reset rounded up to the second is cut back."""
    gov = make(window=10.0)
    await gov.reserve(0.0)
    await observe(gov, 0.2, headers(0, str(int(WALL) + 11)))  # true reset 10.2 s from now, sent rounded up to 11
    assert await gov.reserve(5.0) == pytest.approx(10.2 + gov.margin)
    assert (await gov.state(5.0)).reset_in == pytest.approx(5.2)


async def test_a_later_response_of_the_same_window_cannot_push_the_bound_back(make: Callable[..., Governor]) -> None:
    """The bound comes from the window's first response; later ones of the same window keep it."""
    gov = make(window=10.0, probe=2)
    await admit(gov, 0.0)
    await observe(gov, 0.2, headers(5, str(int(WALL) + 11)))
    await observe(gov, 0.9, headers(4, str(int(WALL) + 11)))
    assert (await gov.state(1.0)).reset_in == pytest.approx(9.2)
    assert (await gov.state(1.0)).remaining == 4


async def test_a_reset_far_beyond_the_window_on_a_success_is_doubted(make: Callable[..., Governor]) -> None:
    """A 200 saying "an hour" with nothing left: probe after a second, doubling while nothing is left."""
    gov = make(window=10.0)
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(0, "3600"))
    assert await gov.reserve(0.5) == pytest.approx(1.0 + gov.margin)
    assert await gov.reserve(1.05) is None  # the probe
    await observe(gov, 1.1, headers(0, "3600"))  # still nothing left: the next look is two seconds away
    assert await gov.reserve(1.2) == pytest.approx(3.1 + gov.margin)
    assert await gov.reserve(3.15) is None
    await observe(gov, 3.2, headers(7, "3600"))  # the server's window did reset: back to a second
    assert await admit(gov, 3.2) == 7
    assert await gov.reserve(3.2) == pytest.approx(4.2 + gov.margin)


async def test_a_reset_within_the_documented_minute_is_believed_without_a_stated_window(
    make: Callable[..., Governor],
) -> None:
    """With no window stated, the documented minute is the longest believed: 59 s is not doubted."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(0, "59"))
    assert await gov.reserve(1.0) == pytest.approx(59.0 + gov.margin)


async def test_a_429_that_says_an_hour_is_believed(make: Callable[..., Governor]) -> None:
    """Only a 429 can make the client wait longer than a window: its Retry-After closes the gate for an hour."""
    gov = make(window=10.0)
    await gov.reserve(0.0)
    await observe(gov, 0.0, headers(None, None), status=429, after=3600.0)
    assert await gov.reserve(1.0) == pytest.approx(3600.0)


@pytest.mark.parametrize(("after", "reset"), [(0.0, None), (None, "0"), (None, str(int(WALL) - 30)), (0.0, "-1")])
async def test_a_429_with_a_zero_or_past_hint_backs_off_and_grows(
    after: float | None, reset: str | None, make: Callable[..., Governor]
) -> None:
    """No usable hint: the gate stays closed for a full-jitter backoff from 1 s that doubles per 429, capped."""
    gov = make(window=5.0)
    gates = []
    now = 0.0
    for _ in range(5):
        assert await gov.reserve(now) is None
        await observe(gov, now, headers(None, reset), status=429, after=after)
        gate = await gov.reserve(now)
        assert gate is not None
        gates.append(gate - now)
        now = gate
    assert gates == pytest.approx([1.0, 2.0, 4.0, 5.0, 5.0])  # the top of each range: 1, 2, 4, then the window
    assert await gov.reserve(now) is None
    await observe(gov, now, headers(50, "5"))  # a success resets the streak
    assert await gov.reserve(now) is None
    await observe(gov, now, headers(None, None), status=429)
    assert await gov.reserve(now) == pytest.approx(now + 1.0)


async def test_the_window_is_learned_from_a_fresh_window_probed_at_the_reset(make: Callable[..., Governor]) -> None:
    """Untold, the bound is the documented minute; a fresh window probed right at the reset teaches the length."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.1, headers(99, "20", limit="100"))  # first window: the cold-start probe teaches nothing
    assert gov.reader.bound_window == PLAN_WINDOW
    assert await admit(gov, 0.1) == 99
    for _ in range(99):
        await observe(gov, 0.2, headers(0, "20", limit="100"))
    assert await gov.reserve(20.26) is None  # the probe at the reset the latest answers (at 0.2) give
    await observe(gov, 20.3, headers(99, "19.9", limit="100"))  # a fresh window, 19.9 s from its first response
    assert gov.reader.bound_window == pytest.approx(19.9)
    assert (await gov.state(20.3)).reset_in == pytest.approx(19.9)


async def test_an_epoch_reset_rounded_up_to_the_second_is_read_as_a_window_of_whole_seconds(
    make: Callable[..., Governor],
) -> None:
    """A limiter stating its reset as a whole epoch second, rounded up: the probe sent right after one window's
    stated end opens the next just after a whole second, so that window's stated end is ~0.95 s late, and so on,
    locked in phase. The window's length is known within a second from the probe's grant and the stated reset;
    when one whole number of seconds fits, it is the length, and each window ends within it of its first answer."""
    gov = make()
    epoch = int(WALL)
    await gov.reserve(0.0)
    await observe(gov, 0.1, headers(99, str(epoch + 11)))  # opened at 0.05 (10 s): ends 10.05, stated 11
    assert await admit(gov, 0.1) == 99
    for _ in range(99):
        await observe(gov, 0.2, headers(0, str(epoch + 11)))
    probe_at = await gov.reserve(0.3)
    assert probe_at == pytest.approx(11.0 + gov.margin, abs=0.02)  # the stated end: nothing says it is late yet
    assert await gov.reserve(probe_at) is None
    await observe(gov, probe_at + 0.05, headers(99, str(epoch + 22)))  # opened at probe_at: ends at +10, stated 22
    assert gov.reader._reader("default").bound_window == pytest.approx(10.0)
    # Ends at most 10 s after its answer was read (it opened before): 0.05 s late at most, not 0.95 s.
    assert (await gov.state(probe_at + 0.05)).reset_in == pytest.approx(10.0)


async def test_the_first_answer_to_the_request_that_opened_a_window_tells_its_whole_seconds(
    make: Callable[..., Governor],
) -> None:
    """The cold start's probe opened the window (99 of 100 left) half-way through a second: its epoch reset, 11 s
    away rounded up, leaves one whole number of seconds, 10, for the window: the first window ends 10 s after that
    answer, not at the rounded reset."""
    gov = make()
    await gov.reserve(0.5)
    await observe(gov, 0.53, headers(99, str(int(WALL) + 11)))  # opened at 0.51: ends at 10.51, stated 11
    assert gov.reader._reader("default").bound_window == pytest.approx(10.0)
    assert (await gov.state(0.53)).reset_in == pytest.approx(10.0)


async def test_a_429_disproves_a_window_taken_to_be_whole_seconds(make: Callable[..., Governor]) -> None:
    """Taken to be 10 s, the window was longer (a 429 came): the bound falls back, and the guess is not made again."""
    gov = make()
    reader = gov.reader._reader("default")
    epoch = int(WALL)
    await gov.reserve(0.0)
    await observe(gov, 0.1, headers(99, str(epoch + 11)))
    for _ in range(99):
        await gov.reserve(0.1)
        await observe(gov, 0.2, headers(0, str(epoch + 11)))
    probe_at = await gov.reserve(0.3)
    assert probe_at is not None
    await gov.reserve(probe_at)
    await observe(gov, probe_at + 0.05, headers(99, str(epoch + 22)))
    assert reader.bound_window == pytest.approx(10.0)
    await gov.reserve(probe_at + 0.1)
    await observe(gov, probe_at + 0.2, headers(None, None), status=429, after=1.0)
    assert reader.bound_window == PLAN_WINDOW
    assert reader._whole_disproved


async def test_a_learned_window_cuts_back_a_reset_rounded_up(make: Callable[..., Governor]) -> None:
    """Once learned, the bound removes a whole-second rounding, as a stated window does."""
    gov = make()
    gov.reader._reader("default")._learn(20.0)  # as after the previous test
    await gov.reserve(0.0)
    await observe(gov, 0.3, headers(99, "21", limit="100"))  # the true reset is 20 s away, sent rounded up
    assert (await gov.state(0.3)).reset_in == pytest.approx(20.0)


async def test_a_late_first_request_never_shrinks_the_learned_window(make: Callable[..., Governor]) -> None:
    """A window entered late (its first response well after its start) is not probed at a reset: not learned."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.1, headers(99, "5", limit="100"))  # a fixed window on the clock, entered 15 s in
    assert gov.reader.bound_window == PLAN_WINDOW


async def test_a_stated_window_is_never_replaced_by_a_learned_one(make: Callable[..., Governor]) -> None:
    """window=10 is trusted as stated, whatever the headers suggest."""
    gov = make(window=10.0)
    await gov.reserve(0.0)
    await observe(gov, 0.1, headers(0, "4", limit="100"))
    await gov.reserve(4.15)
    await observe(gov, 4.2, headers(99, "4", limit="100"))
    assert gov.reader.bound_window == 10.0


async def test_the_window_bound_removes_the_cost_of_a_skewed_clock(make: Callable[..., Governor]) -> None:
    """With the server 90.7 s ahead, Date alone leaves up to a second of doubt; the window bound does not."""
    from email.utils import formatdate

    gov = make(window=10.0)
    await gov.reserve(0.0)
    server_now = WALL + 90.7
    await observe(gov, 0.0, headers(0, str(int(server_now + 10) + 1), date=formatdate(int(server_now), usegmt=True)))
    assert (await gov.state(0.0)).reset_in == pytest.approx(10.0)


async def test_hits_age_out_one_window_after_their_answers_were_read(make: Callable[..., Governor]) -> None:
    """A request whose answer was read a window ago no longer counts: its room is used as it frees, hit by hit.

    With the 10 s window stated, the requests answered between 0.01 s and 0.12 s free their room between
    10.01 s and 10.12 s, before the stated reset (10.01 s plus the margin) would let a probe go.
    """
    gov = make(window=10.0)
    assert await admit(gov, 0.0) == 1
    await observe(gov, 0.01, headers(99, "10"))
    assert await admit(gov, 0.01) == 99
    for i in range(99):
        await observe(gov, 0.02 + i * 0.001, headers(98 - i, "10"))
    assert await gov.reserve(10.005) == pytest.approx(10.01)  # the probe's hit is the first to go
    assert await admit(gov, 10.05) == 1 + 31  # the probe's and those answered by 0.05 s
    assert await gov.reserve(10.05) == pytest.approx(10.051)


def test_named_limits_are_read_as_families_of_their_own() -> None:
    """X-RateLimit-*-<name> headers (any case) are a family each; the unsuffixed ones are the "default" family."""
    parsed = RateLimitHeaders.parse(
        {
            "x-ratelimit-limit-short": "10",
            "X-RateLimit-Remaining-Short": "3",
            "X-RateLimit-Reset-short": "1",
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "40",
            "X-RateLimit-Reset": "60",
            "X-RateLimit-Reset-After": "5",  # a family without a count: read, but it paces nothing
        }
    )
    assert [(name, h.limit, h.remaining, h.reset_after) for name, h in parsed.families] == [
        ("default", 100, 40, 60.0),
        ("short", 10, 3, 1.0),
        ("after", None, None, 5.0),
    ]
    reader = HeaderInterpreter()
    seen = reader.read(0.0, WALL, parsed, status=200, retry_after=None)
    assert [(w.name, w.remaining, w.reset_in) for w in seen.windows] == [("default", 40, 60.0), ("short", 3, 1.0)]


async def test_a_server_with_only_named_limits_is_still_paced(make: Callable[..., Governor]) -> None:
    """Two named throttlers and no unsuffixed header: both are paced, the tighter one binds."""
    gov = make()
    await gov.reserve(0.0)
    named = RateLimitHeaders.parse({
        "X-RateLimit-Limit-second": "10", "X-RateLimit-Remaining-second": "9", "X-RateLimit-Reset-second": "1",
        "X-RateLimit-Limit-minute": "100", "X-RateLimit-Remaining-minute": "99", "X-RateLimit-Reset-minute": "60",
    })  # fmt: skip
    await observe(gov, 0.1, named)
    assert await admit(gov, 0.1) == 9
    view = await gov.state(0.1)
    assert (view.limit, view.remaining) == (10, 0)


async def test_retry_after_takes_the_longest_of_its_named_forms(make: Callable[..., Governor]) -> None:
    """A 429 may say Retry-After-<name> for the throttler that refused: the longest usable wait is the hint."""
    raw = {"Retry-After-short": "1", "retry-after-long": "30", "Retry-After-bad": "soon"}
    assert retry_after(raw, local_now=0.0) == 30.0
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, RateLimitHeaders.parse(raw), status=429, after=retry_after(raw, local_now=0.0))
    assert await gov.reserve(0.0) == pytest.approx(30.0)


def throttler_answer(remaining: int, reset: str) -> RateLimitHeaders:
    return RateLimitHeaders.parse({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": str(remaining),
                                   "X-RateLimit-Reset": reset})  # fmt: skip


async def test_a_whole_second_tracker_is_learned_once_its_hits_are_seen_ageing_out(
    make: Callable[..., Governor],
) -> None:
    """@nestjs/throttler: a probe at the tracker's end says the full 10 s again, but is not fresh (old hits live).

    An answer with more left, for a request granted after the probe's answer was read, shows hits ageing out:
    a sliding log whose every hit lives 10 s, which becomes the window hits age out by.
    """
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.02, throttler_answer(99, "10"))
    assert await admit(gov, 0.02) == 99
    for i in range(99):
        await observe(gov, 0.05 + i * 0.001, throttler_answer(98 - i, "10"))
    assert await gov.reserve(10.12) is None  # the probe at the tracker's end (as the latest answers give it)
    await observe(gov, 10.13, throttler_answer(44, "10"))  # 55 of the last burst still live: not fresh
    assert gov.reader.bound_window == PLAN_WINDOW
    assert await admit(gov, 10.135) == 44
    await observe(gov, 10.15, throttler_answer(46, "10"))  # granted after the 44 was read, and more is left
    assert gov.reader.bound_window == 10.0


async def test_answers_overtaking_each_other_in_a_fixed_window_teach_nothing(make: Callable[..., Governor]) -> None:
    """The same probe, but the answer with more left is for a request granted before the lower one was read."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.02, throttler_answer(99, "10"))
    await admit(gov, 0.02)
    for _ in range(99):
        await observe(gov, 0.05, throttler_answer(0, "10"))
    assert await gov.reserve(10.12) is None
    assert await gov.reserve(10.12) == math.inf  # (probe=1)
    gov.set_probe(3)  # two more go with the probe, before its answer
    assert await admit(gov, 10.12) == 2
    await observe(gov, 10.14, throttler_answer(97, "10"), token=2)  # the last granted, counted first
    await observe(gov, 10.15, throttler_answer(98, "10"), token=1)  # granted before that answer was read
    assert gov.reader.bound_window == PLAN_WINDOW


async def test_a_probe_stating_less_than_the_longest_reset_teaches_nothing(make: Callable[..., Governor]) -> None:
    """A sliding log that states when its oldest hit ages out: a probe's short reset is not a window's length."""
    gov = make()
    await gov.reserve(0.0)
    await observe(gov, 0.0, throttler_answer(99, "10"))
    await admit(gov, 0.0)
    for _ in range(99):
        await observe(gov, 0.05, throttler_answer(0, "10"))
    assert await gov.reserve(10.12) is None
    await observe(gov, 10.13, throttler_answer(3, "1"))  # the next hit to age out goes in a second
    await admit(gov, 10.13)
    await observe(gov, 10.15, throttler_answer(5, "1"))
    assert gov.reader.bound_window == PLAN_WINDOW
