"""Which lane a call waits in for the rate limit: ``interactive`` (the default: someone waits for it) or ``bulk``.

Set per client view (``client.with_options(priority="bulk")``) or for a block of code (``with priority("bulk"):``,
a context variable, so every call made inside, by library code included and in tasks started inside, inherits
it). A view's own setting wins over the block's.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Final, TypeAlias, get_args

from ._errors import ConfigurationError
from ._pacing.settings import Lane

Priority: TypeAlias = Lane
"""A rate-limit lane: `"interactive"` (the default: someone waits for the call) or `"bulk"`."""

PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
_CURRENT: contextvars.ContextVar[Lane | None] = contextvars.ContextVar("skipcall_async_priority", default=None)


def checked_priority(value: object) -> Lane:
    """``value`` as a lane, or `ConfigurationError` naming the choices."""
    if value not in PRIORITIES:
        raise ConfigurationError(f"priority must be 'interactive' or 'bulk', got {value!r}")
    return value


@contextlib.contextmanager
def priority(lane: Priority) -> Iterator[None]:
    """Run a block of code in one rate-limit lane: every call made inside waits in it.

    Interactive calls (the default) are granted before any waiting bulk call, and bulk may not take the share
    of each window held back for them (`RateLimitPolicy.interactive_reserve`). Use bulk for work nobody waits
    on: exports, syncs, backfills. Calls made in tasks started inside the block inherit it; a client view made
    with `with_options(priority=...)` keeps its own.

    Args:
        lane: `"interactive"` or `"bulk"`.

    Raises:
        ConfigurationError: Another value.
    """
    token = _CURRENT.set(checked_priority(lane))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def lane_of(explicit: Lane | None) -> Lane:
    """The lane of a call: the view's own, else the enclosing block's, else interactive."""
    if explicit is not None:
        return explicit
    return _CURRENT.get() or "interactive"
