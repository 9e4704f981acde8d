"""A gather of hundreds of calls against a server that enforces a limit: no 429, in about the ideal time."""

from __future__ import annotations

import asyncio
import math

import pytest

from skipcall_async import RateLimitPolicy, SkipcallClient
from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule

pytestmark = pytest.mark.slow

SCALE = 30.0  # the one-minute window lasts 2 s
REQUESTS = 250


def ideal(rule: RateLimitRule, at: list[float]) -> float:
    """Earliest the server's rule admits REQUESTS, given when it admitted each (server time).

    On the clock, the first window holds what the first request's window could still take; each later window,
    a whole limit.
    """
    if rule.rule == "fixed-clock":
        boundary = math.floor(at[0] / rule.window) * rule.window + rule.window
        rest = REQUESTS - sum(1 for moment in at if moment < boundary)
        return boundary - at[0] + (math.ceil(rest / rule.plan.limit) - 1) * rule.window
    return math.floor((REQUESTS - 1) / rule.plan.limit) * rule.window


@pytest.mark.parametrize(
    "rule",
    [
        RateLimitRule(plan=PLANS["starter"], rule="fixed-clock", time_scale=SCALE),
        RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE),
        RateLimitRule(plan=PLANS["starter"], rule="seconds-until-reset", time_scale=SCALE),
        RateLimitRule(plan=PLANS["starter"], rule="sliding-log", time_scale=SCALE, reset_format="epoch-ms"),
        RateLimitRule(plan=PLANS["starter"], rule="sliding-log", time_scale=SCALE),
        RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE, skew=90.0),
        RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=SCALE, reset_format="epoch-ms"),
    ],
    ids=[
        "fixed-clock",
        "fixed-first",
        "seconds-until-reset",
        "sliding-log",
        "sliding-log-whole-seconds",
        "skewed-90s",
        "epoch-ms",
    ],
)
async def test_a_large_gather_never_trips_the_limit(rule: RateLimitRule) -> None:
    """Zero 429s, and the server admits the last request close to the earliest moment its rule allows."""
    async with FakeSkipcall(rate_limit=rule, calls=600) as server:
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:REQUESTS]
        policy = RateLimitPolicy(window=rule.window)
        async with SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy) as client:
            calls = await asyncio.gather(*(client.get_call(i) for i in ids))
            snapshot = client.rate_limit
    assert [c.id for c in calls] == ids
    assert server.rate_limited == 0
    assert snapshot.rate_limited == 0
    assert len(server.requests) == REQUESTS
    # Judged on the server's own admission times: the span from the first request to the last.
    span = server.requests[-1].at - server.requests[0].at
    best = ideal(rule, [r.at + rule.skew for r in server.requests])
    # A sliding log's reset is when an earlier burst ages out; sent in whole seconds it may cost up to a second
    # per window (1.7% of the API's one-minute window, much more of this test's two seconds).
    rounding = (
        math.floor((REQUESTS - 1) / rule.plan.limit) if rule.rule == "sliding-log" and rule.format == "epoch" else 0
    )
    assert best - 0.05 <= span <= best * 1.05 + 0.3 + rounding, (span, best)
