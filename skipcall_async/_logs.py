"""The SDK's log lines, and ``SKIPCALL_LOG``, the switch that shows them on stderr.

Levels, on the ``skipcall_async`` logger: DEBUG, one line per request sent (operation, route, status, attempt,
time on the wire, the rate-limit wait before it); INFO, a 429, a retry, a call that failed after retrying, and a
summary of rate-limit waits per key (one line per burst of waits, and one per ``SUMMARY_INTERVAL`` while waits go
on, instead of one per task). Each record also carries its fields as attributes (``record.operation``,
``record.route``, ...) for structured log handlers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final

logger = logging.getLogger("skipcall_async")

LOG_ENV: Final = "SKIPCALL_LOG"
LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO}
FORMAT: Final = "[%(asctime)s %(name)s %(levelname)s] %(message)s"
SUMMARY_INTERVAL: Final = 10.0  # seconds between two summaries of rate-limit waits on one key, while waits go on
QUIET: Final = 1.0  # seconds without a wait on the key after which its summary is written


class _EnvironmentHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic only in typeshed
    """The stderr handler ``SKIPCALL_LOG`` adds, told apart from a user's own handlers."""


def configure_from_environment(environ: Mapping[str, str] = os.environ) -> int | None:
    """Apply ``SKIPCALL_LOG`` (``debug`` or ``info``): the logger's level, and a handler that writes to stderr.

    The records then go to stderr only, not on to the root logger's handlers, so they are printed once whatever
    logging the application sets up; to send them through your own handlers instead, leave the variable unset
    and set the ``skipcall_async`` logger's level. Returns the level set, or None. An unknown value is ignored
    with a warning that says which values work.
    """
    value = environ.get(LOG_ENV, "").strip().lower()
    if not value:
        return None
    level = LEVELS.get(value)
    if level is None:
        warnings.warn(
            f"{LOG_ENV}={environ[LOG_ENV]!r} is not one of {', '.join(LEVELS)}; the SDK's logging is left as it is",
            UserWarning,
            stacklevel=2,
        )
        return None
    logger.setLevel(level)
    if not any(isinstance(handler, _EnvironmentHandler) for handler in logger.handlers):
        handler = _EnvironmentHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    logger.propagate = False
    return level


def log_request(
    fields: dict[str, Any], attempt: int, outcome: int | str, elapsed: float, waited: float, path: str
) -> None:
    """DEBUG: one request and its answer (a status, or the error that took its place)."""
    logger.debug(
        "%s %s %s %s in %.3f s (attempt %d, rate-limit wait %.3f s, path %s)",
        fields["operation"],
        fields["method"],
        fields["route"],
        outcome,
        elapsed,
        attempt,
        waited,
        path,
        extra={**fields, "status": outcome, "attempt": attempt, "elapsed": elapsed, "rate_limit_wait": waited},
    )


def log_rejected(fields: dict[str, Any], attempt: int, retry_after: float | None) -> None:
    """INFO: a 429, which pauses every call on the key."""
    asked = "no Retry-After" if retry_after is None else f"Retry-After {retry_after:g} s"
    logger.info(
        "%s %s %s got 429 on attempt %d (%s); every call on the key waits for the gate",
        fields["operation"],
        fields["method"],
        fields["route"],
        attempt,
        asked,
        extra={**fields, "status": 429, "attempt": attempt, "retry_after": retry_after},
    )


def log_retry(fields: dict[str, Any], attempt: int, error: BaseException, delay: float) -> None:
    """INFO: a failed attempt that will be retried."""
    logger.info(
        "retrying %s %s %s after %s: %s (attempt %d failed), sleeping %.2f s",
        fields["operation"],
        fields["method"],
        fields["route"],
        type(error).__name__,
        error,
        attempt,
        delay,
        extra={**fields, "attempt": attempt, "error": type(error).__name__, "delay": delay},
    )


def log_failure(fields: dict[str, Any], attempts: int, error: BaseException, elapsed: float) -> None:
    """The call's final failure: INFO after retries (ending the story the retry lines began), else DEBUG."""
    logger.log(
        logging.INFO if attempts > 1 else logging.DEBUG,
        "%s %s %s failed after %d attempt%s in %.3f s: %s: %s",
        fields["operation"],
        fields["method"],
        fields["route"],
        attempts,
        "" if attempts == 1 else "s",
        elapsed,
        type(error).__name__,
        error,
        extra={**fields, "attempts": attempts, "error": type(error).__name__, "elapsed": elapsed},
    )


class WaitSummary:
    """Rate-limit waits on one key, told at INFO as one line per burst rather than one per waiting task.

    The line is written once the key's queue has stayed empty for ``QUIET`` seconds (the burst is over; waits
    that follow sooner join it), or every ``SUMMARY_INTERVAL`` seconds while waits go on. Timers on the event loop
    write it, so a program that ends within ``QUIET`` of its last wait does not get it.
    """

    __slots__ = ("_longest", "_since", "_timer", "_total", "count", "lanes", "waiting")

    def __init__(self, waiting: Callable[[], int]) -> None:
        self.waiting = waiting  # tasks of this process still queued on the key
        self.count = 0
        self._total = 0.0
        self._longest = 0.0
        self.lanes: dict[str, int] = {}
        self._since: float | None = None  # when the first wait of the untold ones ended
        self._timer: asyncio.TimerHandle | None = None

    def add(self, waited: float, lane: str) -> None:
        """One task's wait, just ended."""
        self.count += 1
        self._total += waited
        self._longest = max(self._longest, waited)
        self.lanes[lane] = self.lanes.get(lane, 0) + 1
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._since is None:
            self._since = now
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if now - self._since >= SUMMARY_INTERVAL:
            self.tell()
        elif self.waiting() == 0:
            self._timer = loop.call_later(QUIET, self.tell)
        else:  # those still queued will end their waits here, or give up: the interval's timer covers the latter
            self._timer = loop.call_later(SUMMARY_INTERVAL - (now - self._since), self.tell)

    def tell(self) -> None:
        """Write the line for the waits added since the last one, if any."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.count == 0:
            return
        still_waiting = self.waiting()
        lanes = ", ".join(f"{lane} {count}" for lane, count in sorted(self.lanes.items()))
        logger.info(
            "rate limit: %d request%s waited for the key's quota (mean %.3f s, longest %.3f s; %s)%s",
            self.count,
            "" if self.count == 1 else "s",
            self._total / self.count,
            self._longest,
            lanes,
            f"; {still_waiting} still waiting" if still_waiting else "",
            extra={"waits": self.count, "longest_wait": self._longest, "still_waiting": still_waiting},
        )
        self.count, self._total, self._longest, self.lanes, self._since = 0, 0.0, 0.0, {}, None


__all__ = [
    "LOG_ENV",
    "WaitSummary",
    "configure_from_environment",
    "log_failure",
    "log_rejected",
    "log_request",
    "log_retry",
    "logger",
]
