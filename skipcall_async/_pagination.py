"""Every guess about list envelopes lives here, so a correction is a one-line change.

Guesses (none is confirmed by an operation page): pages are requested with ``page`` (0-indexed) and ``size``
(1-100); items come in ``data`` or as a bare list; ``total``, ``page``, ``size`` and ``totalPages`` may come
along. Paging stops on a short or empty page, or once ``total`` items have been seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from types import MappingProxyType
from typing import Any, Final, TypeVar

from ._converter import structure
from ._models import Page

T = TypeVar("T")

PAGE_PARAM: Final = "page"
SIZE_PARAM: Final = "size"
ITEMS_KEY: Final = "data"
FIRST_PAGE: Final = 0
MAX_PAGE_SIZE: Final = 100
_META_KEYS: Final = {"page": "page", "size": "size", "total": "total", "totalPages": "total_pages"}


def check_page_args(page: int, size: int) -> None:
    """Reject a page index or size the API would refuse, before any request."""
    if isinstance(page, bool) or not isinstance(page, int) or page < FIRST_PAGE:
        raise ValueError(f"page must be an int >= {FIRST_PAGE}, got {page!r}")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"size must be an int from 1 to {MAX_PAGE_SIZE}, got {size!r}")


def page_params(page: int, size: int) -> dict[str, int]:
    """The query parameters that select one page."""
    check_page_args(page, size)
    return {PAGE_PARAM: page, SIZE_PARAM: size}


def split_envelope(data: Any) -> tuple[list[Any], dict[str, Any]]:
    """(items, everything else) from ``{"data": [...], ...}`` or a bare list."""
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get(ITEMS_KEY), list):
        return data[ITEMS_KEY], {k: v for k, v in data.items() if k != ITEMS_KEY}
    raise TypeError(f"expected a list or an object with a {ITEMS_KEY!r} list, got {type(data).__name__}")


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def to_page(data: Any, item_model: type[T]) -> Page[T]:
    """Decode one page body into a ``Page`` of ``item_model``."""
    raw_items, meta = split_envelope(data)
    items: list[T] = structure(raw_items, list[item_model])  # type: ignore[valid-type]
    known = {attr: _int_or_none(meta.get(key)) for key, attr in _META_KEYS.items()}
    extra = {k: v for k, v in meta.items() if k not in _META_KEYS}
    return Page(items=tuple(items), extra=MappingProxyType(extra), **known)


def is_last_page(page: Page[Any], *, requested_size: int, seen: int) -> bool:
    """True when no further page should be requested."""
    return len(page.items) < requested_size or (page.total is not None and seen >= page.total)


async def iterate(fetch: Callable[[int], Awaitable[Page[T]]], *, size: int) -> AsyncIterator[T]:
    """Yield every item of every page, fetching the next page only when the previous one is used up."""
    index, seen = FIRST_PAGE, 0
    while True:
        page = await fetch(index)
        for item in page.items:
            yield item
        seen += len(page.items)
        if is_last_page(page, requested_size=size, seen=seen):
            return
        index += 1
