"""Every documented operation: the request that went out, and the model that came back, on both backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

import attrs
import pytest

from skipcall_async import (
    NOT_GIVEN,
    Call,
    CallDurationStats,
    CallRecording,
    CallTranscription,
    CallType,
    Contact,
    Health,
    OrganizationUser,
    Page,
    RawResponse,
    Sequence,
    SequenceContact,
    SequenceContactAssignment,
    SequenceContactsResult,
    SkipcallClient,
    StatusDistribution,
    TagDistribution,
    TeamStats,
    TranscriptionStatus,
    Workspace,
    WorkspaceMember,
)
from skipcall_async._version import __version__
from support import examples as ex
from support.backends import API_KEY, Backend


@attrs.frozen
class Case:
    id: str
    call: Callable[[SkipcallClient], Awaitable[Any]]
    reply: Any
    method: str
    path: str
    query: dict[str, str]
    body: Any
    check: Callable[[Any], bool]


async def _first(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


CASES = [
    Case("health", lambda c: c.health(), ex.HEALTH, "GET", "/v1/health", {}, None, lambda r: r == Health(status="ok")),
    Case(
        "get_call",
        lambda c: c.get_call(ex.CALL["id"]),
        ex.CALL,
        "GET",
        f"/v1/calls/{ex.CALL['id']}",
        {},
        None,
        lambda r: (
            isinstance(r, Call)
            and r.call_type is CallType.CALL_SESSION
            and r.started_at == datetime(2024, 3, 20, 9, tzinfo=UTC)
            and r.contact.first_name == "John"
        ),
    ),
    Case(
        "list_calls",
        lambda c: c.list_calls(workspace_ids=["w1", "w2"], page=2, size=25),
        {"data": [ex.CALL], "total": 51, "page": 2, "size": 25, "totalPages": 3},
        "GET",
        "/v1/calls",
        {"workspaceIds": "w1,w2", "page": "2", "size": "25"},
        None,
        lambda r: isinstance(r, Page) and r.total == 51 and r.total_pages == 3 and r.items[0].id == ex.CALL["id"],
    ),
    Case(
        "iter_calls",
        lambda c: _first(c.iter_calls(page_size=10)),
        [ex.CALL],
        "GET",
        "/v1/calls",
        {"page": "0", "size": "10"},
        None,
        lambda r: [x.id for x in r] == [ex.CALL["id"]],
    ),
    Case(
        "get_call_recording",
        lambda c: c.get_call_recording("call-1"),
        ex.RECORDING,
        "GET",
        "/v1/calls/call-1/recording",
        {},
        None,
        lambda r: (
            isinstance(r, CallRecording)
            and r.duration == 245.0
            and r.transcription_status is TranscriptionStatus.COMPLETED
        ),
    ),
    Case(
        "get_call_transcription",
        lambda c: c.get_call_transcription("call-1"),
        ex.TRANSCRIPTION,
        "GET",
        "/v1/calls/call-1/transcription",
        {},
        None,
        lambda r: (
            isinstance(r, CallTranscription)
            and r.transcript[0].confidence == 0.95
            and r.summary.startswith("Discussion")
        ),
    ),
    Case(
        "create_contact",
        lambda c: c.create_contact(
            first_name="John",
            last_name="Doe",
            phone_numbers=["+33612345678"],
            company="Acme Inc.",
            custom_fields={"industry": "Technology"},
        ),
        ex.CONTACT,
        "POST",
        "/v1/contacts",
        {},
        {
            "firstName": "John",
            "lastName": "Doe",
            "phoneNumbers": ["+33612345678"],
            "company": "Acme Inc.",
            "customFields": {"industry": "Technology"},
        },
        lambda r: isinstance(r, Contact) and r.custom_fields == {"Industry": "Technology", "Size": "50-100"},
    ),
    Case(
        "get_contact",
        lambda c: c.get_contact("550e8400"),
        ex.CONTACT,
        "GET",
        "/v1/contacts/550e8400",
        {},
        None,
        lambda r: isinstance(r, Contact) and r.phone_numbers == ("+33612345678",) and r.linkedin_url is not None,
    ),
    Case(
        "update_contact",
        lambda c: c.update_contact("c-1", city="Lyon", email="j@d.fr", company=NOT_GIVEN),
        ex.CONTACT,
        "PATCH",
        "/v1/contacts/c-1",
        {},
        {"city": "Lyon", "email": "j@d.fr"},
        lambda r: isinstance(r, Contact),
    ),
    Case(
        "create_sequence",
        lambda c: c.create_sequence(name="Q4 outreach", assigned_to_ids=["om-1"], creator_id="om-1"),
        ex.SEQUENCE,
        "POST",
        "/v1/sequences",
        {},
        {"name": "Q4 outreach", "assignedToIds": ["om-1"], "creatorId": "om-1"},
        lambda r: r == Sequence(id="seq-1", name="Q4 outreach"),
    ),
    Case(
        "list_sequence_contacts",
        lambda c: c.list_sequence_contacts("seq-1", tag="Lead", status="ACTIVE", size=5),
        {"data": [ex.SEQUENCE_CONTACT]},
        "GET",
        "/v1/sequences/seq-1/contacts",
        {"tag": "Lead", "status": "ACTIVE", "page": "0", "size": "5"},
        None,
        lambda r: isinstance(r.items[0], SequenceContact) and r.items[0].tags == ({"label": "Lead"},),
    ),
    Case(
        "iter_sequence_contacts",
        lambda c: _first(c.iter_sequence_contacts("seq-1", page_size=3)),
        [ex.SEQUENCE_CONTACT],
        "GET",
        "/v1/sequences/seq-1/contacts",
        {"page": "0", "size": "3"},
        None,
        lambda r: r[0].contact_id == "c-1",
    ),
    Case(
        "add_sequence_contacts",
        lambda c: c.add_sequence_contacts(
            "seq-1", ["c-1", SequenceContactAssignment(contact_id="c-2", assigned_to_workspace_membership_id="wm-1")]
        ),
        {"added": 2},
        "POST",
        "/v1/sequences/seq-1/contacts",
        {},
        {"contacts": [{"contactId": "c-1"}, {"contactId": "c-2", "assignedToWorkspaceMembershipId": "wm-1"}]},
        lambda r: isinstance(r, SequenceContactsResult) and r.extra == {"added": 2},
    ),
    Case(
        "remove_sequence_contacts",
        lambda c: c.remove_sequence_contacts("seq-1", ["c-1", "c-2"]),
        None,
        "DELETE",
        "/v1/sequences/seq-1/contacts",
        {},
        {"contactIds": ["c-1", "c-2"]},
        lambda r: r == SequenceContactsResult(),
    ),
    Case(
        "create_tag",
        lambda c: c.create_tag(label="Lead", is_success_tag=True),
        ex.TAG,
        "POST",
        "/v1/tags",
        {},
        {"label": "Lead", "isSuccessTag": True},
        lambda r: r.is_success_tag and r.label == "Lead",
    ),
    Case(
        "delete_tag", lambda c: c.delete_tag("tag-1"), None, "DELETE", "/v1/tags/tag-1", {}, None, lambda r: r is None
    ),
    Case(
        "get_tag_distribution",
        lambda c: c.get_tag_distribution(
            workspace_id="ws-1",
            call_type="outbound",
            granularity="day",
            start_date=date(2024, 1, 1),
            end_date="2024-01-31",
        ),
        ex.TAG_DISTRIBUTION,
        "GET",
        "/v1/stats/tag-repartition",
        {
            "workspaceId": "ws-1",
            "callType": "outbound",
            "granularity": "day",
            "startDate": "2024-01-01",
            "endDate": "2024-01-31",
        },
        None,
        lambda r: isinstance(r, TagDistribution) and r.data[0].count == 12,
    ),
    Case(
        "get_status_distribution",
        lambda c: c.get_status_distribution(sequence_id="seq-1", user_membership_id="om-1"),
        ex.STATUS_DISTRIBUTION,
        "GET",
        "/v1/stats/status-repartition",
        {"sequenceId": "seq-1", "userMembershipId": "om-1"},
        None,
        lambda r: isinstance(r, StatusDistribution) and r.non_called_count == 7 and r.data[0].status == "NOT_INITIATED",
    ),
    Case(
        "get_call_duration_stats",
        lambda c: c.get_call_duration_stats(granularity="none"),
        ex.CALL_DURATION,
        "GET",
        "/v1/stats/call-duration",
        {"granularity": "none"},
        None,
        lambda r: isinstance(r, CallDurationStats) and r.data[0].average_duration == 61.5,
    ),
    Case(
        "get_team_stats",
        lambda c: c.get_team_stats(
            period="custom", start_date="2026-01-01", end_date=datetime(2026, 1, 31, tzinfo=UTC)
        ),
        ex.TEAM_STATS,
        "GET",
        "/v1/teams/stats",
        {"period": "custom", "startDate": "2026-01-01", "endDate": "2026-01-31T00:00:00.000Z"},
        None,
        lambda r: isinstance(r, TeamStats) and r.aggregate.total_calls == 1250 and r.teams[0].team_name == "Sales",
    ),
    Case(
        "list_users",
        lambda c: c.list_users(workspace_ids=["ws-1"]),
        {"data": [ex.USER]},
        "GET",
        "/v1/users",
        {"workspaceIds": "ws-1", "page": "0", "size": "100"},
        None,
        lambda r: isinstance(r.items[0], OrganizationUser) and r.items[0].organization_membership_id == "om-1",
    ),
    Case(
        "iter_users",
        lambda c: _first(c.iter_users()),
        {"data": [ex.USER]},
        "GET",
        "/v1/users",
        {"page": "0", "size": "100"},
        None,
        lambda r: len(r) == 1,
    ),
    Case(
        "list_workspaces",
        lambda c: c.list_workspaces(),
        [ex.WORKSPACE],
        "GET",
        "/v1/workspaces",
        {},
        None,
        lambda r: r == [Workspace(id="ws-1", name="Sales")],
    ),
    Case(
        "list_workspace_members",
        lambda c: c.list_workspace_members("ws-1", page=1, size=2),
        {"data": [ex.MEMBER]},
        "GET",
        "/v1/workspaces/ws-1/members",
        {"page": "1", "size": "2"},
        None,
        lambda r: isinstance(r.items[0], WorkspaceMember) and r.items[0].status == "ACTIVE",
    ),
    Case(
        "iter_workspace_members",
        lambda c: _first(c.iter_workspace_members("ws-1")),
        {"data": [ex.MEMBER]},
        "GET",
        "/v1/workspaces/ws-1/members",
        {"page": "0", "size": "100"},
        None,
        lambda r: r[0].id == "wm-1",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_operation_sends_the_documented_request_and_decodes_the_reply(backend: Backend, case: Case) -> None:
    """The method, path, query, headers and JSON body match the API reference; the reply decodes to the model."""
    backend.respond(200, case.reply)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        result = await case.call(client)
    sent = backend.last
    assert (sent.method, sent.raw_path, sent.query, sent.body) == (case.method, case.path, case.query, case.body)
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["User-Agent"] == f"skipcall-async/{__version__}"
    if case.body is not None:
        assert sent.headers["Content-Type"] == "application/json"
    assert case.check(result)


def test_every_documented_operation_has_a_case() -> None:
    """The table covers each of the 21 operations of the API reference (iterators are extra)."""
    operations = {c.id for c in CASES if not c.id.startswith("iter_")}
    assert len(operations) == 21


EVERY_CONTACT_FIELD: dict[str, Any] = {
    "first_name": "John",
    "last_name": "Doe",
    "phone_numbers": ("+33612345678", "+33700000000"),
    "email": "john@acme.test",
    "company": "Acme Inc.",
    "city": "Paris",
    "country": "FR",
    "url": "https://acme.test",
    "linkedin_url": "https://linkedin.test/in/john",
    "linkedin_sales_url": "https://linkedin.test/sales/john",
    "role": "CTO",
    "allow_phone_calls": False,
    "custom_fields": {"industry": "Technology"},
}
EVERY_CONTACT_FIELD_SENT = {
    "firstName": "John",
    "lastName": "Doe",
    "phoneNumbers": ["+33612345678", "+33700000000"],
    "email": "john@acme.test",
    "company": "Acme Inc.",
    "city": "Paris",
    "country": "FR",
    "url": "https://acme.test",
    "linkedinUrl": "https://linkedin.test/in/john",
    "linkedinSalesUrl": "https://linkedin.test/sales/john",
    "role": "CTO",
    "allowPhoneCalls": False,
    "customFields": {"industry": "Technology"},
}


async def test_create_contact_sends_every_field_given_and_nothing_else(backend: Backend) -> None:
    """Each of the 13 arguments lands under its camelCase name; a tuple of numbers is sent as a JSON list."""
    backend.respond(200, ex.CONTACT)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        contact = await client.create_contact(**EVERY_CONTACT_FIELD)
    assert (backend.last.method, backend.last.raw_path) == ("POST", "/v1/contacts")
    assert backend.last.body == EVERY_CONTACT_FIELD_SENT
    assert contact.id == ex.CONTACT["id"]


async def test_create_contact_leaves_out_the_arguments_left_as_none(backend: Backend) -> None:
    """Only the required fields (and a False flag, which is not None) are sent."""
    backend.respond(200, ex.CONTACT)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        await client.create_contact(
            first_name="J", last_name="D", phone_numbers=["+1"], email=None, allow_phone_calls=False
        )
    assert backend.last.body == {"firstName": "J", "lastName": "D", "phoneNumbers": ["+1"], "allowPhoneCalls": False}


async def test_update_contact_sends_every_field_given_and_nothing_else(backend: Backend) -> None:
    """Each of the 13 fields lands under its camelCase name; the contact id stays in the path only."""
    backend.respond(200, ex.CONTACT)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        contact = await client.update_contact("c-1", **EVERY_CONTACT_FIELD)
    assert (backend.last.method, backend.last.raw_path) == ("PATCH", "/v1/contacts/c-1")
    assert backend.last.body == EVERY_CONTACT_FIELD_SENT
    assert contact.id == ex.CONTACT["id"]


async def test_update_contact_omits_not_given(backend: Backend) -> None:
    """NOT_GIVEN and omitted arguments are absent from the body; the fields given are sent as given."""
    backend.respond(200, ex.CONTACT)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        await client.update_contact("c-1", phone_numbers=["+1"], url=NOT_GIVEN, allow_phone_calls=True)
    assert (backend.last.method, backend.last.raw_path) == ("PATCH", "/v1/contacts/c-1")
    assert backend.last.body == {"phoneNumbers": ["+1"], "allowPhoneCalls": True}


@pytest.mark.parametrize("field", sorted(EVERY_CONTACT_FIELD))
async def test_update_contact_refuses_none_for_every_field(backend: Backend, field: str) -> None:
    """No contact field is nullable in the API reference: None is a TypeError naming it, and nothing is sent."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(TypeError, match=f"^{field}"):
            await client.update_contact("c-1", **{field: None})
    assert backend.sent == []


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.create_contact(first_name=None, last_name="D", phone_numbers=["+1"]), "first_name"),
        (lambda c: c.create_contact(first_name="J", last_name=None, phone_numbers=["+1"]), "last_name"),
        (lambda c: c.create_tag(label=None), "label"),
    ],
    ids=["first_name", "last_name", "label"],
)
async def test_none_for_a_required_text_is_refused_locally(backend: Backend, call: Any, name: str) -> None:
    """A required string given as None is a TypeError naming it, instead of a request without the field."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(TypeError, match=f"{name} is required"):
            await call(client)
    assert backend.sent == []


@pytest.mark.parametrize(
    ("custom", "error"),
    [
        ({"Size": 50}, "custom_fields\\['Size'\\] must be a str"),
        ({"When": datetime(2024, 1, 1)}, "custom_fields\\['When'\\] must be a str"),
        ({"Tags": ["a"]}, "custom_fields\\['Tags'\\] must be a str"),
        ({1: "x"}, "custom_fields keys must be str"),
        (["Size"], "custom_fields must be a mapping"),
    ],
)
async def test_custom_fields_must_map_text_to_text(backend: Backend, custom: Any, error: str) -> None:
    """The API documents a string-valued map: anything else is a TypeError naming the entry, not json's own error."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(TypeError, match=error):
            await client.create_contact(first_name="J", last_name="D", phone_numbers=["+1"], custom_fields=custom)
        with pytest.raises(TypeError, match=error):
            await client.update_contact("c-1", custom_fields=custom)
    assert backend.sent == []


