"""Decoding: documented examples under the strict converter; leniency for what the API adds tomorrow.

Also the documented examples written back: ``to_dict`` and ``to_json`` give each example again, key for key, but
for the timestamps written without milliseconds, which come back in the API's own form.
"""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime
from typing import Any

import attrs
import cattrs
import pytest

from skipcall_async import (
    Call,
    CallDurationStats,
    CallRecording,
    CallTranscription,
    CallType,
    Contact,
    Health,
    LastModificationSource,
    Model,
    OrganizationUser,
    Sequence,
    SequenceContact,
    StatusDistribution,
    Tag,
    TagDistribution,
    TeamStats,
    Workspace,
    WorkspaceMember,
)
from skipcall_async._codec import converter, structure, to_camel
from skipcall_async._model_hook import model_hook
from support import examples as ex

DOCUMENTED = [
    (ex.CALL, Call),
    (ex.RECORDING, CallRecording),
    (ex.TRANSCRIPTION, CallTranscription),
    (ex.CONTACT, Contact),
    (ex.TAG, Tag),
    (ex.TAG_DISTRIBUTION, TagDistribution),
    (ex.STATUS_DISTRIBUTION, StatusDistribution),
    (ex.CALL_DURATION, CallDurationStats),
    (ex.TEAM_STATS, TeamStats),
    (ex.USER, OrganizationUser),
    (ex.WORKSPACE, Workspace),
    (ex.MEMBER, WorkspaceMember),
    (ex.SEQUENCE, Sequence),
    (ex.SEQUENCE_CONTACT, SequenceContact),
    (ex.HEALTH, Health),
]


@pytest.mark.parametrize(("data", "model"), DOCUMENTED, ids=[m.__name__ for _, m in DOCUMENTED])
def test_documented_examples_decode_under_the_strict_converter(data: dict[str, Any], model: type) -> None:
    """Every key of each documented example maps onto a model field (a misspelt field would fail here)."""
    obj = structure(data, model, strict=True)
    assert obj.extra == {}
    assert obj == structure(data, model)


def test_the_strict_converter_rejects_an_unknown_key() -> None:
    """The strict copy really is strict, nested models included."""
    with pytest.raises(cattrs.BaseValidationError):
        structure({**ex.CALL, "newField": 1}, Call, strict=True)
    with pytest.raises(cattrs.BaseValidationError):
        structure({**ex.CALL, "contact": {**ex.CALL["contact"], "nickname": "J"}}, Call, strict=True)


def test_unknown_fields_are_kept_in_extra_at_every_level() -> None:
    """A field the SDK does not know yet is reachable, not dropped, and never raises."""
    call = structure({**ex.CALL, "sentiment": "positive", "contact": {**ex.CALL["contact"], "score": 9}}, Call)
    assert call.extra == {"sentiment": "positive"}
    assert call.contact is not None
    assert call.contact.extra == {"score": 9}


def test_unknown_enum_values_stay_strings() -> None:
    """Tomorrow's callType or source arrives as the raw string; known values are enum members."""
    call = structure({**ex.CALL, "callType": "CONFERENCE"}, Call)
    assert call.call_type == "CONFERENCE"
    assert not isinstance(call.call_type, CallType)
    contact = structure({**ex.CONTACT, "lastModificationSource": "SALESFORCE"}, Contact)
    assert contact.last_modification_source == "SALESFORCE"
    assert structure(ex.CONTACT, Contact).last_modification_source is LastModificationSource.SKIPCALL


def test_timestamps_are_timezone_aware_and_nulls_are_none() -> None:
    """ISO strings (with Z, an offset, or none) become aware datetimes; null nested objects are None."""
    call = structure(
        {
            **ex.CALL,
            "endedAt": None,
            "startedAt": "2024-03-20T11:00:00+02:00",
            "updatedAt": "2024-03-20T09:16:00",
            "contact": None,
            "caller": None,
        },
        Call,
    )
    assert call.started_at == datetime(2024, 3, 20, 9, tzinfo=UTC)
    assert call.updated_at is not None
    assert call.updated_at.tzinfo is not None
    assert call.ended_at is None
    assert call.contact is None
    assert call.caller is None
    assert call.created_at == datetime(2024, 3, 20, 8, 55, tzinfo=UTC)


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("raw", ["false", "true", 0, 1])
def test_a_boolean_field_takes_only_a_boolean(raw: Any, strict: bool) -> None:
    """Required and optional booleans refuse strings and numbers, rather than reading "false" as True."""
    with pytest.raises((TypeError, cattrs.BaseValidationError)):
        structure({**ex.RECORDING, "hasTranscription": raw}, CallRecording, strict=strict)
    with pytest.raises((TypeError, cattrs.BaseValidationError)):
        structure({**ex.CALL, "transferred": raw}, Call, strict=strict)


