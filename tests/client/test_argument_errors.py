"""Arguments an operation refuses: an ``InvalidArgumentError`` naming the argument, raised before anything is sent.

It is a ``SkipcallError``, so ``except SkipcallError`` is enough, and still the ``ValueError`` (or, for a wrong type,
the ``TypeError``) the SDK raised before, so older handlers keep working.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final

import pytest

from skipcall_async import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    SequenceContactAssignment,
    SkipcallClient,
    SkipcallError,
)
from support.backends import API_KEY, Backend

Call = Callable[[SkipcallClient], Any]
# (argument named, a call that passes it a value of the right type the API cannot take)
BAD_VALUES: Final[list[tuple[str, Call]]] = [
    ("call_id", lambda c: c.get_call(" ")),
    ("contact_id", lambda c: c.get_contact("..")),
    ("page", lambda c: c.list_calls(page=-1)),
    ("size", lambda c: c.list_users(size=101)),
    ("page_size", lambda c: c.iter_calls(page_size=0)),
    ("workspace_ids", lambda c: c.list_calls(workspace_ids=[])),
    ("workspace_ids", lambda c: c.list_calls(workspace_ids=["a,b"])),
    ("first_name", lambda c: c.create_contact(first_name=" ", last_name="D", phone_numbers=["+1"])),
    ("company", lambda c: c.create_contact(first_name="A", last_name="D", phone_numbers=["+1"], company="x" * 201)),
    ("phone_numbers", lambda c: c.create_contact(first_name="A", last_name="D", phone_numbers=[""])),
    ("email", lambda c: c.update_contact("c-1", email="\ud800")),
    ("custom_fields", lambda c: c.update_contact("c-1", custom_fields={"k": "\udfff"})),
    (None, lambda c: c.update_contact("c-1")),
    ("name", lambda c: c.create_sequence(name="")),
    ("creator_id", lambda c: c.create_sequence(creator_id=" ")),
    ("contacts", lambda c: c.add_sequence_contacts("seq-1", [])),
    ("contact_ids", lambda c: c.remove_sequence_contacts("seq-1", ["c"] * 101)),
    ("tag", lambda c: c.list_sequence_contacts("seq-1", tag="")),
    ("granularity", lambda c: c.get_status_distribution(granularity="year")),  # type: ignore[arg-type]
    ("call_type", lambda c: c.get_tag_distribution(call_type="any")),  # type: ignore[arg-type]
    ("period", lambda c: c.get_team_stats(period=None)),  # type: ignore[arg-type]
    ("label", lambda c: c.create_tag(label=" ")),
    ("tag_id", lambda c: c.delete_tag("%2e")),
    ("workspace_id", lambda c: c.list_workspace_members(".")),
]
BAD_TYPES: Final[list[tuple[str, Call]]] = [
    ("call_id", lambda c: c.get_call_recording(7)),
    ("workspace_ids", lambda c: c.list_calls(workspace_ids="ws-1")),
    ("last_name", lambda c: c.create_contact(first_name="A", last_name=None, phone_numbers=["+1"])),
    ("phone_numbers", lambda c: c.create_contact(first_name="A", last_name="D", phone_numbers="+33612345678")),
    (
        "allow_phone_calls",
        lambda c: c.create_contact(first_name="A", last_name="D", phone_numbers=["+1"], allow_phone_calls=1),
    ),
    ("city", lambda c: c.update_contact("c-1", city=None)),
    ("custom_fields", lambda c: c.update_contact("c-1", custom_fields={"size": 50})),
    ("contacts", lambda c: c.add_sequence_contacts("seq-1", "c-1")),
    ("contacts", lambda c: c.add_sequence_contacts("seq-1", [{"contactId": "c-1"}])),
    ("contacts[].contact_id", lambda c: c.add_sequence_contacts("seq-1", [SequenceContactAssignment(contact_id=3)])),
    ("is_success_tag", lambda c: c.create_tag(label="Won", is_success_tag="yes")),
    ("start_date", lambda c: c.get_call_duration_stats(start_date=20260101)),
]


async def refused(backend: Backend, call: Call) -> InvalidArgumentError:
    """What ``call`` raises on a client of ``backend``; fails if it raises nothing."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(InvalidArgumentError) as error:
            await completed(call(client))
    return error.value


async def completed(result: Any) -> None:
    """Await ``result`` if it is a coroutine: an ``iter_*`` operation refuses at the call, returning none."""
    if inspect.isawaitable(result):
        await result


