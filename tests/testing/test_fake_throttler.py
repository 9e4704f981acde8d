"""The fake server's ``nestjs-throttler`` rule: @nestjs/throttler 6's storage and guard, on an explicit clock."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest

from skipcall_async.testing import FakeSkipcall, Faults, NamedThrottler, Plan, RateLimitRule
from skipcall_async.testing.__main__ import main
from skipcall_async.testing._ratelimit import KeyLimiter
from skipcall_async.testing._throttler import ThrottlerRecord, whole_seconds

T = 1_800_000_000.0  # server epoch seconds; whole and half seconds added to it stay exact
RATE_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


def throttler(limit: int = 3, window: float = 10.0, block: float = 0.0, **options: Any) -> KeyLimiter:
    """A limiter for one key under the throttler rule."""
    rule = RateLimitRule(
        plan=Plan(limit=limit, window=window), rule="nestjs-throttler", block_duration=block, **options
    )
    return KeyLimiter(rule)


def answer(limiter: KeyLimiter, at: float) -> dict[str, str]:
    """The rate headers a request at ``at`` gets, with ``status`` added: what a client would see."""
    decision = limiter.check(at)
    retry = {} if decision.allowed else limiter.retry_headers(decision, at)  # as the server adds it to 429s only
    return {"status": "200" if decision.allowed else "429", **limiter.headers(decision, at), **retry}


def ok(remaining: int, reset: int, limit: int = 3) -> dict[str, str]:
    return {
        "status": "200",
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def refused(retry_after: int) -> dict[str, str]:
    return {"status": "429", "Retry-After": str(retry_after)}


def test_each_hit_expires_on_its_own_and_a_refusal_is_not_counted() -> None:
    """Without a block, a slot frees when the oldest hit is ttl old; Retry-After counts down to that moment."""
    limiter = throttler(limit=3, window=10)
    assert answer(limiter, T) == ok(remaining=2, reset=10)
    assert answer(limiter, T + 2) == ok(remaining=1, reset=8)
    assert answer(limiter, T + 4) == ok(remaining=0, reset=6)
    assert answer(limiter, T + 6) == refused(retry_after=4)  # the hit of T expires at T + 10
    assert answer(limiter, T + 9.5) == refused(retry_after=1)
    # The hit of T has expired: one slot, and only one (the refusals at T + 6 and T + 9.5 were not counted).
    assert answer(limiter, T + 10) == ok(remaining=0, reset=10)
    assert answer(limiter, T + 11) == refused(retry_after=1)  # the hit of T + 2 expires at T + 12
    assert answer(limiter, T + 12) == ok(remaining=0, reset=8)


def test_the_tracker_window_restarts_once_passed_and_admits_nothing_by_itself() -> None:
    """Reset counts whole seconds to the window end; the window restarts after it, yet live hits still count."""
    limiter = throttler(limit=2, window=10)
    assert answer(limiter, T + 0.25) == ok(remaining=1, reset=10, limit=2)  # the window ends at T + 10.25
    assert answer(limiter, T + 9) == ok(remaining=0, reset=2, limit=2)  # 1.25 s, rounded up
    assert answer(limiter, T + 9.5) == refused(retry_after=1)  # the hit of T + 0.25 expires at T + 10.25
    assert answer(limiter, T + 10.24) == refused(retry_after=1)  # 0.01 s left: Reset would say 1
    # The window has passed: it restarts (Reset 10) but the hit of T + 9 still counts.
    assert answer(limiter, T + 10.25) == ok(remaining=0, reset=10, limit=2)
    assert answer(limiter, T + 12) == refused(retry_after=7)  # T + 9's hit expires at T + 19
    assert answer(limiter, T + 19) == ok(remaining=0, reset=2, limit=2)  # the window ends at T + 20.25: 1.25 s left


def test_the_request_over_the_limit_is_counted_only_in_block_mode() -> None:
    """incrementWithoutBlock drops a refused request; with a block it is logged, and that is what blocks."""
    without = ThrottlerRecord(ttl=10, limit=2)
    with_block = ThrottlerRecord(ttl=10, limit=2, block_duration=30)
    for record in (without, with_block):
        record.increment(T)
        record.increment(T + 1)
    over = without.increment(T + 2)
    assert (over.blocked, over.total_hits, without.hits) == (True, 3, (T + 10, T + 11))
    over = with_block.increment(T + 2)
    assert (over.blocked, over.total_hits, with_block.hits) == (True, 3, (T + 10, T + 11, T + 12))
    assert over.retry_at == T + 32


def test_a_block_refuses_everything_until_it_ends_then_forgets_every_hit() -> None:
    """Exceeding the limit blocks for block_duration even after the hits expire; the next request starts afresh."""
    limiter = throttler(limit=3, window=10, block=30)
    assert [answer(limiter, T + i) for i in range(3)] == [ok(2, 10), ok(1, 9), ok(0, 8)]
    assert answer(limiter, T + 3) == refused(retry_after=30)  # counted: 4 > 3, blocked until T + 33
    assert answer(limiter, T + 4) == refused(retry_after=29)
    assert answer(limiter, T + 20) == refused(retry_after=13)  # every hit has expired, still blocked
    assert answer(limiter, T + 32.5) == refused(retry_after=1)
    # The block is over: the hits are forgotten and this request is the first one counted. The tracker window
    # restarted at T + 20 (ends T + 30) and again at T + 32.5 (ends T + 42.5): Reset is ceil(9.5).
    assert answer(limiter, T + 33) == ok(remaining=2, reset=10)
    assert answer(limiter, T + 33.5) == ok(remaining=1, reset=9)


def test_a_block_shorter_than_the_window_also_forgets_hits_still_live() -> None:
    """After a 3 s block the budget is whole again, though the hits before it would live 10 s."""
    limiter = throttler(limit=2, window=10, block=3)
    assert [answer(limiter, T + i) for i in range(2)] == [ok(1, 10, limit=2), ok(0, 9, limit=2)]
    assert answer(limiter, T + 2) == refused(retry_after=3)
    assert answer(limiter, T + 5) == ok(remaining=1, reset=5, limit=2)  # hits of T..T + 2 live until T + 12
    assert answer(limiter, T + 6) == ok(remaining=0, reset=4, limit=2)
    assert answer(limiter, T + 7) == refused(retry_after=3)  # blocked again, until T + 10


def test_time_scale_divides_the_window_and_the_block() -> None:
    """At time scale 10, a 60 s window lasts 6 s and a 120 s block 12 s."""
    limiter = throttler(limit=1, window=60, block=120, time_scale=10)
    assert answer(limiter, T) == ok(remaining=0, reset=6, limit=1)
    assert answer(limiter, T + 1) == refused(retry_after=12)
    assert answer(limiter, T + 12.5) == refused(retry_after=1)
    assert answer(limiter, T + 13) == ok(remaining=0, reset=6, limit=1)  # the window restarted at T + 12.5


def test_retry_after_flag_does_not_change_the_rule() -> None:
    """retry_after=True or False: the same headers, Retry-After on 429s only."""
    times = [T, T + 1, T + 2, T + 3, T + 9, T + 10]
    with_flag, without_flag = throttler(retry_after=True), throttler(retry_after=False)
    seen = [answer(with_flag, t) for t in times]
    assert seen == [answer(without_flag, t) for t in times]
    assert [s["status"] for s in seen] == ["200", "200", "200", "429", "429", "200"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rule": "nestjs-throttler", "reset_format": "delta"}, "drop reset_format"),
        ({"rule": "fixed-first", "block_duration": 5.0}, "only to the nestjs-throttler rule"),
        ({"rule": "nestjs-throttler", "block_duration": -1.0}, "must not be negative"),
    ],
)
def test_conflicting_options_are_refused(options: dict[str, object], message: str) -> None:
    """A reset format on this rule, or a block on another rule, would be silently ignored: refuse them."""
    with pytest.raises(ValueError, match=message):
        RateLimitRule(**options)  # type: ignore[arg-type]


def test_whole_seconds_rounds_up_without_float_noise() -> None:
    """Math.ceil over milliseconds: 5.0000002 s is 5, 5.001 s is 6, a passed moment is 0 or less."""
    assert [whole_seconds(s) for s in (5.0000002, 5.001, 0.0004, -2.5)] == [5, 6, 0, -2]


@pytest.mark.parametrize(("block", "retry_after"), [(0.0, "60"), (30.0, "30")])
async def test_a_429_over_http_has_retry_after_and_no_rate_headers(block: float, retry_after: str) -> None:
    """Admitted: the three X-RateLimit headers, no Retry-After. Refused: Retry-After only, as the guard throws."""
    rule = RateLimitRule(plan=Plan(limit=2), rule="nestjs-throttler", block_duration=block, skew=90.0)
    async with FakeSkipcall(rate_limit=rule) as server, aiohttp.ClientSession() as session:
        answers = []
        for _ in range(3):
            headers = {"Authorization": f"Bearer {server.api_key}"}
            async with session.get(server.url + "/v1/workspaces", headers=headers) as resp:
                answers.append((resp.status, dict(resp.headers), await resp.json()))
    (s1, h1, _), (s2, h2, _), (s3, h3, body) = answers
    assert (s1, s2, s3) == (200, 200, 429)
    assert [(h["X-RateLimit-Limit"], h["X-RateLimit-Remaining"], h["X-RateLimit-Reset"]) for h in (h1, h2)] == [
        ("2", "1", "60"),
        ("2", "0", "60"),
    ]
    assert "Retry-After" not in h1
    assert "Retry-After" not in h2
    assert h3["Retry-After"] == retry_after
    assert not RATE_HEADERS & set(h3)
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert server.rate_limited == 1
    # The skew moves the server's Date, not the countdowns.
    assert 88 < parsedate_to_datetime(h3["Date"]).timestamp() - time.time() < 91


async def test_header_faults_add_no_rate_headers_to_a_throttler_429() -> None:
    """Garbage-header faults spoil the headers a rule sends; they do not invent them on a refusal."""
    rule = RateLimitRule(plan=Plan(limit=1), rule="nestjs-throttler")
    async with FakeSkipcall(rate_limit=rule, faults=Faults(rate_headers="garbage")) as server:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {server.api_key}"}) as session:
            async with session.get(server.url + "/v1/workspaces") as first:
                assert first.headers["X-RateLimit-Limit"] == "lots"
            async with session.get(server.url + "/v1/workspaces") as second:
                assert second.status == 429
                assert not RATE_HEADERS & set(second.headers)
                assert second.headers["Retry-After"] == "60"


def test_the_process_serves_the_rule_from_the_command_line() -> None:
    """--rule nestjs-throttler --block-duration: the second request is blocked for the scaled block duration."""
    command = [sys.executable, "-m", "skipcall_async.testing", "--port", "0", "--rule", "nestjs-throttler"]
    options = ["--limit", "1", "--time-scale", "2", "--block-duration", "120"]
    proc = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" on ")[1].split(" ")[0]
        request = urllib.request.Request(
            url + "/v1/workspaces", headers={"Authorization": "Bearer sk_test_fake_skipcall"}
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert (resp.headers["X-RateLimit-Remaining"], resp.headers["X-RateLimit-Reset"]) == ("0", "30")
        with pytest.raises(urllib.error.HTTPError) as blocked:
            urllib.request.urlopen(request, timeout=5)
        assert blocked.value.code == 429
        assert blocked.value.headers["Retry-After"] == "60"
        assert not RATE_HEADERS & set(blocked.value.headers)
        blocked.value.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=5)


def test_the_command_line_refuses_a_block_for_another_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """--block-duration with a rule that has no block is a usage error, not a silently ignored option."""
    with pytest.raises(SystemExit) as exited:
        main(["--rule", "fixed-first", "--block-duration", "5"])
    assert exited.value.code == 2
    assert "only to the nestjs-throttler rule" in capsys.readouterr().err


@pytest.mark.slow
async def test_named_throttlers_over_http_answer_as_the_guard_does() -> None:
    """A 2-a-second throttler beside a 3-a-minute plan: suffixed headers, the shorter one runs first.

    The fourth request is refused by the plan's own throttler after the short one counted it: its headers come
    on the 429, with Retry-After for the plan's; a refusal by the short one carries only Retry-After-short.
    """
    short = NamedThrottler(name="short", plan=Plan(limit=2, window=1))
    rule = RateLimitRule(plan=Plan(limit=3), rule="nestjs-throttler", throttlers=(short,))
    async with FakeSkipcall(rate_limit=rule) as server, aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        answers = []
        for pause in (0, 0, 0, 1.05, 0):
            await asyncio.sleep(pause)
            async with session.get(server.url + "/v1/workspaces", headers=headers) as resp:
                answers.append((resp.status, {k: v for k, v in resp.headers.items() if "Rate" in k or "Retry" in k}))
    assert [status for status, _ in answers] == [200, 200, 429, 200, 429]
    assert answers[0][1] == {
        "X-RateLimit-Limit-short": "2", "X-RateLimit-Remaining-short": "1", "X-RateLimit-Reset-short": "1",
        "X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "60",
    }  # fmt: skip
    assert answers[2][1] == {"Retry-After-short": "1"}
    assert answers[3][1]["X-RateLimit-Remaining"] == "0"
    assert answers[4][1] == {
        "X-RateLimit-Limit-short": "2", "X-RateLimit-Remaining-short": "0", "X-RateLimit-Reset-short": "1",
        "Retry-After": "59",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rule": "fixed-first", "throttlers": (NamedThrottler(name="s", plan=Plan(limit=1)),)}, "only to the nestjs"),
        (
            {
                "throttlers": (
                    NamedThrottler(name="s", plan=Plan(limit=1)),
                    NamedThrottler(name="s", plan=Plan(limit=2)),
                )
            },
            "a name of its own",
        ),
    ],
)
def test_named_throttlers_need_the_rule_and_names_of_their_own(options: dict[str, Any], message: str) -> None:
    """Throttlers on another rule, or two of one name, are refused with what is wrong."""
    with pytest.raises(ValueError, match=message):
        RateLimitRule(**{"rule": "nestjs-throttler", **options})


@pytest.mark.parametrize("name", ["default", "two words", ""])
def test_a_named_throttler_needs_a_header_token_name(name: str) -> None:
    """Its name becomes a header suffix: no spaces, not empty, and not 'default' (which has no suffix)."""
    with pytest.raises(ValueError, match="header-token name"):
        NamedThrottler(name=name, plan=Plan(limit=1))


def test_the_command_line_takes_named_throttlers(capsys: pytest.CaptureFixture[str]) -> None:
    """--throttler short=10/1 builds a named throttler; a malformed one is a usage error naming it."""
    from skipcall_async.testing.__main__ import _named_throttler

    assert _named_throttler("short=10/1/2") == NamedThrottler(
        name="short", plan=Plan(limit=10, window=1.0), block_duration=2.0
    )
    with pytest.raises(SystemExit) as exited:
        main(["--rule", "nestjs-throttler", "--throttler", "short=ten/1"])
    assert exited.value.code == 2
    assert "'short=ten/1'" in capsys.readouterr().err
