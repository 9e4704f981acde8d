"""Test your code offline: a fake Skipcall API server, its rate-limit rules and faults, and pytest fixtures.

async with FakeSkipcall() as server:
    async with SkipcallClient(server.api_key, base_url=server.url) as client:
        ...
"""

from pathlib import Path as _Path
from typing import Final as _Final

from .._docstrings import plain_docstrings as _plain_docstrings
from ._app import RecordedRequest
from ._faults import PROFILES as FAULT_PROFILES
from ._faults import Faults
from ._ratelimit import PLANS, RULES, NamedThrottler, Plan, RateLimitRule
from ._server import DEFAULT_KEY, INELIGIBLE_KEY, FakeSkipcall
from ._store import Store

API_DESCRIPTION: _Final = _Path(__file__).with_name("openapi.yaml")
"""The Skipcall API's OpenAPI description that the fake server is held to, for your own contract tests."""

__all__ = [
    "API_DESCRIPTION",
    "DEFAULT_KEY",
    "FAULT_PROFILES",
    "FakeSkipcall",
    "Faults",
    "INELIGIBLE_KEY",
    "NamedThrottler",
    "PLANS",
    "Plan",
    "RULES",
    "RateLimitRule",
    "RecordedRequest",
    "Store",
]

_plain_docstrings(globals()[name] for name in __all__)  # help() shows names where the site shows links
