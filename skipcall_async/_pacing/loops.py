"""One key's in-process state shared by every event loop of the process that uses the key.

A `RateLimiter` belongs to one event loop (its waiting tasks are that loop's futures, its timer that loop's). A
process may run several loops: a synchronous client runs its calls on a loop thread of its own, beside an
application's loop; a program may call ``asyncio.run`` in several threads. Each loop then gets a limiter of its
own over a `SharedMemoryBackend`, and all of them run the rules on one `SharedKey`: the key's state, under a
lock, so a step is atomic whichever thread takes it.

A step that may make room (a response, a token given back) pokes the limiters of the other loops that have
tasks waiting, through ``call_soon_threadsafe``; each then asks the state again in its own loop. A limiter that
waits for no other event meets its own timer, set at the time the rules name, as with one loop. With one loop,
the cost is an uncontended lock per step.

Every loop's clock must be ``time.monotonic`` (asyncio's own loops, uvloop's on the same clock); the state's
times are on it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Mapping

from .backend import MemoryBackend, Ticket
from .limiter import RateLimiter
from .rules import Grant, Observation, QuotaView, Rules, Waiting
from .settings import Lane
from .state import KeyState


class SharedKey:
    """A key's state and rules, with the lock every loop's limiter takes a step under."""

    __slots__ = ("__weakref__", "backends", "lock", "rules", "state")

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.state = KeyState()
        self.lock = threading.Lock()
        self.backends: weakref.WeakSet[SharedMemoryBackend] = weakref.WeakSet()

    def limiter(self, *, window: float | None, probe: int, clock: Callable[[], float] = time.monotonic) -> RateLimiter:
        """A limiter of the running event loop over this state."""
        backend = SharedMemoryBackend(self, clock, asyncio.get_running_loop())
        limiter = RateLimiter(backend, window=window, probe=probe, clock=clock)
        backend.limiter = limiter
        with self.lock:
            self.backends.add(backend)
        return limiter

    def in_use(self) -> bool:
        """Whether a loop that has not been closed has a limiter over this state."""
        with self.lock:
            return any(not backend.loop.is_closed() for backend in self.backends)

    def idle_until(self, now: float) -> float | None:
        """When the state stops mattering to every loop: None while a limiter of any loop has tasks waiting."""
        with self.lock:
            backends = list(self.backends)
            if any(b.limiter is not None and b.limiter.queue for b in backends):
                return None
            return self.rules.idle_until(self.state, now)


class SharedMemoryBackend(MemoryBackend):
    """One loop's access to a `SharedKey`: the in-process backend's steps, each under the key's lock."""

    def __init__(self, shared: SharedKey, clock: Callable[[], float], loop: asyncio.AbstractEventLoop) -> None:
        self.shared = shared
        self.loop = loop
        self.rules = shared.rules
        self.clock = clock
        self.limiter: RateLimiter | None = None  # set once the limiter over this backend is built

    @property
    def state(self) -> KeyState:  # type: ignore[override]  # the shared state, where MemoryBackend keeps its own
        return self.shared.state

    def __repr__(self) -> str:
        return f"SharedMemoryBackend({self.shared.state!r})"

    # Each step calls the rules itself, on the shared state (not through MemoryBackend's steps and the property):
    # this runs for every request.

    def take_now(self, lane: Lane, lease: str, local_now: float) -> Ticket | None:
        shared = self.shared
        with shared.lock:
            stamp = shared.rules.take(shared.state, local_now, lane, lease)
        return None if stamp is None else Ticket(stamp, local_now, lease)

    def reserve_now(
        self, member: str, waiting: Waiting, new_id: Callable[[], str], local_now: float
    ) -> tuple[Grant, bool]:
        shared = self.shared
        with shared.lock:
            return shared.rules.reserve(shared.state, local_now, member, {}, waiting, new_id, lasts=0.0), False

    async def reserve(self, member: str, asked: Mapping[Lane, list[str]], *, lasts: float) -> Grant:
        shared = self.shared
        with shared.lock:
            return shared.rules.reserve(shared.state, self.clock(), member, asked, lasts=lasts)

    def record_now(self, ticket: Ticket, seen: Observation, local_now: float) -> bool:
        shared = self.shared
        with shared.lock:
            room = shared.rules.record(shared.state, local_now, ticket.lease, ticket.stamp, seen, wakes=False)
        if len(shared.backends) > 1:
            self._poke_others()
        return room

    def release(self, ticket: Ticket, *, sent: bool, local_now: float) -> None:
        shared = self.shared
        with shared.lock:
            shared.rules.release(shared.state, local_now, ticket.lease, sent=sent, wakes=False)
        if len(shared.backends) > 1:
            self._poke_others()

    def view(self, local_now: float) -> QuotaView:
        shared = self.shared
        with shared.lock:
            return shared.rules.view(shared.state, local_now)

    def idle_until(self, local_now: float) -> float | None:
        return self.shared.idle_until(local_now)

    def _poke_others(self) -> None:
        """Tell the limiters of other loops with tasks waiting to ask again: this step may have made room.

        Called only with several loops on the key (a new loop's limiter that the count missed asks on its own).
        """
        with self.shared.lock:
            others = [(b, b.limiter) for b in self.shared.backends if b is not self and b.limiter is not None]
        for backend, limiter in others:
            if not limiter.queue:
                continue
            try:
                backend.loop.call_soon_threadsafe(limiter.poke)
            except RuntimeError:  # its loop is closed: nothing there waits any more
                continue
