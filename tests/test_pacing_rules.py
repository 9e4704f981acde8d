"""The pure pacing rules, driven by a fake clock: windows, skew, ordering, reset formats, garbage, the 429 gate.

``Governor`` here is the pair the in-process limiter drives: the header interpreter and the quota state.
"""

from __future__ import annotations

import math

import pytest

from skipcall_async import RateLimitHeaders
from skipcall_async._headers import retry_after
from skipcall_async._interpret import HeaderInterpreter
from skipcall_async._quota import QuotaState, QuotaView
from skipcall_async._rate_policy import PLAN_WINDOW

WALL = 1_800_000_000.0  # local wall clock at monotonic 0


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
    """A header interpreter and a quota state wired as the in-process limiter wires them.

    Granted tokens queue up; a response or a release ends the oldest one (or the one a test names).
    """

    def __init__(
        self, *, probe: int = 1, assumed_limit: int | None = None, window: float | None = None, margin: float = 0.05
    ) -> None:
        self.reader = HeaderInterpreter(window=window, probe=probe)
        self.quota = QuotaState(
            probe=probe,
            assumed_limit=assumed_limit,
            window=window or PLAN_WINDOW,
            margin=margin,
            random=lambda: 1.0,  # the top of the backoff range: deterministic
        )
        self.margin = margin
        self.held: list[tuple[int, float]] = []  # (stamp, granted at) of each token not yet ended

    def reserve(self, now: float) -> float | None:
        stamp = self.quota.stamp
        retry_at = self.quota.reserve_token(now)
        if retry_at is None:
            self.held.append((stamp, now))
        return retry_at

    def release(self, now: float, *, sent: bool = True) -> None:
        self.held.pop(0)
        self.quota.release(now, sent=sent)

    def observe(
        self, now: float, h: RateLimitHeaders, *, status: int = 200, after: float | None = None, token: int = 0
    ) -> None:
        stamp, granted_at = self.held.pop(token)
        seen = self.reader.read(now, WALL + now, h, status=status, retry_after=after, sent_ago=now - granted_at)
        self.quota.record(now, seen, stamp)

    def state(self, now: float) -> QuotaView:
        return self.quota.view(now)


def observe(
    gov: Governor, now: float, h: RateLimitHeaders, status: int = 200, after: float | None = None, token: int = 0
) -> None:
    gov.observe(now, h, status=status, after=after, token=token)


def admit(gov: Governor, now: float, cap: int = 1_000) -> int:
    """How many requests the governor grants at ``now`` before it says wait (at most ``cap``)."""
    granted = 0
    while granted < cap and gov.reserve(now) is None:
        granted += 1
    return granted


def test_cold_start_admits_one_probe_until_headers_arrive() -> None:
    """Only the probe goes out; once its headers say 99 left, 99 more are admitted (none past the quota)."""
    gov = Governor()
    assert gov.reserve(0.0) is None
    assert gov.reserve(0.0) == math.inf
    observe(gov, 0.1, headers(99, "60"))
    assert admit(gov, 0.1) == 99
    # Nothing left until the probe's own hit ages out: counted before its answer, at most a minute before 60.1.
    assert gov.reserve(0.1) == pytest.approx(60.1)


def test_a_larger_probe_and_a_stated_plan() -> None:
    """probe=3 admits three at cold start; a stated plan admits a whole window at once."""
    assert admit(Governor(probe=3), 0.0) == 3
    assert admit(Governor(assumed_limit=100), 0.0) == 100


def test_a_stated_plan_gives_way_to_the_first_real_headers() -> None:
    """The assumed window is replaced by what the server says, even if its reset is earlier."""
    gov = Governor(assumed_limit=100)
    assert gov.reserve(0.0) is None
    observe(gov, 0.1, headers(0, "10"))
    assert gov.reserve(0.1) == pytest.approx(10.1 + gov.margin)


def test_requests_in_flight_count_against_remaining() -> None:
    """Ten requests out and remaining=12 leaves room for exactly two more... after each response, recount."""
    gov = Governor(probe=1)
    gov.reserve(0.0)
    observe(gov, 0.0, headers(20, "60"))
    assert admit(gov, 0.0) == 20
    observe(gov, 0.1, headers(12, "60"))  # 19 still in flight
    assert gov.reserve(0.1) is not None
    for _ in range(19):
        observe(gov, 0.2, headers(0, "60"))
    assert gov.state(0.2).remaining == 0


