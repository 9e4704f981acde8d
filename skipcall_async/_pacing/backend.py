"""Where a key's ``KeyState`` lives and how the rules' steps reach it: the one seam between pacing and storage.

A backend runs the steps of ``rules.Rules`` on its key's state. The in-process backend (`MemoryBackend`) holds
the state in memory and runs each step at once, so a free token costs no ``await``. A shared backend (Redis)
runs them on the state it read and swaps the result in atomically; its steps are awaited, and it may be
unreachable for a while (it then says so, and may run steps on a `MemoryBackend` of its own meanwhile).

The limiter (``limiter.py``) never asks which backend it has: it calls the ``*_now`` steps, which answer at once
when the backend can, and awaits the others when they answer None. Times a backend hands back are on its own
clock; `to_local` turns them into the limiter's.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Literal, NamedTuple

from .rules import Grant, Observation, QuotaView, Rules, Waiting
from .settings import Lane
from .state import KeyState


class Ticket(NamedTuple):
    """A granted token: what its response is recorded against.

    ``stamp`` is the store's count of ended requests when it was granted (see ``rules``), ``granted_at`` the
    limiter's clock then, ``lease`` its id, and ``shared`` whether a shared store granted it (else the process's
    own state did: the in-process store, or a shared store's stand-in during an outage).
    """

    stamp: int
    granted_at: float
    lease: str
    shared: bool = False


class Backend(abc.ABC):
    """The state of one key and the steps on it (see the module docstring)."""

    kind: Literal["in-process", "redis"]
    rules: Rules
    poll_interval = float("inf")  # a shared backend's safety net for lost wake-ups: look again this often

    @property
    def degraded(self) -> bool:
        """True while a shared store cannot be reached (its process paces on its own meanwhile)."""
        return False

    @property
    def waits_for_store(self) -> bool:
        """True while a shared store cannot be reached and requests must wait for it (a strict store)."""
        return False

    def to_local(self, moment: float) -> float:
        """A time on this backend's clock, on the limiter's."""
        return moment

    @abc.abstractmethod
    def take_now(self, lane: Lane, lease: str, local_now: float) -> Ticket | None:
        """A token for ``lane`` at once, if this backend can grant without waiting and one is free."""

    @abc.abstractmethod
    def reserve_now(
        self, member: str, waiting: Waiting, new_id: Callable[[], str], local_now: float
    ) -> tuple[Grant, bool] | None:
        """Tokens for ``waiting`` requests at once, and whether they are shared; None: use `reserve`.

        Unlike `reserve`'s, the grant's time to ask again is on the limiter's clock.
        """

    @abc.abstractmethod
    async def reserve(self, member: str, asked: Mapping[Lane, list[str]], *, lasts: float) -> Grant | None:
        """Tokens for the ids ``asked`` (in the store's state); None when it cannot be reached."""

    @abc.abstractmethod
    def record_now(self, ticket: Ticket, seen: Observation, local_now: float) -> bool | None:
        """Record a response at once if this backend holds the ticket's state (True: room rose); None: `record`."""

    @abc.abstractmethod
    async def record(self, ticket: Ticket, seen: Observation) -> QuotaView | None:
        """Record a response in the store's state; the quota after it, or None when it cannot be reached."""

    @abc.abstractmethod
    async def end(self, ticket: Ticket, *, sent: bool) -> QuotaView | None:
        """End a ticket whose request got no response; the quota after it, or None when it cannot be reached."""

    @abc.abstractmethod
    def release(self, ticket: Ticket, *, sent: bool, local_now: float) -> None:
        """`end` without waiting for it (in the background for a shared store)."""

    @abc.abstractmethod
    def view(self, local_now: float) -> QuotaView:
        """The key's quota now, as far as this process knows it."""

    def idle_until(self, local_now: float) -> float | None:
        """When this key's state stops mattering to the process (None: while busy, or as long as it is shared)."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - only a shared backend has anything to let go of
        """The last client on the key in this process closed."""


class MemoryBackend(Backend):
    """The key's state in this process's memory: every step runs at once, on the limiter's own clock."""

    kind: Literal["in-process", "redis"] = "in-process"

    def __init__(self, rules: Rules, clock: Callable[[], float]) -> None:
        self.rules = rules
        self.clock = clock  # the limiter's: the steps `reserve`, `record` and `end` read it
        self.state = KeyState()

    def __repr__(self) -> str:
        return f"MemoryBackend({self.state!r})"

    def take_now(self, lane: Lane, lease: str, local_now: float) -> Ticket | None:
        stamp = self.rules.take(self.state, local_now, lane, lease)
        return None if stamp is None else Ticket(stamp, local_now, lease)

    def reserve_now(
        self, member: str, waiting: Waiting, new_id: Callable[[], str], local_now: float
    ) -> tuple[Grant, bool]:
        return self.rules.reserve(self.state, local_now, member, {}, waiting, new_id, lasts=0.0), False

    async def reserve(self, member: str, asked: Mapping[Lane, list[str]], *, lasts: float) -> Grant:
        return self.rules.reserve(self.state, self.clock(), member, asked, lasts=lasts)

    async def record(self, ticket: Ticket, seen: Observation) -> QuotaView:
        now = self.clock()
        self.record_now(ticket, seen, now)
        return self.view(now)

    async def end(self, ticket: Ticket, *, sent: bool) -> QuotaView:
        now = self.clock()
        self.release(ticket, sent=sent, local_now=now)
        return self.view(now)

    def record_now(self, ticket: Ticket, seen: Observation, local_now: float) -> bool:
        return self.rules.record(self.state, local_now, ticket.lease, ticket.stamp, seen, wakes=False)

    def adopt(self, grant: Grant, local_now: float) -> None:
        """Count the tokens another store granted this process (a stand-in kept warm)."""
        for lease, _ in (*grant.interactive, *grant.bulk):
            self.rules.adopt(self.state, local_now, lease)

    def observe_elsewhere(self, ticket: Ticket, seen: Observation, local_now: float) -> None:
        """Learn from the response to a request another store granted (a stand-in kept warm): as the answer to
        its adopted token, or, if it was not adopted, as news of now."""
        held = self.state.leases.get(ticket.lease)
        if held is None:
            self.rules.record(self.state, local_now, None, None, seen, wakes=False)
        else:
            self.rules.record(self.state, local_now, ticket.lease, held.stamp, seen, wakes=False)

    def release(self, ticket: Ticket, *, sent: bool, local_now: float) -> None:
        self.rules.release(self.state, local_now, ticket.lease, sent=sent, wakes=False)

    def view(self, local_now: float) -> QuotaView:
        return self.rules.view(self.state, local_now)

    def idle_until(self, local_now: float) -> float | None:
        return self.rules.idle_until(self.state, local_now)
