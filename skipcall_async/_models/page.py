"""One page of a paginated list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import attrs

from ._base import Model

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Page(Model, Generic[T]):
    """The items of one page plus whatever paging metadata the server sent (each may be None).

    ``page`` is 0-indexed. Iterating a page iterates its items.
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