def test_an_answer_frees_only_what_it_proves() -> None:
    """An answer saying 9 left, of three requests sent together, proves 9 less the two others: 7, no more.

    Whether it was counted before or after the answer saying 5 (a log whose hits age out can say more later),
    the two requests in flight when it was granted may have been counted after it; nothing else can have been.
    """
    gov = Governor(probe=3)
    assert admit(gov, 0.0) == 3
    observe(gov, 0.1, headers(5, "60"))
    assert gov.state(0.1).remaining == 5 - 2
    observe(gov, 0.1, headers(9, "60"))
    assert gov.state(0.1).remaining == 9 - 2
    assert admit(gov, 0.1) == 7


def test_a_later_reset_opens_a_new_window_and_an_earlier_one_is_stale() -> None:
    """New window: its end replaces the last one's. An older window's late response moves nothing back."""
    gov = Governor(probe=2)
    assert admit(gov, 0.0) == 2
    observe(gov, 0.0, headers(0, "10"))
    assert admit(gov, 5.0) == 0
    assert admit(gov, 10.0 + gov.margin) == 1  # window over: probe the new one
    observe(gov, 10.2, headers(98, "60"), token=1)
    assert gov.state(10.2).reset_in == pytest.approx(60.0)
    observe(gov, 10.3, headers(0, "5"))  # stale: reset earlier than the window we know
    assert gov.state(10.3).reset_in == pytest.approx(59.9)
    assert gov.state(10.3).remaining == 98 - 1  # the straggler, in flight at the probe, may count in the new one


def test_waiters_sleep_until_the_reset_plus_margin() -> None:
    """Spent tokens: the next admission is at reset + margin, then a probe of the new window."""
    gov = Governor(margin=0.05)
    gov.reserve(0.0)
    observe(gov, 0.0, headers(0, "30"))
    assert gov.reserve(1.0) == pytest.approx(30.05)
    assert gov.reserve(30.04) == pytest.approx(30.05)
    assert gov.reserve(30.05) is None
    assert gov.reserve(30.05) == math.inf  # the rest wait for the probe's headers


@pytest.mark.parametrize(
    ("reset", "expected_in"),
    [
        (str(int(WALL) + 42), 42.0),  # epoch seconds
        (str((int(WALL) + 42) * 1000), 42.0),  # epoch milliseconds
        ("42", 42.0),  # seconds until reset
        ("41.5", 41.5),  # fractional seconds until reset
    ],
)
def test_reset_formats_are_decided_by_magnitude(reset: str, expected_in: float) -> None:
    """Epoch seconds, epoch milliseconds and seconds-until-reset all mean 'in 42 s'."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, headers(0, reset))
    assert gov.state(0.0).reset_in == pytest.approx(expected_in, abs=1e-6)


@pytest.mark.parametrize("skew", [-90.0, 90.0, 600.0])
def test_server_clock_skew_is_corrected_from_date(skew: float) -> None:
    """A server clock off by minutes: the reset is read against the server's Date, not the local clock."""
    from email.utils import formatdate

    gov = Governor()
    gov.reserve(0.0)
    server_now = WALL + skew
    date = formatdate(server_now, usegmt=True)
    observe(gov, 0.0, headers(0, str(int(server_now) + 30), date=date))
    reset_in = gov.state(0.0).reset_in
    assert reset_in is not None
    assert 30.0 <= reset_in <= 31.0  # never early; at most the 1 s resolution of Date late


def test_skew_estimate_tightens_with_more_responses() -> None:
    """Date is rounded down: the largest (Date - local) sample is the best lower bound of the skew."""
    from email.utils import formatdate

    gov = Governor(probe=10)
    admit(gov, 0.0)
    skew = 90.4
    for now in (0.0, 0.3, 0.59):
        observe(gov, now, headers(50, "30", date=formatdate(int(WALL + now + skew), usegmt=True)))
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
def test_garbage_headers_are_ignored(raw: dict[str, str]) -> None:
    """Unreadable or negative values are dropped, never a crash; without headers nothing throttles."""
    parsed = RateLimitHeaders.parse(raw)
    assert parsed.remaining is None or (parsed.reset_after is None and parsed.reset_epoch is None)
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, parsed)
    assert admit(gov, 0.0) == 1_000  # no pacing information: the concurrency cap and 429 gate take over


