"""One page of a paginated list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import attrs

from ._base import Model, decoder

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Page(Model, Generic[T]):
    """The items of one page plus whatever paging metadata the server sent.

    Iterating a page iterates its items, and `len(page)` counts them. To go through every page, use the
    operation's `iter_*` variant instead.

    As JSON, a page is the envelope the API sends: [`to_dict`][skipcall_async.Model.to_dict] writes the items as
    an array under `"data"`, then the metadata the page holds (a None is left out: the server did not send it),
    then `extra`.

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

    @classmethod
    def from_dict(cls, data: Any, item_model: type[T] | None = None) -> Page[T]:
        """Decode a page body as the client does: items from `"data"` or a bare list, each an `item_model`.

        Args:
            data: The page body: an object with a `"data"` array, or a bare array.
            item_model: The model of the items, such as [`Call`][skipcall_async.Call]; required, since a page
                body does not say what its items are.

        Returns:
            The page, its items decoded leniently like any model's.

        Raises:
            TypeError: `item_model` is missing.
            ValueError: `data` is not a page of `item_model`.
        """
        if item_model is None:
            raise TypeError("Page.from_dict needs the items' model: Page.from_dict(data, Call)")
        page: Page[T] = decoder(Page[item_model])(data)  # type: ignore[valid-type]
        return page
