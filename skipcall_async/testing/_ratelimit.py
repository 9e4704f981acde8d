"""Server-side rate limiting of the fake Skipcall: per key, several rules, optional clock skew."""

from __future__ import annotations

import collections
import math
from typing import Final, Literal

import attrs

RuleName = Literal["fixed-clock", "fixed-first", "seconds-until-reset", "sliding-log"]
RULES: Final[tuple[RuleName, ...]] = ("fixed-clock", "fixed-first", "seconds-until-reset", "sliding-log")
ResetFormat = Literal["epoch", "epoch-ms", "delta"]


@attrs.frozen(kw_only=True)
class Plan:
    """A rate-limit plan: ``limit`` requests per ``window`` seconds (before time scaling)."""

    limit: int
    window: float = 60.0


PLANS: Final = {"starter": Plan(limit=100), "intermediaire": Plan(limit=100), "expert": Plan(limit=1000)}


@attrs.frozen(kw_only=True)
class RateLimitRule:
    """How the fake server counts requests.

    ``fixed-clock``: windows aligned to multiples of the window on the server clock. ``fixed-first``: a window
    opens with the first request after the last one closed. ``seconds-until-reset``: like ``fixed-first`` but
    ``X-RateLimit-Reset`` is sent as seconds until the reset. ``sliding-log``: at most ``limit`` requests in
    any window-long span; the reset is when the oldest logged request ages out.
    ``time_scale`` shortens the window (60 s at scale 10 is 6 s); ``skew`` shifts the server clock (seconds);
    ``reset_format`` overrides the header form (``epoch`` seconds rounded up, ``epoch-ms``, ``delta``).
    """

    plan: Plan = PLANS["starter"]
    rule: RuleName = "fixed-clock"
    time_scale: float = 1.0
    skew: float = 0.0
    retry_after: bool = False
    reset_format: ResetFormat | None = None

    @property
    def window(self) -> float:
        return self.plan.window / self.time_scale

    @property
    def format(self) -> ResetFormat:
        if self.reset_format is not None:
            return self.reset_format
        return "delta" if self.rule == "seconds-until-reset" else "epoch"


@attrs.frozen
class Decision:
    """The outcome for one request: admitted or not, and what the headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # server epoch seconds


class KeyLimiter:
    """The count for one key under one rule."""

    def __init__(self, rule: RateLimitRule) -> None:
        self.rule = rule
        self._window_start: float | None = None
        self._count = 0
        self._log: collections.deque[float] = collections.deque()

    def check(self, server_now: float) -> Decision:
        """Count a request at ``server_now`` (epoch seconds on the server clock)."""
        limit, window = self.rule.plan.limit, self.rule.window
        if self.rule.rule == "sliding-log":
            while self._log and self._log[0] <= server_now - window:
                self._log.popleft()
            allowed = len(self._log) < limit
            if allowed:
                self._log.append(server_now)
            reset_at = self._log[0] + window if self._log else server_now + window
            return Decision(allowed, limit, limit - len(self._log), reset_at)
        if self.rule.rule == "fixed-clock":
            start = math.floor(server_now / window) * window
        else:
            start = self._window_start if self._window_start is not None else server_now
            if server_now >= start + window:
                start = server_now
        if start != self._window_start:
            self._window_start, self._count = start, 0
        allowed = self._count < limit
        if allowed:
            self._count += 1
        return Decision(allowed, limit, limit - self._count, start + window)

    def headers(self, decision: Decision, server_now: float) -> dict[str, str]:
        """The X-RateLimit-* headers for ``decision`` in the rule's reset format."""
        if self.rule.format == "epoch-ms":
            reset = str(math.ceil(decision.reset_at * 1000))
        elif self.rule.format == "delta":
            reset = f"{max(0.0, decision.reset_at - server_now):.3f}"
        else:
            reset = str(math.ceil(decision.reset_at))
        return {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(max(0, decision.remaining)),
            "X-RateLimit-Reset": reset,
        }