def test_a_429_closes_the_gate_until_retry_after_then_probes() -> None:
    """Everyone waits for Retry-After; then a single probe learns the new window."""
    gov = Governor(probe=1)
    gov.reserve(0.0)
    observe(gov, 0.0, headers(50, "60"))
    admit(gov, 0.0)
    observe(gov, 0.5, headers(0, "60"), status=429, after=7.0)
    assert gov.reserve(1.0) == pytest.approx(7.5)
    assert gov.state(1.0).rate_limited == 1
    assert gov.state(1.0).gate_closed_for == pytest.approx(6.5)
    for _ in range(49):
        gov.release(2.0)
    assert gov.reserve(7.5) is None
    assert gov.reserve(7.5) == math.inf


def test_a_429_without_retry_after_waits_for_the_reset() -> None:
    """The reset of the 429's own headers closes the gate; without any header the backoff's first second does."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, headers(0, "12"), status=429)
    assert gov.reserve(0.0) == pytest.approx(12.0)
    bare = Governor()
    bare.reserve(0.0)
    observe(bare, 0.0, RateLimitHeaders.parse({}), status=429)
    assert bare.reserve(0.0) == pytest.approx(1.0)


def test_a_request_that_never_left_gives_its_token_back() -> None:
    """Cancelled before it was sent (or refused a connection): its token is free again, nothing leaks."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, headers(3, "60"))
    assert admit(gov, 0.0) == 3
    gov.release(0.1, sent=False)
    assert admit(gov, 0.1) == 1
    assert gov.state(0.1).in_flight == 3


def test_a_request_that_may_have_reached_the_server_spends_its_token() -> None:
    """A timeout or a broken connection after sending: the server may have counted it, so its token is spent."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, headers(3, "60"))
    assert admit(gov, 0.0) == 3
    gov.release(0.1)
    assert admit(gov, 0.1) == 0
    assert gov.state(0.1).in_flight == 2


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


def test_agreeing_clocks_use_the_precise_local_time() -> None:
    """When every Date agrees with the local clock to the second, no skew is applied (no idle second)."""
    from email.utils import formatdate

    gov = Governor(probe=5)
    admit(gov, 0.0)
    for now in (0.0, 0.2, 0.7):
        observe(gov, now, headers(50, str((int(WALL) + 30) * 1000), date=formatdate(int(WALL + now), usegmt=True)))
    assert gov.reader.skew == 0.0
    assert gov.state(0.7).reset_in == pytest.approx(30.0 - 0.7)


def test_a_rounded_up_reset_is_tightened_by_the_window_length() -> None:
    """The window ends within `window` of its first response: a reset rounded up to the second is cut back."""
    gov = Governor(window=10.0)
    gov.reserve(0.0)
    observe(gov, 0.2, headers(0, str(int(WALL) + 11)))  # true reset 10.2 s from now, sent rounded up to 11
    assert gov.reserve(5.0) == pytest.approx(10.2 + gov.margin)
    assert gov.state(5.0).reset_in == pytest.approx(5.2)


def test_a_later_response_of_the_same_window_cannot_push_the_bound_back() -> None:
    """The bound comes from the window's first response; later ones of the same window keep it."""
    gov = Governor(window=10.0, probe=2)
    admit(gov, 0.0)
    observe(gov, 0.2, headers(5, str(int(WALL) + 11)))
    observe(gov, 0.9, headers(4, str(int(WALL) + 11)))
    assert gov.state(1.0).reset_in == pytest.approx(9.2)
    assert gov.state(1.0).remaining == 4


def test_a_reset_far_beyond_the_window_on_a_success_is_doubted() -> None:
    """A 200 saying "an hour" with nothing left: probe after a second, doubling while nothing is left."""
    gov = Governor(window=10.0)
    gov.reserve(0.0)
    observe(gov, 0.0, headers(0, "3600"))
    assert gov.reserve(0.5) == pytest.approx(1.0 + gov.margin)
    assert gov.reserve(1.05) is None  # the probe
    observe(gov, 1.1, headers(0, "3600"))  # still nothing left: the next look is two seconds away
    assert gov.reserve(1.2) == pytest.approx(3.1 + gov.margin)
    assert gov.reserve(3.15) is None
    observe(gov, 3.2, headers(7, "3600"))  # the server's window did reset: back to a second
    assert admit(gov, 3.2) == 7
    assert gov.reserve(3.2) == pytest.approx(4.2 + gov.margin)


