"""Models to JSON and back: to_dict, to_json and from_dict over everything the fake server serves, and the forms.

The documented examples are written back in ``test_models.py``. Here: every object of the fake server's store,
every operation's answer as the server sent it, unknown fields at every level, and the exact forms written for
timestamps, numbers, enums, absent fields and pages.
"""

from __future__ import annotations

import copy
import json
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import attrs
import pytest

import skipcall_async
from skipcall_async import (
    Call,
    CallContact,
    CallDurationStats,
    CallRecording,
    CallTranscription,
    CallType,
    Contact,
    LastModificationSource,
    Model,
    OrganizationUser,
    Page,
    Sequence,
    SequenceContact,
    SequenceContactsResult,
    SkipcallClient,
    Tag,
    TeamStats,
    TranscriptionStatus,
    Workspace,
    WorkspaceMember,
)
from skipcall_async._codec import converter, strict_converter
from skipcall_async._field_types import json_number, timestamp, timestamp_json
from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule, Store
from support import examples as ex


def assert_identical(a: Any, b: Any) -> None:
    """Equal, of the same types, with equal ``extra`` at every level and datetimes at the same UTC offset."""
    assert type(a) is type(b)
    assert a == b
    if isinstance(a, Model):
        assert dict(a.extra) == dict(b.extra)
        for field in attrs.fields(type(a)):
            assert_identical(getattr(a, field.name), getattr(b, field.name))
    elif isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            assert_identical(x, y)
    elif isinstance(a, datetime):
        assert a.utcoffset() == b.utcoffset()


def as_sent(written: Any, sent: Any) -> Any:
    """``written`` without the nulls it holds for keys ``sent`` left out: the one documented addition of ``to_dict``.

    The fake server leaves out the fields its answer has no value for and the API reference does not let be null
    (a direct call's ``sequenceId``, a stats item's ``date`` without a granularity); ``to_dict`` writes every field.
    """
    if isinstance(written, dict) and isinstance(sent, dict):
        return {k: as_sent(v, sent.get(k)) for k, v in written.items() if k in sent or v is not None}
    if isinstance(written, list) and isinstance(sent, list) and len(written) == len(sent):
        return [as_sent(w, x) for w, x in zip(written, sent, strict=True)]
    return written


def assert_round_trips(data: Any, model: type[Model]) -> Model:
    """to_dict(from_dict(d)) == d, with d's key order; from_dict(to_dict(m)) is m again, extra included."""
    decoded = model.from_dict(data)
    written = as_sent(decoded.to_dict(), data)
    assert written == data
    assert list(written) == list(data)
    assert_identical(model.from_dict(decoded.to_dict()), decoded)
    assert as_sent(json.loads(decoded.to_json()), data) == data
    return decoded


# -- the fake server's data -------------------------------------------------------------------------------------

STORE = Store()
STORED: list[tuple[str, type[Model], list[dict[str, Any]]]] = [
    ("calls", Call, list(STORE.calls.values())),
    ("contacts", Contact, list(STORE.contacts.values())),
    ("recordings", CallRecording, list(STORE.recordings.values())),
    ("transcriptions", CallTranscription, list(STORE.transcriptions.values())),
    ("tags", Tag, list(STORE.tags.values())),
    ("users", OrganizationUser, STORE.users),
    ("members", WorkspaceMember, [m for members in STORE.members.values() for m in members]),
    ("workspaces", Workspace, STORE.workspaces),
    ("sequences", Sequence, list(STORE.sequences.values())),
    ("sequence contacts", SequenceContact, [r for rows in STORE.sequence_contacts.values() for r in rows.values()]),
]


@pytest.mark.parametrize(("kind", "model", "items"), STORED, ids=[kind for kind, _, _ in STORED])
def test_every_stored_object_round_trips(kind: str, model: type[Model], items: list[dict[str, Any]]) -> None:
    """Each object the fake server can serve is written back as stored, and decodes again to the same model."""
    assert len(items) >= 3
    for item in items:
        assert_round_trips(item, model)


