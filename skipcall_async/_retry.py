"""What is retried, and how long to wait: a policy as data plus pure functions, run by tenacity.

Retried: 429 (after the governor's gate), 500/502/503/504, connection errors and timeouts. GET and DELETE are
always safe to repeat; POST and PATCH only when the request provably never reached the server (refused
connection) or the operation is documented idempotent. Backoff is full-jitter exponential:
``uniform(0, min(cap, base * 2 ** (retry - 1)))``, none before a 429 retry (the governor already waited).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import tenacity

from ._errors import APIConnectionError, RateLimitError, ServerError, SkipcallError

logger = logging.getLogger("skipcall_async")

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How the SDK retries.

    ``max_attempts`` counts the first try (1 disables retries). ``base`` and ``cap`` shape the backoff in
    seconds. ``deadline`` bounds one call's total time across attempts, rate-limit waits included (None: no
    bound beyond ``max_attempts``). ``jitter(low, high)`` draws the delay; tests pass a fixed function.
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
        """Seconds to sleep before retry number ``retry_number`` (1 for the first retry)."""
        if isinstance(error, RateLimitError):
            return 0.0
        ceiling = min(self.cap, self.base * 2 ** (retry_number - 1))
        return self.jitter(0.0, ceiling)


def is_retryable(error: BaseException, *, idempotent: bool) -> bool:
    """Whether ``error`` may be retried for a request that is (or is not) safe to repeat."""
    if isinstance(error, RateLimitError):
        # The server refused without acting; a local "would wait too long" is final.
        return error.code != "RATE_LIMIT_WAIT_EXCEEDED"
    if isinstance(error, APIConnectionError):
        return idempotent or not error.request_sent
    if isinstance(error, ServerError):
        return idempotent and error.status in RETRYABLE_STATUSES
    return False


Sleep = Callable[[float], Awaitable[None]]


def mark_attempts(error: BaseException, attempts: int) -> None:
    """Record on a raised SDK error how many times its request was sent."""
    if isinstance(error, SkipcallError):
        error.attempts = attempts
        error.add_note(f"attempts: {attempts}")


T = TypeVar("T")


@attrs.frozen(kw_only=True)
class RetryEvent:
    """Passed to ``on_retry``: the attempt that failed, its error, and the sleep before the next one."""

    attempt: int
    error: BaseException
    delay: float


async def run_with_retries(
    attempt: Callable[[BaseException | None], Awaitable[T]],
    policy: RetryPolicy,
    *,
    idempotent: bool,
    sleep: Sleep,
    on_retry: Callable[[RetryEvent], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    first_error: SkipcallError | None = None,
    deadline_at: float | None = None,
) -> T:
    """Call ``attempt(previous_error)`` until it succeeds, the error is final, or the policy says stop.

    The deadline counts from the call's start, first attempt included: no retry starts that would end past it.
    A caller that already made the first attempt passes its ``first_error`` and its ``deadline_at`` (on ``clock``).
    """
    if deadline_at is None and policy.deadline is not None:
        deadline_at = clock() + policy.deadline
    if first_error is None:
        # Fast path: most calls succeed at once, so tenacity is only entered after a retryable failure.
        try:
            return await attempt(None)
        except SkipcallError as error:
            first_error = error
    if policy.max_attempts == 1 or not is_retryable(first_error, idempotent=idempotent):
        mark_attempts(first_error, 1)
        raise first_error
    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(policy.max_attempts)
    if deadline_at is not None:
        stop = stop | _StopAtDeadline(deadline_at, clock)

    async def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.upcoming_sleep
        logger.info(
            "retrying after %s (attempt %d failed), sleeping %.2f s", _describe(error), state.attempt_number, delay
        )
        if on_retry is not None and error is not None:
            await on_retry(RetryEvent(attempt=state.attempt_number, error=error, delay=delay))

    retrying = tenacity.AsyncRetrying(
        stop=stop,
        wait=lambda state: policy.backoff(state.attempt_number, state.outcome.exception() if state.outcome else None),
        retry=tenacity.retry_if_exception(lambda error: is_retryable(error, idempotent=idempotent)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    replayed: SkipcallError = first_error
    previous: BaseException | None = first_error
    number = 1
    try:
        async for try_ in retrying:
            number = try_.retry_state.attempt_number
            with try_:
                if number == 1:  # replay the failure already seen, so tenacity's stop/wait/hooks judge it
                    raise replayed
                try:
                    return await attempt(previous)
                except SkipcallError as error:
                    previous = error
                    raise
    except SkipcallError as error:
        mark_attempts(error, number)
        raise
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


class _StopAtDeadline(tenacity.stop.stop_base):
    """Stop when the next attempt would start at or after the call's deadline (first attempt counted)."""

    def __init__(self, deadline_at: float, clock: Callable[[], float]) -> None:
        self.deadline_at = deadline_at
        self.clock = clock

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline_at


def _describe(error: BaseException | None) -> str:
    return "an unknown failure" if error is None else f"{type(error).__name__}: {error}"
