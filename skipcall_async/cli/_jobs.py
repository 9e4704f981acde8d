"""What ``skipcall export`` exports: calls (with their recording and transcription) and contacts.

The API has no list of contacts. The contacts export takes the contacts of the calls (every contact called, once
each) or, with ``--sequence``, the contacts of sequences, and fetches each one with ``get_contact``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any, Final, TypeVar

from .._client import SkipcallClient
from .._errors import NotFoundError
from .._models import Call, CallRecording, CallTranscription, Contact, Model, Page, SequenceContact
from .._pagination import MAX_PAGE_SIZE, is_last_page
from ._columns import model_columns
from ._pipeline import Job, Record
from ._stats import ExportStats

T = TypeVar("T")

PARTS: Final[dict[str, type[Model]]] = {"recording": CallRecording, "transcription": CallTranscription}
"""What ``--include`` can add to each call, under these keys, and their models."""


def call_columns(include: Collection[str]) -> tuple[str, ...]:
    """The CSV columns of a calls export: the call's, then each included part's, prefixed by its name."""
    columns = model_columns(Call)
    for part in include:
        columns += model_columns(PARTS[part], part)
    return columns


def contact_columns() -> tuple[str, ...]:
    """The CSV columns of a contacts export."""
    return model_columns(Contact)


async def pages_of(
    fetch: Callable[[int, int], Awaitable[Page[T]]], stats: ExportStats | None
) -> AsyncIterator[list[T]]:
    """Every page of a list, from the first; the first page's ``total`` becomes the progress total."""
    index, seen = 0, 0
    while True:
        page = await fetch(index, MAX_PAGE_SIZE)
        if stats is not None and index == 0 and page.total is not None:
            stats.total = page.total
        yield list(page.items)
        seen += len(page.items)
        if is_last_page(page, requested_size=MAX_PAGE_SIZE, seen=seen):
            return
        index += 1


async def _or_none(fetch: Awaitable[Model]) -> dict[str, Any] | None:
    try:
        return (await fetch).to_dict()
    except NotFoundError:
        return None


def calls_job(
    client: SkipcallClient, stats: ExportStats, include: Collection[str], workspaces: list[str] | None
) -> Job[Call]:
    """Every call, as the API's JSON, with each part of ``include`` under its name (null where the API has none)."""
    part_fetchers = {"recording": client.get_call_recording, "transcription": client.get_call_transcription}

    def pages() -> AsyncIterator[list[Call]]:
        return pages_of(lambda page, size: client.list_calls(workspace_ids=workspaces, page=page, size=size), stats)

    async def fetch(call: Call) -> Record:
        record = call.to_dict()
        if include:
            parts = await asyncio.gather(*(_or_none(part_fetchers[name](call.id)) for name in include))
            for name, part in zip(include, parts, strict=True):
                record[name] = part
                if part is None:
                    stats.absent[name] += 1
        return record

    return Job(pages=pages, key=lambda call: call.id, fetch=fetch)


def contacts_job(
    client: SkipcallClient, stats: ExportStats, workspaces: list[str] | None, sequences: Collection[str]
) -> Job[str]:
    """Every contact of the calls (or of ``sequences``), once each, as the API's JSON."""

    async def from_calls() -> AsyncIterator[list[str]]:
        listing = pages_of(lambda page, size: client.list_calls(workspace_ids=workspaces, page=page, size=size), None)
        async for calls in listing:
            yield [c.contact.id for c in calls if c.contact is not None and not c.contact.is_unknown]

    async def from_sequences() -> AsyncIterator[list[str]]:
        for sequence_id in sequences:

            def fetch_page(page: int, size: int, sequence_id: str = sequence_id) -> Awaitable[Page[SequenceContact]]:
                return client.list_sequence_contacts(sequence_id, page=page, size=size)

            async for rows in pages_of(fetch_page, None):
                yield [row.contact_id for row in rows if row.contact_id]

    def pages() -> AsyncIterator[list[str]]:
        return from_sequences() if sequences else from_calls()

    async def fetch(contact_id: str) -> Record | None:
        record = await _or_none(client.get_contact(contact_id))
        if record is None:
            stats.absent["contact"] += 1
        return record

    return Job(pages=pages, key=lambda contact_id: contact_id, fetch=fetch)