async def test_custom_fields_of_text_are_sent_as_given(backend: Backend) -> None:
    """A mapping of str to str (any Mapping) is sent as a JSON object."""
    backend.respond(200, ex.CONTACT)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        await client.update_contact("c-1", custom_fields=MappingProxyType({"Size": "50-100"}))
    assert backend.last.body == {"customFields": {"Size": "50-100"}}


LONE_SURROGATE = "call-\udc80"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.get_call(LONE_SURROGATE), "call_id"),
        (lambda c: c.list_calls(workspace_ids=[LONE_SURROGATE]), "workspace_ids"),
        (lambda c: c.get_tag_distribution(workspace_id=LONE_SURROGATE), "workspace_id"),
        (lambda c: c.get_team_stats(period="custom", start_date=LONE_SURROGATE), "start_date"),
        (lambda c: c.create_tag(label=LONE_SURROGATE), "label"),
        (lambda c: c.update_contact("c-1", custom_fields={"k": LONE_SURROGATE}), "custom_fields\\['k'\\]"),
        (lambda c: c.remove_sequence_contacts("seq-1", [LONE_SURROGATE]), "contact_ids"),
    ],
    ids=["path", "list-query", "query", "date", "body", "custom-field", "body-list"],
)
async def test_a_lone_surrogate_is_a_value_error_naming_the_argument(backend: Backend, call: Any, name: str) -> None:
    """Text that cannot be sent as UTF-8 is a ValueError naming the argument, never a raw UnicodeEncodeError."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(ValueError, match=f"^{name} is not valid text: it holds a lone surrogate"):
            await call(client)
    assert backend.sent == []


async def _awaited(result: Any) -> Any:
    """The result of an operation, awaited if it is a coroutine (``iter_*`` return their iterator at once)."""
    return await result if hasattr(result, "__await__") else result


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_calls(workspace_ids=["ws-1,ws-2"]),
        lambda c: c.list_users(workspace_ids=["ws-1", "ws-2,ws-3"]),
        lambda c: c.iter_calls(workspace_ids=["a,b"]),
        lambda c: c.iter_users(workspace_ids=["a,b"]),
    ],
    ids=["list_calls", "list_users", "iter_calls", "iter_users"],
)
async def test_a_comma_inside_a_workspace_id_is_refused(backend: Backend, call: Any) -> None:
    """workspaceIds is sent comma-separated, so an id holding a comma would become two ids: a ValueError instead."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(ValueError, match="workspace_ids items must not contain a comma"):
            await _awaited(call(client))
    assert backend.sent == []


