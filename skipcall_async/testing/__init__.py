"""Test your code offline: a fake Skipcall API server, its rate-limit rules and faults, and pytest fixtures.

async with FakeSkipcall() as server:
    async with SkipcallClient(server.api_key, base_url=server.url) as client:
        ...
"""

from .._docstrings import plain_docstrings as _plain_docstrings
from ._app import RecordedRequest
from ._faults import PROFILES as FAULT_PROFILES
from ._faults import Faults
from ._ratelimit import PLANS, RULES, Plan, RateLimitRule
from ._server import DEFAULT_KEY, INELIGIBLE_KEY, FakeSkipcall
from ._store import Store

__all__ = [
    "DEFAULT_KEY",
    "FAULT_PROFILES",
    "FakeSkipcall",
    "Faults",
    "INELIGIBLE_KEY",
    "PLANS",
    "Plan",
    "RULES",
    "RateLimitRule",
    "RecordedRequest",
    "Store",
]

_plain_docstrings(globals()[name] for name in __all__)  # help() shows names where the site shows links
