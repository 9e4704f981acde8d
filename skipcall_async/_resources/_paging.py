"""The one helper behind every ``iter_*`` operation: arguments checked at the call, pages fetched on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from .._errors import InvalidArgumentError
from .._models import Page
from .._pagination import MAX_PAGE_SIZE, iterate

T = TypeVar("T")


def paginate(fetch: Callable[[int, int], Awaitable[Page[T]]], page_size: int) -> AsyncIterator[T]:
    """Every item of the pages ``fetch(page, size)`` returns, as an async iterator; ``page_size`` is checked now.

    ``iter_*`` operations are plain methods that check their own arguments, then return this: a bad argument
    raises where the method is called, not at the first ``async for`` step. Nothing is requested until then.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        message = f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, got {page_size!r}"
        raise InvalidArgumentError(message, argument="page_size")
    return iterate(lambda index: fetch(index, page_size), size=page_size)
