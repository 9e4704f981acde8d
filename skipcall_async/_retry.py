"""What is retried, and how long to wait: a policy as data plus pure functions, run by tenacity.

Retried: 500/502/503/504, connection errors and timeouts. GET and DELETE are always safe to repeat; POST and
PATCH only when the request provably never reached the server (refused connection) or the operation is documented
idempotent. Backoff is full-jitter exponential: ``uniform(0, min(cap, base * 2 ** (retry - 1)))``. A 429 is not
retried here: the client sends it again after the key's gate, as a wait for the rate limit bounded by
``max_rate_limit_wait``, not as an attempt.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import tenacity

from ._errors import APIConnectionError, ServerError, SkipcallError, TooManyRequestsError

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How the SDK retries a failed call; pass it as `SkipcallClient(retry=...)`. Frozen, checked when built.

    Retried: 500/502/503/504 and connection errors or timeouts; a POST or PATCH only when it provably never
    reached the server or the operation is documented idempotent. The sleep before retry `n` is drawn from 0 to
    `min(cap, base * 2 ** (n - 1))` seconds. A 429 is no attempt: the request is sent again when the key's gate
    opens, within the client's `max_rate_limit_wait`.

    Attributes:
        max_attempts: Tries per call, the first included; 1 disables retries. Default 4.
        base: Backoff base in seconds. Default 0.5.
        cap: Longest backoff in seconds. Default 8.0.
        deadline: Bound in seconds on one call's total time across attempts, rate-limit waits included.
            None (the default): no bound beyond `max_attempts`.
        jitter: `jitter(low, high)` draws each sleep (default `random.uniform`); tests pass a fixed function.

    Raises:
        ValueError: `max_attempts` is below 1, or `base`, `cap` or `deadline` is negative.
    """

    max_attempts: int = attrs.field(default=4)
    base: float = attrs.field(default=0.5, validator=_non_negative)
    cap: float = attrs.field(default=8.0, validator=_non_negative)
    deadline: float | None = attrs.field(default=None, validator=_non_negative)
    jitter: Callable[[float, float], float] = attrs.field(default=random.uniform, repr=False)

    @max_attempts.validator
    def _check_attempts(self, _: attrs.Attribute[int], value: int) -> None:
        if value < 1:
            raise ValueError(f"max_attempts must be at least 1, got {value}")

    def backoff(self, retry_number: int, error: BaseException | None) -> float:
        """Seconds to sleep before a retry.

        Args:
            retry_number: Which retry is next: 1 for the first.
            error: What the previous attempt raised; after a 429 there is no sleep.

        Returns:
            The sleep in seconds.
        """
        if isinstance(error, TooManyRequestsError):
            return 0.0
        ceiling = min(self.cap, self.base * 2 ** (retry_number - 1))
        return self.jitter(0.0, ceiling)


def is_retryable(error: BaseException, *, idempotent: bool) -> bool:
    """Whether ``error`` may be retried for a request that is (or is not) safe to repeat."""
    if isinstance(error, TooManyRequestsError):
        return False  # 429s are sent again by the rate limit's wait; one that comes this far spent its budget
    if isinstance(error, APIConnectionError):
        return idempotent or not error.request_sent
    if isinstance(error, ServerError):
        return idempotent and error.status in RETRYABLE_STATUSES
    return False  # a local rate-limit refusal (RateLimitWaitError) is final, like everything else


Sleep = Callable[[float], Awaitable[None]]
# Told of each retry before its sleep: the attempt that failed, its error, the sleep (the call's observer).
RetryObserver = Callable[[int, BaseException, float], Awaitable[None]]


def mark_attempts(error: BaseException, attempts: int) -> None:
    """Record on a raised SDK error how many times its request was sent."""
    if isinstance(error, SkipcallError):
        error.attempts = attempts
        error.add_note(f"attempts: {attempts}")


T = TypeVar("T")


async def run_with_retries(
    attempt: Callable[[BaseException], Awaitable[T]],
    policy: RetryPolicy,
    *,
    first_error: SkipcallError,
    idempotent: bool,
    deadline_at: float,
    clock: Callable[[], float],
    sleep: Sleep,
    on_retry: RetryObserver | None = None,
    sends: Callable[[], int] | None = None,
) -> T:
    """Attempts after a failed first one, until one succeeds, an error is final, or the policy says stop.

    The caller makes the first attempt itself (most calls succeed at once, so tenacity is only entered after a
    failure) and passes its error. ``attempt(previous_error)`` makes the next one. ``deadline_at`` (on ``clock``,
    ``inf`` for none) counts from the call's start: no retry starts that would end past it. ``sends`` counts
    the requests sent for the call (an attempt may send several, when the server answers 429), for the errors.
    ``on_retry`` is told of each retry before its sleep.
    """
    if policy.max_attempts == 1 or not is_retryable(first_error, idempotent=idempotent):
        mark_attempts(first_error, sends() if sends is not None else 1)
        raise first_error
    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(policy.max_attempts)
    if math.isfinite(deadline_at):
        stop = stop | _StopAtDeadline(deadline_at, clock)

    async def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if on_retry is not None and error is not None:
            await on_retry(state.attempt_number, error, state.upcoming_sleep)

    retrying = tenacity.AsyncRetrying(
        stop=stop,
        wait=lambda state: policy.backoff(state.attempt_number, state.outcome.exception() if state.outcome else None),
        retry=tenacity.retry_if_exception(lambda error: is_retryable(error, idempotent=idempotent)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    previous: BaseException = first_error
    number = 1
    try:
        async for try_ in retrying:
            number = try_.retry_state.attempt_number
            with try_:
                if number == 1:  # replay the failure already seen, so tenacity's stop/wait/hooks judge it
                    raise first_error
                try:
                    return await attempt(previous)
                except SkipcallError as error:
                    previous = error
                    raise
    except SkipcallError as error:
        mark_attempts(error, sends() if sends is not None else number)
        raise
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


class _StopAtDeadline(tenacity.stop.stop_base):
    """Stop when the next attempt would start at or after the call's deadline (first attempt counted)."""

    def __init__(self, deadline_at: float, clock: Callable[[], float]) -> None:
        self.deadline_at = deadline_at
        self.clock = clock

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline_at
