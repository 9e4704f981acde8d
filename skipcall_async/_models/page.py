"""One page of a paginated list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import attrs

from ._base import Model

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Page(Model, Generic[T]):
    """The items of one page plus whatever paging metadata the server sent.

    Iterating a page iterates its items, and `len(page)` counts them. To go through every page, use the
    operation's `iter_*` variant instead.

    Attributes:
        items: The items of this page.
        page: The page's index, from 0 (None when the server did not say).
        size: The page size the server applied (None when it did not say).
        total: Items over all pages (None when the server did not say).
        total_pages: Number of pages (None when the server did not say).
    """

    items: tuple[T, ...]
    page: int | None = None
    size: int | None = None
    total: int | None = None
    total_pages: int | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
