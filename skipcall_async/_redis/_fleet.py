"""One event loop's link to the Redis store: script calls with a bounded time, health, wake-ups, reconnection.

Every command is bounded (``command_timeout``) and never retried by redis-py: on the request path, a slow or
absent Redis means "pace in-process for now", not "wait". A refused or broken connection, or a second command
in a row that times out, marks the link down, logs one WARNING, and starts a reconnection loop with backoff.
Limiters fall back to their in-process quota meanwhile and rejoin the shared state when a PING answers again
(one INFO line).

Wake-ups arrive by pub/sub on one pattern subscription per loop. Messages are lost across a reconnect, so after
every (re)subscription each limiter looks again, and each waiting limiter also polls on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import weakref
from typing import TYPE_CHECKING, Any, Final

import attrs

from .._quota import Observation, QuotaView
from ._scripts import KEY_GRACE, RECORD, RELEASE, RESERVE, Grant, observation_args, parse_grant, parse_view

if TYPE_CHECKING:
    from ._limiter import FleetLimiter
    from ._store import RedisRateLimitStore

logger = logging.getLogger("skipcall_async")

PREFIX: Final = "skipcall-async"
_BACKOFF_FIRST = 0.1
_BACKOFF_CAP = 2.0  # a PING every 2 s at most: cheap, and a returning Redis is rejoined within a few seconds
_TIMEOUTS_TO_GIVE_UP = 2  # one late answer may be a busy machine; two in a row, a slow or lost Redis


@attrs.frozen
class Scope:
    """The Redis names of one (base URL, API key): a digest, never the key, in one hash tag."""

    digest: str

    @property
    def keys(self) -> list[str]:
        # v2: the bound-based state of this release; an older release's keys (no version) are left alone
        return [f"{PREFIX}:{{{self.digest}}}:v2:{name}" for name in ("state", "leases", "stamps", "ends", "waiting")]

    @property
    def channel(self) -> str:
        return f"{PREFIX}:{{{self.digest}}}:wake"


@attrs.frozen
class Settings:
    """The per-key constants every script needs, from the policy."""

    probe: int
    assumed_limit: int | None
    window: float
    margin: float = 0.05
    tolerance: float = 1.0
    backoff_base: float = 1.0
    reserve_share: float = 0.1


class Fleet:
    """Commands, health and wake-ups of one Redis store in one event loop."""

    def __init__(self, store: RedisRateLimitStore) -> None:
        import redis.asyncio as aioredis

        self.store = store
        self._redis_errors: tuple[type[BaseException], ...] = (aioredis.RedisError, OSError, TimeoutError)
        self._timeout_errors: tuple[type[BaseException], ...] = (TimeoutError, aioredis.TimeoutError)
        self._timeouts = 0  # in a row
        self._redis = store._client()
        # Commands wait here for a connection, within their timeout: a Cluster's or a Sentinel's pool would refuse
        # one past its size rather than wait for it.
        self._commands = asyncio.Semaphore(store.max_connections)
        self._scripts = {name: self._redis.register_script(source) for name, source in
                         (("reserve", RESERVE), ("record", RECORD), ("release", RELEASE))}  # fmt: skip
        self.healthy = True
        self.clients = 0
        self._limiters: weakref.WeakValueDictionary[str, FleetLimiter] = weakref.WeakValueDictionary()
        self._background: set[asyncio.Task[Any]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._listener = asyncio.get_running_loop().create_task(self._listen())
        self._closed = False

    def __repr__(self) -> str:
        state = "healthy" if self.healthy else "unreachable"
        return f"Fleet({self.store.url}, {state}, keys={len(self._limiters)}, clients={self.clients})"

    def register(self, scope: Scope, limiter: FleetLimiter) -> None:
        self._limiters[scope.channel] = limiter

    def limiter(self, scope: Scope) -> FleetLimiter | None:
        return self._limiters.get(scope.channel)

    # -- the three steps -------------------------------------------------------------------------------------

    async def reserve(
        self, scope: Scope, member: str, interactive: list[str], bulk: list[str], settings: Settings, lease: float
    ) -> Grant | None:
        """Ask for a lease per id, per lane, as ``member`` of the fleet; None when Redis cannot be reached.

        ``member``'s requests still waiting afterwards stay registered for a few polls, so that the fleet serves
        interactive requests first and splits a lane's room evenly among the processes waiting in it.
        """
        args: list[str | int | float] = [
            settings.probe,
            settings.assumed_limit or 0,
            settings.window,
            settings.margin,
            lease,
            KEY_GRACE,
            settings.reserve_share,
            member,
            3 * self.store.poll_interval,
            scope.channel,
            len(interactive),
            *interactive,
            *bulk,
        ]
        reply = await self._run("reserve", scope, args)
        return None if reply is None else parse_grant(reply)

    async def record(
        self, scope: Scope, lease: str, stamp: int, seen: Observation, settings: Settings
    ) -> QuotaView | None:
        """Merge a response's observation and end its lease; None when Redis cannot be reached."""
        args: list[str | int | float] = [
            lease, stamp, settings.probe, settings.margin, settings.window, settings.tolerance, settings.backoff_base,
            random.random(), KEY_GRACE, scope.channel, *observation_args(seen),
        ]  # fmt: skip
        reply = await self._run("record", scope, args)
        return None if reply is None else parse_view(reply)

    def release_later(self, scope: Scope, ticket: str, settings: Settings, *, sent: bool = True) -> None:
        """End a lease in the background (its request got no response); if Redis is down the lease expires."""
        if not self.healthy or self._closed:
            return
        args: list[str | int | float] = [
            ticket, settings.probe, settings.margin, settings.window, KEY_GRACE, scope.channel, "1" if sent else "0",
        ]  # fmt: skip
        task = asyncio.get_running_loop().create_task(self._run("release", scope, args))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run(self, name: str, scope: Scope, args: list[str | int | float]) -> list[str] | None:
        if not self.healthy:
            return None  # no command while the link is down: the reconnection loop finds out when it is back
        try:
            async with asyncio.timeout(self.store.command_timeout), self._commands:
                reply = await self._scripts[name](keys=scope.keys, args=list(args))
        except self._timeout_errors as error:
            self._timeouts += 1
            if self._timeouts >= _TIMEOUTS_TO_GIVE_UP:
                self._lost(error)
            return None
        except Exception as error:  # redis-py may fail otherwise too (an AttributeError from a connection closed
            self._lost(error)  # under a command during a Sentinel failover, seen with 5.0.2): an outage all the same
            return None
        self._timeouts = 0
        return list(reply)

    # -- health ------------------------------------------------------------------------------------------------

    def _lost(self, error: BaseException) -> None:
        if not self.healthy or self._closed:
            return
        self.healthy = False
        logger.warning(
            "the shared rate-limit state at %s is unreachable (%s); %s",
            self.store.url,
            self.store.redact(f"{type(error).__name__}: {error}"),
            self.store.degraded_behaviour,
        )
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())
        self._poke_all()  # waiters queued for Redis go on in-process (or, strict, keep waiting)

    async def _reconnect(self) -> None:
        delay = _BACKOFF_FIRST
        while not self._closed:
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            try:
                async with asyncio.timeout(self.store.command_timeout):
                    await self._redis.ping()
            except Exception:  # (see _run: whatever redis-py raises, Redis is not back)
                delay = min(delay * 2, _BACKOFF_CAP)
                continue
            await self._drop_connections()
            self.healthy = True
            self._reconnecting = None
            logger.info("the shared rate-limit state at %s is reachable again; pacing fleet-wide", self.store.url)
            self._poke_all()
            return

    # -- wake-ups ----------------------------------------------------------------------------------------------

    def _poke_all(self) -> None:
        for limiter in list(self._limiters.values()):
            limiter.poke()

    async def _listen(self) -> None:
        """Pattern-subscribe to every key's wake channel; resubscribe with backoff whenever the link breaks.

        Any failure of the subscription (the network, a node gone, a client error) only costs wake-ups, which the
        waiters' polls make up for: it is logged at DEBUG and the subscription starts again.
        """
        delay, attempt = _BACKOFF_FIRST, 0
        while not self._closed:
            subscriber = self.store._subscriber(self._redis, attempt)
            pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(f"{PREFIX}:*:wake")
                delay = _BACKOFF_FIRST
                self._poke_all()  # anything published while we were not listening is lost: look again
                while not self._closed:
                    message = await pubsub.get_message(timeout=self.store.poll_interval)
                    if message is not None:
                        limiter = self._limiters.get(str(message.get("channel", "")))
                        if limiter is not None:
                            limiter.poke()
            except Exception as error:  # see the docstring: a lost subscription only costs wake-ups
                logger.debug("wake-up subscription lost (%s); subscribing again", self.store.redact(repr(error)))
                attempt += 1
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, _BACKOFF_CAP)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # untyped before redis-py 8.2
                if subscriber is not self._redis:
                    with contextlib.suppress(Exception):
                        await subscriber.aclose()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop listening, let releases in flight finish (briefly), close the connections."""
        self._closed = True
        tasks = [t for t in (self._listener, self._reconnecting) if t is not None]
        for task in tasks:
            task.cancel()
        if self._background:
            await asyncio.wait(set(self._background), timeout=self.store.command_timeout)
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(*self._redis_errors):
            await self._redis.aclose()
        await self._drop_connections()
        sentinels = getattr(getattr(self._redis, "connection_pool", None), "sentinel_manager", None)
        for sentinel in getattr(sentinels, "sentinels", ()):  # the Sentinels' own connections, when there are any
            with contextlib.suppress(*self._redis_errors):
                await sentinel.aclose()

    async def _drop_connections(self) -> None:
        """Close pooled connections from before an outage: they may be dead (a restarted server closed them), or
        lead to a master that a Sentinel failover demoted. A Cluster client finds its nodes again by itself."""
        pool = getattr(self._redis, "connection_pool", None)
        if pool is not None:
            with contextlib.suppress(*self._redis_errors):
                await pool.disconnect()
