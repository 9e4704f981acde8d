"""Where a key's pacing state lives: the stores' interface and the in-process store (the default).

A store hands each client the one limiter of its (base URL, key) in the running event loop, so every client and
task on a key is paced together; the in-process store's limiters of one key in several loops of the process (a
synchronous client's loop thread beside an application's loop) share one state (``loops.py``). The Redis store
(``redis/store.py``) implements the same interface for a fleet of processes; ``resolve.py`` picks the store a
policy names.
"""

from __future__ import annotations

import abc
import asyncio
import heapq
import itertools
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Final

import attrs

from .._secret import ApiKey
from .backend import MemoryBackend
from .limiter import RateLimiter
from .loops import SharedKey
from .rules import Rules
from .settings import Settings


class RateLimitStore(abc.ABC):
    """Where the pacing state of API keys lives; named by [`RateLimitPolicy.store`][skipcall_async.RateLimitPolicy].

    The two implementations are [`InProcessRateLimitStore`][skipcall_async.InProcessRateLimitStore] and
    [`RedisRateLimitStore`][skipcall_async.RedisRateLimitStore]; the interface is private.
    """

    @abc.abstractmethod
    def _limiter_for(
        self, base_url: str, key: ApiKey, settings: Settings, *, timeout: float | None = None
    ) -> RateLimiter:
        """The limiter every client on ``(base_url, key)`` shares in the running event loop.

        ``timeout`` is the client's request timeout: a shared store bounds how long a token is held by it.
        """

    async def _detach(self, limiter: RateLimiter) -> None:  # noqa: B027 - most stores hold nothing per client
        """A client that used ``limiter`` was closed (a store may then release connections)."""


class _Registry:
    """The limiters of one event loop, each kept while a client holds it or while its state still matters.

    Limiters are held weakly; a retention heap holds each strongly until it is idle (nothing waiting or in
    flight, its window over and its 429 gate open). So a service that goes through many keys, a client per key,
    keeps memory flat, while a key's closed gate outlives the client that saw the 429.
    """

    __slots__ = ("_limiters", "_retained", "_sequence")

    def __init__(self) -> None:
        self._limiters: weakref.WeakValueDictionary[tuple[str, str], RateLimiter] = weakref.WeakValueDictionary()
        self._retained: list[tuple[float, int, RateLimiter]] = []
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._limiters)

    def get(self, base_url: str, key: ApiKey, settings: Settings, make: Callable[[], RateLimiter]) -> RateLimiter:
        limiter = self._limiters.get((base_url, key.fingerprint))
        if limiter is None:
            limiter = make()
            self._limiters[(base_url, key.fingerprint)] = limiter
            self._sweep(limiter.clock())
            self._retain(limiter, limiter.clock() + settings.window)
        return limiter

    def _retain(self, limiter: RateLimiter, until: float) -> None:
        heapq.heappush(self._retained, (until, next(self._sequence), limiter))

    def _sweep(self, now: float) -> None:
        """Let go of limiters whose retention passed and whose state no longer matters (amortised O(log n))."""
        while self._retained and self._retained[0][0] <= now:
            _, _, limiter = heapq.heappop(self._retained)
            idle_at = limiter.idle_until(now)
            if idle_at is None or idle_at > now:  # busy, or a window or gate still running: look again later
                self._retain(limiter, idle_at if idle_at is not None and idle_at > now else now + 1.0)


class InProcessRateLimitStore(RateLimitStore):
    """Pacing state in this process's memory, the default store: every client on a key in the process shares it.

    Clients in different event loops of the process share it too: a
    [`SyncSkipcallClient`][skipcall_async.SyncSkipcallClient] and an async client on the same key are paced as one.

    Processes do not see each other's requests: for a fleet on one key, use a
    [`RedisRateLimitStore`][skipcall_async.RedisRateLimitStore].
    """

    def __init__(self) -> None:
        self._registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Registry] = weakref.WeakKeyDictionary()
        self._shared: weakref.WeakValueDictionary[tuple[str, str], SharedKey] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()  # loops in several threads ask for limiters

    def __repr__(self) -> str:
        with self._lock:  # loops in other threads may be adding limiters
            return f"InProcessRateLimitStore(keys={len(self._shared)})"

    def _limiter_for(
        self, base_url: str, key: ApiKey, settings: Settings, *, timeout: float | None = None
    ) -> RateLimiter:
        loop = asyncio.get_running_loop()
        with self._lock:
            registry = self._registries.get(loop)
            if registry is None:
                registry = self._registries[loop] = _Registry()
            return registry.get(base_url, key, settings, lambda: self._shared_limiter(base_url, key, settings))

    def _shared_limiter(self, base_url: str, key: ApiKey, settings: Settings) -> RateLimiter:
        """A limiter of the running loop over the key's one state in the process, shared with every loop still
        open that uses the key (the state of loops that have all ended is not inherited, as before loops shared)."""
        shared = self._shared.get((base_url, key.fingerprint))
        if shared is None or not shared.in_use():  # after the loops that used it ended (asyncio.run), start afresh
            shared = self._shared[(base_url, key.fingerprint)] = SharedKey(in_process_rules(settings))
        return shared.limiter(window=settings.stated_window, probe=settings.probe)


def in_process_limiter(
    settings: Settings,
    *,
    clock: Callable[[], float] | None = None,
    wall_clock: Callable[[], float] = time.time,
    random: Callable[[], float] | None = None,
) -> RateLimiter:
    """A limiter on state of its own for ``settings``, in the running event loop (tests inject its clock)."""
    clock = clock or asyncio.get_running_loop().time
    rules = in_process_rules(settings, random=random)
    return RateLimiter(
        MemoryBackend(rules, clock), window=settings.stated_window, probe=settings.probe, clock=clock,
        wall_clock=wall_clock,
    )  # fmt: skip


def in_process_rules(settings: Settings, *, random: Callable[[], float] | None = None) -> Rules:
    """The rules of a key paced in this process: its tokens never expire (a process cannot outlive the requests it
    holds them for)."""
    return Rules(attrs.evolve(settings, lease=math.inf), **({"random": random} if random is not None else {}))


IN_PROCESS: Final = InProcessRateLimitStore()
