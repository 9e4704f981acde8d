"""The fake server on its own event loop in a thread: for code under test that runs ``asyncio.run`` or blocks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from skipcall_async.testing import FakeSkipcall, Plan, RateLimitRule

UNLIMITED = RateLimitRule(plan=Plan(limit=1_000_000))


@contextmanager
def threaded_server(**options: Any) -> Iterator[FakeSkipcall]:
    """A fake server on its own loop in a thread, so each command can run ``asyncio.run`` itself."""
    loop = asyncio.new_event_loop()
    server = FakeSkipcall(**{"rate_limit": UNLIMITED, **options})
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
