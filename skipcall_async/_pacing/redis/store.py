"""``RedisRateLimitStore``: the pacing state of API keys shared by every process that points at one Redis."""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING

import attrs

from ..._errors import ConfigurationError
from ..._secret import ApiKey, SecretUrl
from ..limiter import RateLimiter
from ..rules import Rules
from ..settings import Settings
from ..stores import RateLimitStore
from .backend import RedisBackend
from .connect import client_for, read_target, subscriber_for
from .link import Link, Scope

if TYPE_CHECKING:
    import redis.asyncio as aioredis

INSTALL = 'pip install "skipcall-async[redis]"'
DEFAULT_LEASE = 60.0  # how long a client without a timeout may hold a token


class RedisRateLimitStore(RateLimitStore):
    """Keeps each key's pacing state in Redis, so that every process on the key shares one quota.

    Pass it as [`RateLimitPolicy(store=...)`][skipcall_async.RateLimitPolicy]. Needs the `redis` extra
    (`pip install "skipcall-async[redis]"`) and Redis 5 or newer (or Valkey). Setting the environment variable
    `SKIPCALL_REDIS_URL` makes every client use one of these by default.

    Args:
        url: One server: `redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS, or `unix:///path`;
            the password may also be a query field (`?password=...`). A Redis Cluster:
            `redis+cluster://[[user]:password@]host:port[,host:port...]` (any of its nodes; `rediss+cluster://`
            for TLS; database 0 only). Sentinel: `redis+sentinel://[[user]:password@]host:port[,host:port...]/`
            `<master name>[/<db>]`, the Sentinels' own password as `?sentinel_password=...`; the master they
            name is followed through a failover. No password, in whichever form, appears in a repr, log line or
            error.
        command_timeout: Seconds any Redis command may take. Two in a row that take longer, or a refused
            connection, count Redis as unreachable until it answers again.
        strict: While Redis is unreachable, hold requests (within `max_rate_limit_wait`) instead of pacing
            each process on its own.
        poll_interval: Seconds between checks by a process whose requests wait, in case a wake-up is lost.
        max_connections: Command connections per event loop (plus one for wake-ups).
        lease_slack: Seconds a token outlives its request's timeout. A process that dies holding tokens gives
            them back when they expire: its client's timeout plus this (60 s plus this without a timeout).

    Raises:
        ConfigurationError: The URL's scheme is not one of those, redis-py cannot read the URL, a Cluster URL
            names a database other than 0, a Sentinel URL names no master, a number is out of range, or
            redis-py is not installed.
    """

    def __init__(
        self,
        url: str,
        *,
        command_timeout: float = 1.0,
        strict: bool = False,
        poll_interval: float = 1.0,
        max_connections: int = 16,
        lease_slack: float = 10.0,
    ) -> None:
        if not isinstance(url, str):
            raise ConfigurationError(f"the Redis URL must be a str, not {type(url).__name__}")
        secret = SecretUrl(url)
        target = read_target(url, secret.shown)
        if not command_timeout > 0:
            raise ConfigurationError(f"command_timeout must be positive seconds, got {command_timeout!r}")
        if not poll_interval > 0:
            raise ConfigurationError(f"poll_interval must be positive seconds, got {poll_interval!r}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be at least 1, got {max_connections!r}")
        if not lease_slack >= 0:
            raise ConfigurationError(f"lease_slack must not be negative, got {lease_slack!r}")
        try:
            import redis.asyncio  # noqa: F401 - fail now, with what to install, not at the first request
            from redis.connection import parse_url
        except ImportError as exc:
            raise ConfigurationError(f"the Redis rate-limit store needs the redis package: {INSTALL}") from exc
        try:  # read now as the connection pool will, so that a bad URL fails here and not at the first request
            if target.kind == "server":
                parse_url(url)  # type: ignore[no-untyped-call,unused-ignore]
        except (ValueError, TypeError) as exc:
            reason = secret.redact(str(exc))
            raise ConfigurationError(f"redis-py cannot read the Redis URL {secret.shown!r}: {reason}") from None
        self._url = secret
        self._target = target
        self.command_timeout = command_timeout
        self.strict = strict
        self.poll_interval = poll_interval
        self.max_connections = max_connections
        self.lease_slack = lease_slack
        self._links: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Link] = weakref.WeakKeyDictionary()

    @property
    def url(self) -> str:
        """The URL with its password masked (`redis://:***@cache:6379/0`), for display."""
        return self._url.shown

    @property
    def degraded_behaviour(self) -> str:
        """What this store does while Redis is unreachable, as its WARNING says it: a strict store holds requests."""
        if self.strict:
            return "holding requests until it is back (strict)"
        return "pacing in-process until it is back"

    def _client(self) -> aioredis.Redis | aioredis.RedisCluster:
        """A redis-py client for the deployment the URL names (one per event loop: its link's)."""
        return client_for(self._target, self._url.reveal(), command_timeout=self.command_timeout,
                          max_connections=self.max_connections)  # fmt: skip

    def _subscriber(
        self, client: aioredis.Redis | aioredis.RedisCluster, attempt: int
    ) -> aioredis.Redis | aioredis.RedisCluster:
        """Where a link listens for wake-ups (for a Cluster, one of its nodes; the next on each attempt)."""
        return subscriber_for(self._target, client, attempt, command_timeout=self.command_timeout)

    @property
    def kind(self) -> str:
        """The deployment the URL names: `"server"`, `"cluster"` or `"sentinel"`."""
        return self._target.kind

    def __repr__(self) -> str:
        link = self._links.get(asyncio.get_running_loop()) if _has_loop() else None
        state = "not connected" if link is None else ("connected" if link.healthy else "unreachable")
        return f"RedisRateLimitStore({self.url!r}, {state}{', strict' if self.strict else ''})"

    def redact(self, text: str) -> str:
        """`text` with the URL's password, in every spelling, replaced by `***`, for logs and errors.

        Args:
            text: Any text that may contain the password.

        Returns:
            The text without the password.
        """
        return self._url.redact(text)

    def _limiter_for(
        self, base_url: str, key: ApiKey, settings: Settings, *, timeout: float | None = None
    ) -> RateLimiter:
        loop = asyncio.get_running_loop()
        link = self._links.get(loop)
        if link is None:
            link = self._links[loop] = Link(self)
        lease = (timeout if timeout is not None else DEFAULT_LEASE) + self.lease_slack
        scope = Scope(key.digest("rate-limit", base_url))
        limiter = link.limiter(scope)
        if limiter is None:
            backend = RedisBackend(link, scope, Rules(attrs.evolve(settings, lease=lease)), local_clock=loop.time)
            limiter = RateLimiter(backend, window=settings.stated_window, probe=settings.probe)
            link.register(scope, limiter)
        rules = limiter.backend.rules  # the longest lease any client on the key asks for
        if lease > rules.settings.lease:
            rules.settings = attrs.evolve(rules.settings, lease=lease)
        link.clients += 1
        return limiter

    async def _detach(self, limiter: RateLimiter) -> None:
        if not isinstance(limiter.backend, RedisBackend):
            return
        link = limiter.backend.link
        link.clients -= 1
        await limiter.backend.aclose()
        if link.clients <= 0 and self._links.get(asyncio.get_running_loop()) is link:
            del self._links[asyncio.get_running_loop()]
            await link.aclose()


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
