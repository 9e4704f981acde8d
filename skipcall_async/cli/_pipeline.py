"""The export loop: fetch records concurrently, write them in listing order, stop cleanly on request.

A producer walks the listing page by page and starts one task per record not yet in the output (its
``--include`` parts are fetched inside that task, concurrently with every other record's). The writer takes the
tasks in the order they were started and writes each record as soon as it and all before it are complete, so the
file's order is the listing's whatever order the answers come in. At most ``ahead`` records are fetched ahead of
the writer: enough queued requests to use every window of the plan, few enough to hold in memory.

On a stop request the producer stops, every record already complete (in order, up to the first that is not) is
written, and the rest are cancelled: their requests give their rate-limit places back and they are fetched again
on the next run. An error in a record or a page stops the export the same way, then is raised.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from ._progress import Display
from ._sink import Sink
from ._stats import ExportStats

T = TypeVar("T")
Record = Mapping[str, Any]

AHEAD = 500  # records fetched ahead of the writer: two requests each with --include, a 1000-request window


class Outcome(enum.Enum):
    """How an export run ended (an error is raised instead)."""

    COMPLETE = "complete"
    STOPPED = "stopped"


@attrs.frozen
class Job(Generic[T]):
    """What to export.

    Attributes:
        pages: The listing, page by page (it may set the progress total as it learns it).
        key: The output record's id for a listed item, None to skip the item (a call without a contact).
        fetch: The output record for an item; None to skip it (the API no longer has it).
    """

    pages: Callable[[], AsyncIterator[list[T]]]
    key: Callable[[T], str | None]
    fetch: Callable[[T], Awaitable[Record | None]]


async def run_export(
    job: Job[T],
    sink: Sink,
    stats: ExportStats,
    display: Display,
    stop: asyncio.Event,
    *,
    ahead: int = AHEAD,
) -> Outcome:
    """Export every record of ``job`` not yet in ``sink``; see the module's description."""
    done: set[str] = set(sink.ids)
    pending: collections.deque[asyncio.Task[Record | None]] = collections.deque()
    slots = asyncio.Semaphore(ahead)
    arrived = asyncio.Event()
    scheduled = 0

    async def produce() -> None:
        nonlocal scheduled
        async for page in job.pages():
            for item in page:
                key = job.key(item)
                if key is None or key in done:
                    continue
                done.add(key)  # a record listed twice (a page that shifted) is exported once
                await slots.acquire()
                pending.append(asyncio.ensure_future(job.fetch(item)))
                scheduled += 1
                arrived.set()
        stats.total = stats.present + scheduled  # exact once the listing is complete

    producer = asyncio.ensure_future(produce())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while True:
            if pending:
                head = pending[0]
                if not head.done():
                    await asyncio.wait({head, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    if stop.is_set():
                        return Outcome.STOPPED
                    continue
                record = head.result()  # an error ends the export; the record stays first, nothing after it is written
                pending.popleft()
                slots.release()
                if record is not None:
                    sink.write(record)
                    stats.written += 1
                display.update()
            elif producer.done():
                await producer  # raises the listing's error, if any
                return Outcome.COMPLETE
            else:
                arrived.clear()
                waiter = asyncio.ensure_future(arrived.wait())
                await asyncio.wait({waiter, producer, stopped}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if stop.is_set():
                    return Outcome.STOPPED
    finally:
        producer.cancel()
        stopped.cancel()
        _write_completed(pending, sink, stats)
        for task in pending:
            task.cancel()
        await asyncio.gather(producer, *pending, return_exceptions=True)
        with contextlib.suppress(asyncio.CancelledError):
            await stopped
        display.update()


def _write_completed(pending: collections.deque[asyncio.Task[Record | None]], sink: Sink, stats: ExportStats) -> None:
    """Write the records at the head of ``pending`` that are complete, in order, up to the first that is not."""
    while pending and pending[0].done() and not pending[0].cancelled() and pending[0].exception() is None:
        record = pending.popleft().result()
        if record is not None:
            sink.write(record)
            stats.written += 1
