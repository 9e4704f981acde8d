"""Drive the pacing rules through either backend, in-process or Redis, on one fake clock.

A rule case written against `Driver` runs the same steps (reserve, record, release, time) on a `MemoryBackend`
and on a `RedisBackend` swapping the state through a real redis-server; the clock is the test's, for both.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from skipcall_async._pacing.backend import Backend, MemoryBackend, Ticket
from skipcall_async._pacing.redis.backend import RedisBackend
from skipcall_async._pacing.redis.link import Link, Scope
from skipcall_async._pacing.redis.store import RedisRateLimitStore
from skipcall_async._pacing.rules import Grant, Observation, QuotaView, Rules
from skipcall_async._pacing.settings import Lane, Settings

MARGIN = 0.05
WINDOW = 60.0
LEASE = 30.0
STORES = (pytest.param("in-process"), pytest.param("redis", marks=pytest.mark.redis))


class Clock:
    """The test's clock: both the store's and the limiter's."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Driver:
    """One process's view of a key: the tokens it holds (lease, stamp, granted at), oldest first."""

    def __init__(self, backend: Backend, clock: Clock, member: str = "process-a") -> None:
        self.backend = backend
        self.clock = clock
        self.member = member
        self.held: list[tuple[str, int, float]] = []
        self._serial = 0

    @property
    def now(self) -> float:
        return self.clock.now

    @property
    def rules(self) -> Rules:
        return self.backend.rules

    @property
    def shared(self) -> bool:
        return isinstance(self.backend, RedisBackend)

    def ticket(self, lease: str, stamp: int, granted_at: float) -> Ticket:
        return Ticket(stamp, granted_at, lease, self.shared)

    async def grant(self, interactive: int, bulk: int = 0, *, lease: float | None = None, prefix: str = "t") -> Grant:
        """A reservation of that many ids per lane; what it granted is held, interactive tokens first."""
        ids: dict[Lane, list[str]] = {"interactive": [], "bulk": []}
        for lane, count in (("interactive", interactive), ("bulk", bulk)):
            ids[lane] = [f"{prefix}-{self.member}-{self._serial + i}" for i in range(count)]
            self._serial += count
        settings = self.rules.settings
        if lease is not None:
            self.rules.settings = attrs.evolve(settings, lease=lease)
        try:
            grant = await self.backend.reserve(self.member, ids, lasts=3.0)
        finally:
            self.rules.settings = settings
        assert grant is not None
        self.held += [(lease_id, stamp, self.now) for lease_id, stamp in (*grant.interactive, *grant.bulk)]
        return grant

    async def reserve(self, count: int, *, lease: float | None = None, prefix: str = "t") -> tuple[int, float]:
        """Tokens for ``count`` interactive waiters: how many were granted, and in how long to ask again."""
        granted, _, retry_in = await self.reserve_lanes(count, 0, lease=lease, prefix=prefix)
        return granted, retry_in

    async def reserve_lanes(
        self, interactive: int, bulk: int, *, lease: float | None = None, prefix: str = "t"
    ) -> tuple[int, int, float]:
        grant = await self.grant(interactive, bulk, lease=lease, prefix=prefix)
        done = grant.granted == interactive + bulk
        return len(grant.interactive), len(grant.bulk), (math.inf if done else grant.retry_at - self.now)

    async def record(self, observation: Observation, token: int = 0) -> QuotaView:
        lease, stamp, granted_at = self.held.pop(token)
        view = await self.backend.record(self.ticket(lease, stamp, granted_at), observation)
        assert view is not None
        return view

    async def release(self, *, sent: bool = True, token: int = 0) -> QuotaView:
        lease, stamp, granted_at = self.held.pop(token)
        view = await self.backend.end(self.ticket(lease, stamp, granted_at), sent=sent)
        assert view is not None
        return view

    async def view(self) -> QuotaView:
        """The quota now, after the step every store runs first (expired leases end)."""
        view = await self.backend.end(self.ticket("no-such-lease", 0, self.now), sent=True)
        assert view is not None
        return view

    async def sleep(self, seconds: float) -> None:
        self.clock.now += seconds

    def state_json(self) -> str:
        """The key's state as the store holds it (for a Redis backend: as this process last saw it)."""
        state = self.backend.state if isinstance(self.backend, MemoryBackend) else self.backend._state
        assert state is not None
        return state.to_json()


class Stores:
    """Builds drivers on one kind of store; ``sibling`` adds another process on the same key."""

    def __init__(self, kind: str, redis_url: str | None) -> None:
        self.kind = kind
        self.redis_url = redis_url
        self._links: list[Link] = []

    def __call__(self, *, clock: Clock | None = None, member: str = "process-a", **settings: Any) -> Driver:
        clock = clock or Clock()
        defaults: dict[str, Any] = {"margin": MARGIN, "window": WINDOW, "lease": LEASE, "reserve_share": 0.0}
        rules = Rules(Settings(**{**defaults, **settings}), random=lambda: 1.0)  # the top of the backoff range
        if self.kind == "in-process":
            return Driver(MemoryBackend(rules, clock), clock, member)
        return Driver(self._redis(Scope(secrets.token_hex(12)), rules, clock), clock, member)

    def sibling(self, driver: Driver, member: str) -> Driver:
        """Another process on ``driver``'s key, with the same settings and clock."""
        backend = driver.backend
        if isinstance(backend, RedisBackend):
            backend = self._redis(backend.scope, backend.rules, driver.clock)
        return Driver(backend, driver.clock, member)

    def _redis(self, scope: Scope, rules: Rules, clock: Clock) -> RedisBackend:
        assert self.redis_url is not None
        if not self._links:
            self._links.append(Link(RedisRateLimitStore(self.redis_url)))
        return RedisBackend(self._links[0], scope, rules, local_clock=clock, clock=clock)

    async def aclose(self) -> None:
        for link in self._links:
            await link.aclose()


def store_fixture() -> Callable[..., AsyncIterator[Stores]]:
    """A fixture parametrised over both stores (the Redis one on the session's redis-server)."""

    @pytest.fixture(params=STORES)
    async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
        url = None
        if request.param == "redis":  # (each driver has a key of its own: no need to empty Redis)
            server = request.getfixturevalue("redis_server")
            server.start()
            url = server.url
        built = Stores(request.param, url)
        yield built
        await built.aclose()

    return stores
