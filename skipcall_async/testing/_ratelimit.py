"""Server-side rate limiting of the fake Skipcall: per key, several rules, optional clock skew."""

from __future__ import annotations

import collections
import math
import re
from typing import Final, Literal

import attrs

from ._throttler import ThrottlerRecord, whole_seconds

RuleName = Literal["fixed-clock", "fixed-first", "seconds-until-reset", "sliding-log", "nestjs-throttler"]
RULES: Final[tuple[RuleName, ...]] = (
    "fixed-clock",
    "fixed-first",
    "seconds-until-reset",
    "sliding-log",
    "nestjs-throttler",
)
ResetFormat = Literal["epoch", "epoch-ms", "delta"]


@attrs.frozen(kw_only=True)
class Plan:
    """A rate-limit plan: ``limit`` requests per ``window`` seconds (before time scaling)."""

    limit: int
    window: float = 60.0


PLANS: Final = {"starter": Plan(limit=100), "intermediaire": Plan(limit=100), "expert": Plan(limit=1000)}
DEFAULT_THROTTLER: Final = "default"  # @nestjs/throttler sends this one's headers without a suffix
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # what an HTTP header name may hold


@attrs.frozen(kw_only=True)
class NamedThrottler:
    """One more @nestjs/throttler throttler beside the plan's own (``nestjs-throttler`` rule only).

    Its answers carry ``X-RateLimit-Limit-<name>``, ``-Remaining-<name>``, ``-Reset-<name>``, and a refusal by it
    ``Retry-After-<name>``. The guard runs every throttler in order of their windows, shortest first: each
    counts the request; the first to refuse it ends the run, so the longer ones do not count it, while the
    shorter ones already did (their headers are on the 429).

    Attributes:
        name: The suffix (a header token, not ``default``).
        plan: Its requests per window, before time scaling.
        block_duration: As `RateLimitRule.block_duration`, for this throttler.
    """

    name: str
    plan: Plan
    block_duration: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.name == DEFAULT_THROTTLER or not _TOKEN.match(self.name):
            raise ValueError(f"a named throttler needs a header-token name other than 'default', got {self.name!r}")
        if self.block_duration < 0:
            raise ValueError(f"block_duration must not be negative, got {self.block_duration}")


