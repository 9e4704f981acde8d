"""Every real limiter the SDK is judged against, by name, each started fresh on a free port, with its ideal.

One catalogue for the tests (``tests/pacing/test_real_limiters.py``) and the benchmark
(``benchmarks/real_limiters.py``): `catalogue` gives, for ``limit`` requests per ``window`` seconds per API key,

- @fastify/rate-limit, and express-rate-limit sending each of its header forms (legacy, draft-6, -7, -8): fixed
  windows opened by the key's first request, whose ideal is `FixedWindow`;
- nginx ``limit_req`` at the same average rate in front of an app, with a burst of ``limit`` and of a fifth of it,
  ``nodelay`` and queued: a leaky bucket that answers with bare 429s, whose ideal is `LeakyBucket`.

``with limiter.start() as served: served.url, served.log()``: ``log()`` gives when the limiter decided each
request (admitted or refused, epoch seconds on its clock) and its status, so 429s are counted where they happen.
Standard library only, so a benchmark can start them under another interpreter's SDK.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from support.limiters.express import ExpressApp
from support.limiters.fastify import FastifyApp
from support.limiters.nginx import LimitReq, nginx_in_front, rate_of


class Served(Protocol):
    """A running limiter: its base URL and its log of ``(epoch seconds, status)`` per ``/v1`` request."""

    url: str

    def log(self) -> list[tuple[float, int]]: ...


@dataclass(frozen=True)
class FixedWindow:
    """``limit`` admissions per ``window`` seconds, each window opened by the key's first request."""

    limit: int
    window: float

    def ideal_elapsed(self, admitted: int) -> float:
        """The least time from the first request to the ``admitted``-th admission: the start of its window."""
        return math.floor((admitted - 1) / self.limit) * self.window if admitted > 0 else 0.0

    def ideal_count(self, elapsed: float) -> int:
        """The most admissions in ``elapsed`` seconds from the first request (every window opened in that time)."""
        return self.limit * (math.floor(elapsed / self.window) + 1)


@dataclass(frozen=True)
class LeakyBucket:
    """nginx ``limit_req``: one request, ``burst`` more at once, then ``rate`` per second; queued ones at the rate."""

    rate: float
    burst: int
    nodelay: bool

    def ideal_elapsed(self, admitted: int) -> float:
        """The least time from the first request to the ``admitted``-th admission.

        With ``nodelay`` the first ``1 + burst`` pass at once; queued, nginx lets one through every ``1 / rate``
        from the first, whatever waits in its queue.
        """
        at_once = 1 + self.burst if self.nodelay else 1
        return max(0, admitted - at_once) / self.rate

    def ideal_count(self, elapsed: float) -> int:
        """The most admissions in ``elapsed`` seconds from the first request (nginx and its log count milliseconds)."""
        return (1 + self.burst if self.nodelay else 1) + math.floor(self.rate * (elapsed + 0.002))


@dataclass(frozen=True)
class RealLimiter:
    """One limiter of the catalogue: how to start it fresh, what it sends, and the best any client could do."""

    name: str
    sends: str
    headers: bool  # whether it tells the client its limit (else: bare 429s, nothing on a 200)
    ideal: FixedWindow | LeakyBucket
    start: Callable[[], AbstractContextManager[Served]]


EXPRESS_SENDS = {
    "legacy": "X-RateLimit-* (Reset: epoch, rounded up)",
    "draft-6": "RateLimit-Limit/-Remaining/-Reset, -Policy",
    "draft-7": "RateLimit: limit=, remaining=, reset=",
    "draft-8": 'RateLimit: "name"; r=; t= (structured)',
}


def catalogue(limit: int = 100, window: float = 10.0) -> dict[str, RealLimiter]:
    """Every limiter at ``limit`` per ``window`` seconds per key; nginx at the same rate, bursts ``limit`` and /5."""
    limiters = {
        "fastify": RealLimiter(
            "fastify", "x-ratelimit-* (reset: seconds until)", True, FixedWindow(limit, window),
            partial(FastifyApp, limit=limit, window=window),
        ),
    }  # fmt: skip
    for mode, sends in EXPRESS_SENDS.items():
        limiters[f"express-{mode}"] = RealLimiter(
            f"express-{mode}", sends, True, FixedWindow(limit, window),
            partial(ExpressApp, mode, limit=limit, window=window),
        )  # fmt: skip
    rate = rate_of(limit, window)
    for burst in (limit, max(1, limit // 5)):
        for nodelay in (True, False):
            setting = LimitReq(rate, burst, nodelay)
            name = f"nginx-{'nodelay' if nodelay else 'queued'}-{burst}"
            limiters[name] = RealLimiter(
                name, f"bare 429 ({setting})", False, LeakyBucket(setting.per_second, burst, nodelay),
                partial(nginx_in_front, setting),
            )  # fmt: skip
    return limiters
