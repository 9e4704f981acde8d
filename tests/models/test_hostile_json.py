"""JSON that does not fit a model: ``from_dict`` raises ``DecodeError`` naming the field, never another value.

Each case is one of the crafted bodies that, before the one decoding policy, either escaped as a built-in exception
(``OverflowError``, ``RecursionError``) or was silently read as something the API never sent (a tuple of
characters, repr text, a truncated number, null read as False). The policy itself is in docs/models.md.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from skipcall_async import (
    Call,
    CallRecording,
    CallTranscription,
    Contact,
    DecodeError,
    Page,
    SkipcallError,
    Tag,
    TagDistribution,
    TeamStats,
    TranscriptionStatus,
)
from support import examples as ex


def nested(depth: int, leaf: Any = 1) -> Any:
    """``[[[...leaf...]]]``, ``depth`` arrays deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


HUGE_INTEGER = int("9" * 401)  # more digits than a float holds
# (model, example, field, wrong value): each value is of the wrong JSON type for its field, or is not a number a
# JSON number can be; the decoder must refuse it and name the field.
REFUSED: list[tuple[type[Any], dict[str, Any], str, Any]] = [
    (Contact, ex.CONTACT, "callCount", json.loads("1e400")),  # inf from Python's json: an int field
    (Contact, ex.CONTACT, "callCount", json.loads("-1e400")),
    (Contact, ex.CONTACT, "callCount", math.inf),
    (Contact, ex.CONTACT, "callCount", math.nan),
    (CallRecording, ex.RECORDING, "duration", HUGE_INTEGER),  # a float field given a 401-digit integer
    (CallRecording, ex.RECORDING, "duration", -HUGE_INTEGER),
    (CallRecording, ex.RECORDING, "duration", str(HUGE_INTEGER)),
    (CallRecording, ex.RECORDING, "duration", "nan"),
    (CallRecording, ex.RECORDING, "duration", "inf"),
    (CallRecording, ex.RECORDING, "duration", "Infinity"),
    (CallRecording, ex.RECORDING, "duration", math.inf),
    (Contact, ex.CONTACT, "phoneNumbers", "+33612345678"),  # was a tuple of its characters
    (Contact, ex.CONTACT, "phoneNumbers", {"0": "+33612345678"}),
    (Contact, ex.CONTACT, "lastModificationSource", {"x": 1}),  # open enum: was the object's repr
    (Contact, ex.CONTACT, "lastModificationSource", 3),
    (Contact, ex.CONTACT, "lastModificationSource", True),
    (CallRecording, ex.RECORDING, "transcriptionStatus", ["COMPLETED"]),
    (CallTranscription, ex.TRANSCRIPTION, "status", {"x": 1}),
    (Contact, ex.CONTACT, "callCount", 5.7),  # was 5
    (Contact, ex.CONTACT, "callCount", " 7 "),  # was 7
    (Contact, ex.CONTACT, "callCount", "1_000"),  # was 1000
    (Contact, ex.CONTACT, "callCount", "+5"),
    (Contact, ex.CONTACT, "callCount", "0x10"),
    (Contact, ex.CONTACT, "callCount", True),  # was 1
    (Contact, ex.CONTACT, "callCount", [5]),
    (CallRecording, ex.RECORDING, "hasTranscription", None),  # was False: the description says never null
    (Tag, ex.TAG, "isSuccessTag", None),
    (Tag, ex.TAG, "isSuccessTag", "false"),
    (Tag, ex.TAG, "isSuccessTag", 0),
    (Contact, ex.CONTACT, "firstName", {"k": False}),  # was "{'k': False}"
    (Contact, ex.CONTACT, "firstName", True),  # was "True"
    (Contact, ex.CONTACT, "city", 1e5),  # was "100000.0"
    (Contact, ex.CONTACT, "customFields", [["Industry", "Tech"]]),  # was read as pairs
    (Contact, ex.CONTACT, "createdAt", 1700000000),
]


@pytest.mark.parametrize(
    ("model", "example", "field", "value"),
    REFUSED,
    ids=[f"{m.__name__}.{f}={v!r:.30}" for m, _, f, v in REFUSED],
)
def test_a_wrong_value_is_a_decode_error_naming_the_field(
    model: type[Any], example: dict[str, Any], field: str, value: Any
) -> None:
    """Refused with the SDK's error, which names the field and is still the ValueError from_dict documented."""
    with pytest.raises(DecodeError) as refused:
        model.from_dict({**example, field: value})
    assert refused.value.field == field
    assert f"(at {field})" in str(refused.value)
    assert refused.value.status is None
    assert isinstance(refused.value, SkipcallError)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("model", "example", "field", "value", "expected"),
    [
        (Contact, ex.CONTACT, "callCount", 5.0, 5),  # a whole float is that integer
        (Contact, ex.CONTACT, "callCount", "12", 12),  # JSON's number syntax in a string: the same number
        (Contact, ex.CONTACT, "callCount", 10**30, 10**30),  # an integer is never rounded
        (Contact, ex.CONTACT, "city", 75001, "75001"),  # an integer where text is expected: its digits
        (CallRecording, ex.RECORDING, "duration", "245.5", 245.5),
        (CallRecording, ex.RECORDING, "duration", 10**300, 1e300),  # within a float's range
        (CallRecording, ex.RECORDING, "transcriptionStatus", "SOMETHING_NEW", "SOMETHING_NEW"),  # open enum
        (CallRecording, ex.RECORDING, "transcriptionStatus", "COMPLETED", TranscriptionStatus.COMPLETED),
    ],
)
def test_a_value_is_converted_only_when_nothing_is_lost(
    model: type[Any], example: dict[str, Any], field: str, value: Any, expected: Any
) -> None:
    """The conversions the policy allows give back the very value the API sent, in the field's type."""
    decoded = model.from_dict({**example, field: value})
    attribute = next(name for name in vars(type(decoded)) if name.replace("_", "") == field.lower())
    got = getattr(decoded, attribute)
    assert got == expected
    assert type(got) is type(expected)


