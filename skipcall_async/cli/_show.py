"""Fetch and print: one object, or the pages of a list, in the format asked for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from .._models import Model, Page
from .._pagination import FIRST_PAGE, is_last_page
from .._priority import priority
from ._columns import model_columns, table_columns
from ._render import ListWriter, write_one

M = TypeVar("M", bound=Model)


async def print_one(fetch: Awaitable[Model], fmt: str) -> None:
    """Print the object ``fetch`` returns."""
    write_one((await fetch).to_dict(), fmt)


async def print_pages(
    fetch: Callable[[int, int], Awaitable[Page[M]]],
    model: type[M],
    fmt: str,
    *,
    every_page: bool,
    page: int,
    size: int,
) -> None:
    """Print page number ``page`` (from 1, as people count) of a list, or with ``every_page`` every page from the
    first, as each one arrives.

    ``every_page`` is bulk work: its requests wait in the bulk lane, behind the key's interactive calls.
    """
    writer = ListWriter(fmt, model_columns(model), table_columns=table_columns(model))
    index, seen = FIRST_PAGE + (0 if every_page else page - 1), 0
    while True:
        with priority("bulk" if every_page else "interactive"):
            result = await fetch(index, size)
        writer.extend(item.to_dict() for item in result)
        seen += len(result)
        if not every_page or is_last_page(result, requested_size=size, seen=seen):
            break
        index += 1
    if every_page:
        writer.caption = f"{seen} in all"
    elif result.total is not None:
        pages = f" of {result.total_pages}" if result.total_pages is not None else ""
        writer.caption = f"page {index - FIRST_PAGE + 1}{pages}, {result.total} in all; --all for every page"
    writer.close()
