"""The client's requests against Prism, a mock built from the API description that validates every request.

Each of the 21 operations is called with realistic arguments, through ``with_raw_response`` so the test sees the
answer's status and headers: Prism must report no violation (no ``sl-violations`` header, a 2xx answer rather
than the error ``--errors`` turns a violation into), and the client must decode Prism's answer, which Prism
builds from the description's examples (a stats ``date`` of ``"2023-10-01T00:00:00.000Z"``, for instance).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from skipcall_async import RetryPolicy, SkipcallClient
from support.api_description import DESCRIPTION
from support.operations import CONTACT_ID, OPERATIONS
from support.prism import prism_mock

pytestmark = [pytest.mark.node, pytest.mark.slow]


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prism on the description as the SDK reads it (see ``api_description``).

    Prism checks its own answers too, and with ``--errors`` answers 500 where one violates the description:
    taken literally, the examples of the fields typed ``object`` (``"john.doe@example.com"``) would.
    """
    description = tmp_path_factory.mktemp("prism") / "openapi.json"
    description.write_text(json.dumps(DESCRIPTION), encoding="utf-8")
    with prism_mock(description) as url:
        yield url


async def test_every_operation_is_called() -> None:
    """The table covers the 21 operations of the client's raw view, so none escapes the contract."""
    async with SkipcallClient("sk_test_prism", base_url="http://127.0.0.1:9") as client:
        assert set(OPERATIONS) == set(vars(client.with_raw_response)) - {"_client"}
    assert len(OPERATIONS) == 21


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_the_request_conforms_and_the_answer_decodes(prism_url: str, name: str) -> None:
    """No violation reported for the request, and the example-built answer decodes into the operation's result."""
    async with SkipcallClient("sk_test_prism", base_url=prism_url, retry=RetryPolicy(max_attempts=1)) as client:
        raw = await OPERATIONS[name](client.with_raw_response)
    assert "sl-violations" not in raw.headers, raw.headers.get("sl-violations")
    assert 200 <= raw.status < 300
    raw.parse()  # a DecodeError would fail here


@pytest.mark.parametrize(
    "body", [{"email": None}, {"customFields": {"Size": 50}}, {"allowPhoneCalls": "yes"}], ids=["null", "number", "str"]
)
async def test_prism_reports_a_request_that_violates_the_description(prism_url: str, body: dict[str, Any]) -> None:
    """The check above has teeth: what the client once sent (a null, a number in customFields) is reported."""
    headers = {"Authorization": "Bearer sk_test_prism"}
    async with aiohttp.ClientSession() as session:
        async with session.patch(f"{prism_url}/v1/contacts/{CONTACT_ID}", json=body, headers=headers) as response:
            assert response.status == 400
            violations = json.loads(response.headers["sl-violations"])
    assert [v["location"][:2] for v in violations] == [["request", "body"]]
