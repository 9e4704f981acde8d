"""Every error a call raises names its request (method, path, resource id) in its message and its attributes.

One failure among hundreds of concurrent calls must be traceable to the call that made it, without the key or
the query string (filters) in the text.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from skipcall_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    DecodeError,
    NotFoundError,
    RateLimitPolicy,
    RateLimitWaitError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
    SkipcallError,
    TooManyRequestsError,
)
from skipcall_async.testing import FakeSkipcall, Faults, Plan, RateLimitRule
from support.backends import API_KEY, Backend
from support.redis_servers import free_port

NO_RETRY = RetryPolicy(max_attempts=1)


def in_scope(server: FakeSkipcall, count: int) -> list[str]:
    return [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:count]


def assert_names(error: SkipcallError, method: str, path: str, resource_id: str | None) -> None:
    """The error's attributes and message name the request, and nothing secret."""
    assert (error.method, error.path, error.resource_id) == (method, path, resource_id)
    assert f"{method} {path}" in str(error)
    assert API_KEY not in str(error) + repr(error)


async def test_one_failure_in_a_gather_of_200_names_its_call() -> None:
    """200 concurrent get_call, one id unknown: its NotFoundError says which call, in the message and attributes."""
    async with FakeSkipcall(api_keys=(API_KEY,), rate_limit=RateLimitRule(plan=Plan(limit=1000))) as server:
        ids = in_scope(server, 199)
        missing = "00000000-0000-4000-8000-00000000dead"
        ids.insert(137, missing)
        async with SkipcallClient(API_KEY, base_url=server.url) as client:
            results = await asyncio.gather(*(client.get_call(i) for i in ids), return_exceptions=True)
    failures = [(i, r) for i, r in zip(ids, results, strict=True) if isinstance(r, BaseException)]
    assert [i for i, _ in failures] == [missing]
    error = failures[0][1]
    assert isinstance(error, NotFoundError)
    assert str(error) == f"404 GET /v1/calls/{missing}: Call not found (NOT_FOUND)"
    assert_names(error, "GET", f"/v1/calls/{missing}", missing)
    assert sorted(r.path for r in server.requests) == sorted(f"/v1/calls/{i}" for i in ids)


@pytest.mark.parametrize(
    ("operation", "method", "path", "resource_id"),
    [
        (lambda c: c.get_call_recording("c/1"), "GET", "/v1/calls/c%2F1/recording", "c/1"),
        (lambda c: c.update_contact("ct 1", city="Paris"), "PATCH", "/v1/contacts/ct%201", "ct 1"),
        (lambda c: c.delete_tag("t-1"), "DELETE", "/v1/tags/t-1", "t-1"),
        (lambda c: c.remove_sequence_contacts("seq-1", ["a"]), "DELETE", "/v1/sequences/seq-1/contacts", "seq-1"),
        (lambda c: c.list_workspace_members("ws-1", page=2), "GET", "/v1/workspaces/ws-1/members", "ws-1"),
        (lambda c: c.list_calls(workspace_ids=["ws-1"]), "GET", "/v1/calls", None),
    ],
    ids=["recording", "update", "delete", "body-delete", "page-of-a-parent", "list"],
)
async def test_an_api_error_names_the_operation_s_request(
    backend: Backend, operation: Any, method: str, path: str, resource_id: str | None
) -> None:
    """Each operation's error carries its method, its path as sent (ids encoded, no query) and its id."""
    backend.respond(400, {"error": {"code": "BAD", "message": "nope", "status": 400}})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        with pytest.raises(APIError) as info:
            await operation(client)
    assert (backend.last.method, backend.last.raw_path) == (method, path)
    assert_names(info.value, method, path, resource_id)
    assert str(info.value) == f"400 {method} {path}: nope (BAD)"
    assert "?" not in str(info.value)  # the query string (filters, paging) is not in the message


async def test_a_connection_error_names_the_request() -> None:
    """Nothing listens: APIConnectionError says which call could not connect, to which server; its repr too."""
    port = free_port()
    async with SkipcallClient(API_KEY, base_url=f"http://127.0.0.1:{port}", retry=NO_RETRY) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.get_contact("ct-1")
    assert str(info.value).startswith(f"GET /v1/contacts/ct-1: cannot connect to http://127.0.0.1:{port}: ")
    assert repr(info.value) == f"APIConnectionError({str(info.value)!r})"
    assert_names(info.value, "GET", "/v1/contacts/ct-1", "ct-1")


async def test_an_unknown_host_is_named() -> None:
    """A host that does not resolve (a base URL with a typo, or no network) is named in the message."""
    async with SkipcallClient(API_KEY, base_url="https://no-such-host.invalid", retry=NO_RETRY) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.health()
    assert str(info.value).startswith("GET /v1/health: cannot connect to https://no-such-host.invalid:443: ")
    assert info.value.request_sent is False


async def test_repr_of_an_api_error_names_its_request(backend: Backend) -> None:
    """repr (what a list of gather(..., return_exceptions=True) results shows) names the request, as str does."""
    backend.respond(404, {"error": {"code": "NOT_FOUND", "message": "Call not found", "status": 404}})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        results = await asyncio.gather(client.get_call("c-9"), return_exceptions=True)
    assert repr(results) == "[NotFoundError('404 GET /v1/calls/c-9: Call not found (NOT_FOUND)')]"


