"""Schemathesis against the fake server: every operation of the API description, every check, seeded and bounded.

Each of the 21 operations gets generated requests, valid and invalid (examples, coverage and fuzzing phases,
``EXAMPLES`` per phase, derandomised), and every answer must pass every check Schemathesis has: no server error,
documented status codes, content types, headers and bodies, invalid data refused, valid data accepted, auth
required where declared, 405 with ``Allow`` for undeclared methods. The server counts no rate limit (a key with a
budget of a million), so no 429 can make a run flaky; the rate-limit rules have tests of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from skipcall_async.testing import DEFAULT_KEY, FakeSkipcall
from support.api_description import DESCRIPTION
from support.threaded_server import threaded_server

pytestmark = pytest.mark.slow

EXAMPLES: Final = 30  # per operation and phase; the whole module takes well under a minute
SEED: Final = 19

# Requests that fit the schema and still name something that does not exist: a workspace outside the key's scope
# (stats take it as a filter, "must be within the API key scope"), an organisation membership no user holds (a
# sequence's creator and assignees), or a date that is not one (the description types startDate and endDate as
# plain strings, "ISO format" in words only). The operations declare 400 as their only client error for a refused
# request, so the fake server answers 400, naming the field; for them, 400 is an accepted answer to valid data.
SCOPED_BY_VALUE: Final = ("StatsController_getTagRepartition", "StatsController_getStatusRepartition",
                          "StatsController_getCallDuration", "TeamController_getStats",
                          "SequenceController_create")  # fmt: skip
ACCEPTED: Final = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # Schemathesis' own default

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "auth": {"openapi": {"ApiKey": {"bearer": DEFAULT_KEY}}},  # only where declared: health needs none
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "operations": [
            {
                "include-operation-id": list(SCOPED_BY_VALUE),
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(DESCRIPTION, config=CONFIG)


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeSkipcall]:
    """The fake server on its own loop in a thread, as Schemathesis sends its requests synchronously."""
    with threaded_server() as server:
        yield server


def test_every_operation_of_the_description_is_tested() -> None:
    """The description holds the 21 operations, each of them a test below (a filter dropping one would show)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 21


@schema.parametrize()
@settings(deadline=2000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_the_fake_server_conforms_to_the_description(case: schemathesis.Case, fake_api: FakeSkipcall) -> None:
    """Every answer to every generated request passes every check."""
    case.call_and_validate(base_url=fake_api.url)
