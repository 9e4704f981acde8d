"""Error mapping and decoding: each status and body shape becomes the right typed error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from skipcall_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
    TooManyRequestsError,
)
from skipcall_async._decode import api_error, decode_json, error_fields
from support import examples as ex
from support.backends import API_KEY, Backend

ERROR_TABLE: list[tuple[int, Any, type[APIError], str | None, str]] = [
    (
        400,
        {
            "message": ["firstName should not be empty", "phoneNumbers must be an array"],
            "error": "Bad Request",
            "statusCode": 400,
        },
        BadRequestError,
        None,
        "firstName should not be empty; phoneNumbers must be an array",
    ),
    (401, ex.UNAUTHORIZED, AuthenticationError, "UNAUTHORIZED", "Invalid or revoked API key"),
    (401, ex.LEGACY_UNAUTHORIZED, AuthenticationError, "API_KEY_INVALID", "invalid, revoked or missing API key"),
    (403, ex.FORBIDDEN, PermissionDeniedError, "PLAN_NOT_ELIGIBLE", "API access requires INTERMÉDIAIRE or EXPERT plan"),
    (
        403,
        {"error": {"code": "SUBSCRIPTION_REQUIRED", "message": "no subscription", "status": 403}},
        PermissionDeniedError,
        "SUBSCRIPTION_REQUIRED",
        "no subscription",
    ),
    (404, None, NotFoundError, None, "not found, or outside the API key's workspaces"),
    (409, {"error": {"code": "CONFLICT", "message": "duplicate"}}, APIError, "CONFLICT", "duplicate"),
    (
        429,
        {"error": {"code": "RATE_LIMITED", "message": "slow down", "status": 429}},
        TooManyRequestsError,
        "RATE_LIMITED",
        "slow down",
    ),
    (500, None, ServerError, None, "server error"),
    (503, b"<html><body>Service Unavailable</body></html>", ServerError, None, "server error"),
]


@pytest.mark.parametrize(("status", "body", "cls", "code", "message"), ERROR_TABLE)
def test_error_status_and_body_map_to_a_typed_error(
    status: int, body: Any, cls: type[APIError], code: str | None, message: str
) -> None:
    """Status picks the class; code and message come from whichever documented body shape was sent."""
    raw = body if isinstance(body, bytes) else (b"" if body is None else __import__("json").dumps(body).encode())
    error = api_error(status, {"X-Request-Id": "r-1"}, raw, retry_after=3.0)
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, code, message)
    assert error.headers == {"X-Request-Id": "r-1"}
    if cls is TooManyRequestsError:
        assert isinstance(error, RateLimitError)
        assert error.retry_after == 3.0


@pytest.mark.parametrize(
    "body",
    [b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", b'{"id": "abc", "callType":', b"\xff\xfe\x00garbage"],
)
def test_a_2xx_body_that_is_not_json_is_a_decode_error_with_a_snippet(body: bytes) -> None:
    """HTML pages, truncated JSON and undecodable bytes raise DecodeError naming the status and the body start."""
    with pytest.raises(DecodeError) as info:
        decode_json(200, body)
    assert info.value.status == 200
    assert "HTTP 200" in str(info.value)
    assert info.value.snippet


def test_an_empty_2xx_body_is_none() -> None:
    """A 204-style empty body decodes to None instead of failing."""
    assert decode_json(204, b"") is None


def test_error_fields_ignores_non_object_bodies() -> None:
    """A JSON list or plain text yields neither code nor message."""
    assert error_fields(b"[1, 2]") == (None, None)
    assert error_fields(b"plain text") == (None, None)


async def test_an_error_response_raises_through_the_client(backend: Backend) -> None:
    """A 404 from the server surfaces as NotFoundError with the attempt count and the response headers."""
    backend.respond(404, None)
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_call("missing")
    assert info.value.attempts == 1
    assert info.value.headers["X-RateLimit-Limit"] == "1000"
    assert backend.last.raw_path == "/v1/calls/missing"


async def test_a_reply_of_the_wrong_shape_is_a_decode_error(backend: Backend) -> None:
    """JSON that is not the promised model (a list for a call, a call without an id) raises DecodeError."""
    backend.respond(200, [1, 2, 3])
    backend.respond(200, {"status": "completed"})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(DecodeError, match="Call"):
            await client.get_call("a")
        with pytest.raises(DecodeError, match="Call"):
            await client.get_call("b")
    assert [s.raw_path for s in backend.sent] == ["/v1/calls/a", "/v1/calls/b"]


async def test_an_html_502_page_is_a_server_error_not_a_crash(backend: Backend) -> None:
    """A proxy's HTML error page is a ServerError carrying a snippet of the page."""
    backend.respond(502, body=b"<html><h1>502 Bad Gateway</h1></html>", Content_Type="text/html")
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ServerError) as info:
            await client.get_call("x")
    assert info.value.status == 502
    assert "502 Bad Gateway" in info.value.snippet


def _tree(text: str) -> list[tuple[int, str]]:
    """(depth, class name) for each line of a drawn exception tree."""
    rows, base = [], 0
    for line in text.splitlines():
        match = re.match(r"^([\s│├└─]*?)([A-Z][A-Za-z]+)\s", line + " ")
        if match and match.group(2) == "SkipcallError" and not rows:
            base = len(match.group(1))
            rows.append((0, "SkipcallError"))
        elif match and rows and ("├" in line or "└" in line):
            rows.append(((len(match.group(1)) - base) // 4, match.group(2)))
    return rows


def test_the_exception_tree_is_drawn_alike_in_the_code_and_the_docs_and_is_true() -> None:
    """The tree in _errors.py's docstring equals the one in docs/errors.md, and every edge is a real subclass."""
    import skipcall_async
    from skipcall_async import _errors

    code = _tree(_errors.__doc__ or "")
    docs = _tree((Path(__file__).parents[2] / "docs" / "errors.md").read_text())
    assert code == docs
    assert len(code) >= 14
    parents: list[str] = []
    for depth, name in code:
        parents = [*parents[:depth], name]
        cls = getattr(skipcall_async, name)
        if depth:
            assert issubclass(cls, getattr(skipcall_async, parents[depth - 1])), (name, parents)