def test_the_stored_objects_cover_nulls_unknown_fields_and_every_enum_value() -> None:
    """The store exercises what a round trip can get wrong: nulls, extra fields, each known enum value."""
    calls = [Call.from_dict(c) for c in STORE.calls.values()]
    assert {c.call_type for c in calls} == set(CallType)
    assert any(c.contact is None for c in calls)
    assert any(c.ended_at is None for c in calls)
    assert {t.status for t in map(CallTranscription.from_dict, STORE.transcriptions.values())} >= {
        TranscriptionStatus.COMPLETED,
        TranscriptionStatus.PENDING,
    }
    assert {Contact.from_dict(c).last_modification_source for c in STORE.contacts.values()} == set(
        LastModificationSource
    )
    assert Sequence.from_dict(STORE.sequences["seq-1"]).extra == {
        "workspaceId": "ws-1",
        "assignedToIds": ["om-1"],
        "creatorId": "om-1",
    }


# -- every operation's answer, as the server sent it ------------------------------------------------------------


async def sent_again(server: FakeSkipcall, session: aiohttp.ClientSession) -> Any:
    """The body the server answers to its last request, asked again (a GET: it changes nothing)."""
    last = server.requests[-1]
    assert last.method == "GET"
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with session.get(server.url + last.path, params=dict(last.query), headers=headers) as response:
        assert response.status == 200
        return await response.json()


async def test_every_answer_of_the_fake_server_is_written_back_as_it_was_sent() -> None:
    """Each operation's model (pages included) gives the JSON the server sent for it, and decodes from it again."""
    async with (
        FakeSkipcall(rate_limit=RateLimitRule(plan=PLANS["expert"])) as server,
        SkipcallClient(server.api_key, base_url=server.url) as client,
        aiohttp.ClientSession() as session,
    ):
        store = server.store
        call_id = next(c for c in store.transcriptions if store.visible(store.call_workspace[c]))
        answers: list[tuple[Model, Any]] = []
        for fetch in (
            lambda: client.health(),
            lambda: client.get_call(call_id),
            lambda: client.get_call_recording(call_id),
            lambda: client.get_call_transcription(call_id),
            lambda: client.get_contact(ex.CONTACT["id"]),
            lambda: client.get_tag_distribution(),
            lambda: client.get_status_distribution(),
            lambda: client.get_call_duration_stats(),
            lambda: client.get_team_stats(period="week"),
        ):
            answers.append((await fetch(), await sent_again(server, session)))
        pages: list[tuple[Page[Any], Any, type[Model]]] = []
        for fetch_page, item_model in (
            (lambda: client.list_calls(size=20), Call),
            (lambda: client.list_users(), OrganizationUser),
            (lambda: client.list_workspace_members("ws-1"), WorkspaceMember),
            (lambda: client.list_sequence_contacts("seq-1", size=25), SequenceContact),
        ):
            pages.append((await fetch_page(), await sent_again(server, session), item_model))
        workspaces = await client.list_workspaces()
        workspaces_sent = await sent_again(server, session)
        contact = await client.create_contact(first_name="Zoë", last_name="Ørsted", phone_numbers=["+1"])
        answers.append((contact, copy.deepcopy(store.contacts[contact.id])))
        updated = await client.update_contact(contact.id, city="Genève", custom_fields={"Size": "10"})
        sequence = await client.create_sequence(name="S", assigned_to_ids=["om-1"])
        added = await client.add_sequence_contacts(sequence.id, [contact.id])
        removed = await client.remove_sequence_contacts(sequence.id, [contact.id])
        tag = await client.create_tag(label="Won", is_success_tag=True)
    answers += [
        (updated, store.contacts[contact.id]),
        (sequence, store.sequences[sequence.id]),
        (added, {"added": 1}),
        (removed, {"removed": 1}),
        (tag, store.tags[tag.id]),
    ]
    for model, sent in answers:
        assert as_sent(model.to_dict(), sent) == sent, type(model).__name__
        assert_identical(type(model).from_dict(model.to_dict()), model)
    for page, sent, item_model in pages:
        assert len(page) >= 5
        assert page.total is not None
        assert as_sent(page.to_dict(), sent) == sent
        assert list(page.to_dict()) == list(sent) == ["data", "total", "page", "size", "totalPages"]
        assert [as_sent(item.to_dict(), x) for item, x in zip(page, sent["data"], strict=True)] == sent["data"]
        assert_identical(Page.from_dict(page.to_dict(), item_model), page)
    assert [w.to_dict() for w in workspaces] == workspaces_sent
    assert {type(m) for m, _ in answers} | {item_model for *_, item_model in pages} >= {
        Call,
        CallRecording,
        CallTranscription,
        Contact,
        Tag,
        TeamStats,
        CallDurationStats,
        SequenceContactsResult,
    }


