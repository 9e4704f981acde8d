"""Call-outcome tags."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class Tag(Model):
    """A call-outcome tag; ``is_success_tag`` marks a successful outcome."""

    id: str
    label: str
    is_success_tag: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
