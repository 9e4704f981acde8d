"""What every response model shares: frozen, keyword-only, and a home for fields the SDK does not know yet."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


@attrs.frozen(kw_only=True)
class Model:
    """Base of all response models: frozen, keyword-only attrs classes.

    Attributes:
        extra: The response fields this version of the SDK does not model, keyed as the API sent them
            (camelCase), so that a field the API adds tomorrow is reachable today instead of silently dropped.
    """

    extra: Mapping[str, Any] = attrs.field(default=_NO_EXTRA, repr=False, eq=False)