# -- unknown fields ---------------------------------------------------------------------------------------------


def test_unknown_fields_at_every_level_are_written_back_where_they_were() -> None:
    """New fields of a call, its contact, its numbers and its caller come back in place, after the known ones."""
    data = {
        **ex.CALL,
        "sentiment": {"score": 0.8, "labels": ["warm", None]},
        "contact": {**ex.CALL["contact"], "score": 9},
        "phoneNumber": {"value": "+33612345678", "country": "FR"},
        "caller": {**ex.CALL["caller"], "avatar": None},
        "callerPhoneNumber": {"value": "+33612345678", "label": {"text": "main"}},
    }
    call = assert_round_trips(data, Call)
    assert call.extra == {"sentiment": {"score": 0.8, "labels": ["warm", None]}}
    assert call.contact is not None
    assert call.contact.extra == {"score": 9}
    assert call.phone_number is not None
    assert call.phone_number.extra == {"country": "FR"}
    assert call.caller is not None
    assert call.caller.extra == {"avatar": None}
    assert list(call.to_dict())[-2:] == ["callerPhoneNumber", "sentiment"]


def test_unknown_fields_in_arrays_of_models_and_in_nested_totals_are_written_back() -> None:
    """Utterances, team entries and the aggregate keep their own new fields."""
    transcription = {
        **ex.TRANSCRIPTION,
        "startedAt": "2024-01-15T10:00:00.000Z",
        "endedAt": None,
        "transcript": [{**ex.TRANSCRIPTION["transcript"][0], "emotion": "calm"}, {"text": "Hi", "speaker": 1}],
        "language": "fr",
    }
    decoded = CallTranscription.from_dict(transcription)
    assert decoded.transcript is not None
    assert decoded.transcript[0].extra == {"emotion": "calm"}
    written = decoded.to_dict()
    assert written["transcript"][1] == {"speaker": 1, "text": "Hi", "start": None, "end": None, "confidence": None}
    assert written == {**transcription, "transcript": [transcription["transcript"][0], written["transcript"][1]]}
    assert_identical(CallTranscription.from_dict(written), decoded)
    team_stats = {
        "aggregate": {**ex.TEAM_STATS["aggregate"], "totalMeetings": 3},
        "teams": [{**ex.TEAM_STATS["teams"][0], "region": "EU"}],
        "period": {"from": "2024-01-01"},
    }
    assert_round_trips(team_stats, TeamStats)


def test_a_model_with_only_unknown_fields_is_written_back_whole() -> None:
    """SequenceContactsResult models no field: its whole body lives in extra and comes back."""
    assert_round_trips({"added": 3, "skipped": [{"contactId": "c-9", "reason": "duplicate"}]}, SequenceContactsResult)


def test_the_written_dict_shares_nothing_with_the_model() -> None:
    """Changing what to_dict returned, however deep, leaves the model (and its next to_dict) as it was."""
    contact = Contact.from_dict({**ex.CONTACT, "tags": [{"label": "vip"}]})
    written = contact.to_dict()
    written["customFields"]["Industry"] = "Retail"
    written["tags"][0]["label"] = "changed"
    written["phoneNumbers"].append("+1")
    assert contact.custom_fields == {"Industry": "Technology", "Size": "50-100"}
    assert contact.extra == {"tags": [{"label": "vip"}]}
    again = contact.to_dict()
    assert again["customFields"] == {"Industry": "Technology", "Size": "50-100"}
    assert again["tags"] == [{"label": "vip"}]
    assert again["phoneNumbers"] == ["+33612345678"]