async def test_a_401_says_what_to_check(backend: Backend) -> None:
    """The 401's message names the key's two sources and the base URL's variable; never the key."""
    backend.respond(401, {"error": {"code": "API_KEY_INVALID", "message": "Invalid API key", "status": 401}})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.health()
    text = str(info.value)
    assert text.startswith("401 GET /v1/health: Invalid API key (API_KEY_INVALID). Check the API key: ")
    assert "api_key argument" in text
    assert "SKIPCALL_API_KEY" in text
    assert "SKIPCALL_BASE_URL" in text
    assert API_KEY not in text + repr(info.value)


@pytest.mark.slow
async def test_a_timeout_names_the_request() -> None:
    """A response slower than the timeout: APITimeoutError says which call timed out, and on which server."""
    async with FakeSkipcall(api_keys=(API_KEY,), faults=Faults(latency=1.0)) as server:
        call_id = in_scope(server, 1)[0]
        async with SkipcallClient(API_KEY, base_url=server.url, timeout=0.05, retry=NO_RETRY) as client:
            with pytest.raises(APITimeoutError) as info:
                await client.get_call_transcription(call_id)
    assert str(info.value) == (
        f"GET /v1/calls/{call_id}/transcription: no complete response from {server.url} within 0.05 s"
    )
    assert_names(info.value, "GET", f"/v1/calls/{call_id}/transcription", call_id)
    assert [r.path for r in server.requests] == [f"/v1/calls/{call_id}/transcription"]


async def test_decode_errors_name_the_request(backend: Backend) -> None:
    """A body that is not JSON, and JSON of the wrong shape (also through the raw view's parse), name the call."""
    backend.respond(200, body=b'{"id": "x", "callT')
    backend.respond(200, {"status": "completed"})
    backend.respond(200, {"status": "completed"})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=NO_RETRY) as client:
        with pytest.raises(DecodeError) as truncated:
            await client.get_call("x")
        with pytest.raises(DecodeError) as shape:
            await client.get_call("y")
        raw = await client.with_raw_response.get_call("z")
        with pytest.raises(DecodeError) as parsed:
            raw.parse()
    assert [s.raw_path for s in backend.sent] == ["/v1/calls/x", "/v1/calls/y", "/v1/calls/z"]
    assert str(truncated.value).startswith("GET /v1/calls/x: Response body is not valid JSON")
    assert_names(truncated.value, "GET", "/v1/calls/x", "x")
    assert str(shape.value).startswith("GET /v1/calls/y: Response does not match Call")
    assert_names(parsed.value, "GET", "/v1/calls/z", "z")


async def test_a_rate_limit_wait_error_names_the_request_never_sent() -> None:
    """The window's two requests are spent: the third call is refused locally, naming the call it refused."""
    rule = RateLimitRule(plan=Plan(limit=2))
    async with FakeSkipcall(api_keys=(API_KEY,), rate_limit=rule) as server:
        ids = in_scope(server, 3)
        policy = RateLimitPolicy(limit=2, window=60.0)
        async with SkipcallClient(API_KEY, base_url=server.url, rate_limiting=policy, max_rate_limit_wait=0.1) as c:
            results = await asyncio.gather(*(c.get_call(i) for i in ids), return_exceptions=True)
    refused = [(i, r) for i, r in zip(ids, results, strict=True) if isinstance(r, RateLimitWaitError)]
    assert len(refused) == 1
    call_id, error = refused[0]
    assert_names(error, "GET", f"/v1/calls/{call_id}", call_id)
    assert str(error).startswith(f"GET /v1/calls/{call_id}: ")
    assert f"/v1/calls/{call_id}" not in [r.path for r in server.requests]  # it never left


async def test_a_429_after_the_retries_names_the_request(backend: Backend) -> None:
    """TooManyRequestsError is an APIError: status first, then the request (no time to wait for the rate limit:
    the 429 is final at once)."""
    backend.respond(429, {"error": {"code": "RATE_LIMITED", "message": "slow down", "status": 429}}, Retry_After="0")
    async with SkipcallClient(API_KEY, base_url=backend.url, max_rate_limit_wait=0) as client:
        with pytest.raises(TooManyRequestsError) as info:
            await client.get_call("c-9")
    assert str(info.value) == "429 GET /v1/calls/c-9: slow down (RATE_LIMITED)"
    assert_names(info.value, "GET", "/v1/calls/c-9", "c-9")


async def test_each_retry_log_line_names_the_request(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    """The errors of failed attempts are named too, so the retry log says which call is retried."""
    caplog.set_level(logging.INFO, logger="skipcall_async")
    backend.respond(503, None)
    retry = RetryPolicy(max_attempts=3, base=0.0, cap=0.0)
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=retry) as client:
        with pytest.raises(ServerError) as info:
            await client.get_call("c-1")
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(backend.sent) == 3
    assert len(retries) == 2
    assert all("503 GET /v1/calls/c-1: server error" in line for line in retries)
    assert info.value.attempts == 3
    assert_names(info.value, "GET", "/v1/calls/c-1", "c-1")


def test_an_error_raised_by_no_request_reads_as_before() -> None:
    """Errors built outside a call (a setting, or a user's own test double) have no request and the old text."""
    assert str(APIError("nope", status=418)) == "HTTP 418: nope"
    assert str(NotFoundError("gone", status=404, code="NOT_FOUND")) == "HTTP 404 NOT_FOUND: gone"
    with pytest.raises(ConfigurationError) as info:
        SkipcallClient(API_KEY, timeout=-1)
    assert (info.value.method, info.value.path, info.value.resource_id) == (None, None, None)
    assert str(info.value) == "timeout must be positive seconds or None, got -1"
