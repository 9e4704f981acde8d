"""Hostile response bodies: every operation ends in the SDK's typed error, never a built-in exception.

The bodies are the issue's crafted ones: numbers JSON cannot hold or a float cannot (``1e400``, ``Infinity``, a
401-digit integer where a float is expected), and bodies nested deeper than the interpreter's recursion limit, as
successful answers and as error answers. Each test asserts the request that went out and the error that came back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from skipcall_async import (
    APIError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
    SkipcallError,
)
from support import examples as ex
from support.backends import API_KEY, Backend, MockedTransport
from support.operations import CALL_ID, CONTACT_ID, OPERATIONS

NO_RETRY = RetryPolicy(max_attempts=1)


def body_with(example: dict[str, Any], field: str, number_text: str) -> bytes:
    """``example`` as JSON with ``field``'s value replaced by ``number_text``, written as is (not JSON's own)."""
    marker = "__NUMBER__"
    return json.dumps({**example, field: marker}).replace(f'"{marker}"', number_text).encode()


HUGE_INTEGER = "9" * 401


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("1e400", "not valid JSON (ValueError: 1e400 is past the largest number a float holds)"),
        ("-1e400", "not valid JSON (ValueError: -1e400 is past the largest number a float holds)"),
        ("Infinity", "not valid JSON (ValueError: Infinity is not a JSON value)"),
        ("-Infinity", "not valid JSON (ValueError: -Infinity is not a JSON value)"),
        ("NaN", "not valid JSON (ValueError: NaN is not a JSON value)"),
    ],
)
async def test_an_integer_field_beyond_any_number_is_a_decode_error(backend: Backend, number: str, why: str) -> None:
    """get_contact with ``callCount`` of 1e400 or Infinity (OverflowError before): DecodeError saying why."""
    backend.respond(200, body=body_with(ex.CONTACT, "callCount", number))
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        with pytest.raises(DecodeError) as refused:
            await client.get_contact(CONTACT_ID)
    assert (backend.last.method, backend.last.raw_path) == ("GET", f"/v1/contacts/{CONTACT_ID}")
    assert refused.value.status == 200
    assert why in str(refused.value)
    assert API_KEY not in str(refused.value)


@pytest.mark.parametrize("number", ["1e400", "-1e400", "Infinity"])
async def test_a_count_beyond_any_number_in_a_stats_item_is_a_decode_error(backend: Backend, number: str) -> None:
    """get_tag_distribution with an item's ``count`` of 1e400: DecodeError, the request as asked."""
    item = ex.TAG_DISTRIBUTION["data"][0]
    backend.respond(200, body=b'{"data": [' + body_with(item, "count", number) + b"]}")
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        with pytest.raises(DecodeError) as refused:
            await client.get_tag_distribution(granularity="week")
    assert (backend.last.method, backend.last.raw_path) == ("GET", "/v1/stats/tag-repartition")
    assert backend.last.query == {"granularity": "week"}
    assert refused.value.status == 200


@pytest.mark.parametrize("number", [HUGE_INTEGER, "-" + HUGE_INTEGER])
async def test_a_float_field_given_a_401_digit_integer_is_a_decode_error(backend: Backend, number: str) -> None:
    """get_call_recording with such a ``duration`` (OverflowError before): DecodeError naming ``duration``."""
    backend.respond(200, body=body_with(ex.RECORDING, "duration", number))
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        with pytest.raises(DecodeError) as refused:
            await client.get_call_recording(CALL_ID)
    assert (backend.last.method, backend.last.raw_path) == ("GET", f"/v1/calls/{CALL_ID}/recording")
    assert refused.value.field == "duration"
    assert "a float can hold" in str(refused.value)


def deep_body(depth: int) -> bytes:
    """A JSON document ``depth`` levels deep, objects and arrays in turn (6 kB at 1,000 levels)."""
    return b'{"a":[' * (depth // 2) + b"1" + b"]}" * (depth // 2)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_a_successful_body_nested_too_deeply_is_a_decode_error(mocked: MockedTransport, name: str) -> None:
    """Every operation (RecursionError before): DecodeError with the status and the body's start."""
    mocked.respond(200, body=deep_body(100_000))
    async with SkipcallClient(API_KEY, base_url=mocked.url, retry=NO_RETRY) as client:
        with pytest.raises(DecodeError) as refused:
            await OPERATIONS[name](client)
    assert len(mocked.sent) == 1
    assert refused.value.status == 200
    assert "nested too deeply" in str(refused.value)
    assert refused.value.snippet.startswith('{"a":[{"a":[')


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_a_successful_body_a_thousand_levels_deep_is_refused_or_unread(
    mocked: MockedTransport, name: str
) -> None:
    """1,000 levels: too deep for Python 3.11's JSON decoder (DecodeError, nested too deeply); 3.12 and later read
    it, and the model refuses what is not what it promised (DecodeError), or the operation reads no body (None).
    Nothing else escapes."""
    mocked.respond(200, body=deep_body(1_000))
    async with SkipcallClient(API_KEY, base_url=mocked.url, retry=NO_RETRY) as client:
        outcome: Any
        try:
            outcome = await OPERATIONS[name](client)
        except DecodeError as refused:
            outcome = refused
    assert len(mocked.sent) == 1
    if isinstance(outcome, DecodeError):
        assert outcome.status == 200
        assert "nested too deeply" in str(outcome) or "does not match" in str(outcome), str(outcome)
    else:
        assert outcome is None, outcome


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize(("status", "error"), [(400, BadRequestError), (404, NotFoundError), (500, ServerError)])
@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_an_error_body_nested_too_deeply_keeps_the_status_error(
    mocked: MockedTransport, name: str, status: int, error: type[APIError], depth: int
) -> None:
    """Every operation's error answer with such a body: the status's own error, without a code read from the body."""
    mocked.respond(status, body=deep_body(depth))
    async with SkipcallClient(API_KEY, base_url=mocked.url, retry=NO_RETRY) as client:
        with pytest.raises(error) as failed:
            await OPERATIONS[name](client)
    assert len(mocked.sent) == 1
    assert (failed.value.status, failed.value.code) == (status, None)
    assert isinstance(failed.value, SkipcallError)


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"code": {"x": 1}, "message": ["a", {"b": 2}, 3]}}',
        b'{"code": ["API_KEY_INVALID"], "message": {"text": "no"}}',
        b'{"message": NaN, "error": Infinity}',
    ],
)
async def test_an_error_body_of_odd_types_gives_no_repr_text(mocked: MockedTransport, body: bytes) -> None:
    """Only text (or an integer) in an error body becomes the error's code or message, never Python's repr."""
    mocked.respond(400, body=body)
    async with SkipcallClient(API_KEY, base_url=mocked.url, retry=NO_RETRY) as client:
        with pytest.raises(BadRequestError) as failed:
            await client.get_call(CALL_ID)
    assert failed.value.code is None
    assert "{" not in (failed.value.message or "")
    assert "[" not in (failed.value.message or "")
