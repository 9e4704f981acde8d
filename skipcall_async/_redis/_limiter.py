"""The limiter of one key in one process of a fleet: tokens are leases granted by Redis, in batches.

The queue is the in-process one (FIFO, give-up times, one timer). What changes is who grants: a single
reservation task asks Redis for as many leases as there are live waiters, hands out what it got in order, and
sleeps until the time Redis names, a wake-up message, or the safety poll. So a window that opens for the fleet
admits, in each process, exactly the waiters that process was granted: no herd.

When Redis cannot be reached the inherited in-process quota takes over (the same rules, for this process
alone); ``strict`` stores keep the waiters queued instead, within their give-up times.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import uuid
from typing import Literal

from .._headers import RateLimitHeaders
from .._limiter import RateLimiter, RateLimitSnapshot, Ticket
from .._quota import LANES, Lane, QuotaView
from .._rate_policy import RateLimitPolicy
from ._fleet import Fleet, Scope, Settings


class FleetLimiter(RateLimiter):
    """Paces one key for this process as a member of a fleet sharing the key's quota through Redis."""

    store_kind: Literal["in-process", "redis"] = "redis"
    shared = True

    def __init__(self, fleet: Fleet, scope: Scope, policy: RateLimitPolicy, *, lease: float) -> None:
        super().__init__(policy)
        self.fleet = fleet
        self.scope = scope
        self.lease = lease
        self.settings = Settings(probe=policy.probe, assumed_limit=policy.limit, window=policy.plan_window,
                                 reserve_share=policy.interactive_reserve)  # fmt: skip
        self._prefix = uuid.uuid4().hex[:16]
        self._ids = itertools.count()
        # ids of a reservation that got no answer, per lane: asked again, never granted twice
        self._unanswered: dict[Lane, list[str]] = {lane: [] for lane in LANES}
        self._reserving: asyncio.Task[None] | None = None
        self._poked = False
        self._retry_at = -math.inf  # when asking Redis again is worth it (local clock)
        self._view: QuotaView | None = None
        self._view_at = 0.0

    # -- the request path ------------------------------------------------------------------------------------

    def try_acquire(self, lane: Lane = "interactive") -> Ticket | None:
        """Only the in-process fallback grants without waiting: a fleet token always costs a round trip."""
        return super().try_acquire(lane) if self._local else None

    async def observe(
        self, ticket: Ticket, headers: RateLimitHeaders, *, status: int, retry_after: float | None
    ) -> None:
        if ticket.lease is None:  # granted by the in-process fallback
            self.record(ticket, headers, status=status, retry_after=retry_after)
            return
        now = self.clock()
        seen = self.reader.read(
            now, self.wall_clock(), headers, status=status, retry_after=retry_after, sent_ago=now - ticket.granted_at
        )
        self.quota.record(now, seen, None)  # keeps the fallback warm for an outage
        view = await self.fleet.record(self.scope, ticket.lease, ticket.stamp, seen, self.settings)
        if view is not None:
            self._remember(view)
            if not self.queue:
                return
            if view.gate_closed_for > 0:  # a 429: ask again when the gate opens
                self._retry_at = self.clock() + view.gate_closed_for
            elif view.remaining is None or view.remaining > 0:
                self._retry_at = -math.inf  # room now, or a probe to send
            elif view.reset_in is not None:  # the window's end may have come sooner
                self._retry_at = min(self._retry_at, self.clock() + view.reset_in + self.settings.margin)
        self._wake()

    def release(self, ticket: Ticket, *, sent: bool = True) -> None:
        if ticket.lease is None:
            super().release(ticket, sent=sent)
        else:
            self.fleet.release_later(self.scope, ticket.lease, self.settings, sent=sent)

    def poke(self) -> None:
        """Look again now: capacity may have come back (a wake-up message, a reconnection)."""
        self._poked = True
        self._retry_at = -math.inf
        self._wake()

    def snapshot(self) -> RateLimitSnapshot:
        if self._local or self._view is None:
            return self._snapshot(self.quota.view(self.clock()), degraded=not self.fleet.healthy)
        view, age = self._view, self.clock() - self._view_at
        reset_in = None if view.reset_in is None else view.reset_in - age
        current = reset_in is not None and reset_in > 0
        quota = QuotaView(
            limit=view.limit,
            remaining=view.remaining if current else None,
            reset_in=reset_in if current else None,
            in_flight=view.in_flight,
            gate_closed_for=max(0.0, view.gate_closed_for - age),
            rate_limited=view.rate_limited,
        )
        return self._snapshot(quota)

    def idle_until(self, now: float) -> float | None:
        return None  # a fleet limiter lives as long as its Redis link

    # -- granting ----------------------------------------------------------------------------------------------

    @property
    def _local(self) -> bool:
        """Whether tokens come from the in-process quota now (Redis unreachable, store not strict)."""
        return not self.fleet.healthy and not self.fleet.store.strict

    def _wake(self) -> None:
        if self._local:
            super()._wake()
            return
        now = self.clock()
        if not self.queue.has_head():
            self.queue.settle(now, math.inf)
            return
        if not self.fleet.healthy:  # strict: wait for Redis, within each waiter's give-up time
            self.queue.settle(now, math.inf, poll=now + self.fleet.store.poll_interval)
            return
        if self._reserving is None and now >= self._retry_at:
            self._reserving = asyncio.get_running_loop().create_task(self._reserve())
        retry_at = self._retry_at if self._reserving is None else math.inf
        self.queue.settle(now, retry_at, poll=now + self.fleet.store.poll_interval)

    async def _reserve(self) -> None:
        """Ask for one lease per live waiter of each lane, hand them out in order, until a round falls short."""
        try:
            while self.queue.has_head() and self.fleet.healthy:
                self._poked = False
                ids = {lane: self._lease_ids(lane) for lane in LANES}
                grant = await self.fleet.reserve(
                    self.scope, self._prefix, ids["interactive"], ids["bulk"], self.settings, self.lease
                )
                if grant is None:  # no answer: asked again by the finally's wake, or the fallback takes over
                    self._unanswered = ids
                    return
                self._unanswered = {lane: [] for lane in LANES}
                self._remember(grant.view)
                granted_at = self.clock()
                for lane in LANES:
                    stamps = grant.interactive if lane == "interactive" else grant.bulk
                    for lease, stamp in zip(ids[lane], stamps, strict=False):
                        if not self.queue.grant(lane, Ticket(stamp, granted_at, lease)):  # the waiter left
                            self.fleet.release_later(self.scope, lease, self.settings, sent=False)
                if grant.granted < len(ids["interactive"]) + len(ids["bulk"]):  # ask again then, or at the poll
                    self._retry_at = self.clock() + min(grant.retry_in, self.fleet.store.poll_interval)
                    if not self._poked:
                        return
        finally:
            self._reserving = None
            self._wake()

    def _lease_ids(self, lane: Lane) -> list[str]:
        """An id per live waiter of ``lane``: those asked for before (maybe granted then: asking again is
        idempotent), then new ones."""
        wanted = self.queue.live(lane)
        ids = self._unanswered[lane][:wanted]
        return ids + [f"{self._prefix}-{next(self._ids)}" for _ in range(wanted - len(ids))]

    def _remember(self, view: QuotaView) -> None:
        self._view, self._view_at = view, self.clock()
