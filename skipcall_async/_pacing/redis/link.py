"""One event loop's link to the Redis store: the swap of a key's state with a bounded time, health, wake-ups,
reconnection.

Redis holds each key's state as one hash (a version and the state's JSON); the only command is `swap`, a few
lines of Lua that write a new state if the version is the one it was computed from (and the caller's clock is
not ahead of Redis's), publish a wake-up if asked, and otherwise hand back what Redis holds. Redis knows no rule.

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
import math
import random
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from ..limiter import RateLimiter


class Store(Protocol):
    """What a link reads of its store (a `RedisRateLimitStore`)."""

    command_timeout: float
    max_connections: int
    poll_interval: float
    strict: bool

    @property
    def url(self) -> str: ...

    @property
    def degraded_behaviour(self) -> str: ...

    def redact(self, text: str) -> str: ...

    def _client(self) -> aioredis.Redis | aioredis.RedisCluster: ...

    def _subscriber(
        self, client: aioredis.Redis | aioredis.RedisCluster, attempt: int
    ) -> aioredis.Redis | aioredis.RedisCluster: ...


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
    def key(self) -> str:
        # v3: the state as the Python rules keep it; an older release's keys (v2, or no version) are left alone
        return f"{PREFIX}:{{{self.digest}}}:v3"

    @property
    def channel(self) -> str:
        return f"{PREFIX}:{{{self.digest}}}:wake"


# KEYS[1]: a key's state, a hash of v (version) and s (state JSON). ARGV: the version the new state was computed
# from, the new state, milliseconds it lives, the wake-up channel, a wake-up message ('' for none), the caller's
# clock ('' not to check it). Reply: {1, new version, TIME} once written, else {0, version, TIME, state}.
SWAP: Final = """
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] or (ARGV[6] ~= '' and tonumber(ARGV[6]) > tonumber(now)) then
  return {0, v, now, redis.call('HGET', KEYS[1], 's') or ''}
end
v = tostring(tonumber(v) + 1)
redis.call('HSET', KEYS[1], 'v', v, 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return {1, v, now}
"""
UNREAD: Final = "unread"  # a version no state has: swapping with it reads the state


@attrs.frozen
class Swapped:
    """A swap's reply: whether the state was written, the version Redis now holds, Redis's clock when it ran
    (epoch seconds), and, when it was not written, the state Redis holds (its JSON; empty: none yet)."""

    written: bool
    version: str
    time: float
    state: str = ""


class Link:
    """Swaps, health and wake-ups of one Redis store in one event loop."""

    def __init__(self, store: Store) -> None:
        import redis.asyncio as aioredis

        self.store = store
        self._redis_errors: tuple[type[BaseException], ...] = (aioredis.RedisError, OSError, TimeoutError)
        self._timeout_errors: tuple[type[BaseException], ...] = (TimeoutError, aioredis.TimeoutError)
        self._timeouts = 0  # in a row
        self._redis = store._client()
        # Commands wait here for a connection, within their timeout: a Cluster's or a Sentinel's pool would refuse
        # one past its size rather than wait for it.
        self._commands = asyncio.Semaphore(store.max_connections)
        self._swap = self._redis.register_script(SWAP)
        self.healthy = True
        self.clients = 0
        self._limiters: weakref.WeakValueDictionary[str, RateLimiter] = weakref.WeakValueDictionary()
        self._background: set[asyncio.Task[Any]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._listener = asyncio.get_running_loop().create_task(self._listen())
        self._closed = False

    def __repr__(self) -> str:
        state = "healthy" if self.healthy else "unreachable"
        return f"Link({self.store.url}, {state}, keys={len(self._limiters)}, clients={self.clients})"

    def register(self, scope: Scope, limiter: RateLimiter) -> None:
        self._limiters[scope.channel] = limiter

    def limiter(self, scope: Scope) -> RateLimiter | None:
        return self._limiters.get(scope.channel)

    # -- the one command ---------------------------------------------------------------------------------------

    async def swap(
        self, scope: Scope, version: str, state: str, *, ttl: float, wake: str, now: float | None
    ) -> Swapped | None:
        """Write ``state`` over the one of ``version`` (see `SWAP`); None when Redis cannot be reached.

        ``ttl``: seconds the state lives unless written again; ``wake``: a message for the processes waiting on
        the key ('' for none); ``now``: the caller's reading of Redis's clock, refused if it is ahead.
        """
        args: list[str | int | float] = [
            version, state, max(1, math.ceil(ttl * 1000)), scope.channel, wake, "" if now is None else repr(now)
        ]  # fmt: skip
        reply = await self._run(scope, args)
        if reply is None:
            return None
        if reply[0] == 1:
            return Swapped(True, str(reply[1]), float(reply[2]))
        return Swapped(False, str(reply[1]), float(reply[2]), str(reply[3]))

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` (a release) without waiting for it; closing the link lets it finish first, briefly."""
        if self._closed:
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run(self, scope: Scope, args: list[str | int | float]) -> list[str | int] | None:
        if not self.healthy:
            return None  # no command while the link is down: the reconnection loop finds out when it is back
        try:
            async with asyncio.timeout(self.store.command_timeout), self._commands:
                reply = await self._swap(keys=[scope.key], args=list(args))
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
