"""The client's requests against Prism, a mock built from the API description that validates every request.

Each of the 21 operations is called with realistic arguments, through ``with_raw_response`` so the test sees the
answer's status and headers: Prism must report no violation (no ``sl-violations`` header, a 2xx answer rather
than the error ``--errors`` turns a violation into), and the client must decode Prism's answer, which Prism
builds from the description's examples (a stats ``date`` of ``"2023-10-01T00:00:00.000Z"``, for instance).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from typing import Any

import aiohttp
import pytest

from skipcall_async import RetryPolicy, SequenceContactAssignment, SkipcallClient
from support.api_description import DESCRIPTION
from support.prism import prism_mock

pytestmark = [pytest.mark.node, pytest.mark.slow]

CALL_ID = "123e4567-e89b-12d3-a456-426614174000"
CONTACT_ID = "550e8400-e29b-41d4-a716-446655440000"
SEQUENCE_ID = "123e4567-e89b-12d3-a456-426614174010"

Operation = Callable[[Any], Awaitable[Any]]
OPERATIONS: dict[str, Operation] = {
    "health": lambda r: r.health(),
    "list_calls": lambda r: r.list_calls(workspace_ids=["ws-1", "ws-2"], page=1, size=25),
    "get_call": lambda r: r.get_call(CALL_ID),
    "get_call_recording": lambda r: r.get_call_recording(CALL_ID),
    "get_call_transcription": lambda r: r.get_call_transcription(CALL_ID),
    "create_contact": lambda r: r.create_contact(
        first_name="John",
        last_name="Doe",
        phone_numbers=["+33612345678"],
        email="john.doe@example.com",
        company="Acme Inc.",
        city="Paris",
        country="France",
        url="https://example.com",
        linkedin_url="https://linkedin.com/in/johndoe",
        linkedin_sales_url="https://linkedin.com/sales/people/johndoe",
        role="CTO",
        allow_phone_calls=True,
        custom_fields={"industry": "Technology", "team_size": "50-100"},
    ),
    "get_contact": lambda r: r.get_contact(CONTACT_ID),
    "update_contact": lambda r: r.update_contact(
        CONTACT_ID, city="Lyon", phone_numbers=["+33612345678", "+33698765432"], custom_fields={"tier": "gold"}
    ),
    "create_sequence": lambda r: r.create_sequence(
        name="Q3 outreach", assigned_to_ids=["om-1", "om-2"], creator_id="om-1", workspace_id="ws-1"
    ),
    "list_sequence_contacts": lambda r: r.list_sequence_contacts(SEQUENCE_ID, tag="Lead", status="IN_PROGRESS"),
    "add_sequence_contacts": lambda r: r.add_sequence_contacts(
        SEQUENCE_ID,
        [CONTACT_ID, SequenceContactAssignment(contact_id=CALL_ID, assigned_to_workspace_membership_id="wm-1")],
    ),
    "remove_sequence_contacts": lambda r: r.remove_sequence_contacts(SEQUENCE_ID, [CONTACT_ID]),
    "get_tag_distribution": lambda r: r.get_tag_distribution(
        call_type="direct", granularity="week", start_date=date(2026, 1, 1), end_date="2026-01-31", workspace_id="ws-1"
    ),
    "get_status_distribution": lambda r: r.get_status_distribution(
        sequence_id=SEQUENCE_ID, user_membership_id="om-1", granularity="day", workspace_id="ws-1"
    ),
    "get_call_duration_stats": lambda r: r.get_call_duration_stats(call_type="all", granularity="month"),
    "create_tag": lambda r: r.create_tag(label="Meeting booked", is_success_tag=True),
    "delete_tag": lambda r: r.delete_tag("123e4567-e89b-12d3-a456-426614174099"),
    "get_team_stats": lambda r: r.get_team_stats(period="custom", start_date="2026-01-01", end_date="2026-01-31"),
    "list_users": lambda r: r.list_users(workspace_ids=["ws-1"]),
    "list_workspaces": lambda r: r.list_workspaces(),
    "list_workspace_members": lambda r: r.list_workspace_members("ws-1", page=0, size=50),
}


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
