"""The words every part of pacing shares: lanes, the plan's window, and a key's settings as the rules read them."""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import attrs

Lane: TypeAlias = Literal["interactive", "bulk"]
"""A rate-limit lane: `"interactive"` (someone waits for the call) or `"bulk"` (exports, syncs, backfills)."""
LANES: Final[tuple[Lane, ...]] = ("interactive", "bulk")
PLAN_WINDOW: Final = 60.0  # plans are documented as requests per minute


@attrs.frozen(kw_only=True)
class Settings:
    """What the rules need to know of a key's policy (``RateLimitPolicy`` makes one), and their tolerances.

    ``window`` is the plan's window: an assumed window's length, the longest a request counts, and the cap of
    the 429 backoff. ``lease`` is how long a token may be held before it counts as spent (a process that died
    holding it gives it back then).
    """

    probe: int = 1
    assumed_limit: int | None = None
    window: float = PLAN_WINDOW
    stated_window: float | None = None
    reserve_share: float = 0.1
    margin: float = 0.05
    tolerance: float = 1.0
    backoff_base: float = 1.0
    lease: float = 70.0