def test_what_the_sdk_does_not_model_is_kept_as_it_came() -> None:
    """Tolerant by design: unknown fields, free-form custom fields and paging metadata that is not an integer."""
    odd = {"deep": nested(50), "n": 1e300, "flag": None}
    contact = Contact.from_dict({**ex.CONTACT, "customFields": {"Score": 4.5, "Tags": ["a"]}, "newField": odd})
    assert contact.custom_fields == {"Score": 4.5, "Tags": ["a"]}
    assert contact.extra["newField"] == odd
    page = Page.from_dict({"data": [], "total": "many", "page": 2.5, "size": "10"}, Tag)
    assert (page.total, page.page, page.size) == (None, None, 10)
    assert dict(page.extra) == {"total": "many", "page": 2.5}


@pytest.mark.parametrize("depth", [1_000, 20_000])
@pytest.mark.parametrize("field", ["lastModificationSource", "phoneNumbers", "customFields", "firstName"])
def test_a_value_nested_past_any_limit_is_a_decode_error(field: str, depth: int) -> None:
    """Nesting that would exhaust the interpreter's recursion (a RecursionError before) is refused as data."""
    with pytest.raises(DecodeError) as refused:
        Contact.from_dict({**ex.CONTACT, field: nested(depth)})
    assert (refused.value.field or "").startswith(field)


@pytest.mark.parametrize("depth", [1_000, 20_000])
def test_a_whole_document_nested_too_deeply_is_a_decode_error(depth: int) -> None:
    """The document itself, deeply nested where a model or a page is expected: the SDK's error, not Python's."""
    with pytest.raises(DecodeError):
        TeamStats.from_dict(nested(depth, {}))
    with pytest.raises(DecodeError):
        Page.from_dict({"data": nested(depth, {})}, Tag)
    with pytest.raises(DecodeError) as refused:
        TagDistribution.from_dict({"data": [nested(depth)]})
    assert refused.value.field == "data[0]"


def test_the_error_for_a_page_names_the_item() -> None:
    """A page's item that does not fit is named by its index and field."""
    with pytest.raises(DecodeError) as refused:
        Page.from_dict({"data": [ex.CALL, {**ex.CALL, "transferred": "no"}]}, Call)
    assert refused.value.field == "data[1].transferred"
    assert "(at data[1].transferred)" in str(refused.value)
    with pytest.raises(DecodeError) as bare:
        Page.from_dict([ex.TAG, {**ex.TAG, "isSuccessTag": None}], Tag)
    assert bare.value.field == "[1].isSuccessTag"


@pytest.mark.parametrize(
    ("data", "field", "why"),
    [
        ({**ex.CONTACT, "newField": math.nan}, "newField", "'newField' holds nan, which is not a JSON number"),
        ({**ex.CONTACT, "newField": {"a": [math.inf]}}, "newField", "'newField' holds inf, which is not a JSON number"),
        ({**ex.CONTACT, "newField": nested(101)}, "newField", "'newField' is nested more than 100 levels deep"),
        ({**ex.CONTACT, "customFields": {"k": nested(101)}}, "customFields", "'k' is nested more than 100 levels"),
        ({**ex.CONTACT, "customFields": {"k": -math.inf}}, "customFields", "'k' holds -inf"),
    ],
)
def test_json_kept_raw_must_be_json_a_model_can_write_back(data: dict[str, Any], field: str, why: str) -> None:
    """Kept as it came, but only JSON: no NaN or infinity, no nesting past 100 levels, which to_dict, repr and
    json.dumps of the model could not write (a RecursionError from to_dict before)."""
    with pytest.raises(DecodeError) as refused:
        Contact.from_dict(data)
    assert refused.value.field == field
    assert why in str(refused.value)


def test_json_kept_raw_up_to_the_limit_is_written_back_unchanged() -> None:
    """Exactly 100 levels is kept, and to_dict, repr and json.dumps handle it."""
    deepest = nested(100)
    contact = Contact.from_dict({**ex.CONTACT, "customFields": {"k": deepest}, "newField": nested(100)})
    written = contact.to_dict()
    assert written["customFields"]["k"] == deepest
    assert written["newField"] == nested(100)
    assert json.loads(json.dumps(written)) == written
    assert "custom_fields={'k': [[[" in repr(contact)
    assert repr(contact.extra).startswith("mappingproxy({'newField': [[[")
