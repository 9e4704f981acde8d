"""How pages are asked for and walked: every guess about that lives here, so a correction is a one-line change.

Guesses (none is confirmed by an operation page): pages are requested with ``page`` (0-indexed) and ``size``
(1-100). Paging stops on a short or empty page, or once ``total`` items have been seen. What a page body looks
like (items in ``data`` or a bare list, the metadata keys) is read and written by ``_codec``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final, TypeVar

from ._errors import InvalidArgumentError
from ._models import Page

T = TypeVar("T")

PAGE_PARAM: Final = "page"
SIZE_PARAM: Final = "size"
FIRST_PAGE: Final = 0
MAX_PAGE_SIZE: Final = 100


def check_page_args(page: int, size: int) -> None:
    """Reject a page index or size the API would refuse, before any request."""
    if isinstance(page, bool) or not isinstance(page, int) or page < FIRST_PAGE:
        raise InvalidArgumentError(f"page must be an int >= {FIRST_PAGE}, got {page!r}", argument="page")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(f"size must be an int from 1 to {MAX_PAGE_SIZE}, got {size!r}", argument="size")


def page_params(page: int, size: int) -> dict[str, int]:
    """The query parameters that select one page."""
    check_page_args(page, size)
    return {PAGE_PARAM: page, SIZE_PARAM: size}


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