@attrs.frozen(kw_only=True)
class RateLimitRule:
    """How the fake server counts requests, per key; pass it as `FakeSkipcall(rate_limit=...)`.

    The rules:

    - `fixed-clock`: windows aligned to multiples of the window on the server clock.
    - `fixed-first`: a window opens with the first request after the last one closed.
    - `seconds-until-reset`: like `fixed-first`, but `X-RateLimit-Reset` is sent as seconds until the reset.
    - `sliding-log`: at most `limit` requests in any window-long span; the reset is when the oldest logged
      request ages out.
    - `nestjs-throttler`: what @nestjs/throttler 6 does: a sliding log of hits; the reset is whole seconds until
      the tracker window ends; a 429 carries `Retry-After` and no `X-RateLimit-*` header.

    Attributes:
        plan: Requests per window (see `PLANS`). Default: starter, 100 a minute.
        rule: One of the rules above. Default `fixed-clock`.
        time_scale: Divides the window and the block: 60 s at scale 10 is 6 s. Default 1.
        skew: Seconds the server clock is shifted by. Default 0.
        retry_after: Send `Retry-After` on a 429 (the `nestjs-throttler` rule always does). Default False.
        reset_format: Overrides the form of `X-RateLimit-Reset`: `epoch` (seconds, rounded up), `epoch-ms` or
            `delta`. None: the rule's own.
        block_duration: `nestjs-throttler` only: once the limit is exceeded, refuse every request for this many
            seconds (the library's own default equals the window). Default 0: no block.
        throttlers: `nestjs-throttler` only: named throttlers enforced beside the plan (see `NamedThrottler`).

    Raises:
        ValueError: A negative `block_duration`, or `block_duration`, `reset_format` or `throttlers` with a rule
            that does not take it, or two throttlers of one name.
    """

    plan: Plan = PLANS["starter"]
    rule: RuleName = "fixed-clock"
    time_scale: float = 1.0
    skew: float = 0.0
    retry_after: bool = False
    reset_format: ResetFormat | None = None
    block_duration: float = 0.0
    throttlers: tuple[NamedThrottler, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.throttlers and self.rule != "nestjs-throttler":
            raise ValueError(f"throttlers apply only to the nestjs-throttler rule, not {self.rule}")
        names = [throttler.name for throttler in self.throttlers]
        if len(set(names)) != len(names):
            raise ValueError(f"each named throttler needs a name of its own, got {names}")
        if self.block_duration < 0:
            raise ValueError(f"block_duration must not be negative, got {self.block_duration}")
        if self.block_duration and self.rule != "nestjs-throttler":
            raise ValueError(f"block_duration applies only to the nestjs-throttler rule, not {self.rule}")
        if self.reset_format is not None and self.rule == "nestjs-throttler":
            raise ValueError("the nestjs-throttler rule always sends whole seconds until reset; drop reset_format")

    @property
    def window(self) -> float:
        return self.plan.window / self.time_scale

    @property
    def block(self) -> float:
        """The block duration on the scaled clock, as the window is."""
        return self.block_duration / self.time_scale

    @property
    def format(self) -> ResetFormat:
        if self.reset_format is not None:
            return self.reset_format
        return "delta" if self.rule in ("seconds-until-reset", "nestjs-throttler") else "epoch"


@attrs.frozen
class Decision:
    """The outcome for one request: admitted or not, and what the headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # server epoch seconds
    retry_at: float | None = None  # nestjs-throttler, when refused: the moment Retry-After counts down to
    # nestjs-throttler: whether the plan's own throttler counted the request (a shorter one may refuse first),
    # and the headers the named throttlers set (rate headers of those that ran, Retry-After-<name> of a refusal)
    counted: bool = True
    named: tuple[tuple[str, str], ...] = ()


class KeyLimiter:
    """The count for one key under one rule."""

    def __init__(self, rule: RateLimitRule) -> None:
        self.rule = rule
        self._window_start: float | None = None
        self._count = 0
        self._log: collections.deque[float] = collections.deque()
        # Used by the nestjs-throttler rule only; the other rules keep the window and the log above. The guard
        # runs its throttlers shortest window first (a stable sort: the plan's own first among equals).
        scale = rule.time_scale
        throttlers = [(DEFAULT_THROTTLER, ThrottlerRecord(ttl=rule.window, limit=rule.plan.limit,
                                                          block_duration=rule.block))]  # fmt: skip
        for named in rule.throttlers:
            record = ThrottlerRecord(ttl=named.plan.window / scale, limit=named.plan.limit,
                                     block_duration=named.block_duration / scale)  # fmt: skip
            throttlers.append((named.name, record))
        self._throttlers = sorted(throttlers, key=lambda pair: pair[1].ttl)

    def check(self, server_now: float) -> Decision:
        """Count a request at ``server_now`` (epoch seconds on the server clock)."""
        if self.rule.rule == "nestjs-throttler":
            return self._throttled(server_now)
        if self.rule.rule == "sliding-log":
            return self._sliding_log(server_now)
        return self._fixed_window(server_now)

    def _sliding_log(self, server_now: float) -> Decision:
        """At most ``limit`` requests in any window-long span; refused requests are not logged."""
        limit, window = self.rule.plan.limit, self.rule.window
        while self._log and self._log[0] <= server_now - window:
            self._log.popleft()
        allowed = len(self._log) < limit
        if allowed:
            self._log.append(server_now)
        reset_at = self._log[0] + window if self._log else server_now + window
        return Decision(allowed, limit, limit - len(self._log), reset_at)

    def _fixed_window(self, server_now: float) -> Decision:
        """A counter that restarts with each window, aligned to the clock or opened by a request."""
        limit, window = self.rule.plan.limit, self.rule.window
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

    def _throttled(self, server_now: float) -> Decision:
        """The guard's verdict: each throttler in turn counts the request, until one refuses it.

        The plan's throttler gives the decision's own figures; its tracker window end is what its reset counts
        down to.
        """
        named: list[tuple[str, str]] = []
        own: Decision | None = None
        for name, record in self._throttlers:
            hit = record.increment(server_now)
            if name == DEFAULT_THROTTLER:
                own = Decision(not hit.blocked, record.limit, record.limit - hit.total_hits, hit.expires_at,
                               hit.retry_at)  # fmt: skip
            elif hit.blocked:
                named.append((f"Retry-After-{name}", str(whole_seconds((hit.retry_at or server_now) - server_now))))
            else:
                named += [(f"X-RateLimit-Limit-{name}", str(record.limit)),
                          (f"X-RateLimit-Remaining-{name}", str(max(0, record.limit - hit.total_hits))),
                          (f"X-RateLimit-Reset-{name}", str(whole_seconds(hit.expires_at - server_now)))]  # fmt: skip
            if hit.blocked:
                break
        refused = bool(named) and named[-1][0].startswith("Retry-After-")
        if own is None:  # refused by a shorter throttler before the plan's own ran
            limit = self.rule.plan.limit
            return Decision(False, limit, limit, server_now, None, counted=False, named=tuple(named))
        return attrs.evolve(own, allowed=own.allowed and not refused, named=tuple(named))

    def headers(self, decision: Decision, server_now: float) -> dict[str, str]:
        """The X-RateLimit-* headers for ``decision`` in the rule's reset format."""
        if self.rule.rule == "nestjs-throttler":
            return _throttler_headers(decision, server_now)
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

    def retry_headers(self, decision: Decision, server_now: float) -> dict[str, str]:
        """``Retry-After`` for a refused request, if the rule sends one."""
        if self.rule.rule == "nestjs-throttler":
            headers = {name: value for name, value in decision.named if name.startswith("Retry-After-")}
            if decision.retry_at is not None:
                headers["Retry-After"] = str(whole_seconds(decision.retry_at - server_now))
            return headers
        if decision.retry_at is not None:
            return {"Retry-After": str(whole_seconds(decision.retry_at - server_now))}
        if self.rule.retry_after:
            return {"Retry-After": str(max(1, int(decision.reset_at - server_now + 0.999)))}
        return {}


def _throttler_headers(decision: Decision, server_now: float) -> dict[str, str]:
    """Each throttler that admitted the request: limit, remaining, whole seconds until its tracker window ends.

    One that refuses it sets none (the guard throws), and the longer ones do not run: a 429 carries only the
    headers of the shorter throttlers that admitted it.
    """
    headers = {name: value for name, value in decision.named if name.startswith("X-RateLimit-")}
    if decision.counted and decision.retry_at is None:  # the plan's own throttler admitted it
        headers.update({
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(max(0, decision.remaining)),
            "X-RateLimit-Reset": str(whole_seconds(decision.reset_at - server_now)),
        })  # fmt: skip
    return headers