def test_a_key_of_extra_that_names_a_field_does_not_override_the_field() -> None:
    """A model built by hand with a clashing extra key writes the field's value, and the key once."""
    tag = Tag(id="t1", label="Won", extra={"label": "Lost", "colour": "green"})
    assert tag.to_dict() == {
        "id": "t1",
        "label": "Won",
        "isSuccessTag": False,
        "createdAt": None,
        "updatedAt": None,
        "colour": "green",
    }


def test_values_put_in_extra_by_hand_are_written_as_json() -> None:
    """A datetime, an enum member, a model or a tuple in a hand-built extra becomes its JSON form."""
    moment = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    workspace = Workspace(id="ws-1", extra={"at": moment, "kind": CallType.DIRECT_CALL, "tag": Tag(id="t", label="L")})
    assert workspace.to_dict() == {
        "id": "ws-1",
        "name": None,
        "at": "2024-01-15T10:30:00.000Z",
        "kind": "DIRECT_CALL",
        "tag": {"id": "t", "label": "L", "isSuccessTag": False, "createdAt": None, "updatedAt": None},
    }
    assert Workspace(id="w", extra={"ids": ("a", "b")}).to_dict()["ids"] == ["a", "b"]


# -- the forms written ------------------------------------------------------------------------------------------

TIMESTAMPS = [
    # (as received, as written back)
    ("2024-01-15T10:30:00.000Z", "2024-01-15T10:30:00.000Z"),
    ("2024-01-15T10:30:00.123Z", "2024-01-15T10:30:00.123Z"),
    ("2024-01-15T10:30:00Z", "2024-01-15T10:30:00.000Z"),
    ("2024-01-15T10:30:00.5Z", "2024-01-15T10:30:00.500Z"),
    ("2024-01-15T10:30:00+00:00", "2024-01-15T10:30:00.000Z"),
    ("2024-01-15T10:30:00", "2024-01-15T10:30:00.000Z"),
    ("2024-01-15T12:30:00.000+02:00", "2024-01-15T12:30:00.000+02:00"),
    ("2024-01-15T05:00:00-05:30", "2024-01-15T05:00:00.000-05:30"),
    ("2024-01-15T10:30:00.123456Z", "2024-01-15T10:30:00.123456Z"),
    ("0999-12-31T23:59:59.999Z", "0999-12-31T23:59:59.999Z"),
]


@pytest.mark.parametrize(("received", "written"), TIMESTAMPS, ids=[r for r, _ in TIMESTAMPS])
def test_timestamps_are_written_in_the_apis_form_keeping_offset_and_precision(received: str, written: str) -> None:
    """Milliseconds and Z for UTC (or no offset); another offset is kept; a finer part than milliseconds too."""
    recording = CallRecording.from_dict({"id": "r1", "startTime": received})
    assert recording.to_dict()["startTime"] == written
    assert timestamp_json(timestamp(received)) == written
    again = CallRecording.from_dict(recording.to_dict())
    assert again.start_time == recording.start_time
    assert again.start_time is not None
    assert recording.start_time is not None
    assert again.start_time.utcoffset() == recording.start_time.utcoffset()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 30, 5, 7000, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 30, 5, 7001, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 30),
        datetime(2024, 1, 15, 10, 30, tzinfo=timezone(timedelta(0))),
        datetime(2024, 1, 15, 10, 30, tzinfo=timezone(timedelta(hours=-3))),
    ],
    ids=repr,
)
def test_the_generated_writer_writes_timestamps_as_the_converter_does(moment: datetime) -> None:
    """The model hook inlines the common case of timestamp_json: both must write the same text."""
    written = Tag(id="t", label="L", created_at=moment).to_dict()["createdAt"]
    assert written == timestamp_json(moment) == converter.unstructure(moment)
    assert written.endswith("Z") == (moment.utcoffset() in (None, timedelta(0)))