@pytest.mark.parametrize("flag", [1, 0, 1.0, "yes"])
async def test_allow_phone_calls_must_be_a_real_bool(backend: Backend, flag: Any) -> None:
    """1 or 0 is not silently sent as a number: TypeError names allow_phone_calls, and nothing is sent."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(TypeError, match="allow_phone_calls"):
            await client.create_contact(first_name="J", last_name="D", phone_numbers=["+1"], allow_phone_calls=flag)
        with pytest.raises(TypeError, match="allow_phone_calls"):
            await client.update_contact("c-1", allow_phone_calls=flag)
    assert backend.sent == []


RAW_CASES = [c for c in CASES if not c.id.startswith("iter_")]


@pytest.mark.parametrize("case", RAW_CASES, ids=[c.id for c in RAW_CASES])
async def test_every_operation_has_a_raw_response(backend: Backend, case: Case) -> None:
    """with_raw_response.<op> sends the same request, and hands back status, headers and the same result."""
    backend.respond(200, case.reply, X_Request_Id="r-7")
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        raw = await case.call(client.with_raw_response)
        plain = await case.call(client)
    sent = backend.sent[0]
    assert (sent.method, sent.raw_path, sent.query, sent.body) == (case.method, case.path, case.query, case.body)
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert isinstance(raw, RawResponse)
    assert (raw.status, raw.method, raw.attempts) == (200, case.method, 1)
    assert raw.url.startswith(backend.url + case.path)
    assert API_KEY not in raw.url + repr(raw)
    assert raw.headers["x-request-id"] == raw.headers["X-Request-Id"] == "r-7"
    assert raw.rate_limit.remaining == 999
    assert raw.elapsed >= 0
    assert raw.json() == case.reply
    parsed = raw.parse()
    assert case.check(parsed)
    assert parsed == plain
    assert raw.parse() is parsed  # decoded once


def test_the_raw_view_has_every_operation_and_nothing_else() -> None:
    """with_raw_response lists exactly the client's operations: each coroutine method but the iterators."""
    import inspect

    client = SkipcallClient(API_KEY, base_url="http://127.0.0.1:9")
    operations = {
        name
        for name, member in inspect.getmembers(SkipcallClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "aclose"
    }
    raw = {name for name in vars(client.with_raw_response) if not name.startswith("_")}
    assert len(operations) == 21
    assert raw == operations
