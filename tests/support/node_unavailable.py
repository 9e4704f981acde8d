"""What a test that needs Node.js does without it: fail in CI, where it is installed on purpose; skip elsewhere."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def node_unavailable(what: str, reason: str) -> NoReturn:
    """Fail under ``CI=true``, skip otherwise; either way, say what to install."""
    message = f"{what} needs Node.js: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