def test_a_null_boolean_is_refused_when_required_and_none_when_optional() -> None:
    """Null is not False: an error where the API documents a boolean that is never null, None where optional."""
    with pytest.raises(TypeError, match="expected a boolean, got null"):
        structure({**ex.RECORDING, "hasTranscription": None}, CallRecording)
    assert structure({**ex.CALL, "transferred": None}, Call).transferred is None
    assert structure({**ex.TAG, "isSuccessTag": False}, Tag, strict=True).is_success_tag is False


def test_a_malformed_timestamp_fails_to_decode() -> None:
    """A timestamp that is not ISO-8601 is an error, not a silently wrong value."""
    with pytest.raises((ValueError, cattrs.BaseValidationError)):
        structure({**ex.CALL, "startedAt": "yesterday"}, Call)


def test_models_are_frozen_and_keyword_only() -> None:
    """Models cannot be mutated, and positional construction is refused."""
    tag = structure(ex.TAG, Tag)
    with pytest.raises(AttributeError):
        tag.label = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Tag("id", "label")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "camel"),
    [
        ("first_name", "firstName"),
        ("linkedin_sales_url", "linkedinSalesUrl"),
        ("id", "id"),
        ("assigned_to_workspace_membership_id", "assignedToWorkspaceMembershipId"),
    ],
)
def test_snake_case_maps_to_camel_case(name: str, camel: str) -> None:
    """One mapping rule for every field."""
    assert to_camel(name) == camel


def test_decoded_models_equal_models_built_by_their_constructor() -> None:
    """The generated hook fills every slot as ``__init__`` would: same values, same defaults, same extra."""
    call: Call = structure({**ex.CALL, "brandNewField": 1}, Call)
    fields = {f: getattr(call, f) for f in attrs.fields_dict(Call)}
    assert Call(**fields) == call
    assert call.extra == {"brandNewField": 1}
    assert structure({"id": "t1", "label": "Won"}, Tag) == Tag(id="t1", label="Won")


def test_the_model_hook_refuses_models_whose_constructor_does_more_than_assign() -> None:
    """Decoding skips ``__init__``, so a model with a validator must fail loudly rather than go unchecked."""

    @attrs.frozen(kw_only=True)
    class Checked(Model):
        count: int = attrs.field(validator=attrs.validators.ge(0))

    with pytest.raises(TypeError, match="validators"):
        model_hook(Checked, converter, to_camel)


def generated_lines(error: BaseException) -> list[str]:
    """The source lines a traceback shows for its frames in generated model hooks."""
    frames = traceback.extract_tb(error.__traceback__)
    return [frame.line or "" for frame in frames if frame.filename.startswith("<skipcall_async ")]


def test_a_traceback_through_a_generated_hook_shows_the_generated_line() -> None:
    """The hooks' source is registered with linecache, so a failure inside one is shown, not just located."""
    with pytest.raises(ValueError, match="does not match Tag") as decoding:
        Tag.from_dict({"label": "no id"})
    assert generated_lines(decoding.value.__cause__) == ["v = o['id']"]  # type: ignore[arg-type]
    with pytest.raises(AttributeError) as encoding:
        Tag(id="t", label="L", created_at="yesterday").to_dict()  # type: ignore[arg-type]
    [line] = generated_lines(encoding.value)
    assert line.startswith("'createdAt': None if (v := o.created_at) is None else")
    assert "v = o['id']" in "".join(traceback.format_exception(decoding.value))


@pytest.mark.parametrize(
    "raw", ["2024-01-15T10:30:00.000Z", "2024-01-15T10:30:00", "2024-01-15T12:30:00+02:00", "2024-01-15T10:30:00.5"]
)
def test_the_generated_hook_reads_timestamps_as_the_converter_does(raw: str) -> None:
    """The model hook inlines timestamp parsing for speed: it must agree with the converter's own hook."""
    from datetime import datetime

    from skipcall_async._field_types import timestamp

    decoded = structure({"id": "r1", "startTime": raw}, CallRecording)
    assert decoded.start_time == timestamp(raw) == converter.structure(raw, datetime)
    assert decoded.start_time is not None
    assert decoded.start_time.tzinfo is not None


# What the API's examples write differently from the API itself: the examples of these three operations (older,
# hand-written pages) give timestamps without milliseconds, where the API, a NestJS app, writes every date with
# JavaScript's Date.toISOString(), as the call and tag examples show. Those come back in that form; nothing else
# of any documented example changes.
NORMALISED = {
    CallRecording: {"startTime": "2024-01-15T10:00:00.000Z"},
    CallTranscription: {"startedAt": "2024-01-15T10:00:00.000Z", "endedAt": "2024-01-15T10:00:45.000Z"},
    Contact: {
        "createdAt": "2023-11-07T05:31:56.000Z",
        "updatedAt": "2023-11-07T05:31:56.000Z",
        "lastCallAt": "2023-11-07T05:31:56.000Z",
    },
}