@pytest.mark.parametrize(("argument", "call"), BAD_VALUES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(BAD_VALUES)])
async def test_a_bad_value_is_an_invalid_argument_error_and_a_value_error(
    backend: Backend, argument: str | None, call: Call
) -> None:
    """Both a ``SkipcallError`` and a ``ValueError``, naming the argument; nothing reaches the server."""
    error = await refused(backend, call)
    assert isinstance(error, SkipcallError)
    assert isinstance(error, ValueError)
    assert not isinstance(error, InvalidArgumentTypeError)
    assert error.argument == argument
    if argument is not None:
        assert str(error).startswith(argument.split("[")[0])
    assert (error.method, error.path, error.attempts) == (None, None, 0)
    assert backend.sent == []


@pytest.mark.parametrize(("argument", "call"), BAD_TYPES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(BAD_TYPES)])
async def test_a_bad_type_is_an_invalid_argument_type_error_and_a_type_error(
    backend: Backend, argument: str, call: Call
) -> None:
    """Also an ``InvalidArgumentError`` and a ``TypeError``, so ``except TypeError`` keeps working."""
    error = await refused(backend, call)
    assert isinstance(error, InvalidArgumentTypeError)
    assert isinstance(error, TypeError)
    assert isinstance(error, SkipcallError)
    assert error.argument == argument
    assert backend.sent == []


def test_the_argument_error_survives_pickling() -> None:
    """Sent across processes (a worker pool), it keeps its message and the argument it names."""
    import pickle

    error = InvalidArgumentTypeError("call_id must be a str, not int", argument="call_id")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.argument) == (InvalidArgumentTypeError, str(error), "call_id")


@pytest.mark.parametrize(
    "text", ["", "2026-02-30", "\N{SLIGHTLY SMILING FACE}", "31/01/2026", "2026-01-31T25:00", "tomorrow"]
)
async def test_a_date_text_that_is_not_iso_8601_is_refused(backend: Backend, text: str) -> None:
    """Checked before sending, naming the argument, for each statistics operation."""
    for call in (
        lambda c: c.get_tag_distribution(start_date=text),
        lambda c: c.get_status_distribution(end_date=text),
        lambda c: c.get_call_duration_stats(start_date="2026-01-01", end_date=text),
        lambda c: c.get_team_stats(period="custom", start_date=text),
    ):
        error = await refused(backend, call)
        assert error.argument in ("start_date", "end_date")
        assert f"must be an ISO 8601 date or date-time (2026-01-31, 2026-01-31T09:00:00Z), got {text!r}" in str(error)
    assert backend.sent == []


SECONDS_WEST = timezone(-timedelta(minutes=30, seconds=15))


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (date(2026, 1, 31), "2026-01-31"),
        ("2026-01-31", "2026-01-31"),
        ("20260131", "2026-01-31"),
        (datetime(2026, 1, 31, 9, 0, tzinfo=UTC), "2026-01-31T09:00:00.000Z"),
        (datetime(2026, 1, 31, 9, 0), "2026-01-31T09:00:00.000Z"),  # naive: UTC
        (datetime(2026, 1, 31, 9, 0, tzinfo=timezone(timedelta(hours=2))), "2026-01-31T07:00:00.000Z"),
        (datetime(2026, 1, 31, 9, 0, tzinfo=SECONDS_WEST), "2026-01-31T09:30:15.000Z"),
        ("2026-01-31T09:00:00-00:30:15", "2026-01-31T09:30:15.000Z"),
        ("2026-01-31T09:00", "2026-01-31T09:00:00.000Z"),
        ("2026-01-31 11:00:00.5+02:00", "2026-01-31T09:00:00.500Z"),
    ],
)
async def test_a_date_is_sent_in_one_iso_8601_form(backend: Backend, given: date | str, sent: str) -> None:
    """A day as ``YYYY-MM-DD``; an instant in UTC with milliseconds, as the API writes timestamps."""
    backend.respond(200, {"data": []})
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        await client.get_call_duration_stats(start_date=given, end_date=given)
        await client.get_team_stats(period="custom", start_date=given)
    first, second = backend.sent
    assert (first.query, second.query) == (
        {"startDate": sent, "endDate": sent},
        {"period": "custom", "startDate": sent},
    )


async def test_a_date_out_of_range_in_utc_is_refused(backend: Backend) -> None:
    """The first instant of year 1 an hour east of UTC has no UTC form: refused, not an OverflowError."""
    early = datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))
    error = await refused(backend, lambda c: c.get_status_distribution(start_date=early))
    assert error.argument == "start_date"
    assert backend.sent == []
