"""The event loop thread that runs every synchronous client's calls: one per process, started on first use.

A blocking call hands its coroutine to this loop (``run_coroutine_threadsafe``) and waits for the result, so
calls from many threads (a threaded web server, a thread pool) run concurrently on one loop, and every
synchronous client of the process shares the pacing of its key with the others and, through the in-process
store (``_pacing/loops.py``), with async clients in other loops.

The loop is the process's own: a forked child (a Celery or gunicorn worker) starts a new one on first use, and
at exit the clients still open are closed on it before it stops, so no connection is left unclosed.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

from ._errors import EventLoopError

T = TypeVar("T")

_CLOSE_AT_EXIT: Final = 5.0  # seconds to close the clients still open when the interpreter exits


class Portal:
    """The loop thread (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.generation = 0  # counts forks: a client made in an earlier generation belongs to another process
        self._closers: weakref.WeakKeyDictionary[object, Callable[[], Coroutine[Any, Any, None]]] = (
            weakref.WeakKeyDictionary()
        )

    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started on first use."""
        loop = self._loop
        if loop is not None:
            return loop
        with self._lock:
            if self._loop is None:
                started = threading.Event()
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_serve, args=(loop, started), name="skipcall-sync", daemon=True)
                thread.start()
                started.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result (or its exception), from any other thread."""
        loop = self.loop()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise EventLoopError(
                "a SyncSkipcallClient was called from the SDK's own loop thread (from an async hook?), where it "
                "would wait for itself: use an async SkipcallClient in async code"
            )
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # Ctrl-C or a timeout in the caller: the call stops too, its token given back
            raise

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        """Start ``coroutine`` on the loop without waiting for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop())

    def close_with(self, owner: object, close: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``close()`` on the loop once ``owner`` is collected, or when the interpreter exits if it is not.

        ``close`` must not refer to ``owner`` (it would keep it alive).
        """
        with self._lock:
            self._closers[owner] = close
        finalizer = weakref.finalize(owner, self._close_soon, close, self.generation)
        finalizer.atexit = False  # at exit, _exit closes what is left and waits for it

    def _close_soon(self, close: Callable[[], Coroutine[Any, Any, None]], generation: int) -> None:
        """``close()`` started on the loop, without waiting (its owner was collected, in any thread)."""
        loop = self._loop
        if generation != self.generation or loop is None or loop.is_closed():
            return  # a forked child's copy of the parent's client, or no loop any more: nothing of ours to close
        closing = close()
        try:
            asyncio.run_coroutine_threadsafe(closing, loop)
        except RuntimeError:
            closing.close()

    def forget(self, owner: object) -> None:
        with self._lock:
            self._closers.pop(owner, None)

    def _exit(self) -> None:
        """Close what is still open, then stop the loop (the interpreter is exiting)."""
        with self._lock:
            loop, closers = self._loop, list(self._closers.values())
            self._closers.clear()
        if loop is None or loop.is_closed():
            return
        if closers:

            async def close_all() -> None:
                await asyncio.gather(*(close() for close in closers), return_exceptions=True)

            with contextlib.suppress(Exception):  # exiting: a client that cannot close leaves a warning at worst
                asyncio.run_coroutine_threadsafe(close_all(), loop).result(_CLOSE_AT_EXIT)
        loop.call_soon_threadsafe(loop.stop)

    def _after_fork(self) -> None:
        """In a forked child: the parent's loop thread does not exist here; the next call starts a new one."""
        self._lock = threading.Lock()
        self._loop, self._thread = None, None
        self._closers = weakref.WeakKeyDictionary()
        self.generation += 1


def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(started.set)
    loop.run_forever()


PORTAL: Final = Portal()
atexit.register(PORTAL._exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=PORTAL._after_fork)