@pytest.mark.parametrize(("data", "model"), DOCUMENTED, ids=[m.__name__ for _, m in DOCUMENTED])
def test_documented_examples_are_written_back_as_documented(data: dict[str, Any], model: type[Model]) -> None:
    """to_dict gives the example again, with its key order and number forms; only the listed timestamps change."""
    expected = {**data, **NORMALISED.get(model, {})}
    written = model.from_dict(data).to_dict()
    assert written == expected
    assert json.dumps(written) == json.dumps(expected)  # key order, 245 not 245.0, nested objects alike
    assert model.from_dict(data).to_json() == json.dumps(expected, separators=(",", ":"), ensure_ascii=False)


def test_exactly_the_listed_documented_timestamps_are_normalised() -> None:
    """The normalised keys are the examples' timestamps without milliseconds, and no example has any other."""
    for data, model in DOCUMENTED:
        changed = {k for k, v in model.from_dict(data).to_dict().items() if data[k] != v}
        assert changed == set(NORMALISED.get(model, {})), model.__name__
    assert ex.RECORDING["startTime"] == "2024-01-15T10:00:00Z"


@pytest.mark.parametrize(("data", "model"), DOCUMENTED, ids=[m.__name__ for _, m in DOCUMENTED])
def test_documented_examples_decode_again_from_what_they_are_written_as(
    data: dict[str, Any], model: type[Model]
) -> None:
    """from_dict(to_dict(m)) == m, for the fields and for extra (which == ignores)."""
    decoded = model.from_dict(data)
    again = model.from_dict(decoded.to_dict())
    assert again == decoded
    assert again.extra == decoded.extra == {}
    assert again == structure(data, model, strict=True)


@pytest.mark.parametrize("raw", [{"k": False}, ["a"], True, False], ids=["object", "array", "true", "false"])
@pytest.mark.parametrize(
    ("model", "data", "key"),
    [(Contact, ex.CONTACT, "email"), (Call, ex.CALL, "id"), (Tag, ex.TAG, "label")],
    ids=["optional", "required-id", "required-label"],
)
def test_an_object_array_or_boolean_where_text_is_expected_fails_to_decode(
    model: type[Model], data: dict[str, Any], key: str, raw: Any
) -> None:
    """Never Python's repr text ("{'k': False}", "True"): the value does not fit the field, which is an error."""
    with pytest.raises(ValueError, match="expected a string"):
        model.from_dict({**data, key: raw})


def test_the_client_reports_text_of_the_wrong_type_as_a_decode_error_naming_the_field() -> None:
    """Through the client's decoder: a DecodeError with the path of the field, nested ones included."""
    from skipcall_async import DecodeError
    from skipcall_async._decode import ApiResponse, model_decoder

    body = {**ex.CALL, "contact": {**ex.CALL["contact"], "firstName": {"k": False}}}
    with pytest.raises(DecodeError, match=r"at contact\.firstName\): expected a string, got an object"):
        model_decoder(Call, empty_ok=False)(ApiResponse(200, {}, body))
    stats = {"data": [{"count": 1, "date": "2024-01-01"}, {"count": 2, "date": ["x"]}]}
    with pytest.raises(DecodeError, match=r"at data\[1\]\.date\)"):
        model_decoder(CallDurationStats, empty_ok=False)(ApiResponse(200, {}, stats))


def test_a_number_where_text_is_expected_becomes_its_text() -> None:
    """The documented leniency stays: a postcode sent as 75001 reads "75001"."""
    assert Contact.from_dict({**ex.CONTACT, "city": 75001}).city == "75001"


@pytest.mark.parametrize("date", ["2023-10-01T00:00:00.000Z", "2023-10-01", "week 40", "", None])
def test_a_stats_bucket_date_is_kept_as_the_text_the_api_sent(date: str | None) -> None:
    """The reference types ``date`` as a plain string: any string decodes, as it was sent, and is written back."""
    for model, item in (
        (CallDurationStats, {"count": 3, "averageDuration": 10, "totalDuration": 30, "date": date}),
        (TagDistribution, {"tagId": "t", "label": "L", "count": 1, "isSuccess": True, "date": date}),
        (StatusDistribution, {"status": "DONE", "count": 1, "date": date}),
    ):
        data = {"data": [item]} if model is not StatusDistribution else {"data": [item], "nonCalledCount": 0}
        decoded = model.from_dict(data)
        assert decoded.data[0].date == date  # type: ignore[attr-defined]
        assert decoded.to_dict()["data"][0]["date"] == date