def test_numbers_are_written_as_javascript_writes_them() -> None:
    """A whole float is written as an integer, others as they are; numbers sent as strings come back as numbers."""
    recording = CallRecording.from_dict({**ex.RECORDING, "duration": 245})
    assert recording.duration == 245.0
    assert type(recording.duration) is float
    assert type(recording.to_dict()["duration"]) is int
    assert recording.to_json().startswith('{"id":"123e4567-e89b-12d3-a456-426614174000","duration":245,')
    assert CallRecording.from_dict({**ex.RECORDING, "duration": 245.5}).to_dict()["duration"] == 245.5
    assert CallRecording.from_dict({**ex.RECORDING, "duration": "245"}).to_dict()["duration"] == 245
    assert Contact.from_dict({**ex.CONTACT, "callCount": "5"}).to_dict()["callCount"] == 5
    assert Contact.from_dict({**ex.CONTACT, "city": 75001}).to_dict()["city"] == "75001"
    assert Contact.from_dict({**ex.CONTACT, "callCount": 5.0}).to_dict()["callCount"] == 5  # 5.7 is an error
    assert json_number(1e21) == 1e21
    assert type(json_number(1e21)) is float
    assert json_number(-0.0) == 0
    assert type(json_number(-0.0)) is int
    assert json_number(3) == 3
    assert type(json_number(3)) is int


def test_enums_are_written_as_plain_strings_and_unknown_values_as_they_came() -> None:
    """Known values are members in the model and plain str in the JSON; tomorrow's value round-trips as a string."""
    written = Call.from_dict(ex.CALL).to_dict()
    assert type(written["callType"]) is str
    assert written["callType"] == "CALL_SESSION"
    call = assert_round_trips({**ex.CALL, "callType": "CONFERENCE"}, Call)
    assert call.call_type == "CONFERENCE"
    assert_round_trips(
        {**ex.RECORDING, "startTime": "2024-01-15T10:00:00.000Z", "transcriptionStatus": None}, CallRecording
    )
    hook = converter.get_unstructure_hook(TranscriptionStatus | str | None)
    assert [hook(v) for v in (TranscriptionStatus.FAILED, "ARCHIVED", None)] == ["FAILED", "ARCHIVED", None]
    assert type(hook(TranscriptionStatus.FAILED)) is str


def test_absent_fields_are_written_with_their_defaults() -> None:
    """The JSON holds every field: one the API left out is written as the model's default (null, false, [])."""
    assert Tag.from_dict({"id": "t1", "label": "Won"}).to_dict() == {
        "id": "t1",
        "label": "Won",
        "isSuccessTag": False,
        "createdAt": None,
        "updatedAt": None,
    }
    assert CallRecording.from_dict({"id": "r1"}).to_dict()["hasTranscription"] is False  # null is an error
    contact = Contact.from_dict({"id": "c1"}).to_dict()
    assert contact["phoneNumbers"] == []
    assert contact["customFields"] == {}
    assert contact["email"] is None
    assert list(contact) == list(ex.CONTACT)


def test_to_json_is_compact_and_keeps_non_ascii_characters() -> None:
    """No spaces, non-ASCII as itself (as JSON.stringify writes it), and json.loads gives to_dict back."""
    contact = Contact.from_dict({**ex.CONTACT, "firstName": "Chloé", "city": "Zürich"})
    text = contact.to_json()
    assert text == json.dumps(contact.to_dict(), separators=(",", ":"), ensure_ascii=False)
    assert '"firstName":"Chloé"' in text
    assert '"city":"Zürich"' in text
    assert '": ' not in text
    assert '", "' not in text
    assert json.loads(text) == contact.to_dict()


def test_every_model_writes_the_same_through_the_converter_and_both_converters() -> None:
    """to_dict is the converter's unstructure hook: the same JSON from converter.unstructure and the strict copy."""
    call = Call.from_dict({**ex.CALL, "new": 1})
    assert converter.unstructure(call) == strict_converter.unstructure(call) == call.to_dict()
    assert converter.unstructure([call]) == [call.to_dict()]


# -- pages ------------------------------------------------------------------------------------------------------


