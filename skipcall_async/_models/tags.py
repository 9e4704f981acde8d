"""Call-outcome tags."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class Tag(Model):
    """A call-outcome tag.

    Attributes:
        id: The tag's id.
        label: The tag's label.
        is_success_tag: Whether the tag marks a successful outcome in the statistics.
        created_at: When the tag was created.
        updated_at: When the tag last changed.
    """

    id: str
    label: str
    is_success_tag: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