def test_a_reset_within_the_documented_minute_is_believed_without_a_stated_window() -> None:
    """With no window stated, the documented minute is the longest believed: 59 s is not doubted."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, headers(0, "59"))
    assert gov.reserve(1.0) == pytest.approx(59.0 + gov.margin)


def test_a_429_that_says_an_hour_is_believed() -> None:
    """Only a 429 can make the client wait longer than a window: its Retry-After closes the gate for an hour."""
    gov = Governor(window=10.0)
    gov.reserve(0.0)
    observe(gov, 0.0, headers(None, None), status=429, after=3600.0)
    assert gov.reserve(1.0) == pytest.approx(3600.0)


@pytest.mark.parametrize(("after", "reset"), [(0.0, None), (None, "0"), (None, str(int(WALL) - 30)), (0.0, "-1")])
def test_a_429_with_a_zero_or_past_hint_backs_off_and_grows(after: float | None, reset: str | None) -> None:
    """No usable hint: the gate stays closed for a full-jitter backoff from 1 s that doubles per 429, capped."""
    gov = Governor(window=5.0)
    gates = []
    now = 0.0
    for _ in range(5):
        assert gov.reserve(now) is None
        observe(gov, now, headers(None, reset), status=429, after=after)
        gate = gov.reserve(now)
        assert gate is not None
        gates.append(gate - now)
        now = gate
    assert gates == pytest.approx([1.0, 2.0, 4.0, 5.0, 5.0])  # the top of each range: 1, 2, 4, then the window
    assert gov.reserve(now) is None
    observe(gov, now, headers(50, "5"))  # a success resets the streak
    assert gov.reserve(now) is None
    observe(gov, now, headers(None, None), status=429)
    assert gov.reserve(now) == pytest.approx(now + 1.0)


def test_the_window_is_learned_from_a_fresh_window_probed_at_the_reset() -> None:
    """Untold, the bound is the documented minute; a fresh window probed right at the reset teaches the length."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.1, headers(99, "20", limit="100"))  # first window: the cold-start probe teaches nothing
    assert gov.reader.bound_window == PLAN_WINDOW
    assert admit(gov, 0.1) == 99
    for _ in range(99):
        observe(gov, 0.2, headers(0, "20", limit="100"))
    assert gov.reserve(20.26) is None  # the probe at the reset the latest answers (at 0.2) give
    observe(gov, 20.3, headers(99, "19.9", limit="100"))  # a fresh window, 19.9 s from its first response
    assert gov.reader.bound_window == pytest.approx(19.9)
    assert gov.state(20.3).reset_in == pytest.approx(19.9)


def test_a_learned_window_cuts_back_a_reset_rounded_up() -> None:
    """Once learned, the bound removes a whole-second rounding, as a stated window does."""
    gov = Governor()
    gov.reader._reader("default")._learn(20.0)  # as after the previous test
    gov.reserve(0.0)
    observe(gov, 0.3, headers(99, "21", limit="100"))  # the true reset is 20 s away, sent rounded up
    assert gov.state(0.3).reset_in == pytest.approx(20.0)


