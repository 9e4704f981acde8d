"""One tracker of @nestjs/throttler 6's in-memory storage (``ThrottlerStorageService.increment``), clock passed in.

The real API is a NestJS app and most likely limits with that library, so the fake server can answer as it does:
every counted hit expires on its own, ``ttl`` after it was counted (admission is a sliding log); the tracker window
that ``X-RateLimit-Reset`` counts down to starts at the tracker's first request and restarts once it has passed, but
admits nothing by itself; with a block duration, going over the limit refuses every request until the block ends.
Times are server epoch seconds; the library's milliseconds become seconds, with the same rounding up.
"""

from __future__ import annotations

import math

import attrs


def whole_seconds(span: float) -> int:
    """``Math.ceil(ms / 1000)`` of a span in seconds, as the library rounds its header values.

    The library subtracts integer milliseconds; rounding to the millisecond first keeps float noise
    (``5.0000002``) from adding a second.
    """
    return math.ceil(round(span, 3))


@attrs.frozen(kw_only=True)
class Increment:
    """What the storage tells the guard about one request (the library's ``ThrottlerStorageRecord``)."""

    total_hits: int
    expires_at: float  # end of the tracker window: X-RateLimit-Reset counts down to it
    blocked: bool  # refused: the guard sets Retry-After and throws before any X-RateLimit-* header
    retry_at: float | None  # when refused: the oldest live hit's expiry, or the end of the block


class ThrottlerRecord:
    """The hits, tracker window and block of one tracker under one throttler.

    ``block_duration <= 0`` is the library's ``incrementWithoutBlock``; its own default ``blockDuration`` is the
    ``ttl``, so a real app that does not set it blocks for one ttl.
    """

    __slots__ = ("_blocked_until", "_expires_at", "_hits", "block_duration", "limit", "ttl")

    def __init__(self, *, ttl: float, limit: int, block_duration: float = 0.0) -> None:
        self.ttl, self.limit, self.block_duration = ttl, limit, block_duration
        self._hits: list[float] = []  # the expiry time of each counted hit, in counting order
        self._expires_at: float | None = None
        self._blocked_until: float | None = None

    @property
    def hits(self) -> tuple[float, ...]:
        """Expiry times of the hits counted so far (pruned on the next request)."""
        return tuple(self._hits)

    def increment(self, now: float) -> Increment:
        """Count, or refuse, one request arriving at ``now``."""
        self._hits = [expiry for expiry in self._hits if expiry > now]
        expires_at = self._tracker_window(now)
        if self.block_duration <= 0:
            return self._without_block(now, expires_at)
        return self._with_block(now, expires_at)

    def _tracker_window(self, now: float) -> float:
        """The window end reported in X-RateLimit-Reset: set by the first request, restarted once it has passed."""
        if self._expires_at is None or whole_seconds(self._expires_at - now) <= 0:
            self._expires_at = now + self.ttl
        return self._expires_at

    def _without_block(self, now: float, expires_at: float) -> Increment:
        """A request that finds ``limit`` live hits is refused and not counted; it may retry when the oldest expires."""
        refused = len(self._hits) >= self.limit
        if not refused:
            self._hits.append(now + self.ttl)
        retry_at = min(self._hits, default=expires_at) if refused else None
        return Increment(
            total_hits=len(self._hits) + refused, expires_at=expires_at, blocked=refused, retry_at=retry_at
        )

    def _with_block(self, now: float, expires_at: float) -> Increment:
        """Every request counts until the count exceeds the limit; that blocks all requests for ``block_duration``.

        The first request after the block ends forgets every hit and is counted and admitted.
        """
        if self._blocked_until is None:
            self._hits.append(now + self.ttl)
            if len(self._hits) > self.limit:
                self._blocked_until = now + self.block_duration
        elif whole_seconds(self._blocked_until - now) <= 0:
            self._blocked_until = None
            self._hits = [now + self.ttl]
        blocked = self._blocked_until is not None
        return Increment(
            total_hits=len(self._hits), expires_at=expires_at, blocked=blocked, retry_at=self._blocked_until
        )