def test_a_page_is_written_as_its_envelope_and_decodes_from_it() -> None:
    """Items under "data", the metadata it holds, then unknown envelope keys; from_dict needs the items' model."""
    envelope = {"data": [ex.TAG, {**ex.TAG, "id": "t-2", "colour": "red"}], "total": 2, "page": 0, "cursor": "x"}
    page = Page.from_dict(envelope, Tag)
    assert page.extra == {"cursor": "x"}
    assert page.items[1].extra == {"colour": "red"}
    assert page.to_dict() == envelope
    assert list(page.to_dict()) == ["data", "total", "page", "cursor"]
    assert_identical(Page.from_dict(page.to_dict(), Tag), page)
    assert Page.from_dict([ex.WORKSPACE], Workspace).to_dict() == {"data": [ex.WORKSPACE]}
    assert Page.from_dict({"data": [], "total": None, "page": "0"}, Tag).to_dict() == {"data": [], "page": 0}
    assert Page.from_dict({"data": [], "total": "many"}, Tag).to_dict() == {"data": [], "total": "many"}  # kept
    with pytest.raises(TypeError, match=r"Page\.from_dict"):
        Page.from_dict(envelope)
    with pytest.raises(ValueError, match="page of Tag"):
        Page.from_dict({"items": []}, Tag)


# -- from_dict --------------------------------------------------------------------------------------------------


def test_from_dict_decodes_as_the_client_does() -> None:
    """Unknown fields into extra, unknown enum values as strings, nested models built, timestamps aware."""
    call = Call.from_dict({**ex.CALL, "callType": "CONFERENCE", "x": 1, "contact": {**ex.CALL["contact"], "y": 2}})
    assert call.call_type == "CONFERENCE"
    assert call.extra == {"x": 1}
    assert isinstance(call.contact, CallContact)
    assert call.contact.extra == {"y": 2}
    assert call.started_at == datetime(2024, 3, 20, 9, tzinfo=UTC)
    assert Call.from_dict(ex.CALL) == converter.structure(ex.CALL, Call)


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        ({"label": "no id"}, KeyError),
        ([ex.TAG], TypeError),
        ({**ex.TAG, "createdAt": "yesterday"}, ValueError),
        ({**ex.TAG, "isSuccessTag": "false"}, TypeError),
    ],
    ids=["missing-key", "not-an-object", "bad-timestamp", "string-boolean"],
)
def test_from_dict_raises_value_error_for_data_that_does_not_fit(data: Any, cause: type[Exception]) -> None:
    """One exception type for every mismatch, naming the model, with the cause chained."""
    with pytest.raises(ValueError, match="does not match Tag") as info:
        Tag.from_dict(data)
    assert type(info.value.__cause__) is cause


def test_from_dict_is_typed_to_return_the_class_it_is_called_on() -> None:
    """Annotated with typing.Self, so a type checker sees Call.from_dict(d) as a Call."""
    assert typing.get_type_hints(Model.from_dict)["return"] is typing.Self
    assert typing.get_type_hints(Call.from_dict)["return"] is typing.Self
    assert type(Call.from_dict(ex.CALL)) is Call


def test_every_exported_model_is_round_tripped_here() -> None:
    """Each model class the package exports is decoded and written back by a test of this module or test_models."""
    exported = {
        obj
        for name in skipcall_async.__all__
        if isinstance(obj := getattr(skipcall_async, name), type) and issubclass(obj, Model) and obj is not Model
    }
    covered: set[type] = set()

    def walk(model: Any) -> None:
        if isinstance(model, Model):
            covered.add(type(model))
            for field in attrs.fields(type(model)):
                walk(getattr(model, field.name))
        elif isinstance(model, tuple):
            for item in model:
                walk(item)

    for _, model, items in STORED:
        walk(model.from_dict(items[0]))
    for data, model in [
        (ex.CALL, Call),
        (ex.TRANSCRIPTION, CallTranscription),
        (ex.TAG_DISTRIBUTION, skipcall_async.TagDistribution),
        (ex.STATUS_DISTRIBUTION, skipcall_async.StatusDistribution),
        (ex.CALL_DURATION, CallDurationStats),
        (ex.TEAM_STATS, TeamStats),
        (ex.HEALTH, skipcall_async.Health),
        ({"added": 1}, SequenceContactsResult),
    ]:
        walk(model.from_dict(data))
    walk(Page.from_dict([ex.WORKSPACE], Workspace))
    assert exported - covered == set()