def test_a_late_first_request_never_shrinks_the_learned_window() -> None:
    """A window entered late (its first response well after its start) is not probed at a reset: not learned."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.1, headers(99, "5", limit="100"))  # a fixed window on the clock, entered 15 s in
    assert gov.reader.bound_window == PLAN_WINDOW


def test_a_stated_window_is_never_replaced_by_a_learned_one() -> None:
    """window=10 is trusted as stated, whatever the headers suggest."""
    gov = Governor(window=10.0)
    gov.reserve(0.0)
    observe(gov, 0.1, headers(0, "4", limit="100"))
    gov.reserve(4.15)
    observe(gov, 4.2, headers(99, "4", limit="100"))
    assert gov.reader.bound_window == 10.0


def test_the_window_bound_removes_the_cost_of_a_skewed_clock() -> None:
    """With the server 90.7 s ahead, Date alone leaves up to a second of doubt; the window bound does not."""
    from email.utils import formatdate

    gov = Governor(window=10.0)
    gov.reserve(0.0)
    server_now = WALL + 90.7
    observe(gov, 0.0, headers(0, str(int(server_now + 10) + 1), date=formatdate(int(server_now), usegmt=True)))
    assert gov.state(0.0).reset_in == pytest.approx(10.0)


def test_hits_age_out_one_window_after_their_answers_were_read() -> None:
    """A request whose answer was read a window ago no longer counts: its room is used as it frees, hit by hit.

    With the 10 s window stated, the requests answered between 0.01 s and 0.12 s free their room between
    10.01 s and 10.12 s, before the stated reset (10.01 s plus the margin) would let a probe go.
    """
    gov = Governor(window=10.0)
    assert admit(gov, 0.0) == 1
    observe(gov, 0.01, headers(99, "10"))
    assert admit(gov, 0.01) == 99
    for i in range(99):
        observe(gov, 0.02 + i * 0.001, headers(98 - i, "10"))
    assert gov.reserve(10.005) == pytest.approx(10.01)  # the probe's hit is the first to go
    assert admit(gov, 10.05) == 1 + 31  # the probe's and those answered by 0.05 s
    assert gov.reserve(10.05) == pytest.approx(10.051)


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


def test_a_server_with_only_named_limits_is_still_paced() -> None:
    """Two named throttlers and no unsuffixed header: both are paced, the tighter one binds."""
    gov = Governor()
    gov.reserve(0.0)
    named = RateLimitHeaders.parse({
        "X-RateLimit-Limit-second": "10", "X-RateLimit-Remaining-second": "9", "X-RateLimit-Reset-second": "1",
        "X-RateLimit-Limit-minute": "100", "X-RateLimit-Remaining-minute": "99", "X-RateLimit-Reset-minute": "60",
    })  # fmt: skip
    observe(gov, 0.1, named)
    assert admit(gov, 0.1) == 9
    view = gov.state(0.1)
    assert (view.limit, view.remaining) == (10, 0)


def test_retry_after_takes_the_longest_of_its_named_forms() -> None:
    """A 429 may say Retry-After-<name> for the throttler that refused: the longest usable wait is the hint."""
    raw = {"Retry-After-short": "1", "retry-after-long": "30", "Retry-After-bad": "soon"}
    assert retry_after(raw, local_now=0.0) == 30.0
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, RateLimitHeaders.parse(raw), status=429, after=retry_after(raw, local_now=0.0))
    assert gov.reserve(0.0) == pytest.approx(30.0)


def throttler_answer(remaining: int, reset: str) -> RateLimitHeaders:
    return RateLimitHeaders.parse({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": str(remaining),
                                   "X-RateLimit-Reset": reset})  # fmt: skip


def test_a_whole_second_tracker_is_learned_once_its_hits_are_seen_ageing_out() -> None:
    """@nestjs/throttler: a probe at the tracker's end says the full 10 s again, but is not fresh (old hits live).

    An answer with more left, for a request granted after the probe's answer was read, shows hits ageing out:
    a sliding log whose every hit lives 10 s, which becomes the window hits age out by.
    """
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.02, throttler_answer(99, "10"))
    assert admit(gov, 0.02) == 99
    for i in range(99):
        observe(gov, 0.05 + i * 0.001, throttler_answer(98 - i, "10"))
    assert gov.reserve(10.12) is None  # the probe at the tracker's end (as the latest answers give it)
    observe(gov, 10.13, throttler_answer(44, "10"))  # 55 of the last burst still live: not fresh
    assert gov.reader.bound_window == PLAN_WINDOW
    assert admit(gov, 10.135) == 44
    observe(gov, 10.15, throttler_answer(46, "10"))  # granted after the 44 was read, and more is left
    assert gov.reader.bound_window == 10.0


def test_answers_overtaking_each_other_in_a_fixed_window_teach_nothing() -> None:
    """The same probe, but the answer with more left is for a request granted before the lower one was read."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.02, throttler_answer(99, "10"))
    admit(gov, 0.02)
    for _ in range(99):
        observe(gov, 0.05, throttler_answer(0, "10"))
    assert gov.reserve(10.12) is None
    assert gov.reserve(10.12) == math.inf  # (probe=1)
    gov.quota.probe = 3  # two more go with the probe, before its answer
    assert admit(gov, 10.12) == 2
    observe(gov, 10.14, throttler_answer(97, "10"), token=2)  # the last granted, counted first
    observe(gov, 10.15, throttler_answer(98, "10"), token=1)  # granted before that answer was read
    assert gov.reader.bound_window == PLAN_WINDOW


def test_a_probe_stating_less_than_the_longest_reset_teaches_nothing() -> None:
    """A sliding log that states when its oldest hit ages out: a probe's short reset is not a window's length."""
    gov = Governor()
    gov.reserve(0.0)
    observe(gov, 0.0, throttler_answer(99, "10"))
    admit(gov, 0.0)
    for _ in range(99):
        observe(gov, 0.05, throttler_answer(0, "10"))
    assert gov.reserve(10.12) is None
    observe(gov, 10.13, throttler_answer(3, "1"))  # the next hit to age out goes in a second
    admit(gov, 10.13)
    observe(gov, 10.15, throttler_answer(5, "1"))
    assert gov.reader.bound_window == PLAN_WINDOW
