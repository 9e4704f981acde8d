"""The concurrency cap: at most N requests on the wire, handed out in FIFO order in O(1).

``asyncio.Semaphore`` in Python 3.11 scans all of its waiters on every acquire, which turns a gather of thousands
of calls queued for a connection into quadratic work; this pool hands a freed slot straight to the oldest waiter.
"""

from __future__ import annotations

import asyncio
import collections


class Slots:
    """At most ``size`` holders at once, first come first served.

    Take a slot with ``if not slots.try_acquire(): await slots.wait()`` (no await when one is free), and give it
    back with ``release`` in a ``finally``.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        """Take a free slot now if nobody is queued ahead; False means ``wait`` for one."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def wait(self) -> None:
        """Queue for the next freed slot (after ``try_acquire`` said no)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as the task was cancelled: pass it on
            raise

    def release(self) -> None:
        """Give a slot back: to the oldest live waiter if there is one, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes straight to the oldest live waiter
                return
        self._free += 1
