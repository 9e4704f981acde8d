"""What a test that needs Node.js or nginx does without it: fail in CI, which installs them; skip elsewhere."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """Fail under ``CI=true``, skip otherwise, with ``message`` (which says what to install)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def node_unavailable(what: str, reason: str) -> NoReturn:
    """Fail under ``CI=true``, skip otherwise; either way, say what to install."""
    unavailable(f"{what} needs Node.js: {reason}")
