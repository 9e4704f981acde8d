"""Per-call control: client views made by with_options, and what raw responses and errors carry."""

from __future__ import annotations

import asyncio

import pytest

from skipcall_async import (
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    DecodeError,
    NotFoundError,
    RateLimitWaitError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
    TooManyRequestsError,
)
from support.backends import API_KEY, Backend, LocalServer


async def test_a_view_without_retries_sends_exactly_one_request(backend: Backend) -> None:
    """with_options(retry=RetryPolicy(max_attempts=1)) gives up after one 503; the client itself retries."""
    backend.respond(503, {"error": {"code": "DOWN", "message": "down"}})
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(base=0.0)) as client:
        with pytest.raises(ServerError) as once:
            await client.with_options(retry=RetryPolicy(max_attempts=1)).get_call("c-1")
        assert len(backend.sent) == 1
        assert once.value.attempts == 1
        with pytest.raises(ServerError) as retried:
            await client.get_call("c-1")
    assert retried.value.attempts == 4
    assert len(backend.sent) == 5


async def test_a_view_with_a_shorter_timeout(server: LocalServer) -> None:
    """A view's timeout applies to its calls only; the client's own calls keep the client's timeout."""
    server.respond(200, {"status": "ok"})
    server.delay = 0.3
    async with SkipcallClient(API_KEY, base_url=server.url, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(APITimeoutError):
            await client.with_options(timeout=0.05).health()
        assert (await client.health()).status == "ok"


async def test_a_view_sends_its_extra_headers_and_the_client_does_not(backend: Backend) -> None:
    """Extra headers go with every request of the view, beside the key; the client's requests do not carry them."""
    backend.respond(200, {"status": "ok"})
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        view = client.with_options(headers={"X-Trace-Id": "t-1"})
        await view.health()
        await view.with_options(headers={"X-Tenant": "acme"}).health()
        await client.health()
    first, second, third = backend.sent
    assert first.headers["X-Trace-Id"] == "t-1"
    assert first.headers["Authorization"] == f"Bearer {API_KEY}"
    assert (second.headers["X-Trace-Id"], second.headers["X-Tenant"]) == ("t-1", "acme")
    assert "X-Trace-Id" not in third.headers


async def test_a_view_shares_the_session_the_slots_and_the_key_s_pacing(backend: Backend) -> None:
    """No second session or rate-limit state: the view's calls are paced and counted with the client's."""
    backend.respond(200, {"status": "ok"}, X_RateLimit_Remaining="41", X_RateLimit_Reset="30")
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        view = client.with_options(timeout=5.0, max_rate_limit_wait=1.0)
        await view.health()
        assert view._transport is client._transport
        assert view._slots is client._slots
        assert view._get_limiter() is client._get_limiter()
        assert client.rate_limit.remaining == 41
        assert repr(view).startswith("SkipcallClient view(")


async def test_closing_the_client_closes_its_views() -> None:
    """A view of a closed client refuses to send; closing a view leaves the client open."""
    client = SkipcallClient(API_KEY, base_url="http://127.0.0.1:9")
    view = client.with_options(timeout=1.0)
    await view.aclose()
    assert view.closed
    assert not client.closed
    other = client.with_options(timeout=2.0)
    await client.aclose()
    assert other.closed
    with pytest.raises(ClientClosedError):
        await other.health()
    with pytest.raises(ClientClosedError):
        async with other:
            pass


async def test_a_view_s_max_rate_limit_wait(server: LocalServer) -> None:
    """A view that may wait one second gives up at once on a 30 s gate; the client could wait."""
    server.respond(429, None, Retry_After="30")
    async with SkipcallClient(API_KEY, base_url=server.url) as client:
        with pytest.raises(TooManyRequestsError):  # a view that may not wait at all: the 429 is final
            await client.with_options(max_rate_limit_wait=0).health()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(RateLimitWaitError) as info:
            await client.with_options(max_rate_limit_wait=1.0).health()
    assert loop.time() - started < 0.5
    assert info.value.retry_after is not None
    assert info.value.retry_after > 25


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout must be positive"),
        ({"timeout": "5"}, "timeout must be positive"),
        ({"retry": 3}, "retry must be a RetryPolicy"),
        ({"max_rate_limit_wait": -1}, "max_rate_limit_wait must not be negative"),
        ({"headers": {"Authorization": "Bearer other"}}, "Authorization header is the client's"),
        ({"headers": {"authorization": "x"}}, "Authorization header is the client's"),
        ({"headers": {"X-Ok": "a\r\nX-Injected: 1"}}, "without line breaks"),
        ({"headers": {"Bad Name": "x"}}, "not a valid HTTP header name"),
        ({"headers": {"X-Num": 5}}, "must be a str"),
        ({"headers": [("X-A", "b")]}, "headers must be a mapping"),
    ],
)
def test_view_settings_are_checked_like_the_constructor_s(options: dict[str, object], message: str) -> None:
    """A bad setting raises ConfigurationError naming it, before any request; the key never shows."""
    client = SkipcallClient(API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match=message) as info:
        client.with_options(**options)  # type: ignore[arg-type]
    assert API_KEY not in str(info.value)


async def test_a_raw_response_counts_its_attempts_and_is_read_only(backend: Backend) -> None:
    """Retries included in attempts; headers are read-only; the elapsed time covers the whole call."""
    backend.respond(503, {"error": {"code": "DOWN", "message": "down"}})
    backend.respond(200, {"status": "ok"}, X_Request_Id="r-2")
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=RetryPolicy(base=0.0)) as client:
        raw = await client.with_raw_response.health()
    assert raw.attempts == 2
    assert raw.status == 200
    assert raw.parse().status == "ok"
    with pytest.raises(TypeError):
        raw.headers["X-Request-Id"] = "changed"  # type: ignore[index]
    assert len(backend.sent) == 2


async def test_errors_through_the_raw_view_raise_with_the_response_headers(backend: Backend) -> None:
    """A 404 raises as it does for the plain call, and carries the response's headers."""
    backend.respond(404, {"error": {"code": "NOT_FOUND", "message": "no"}}, X_Request_Id="r-404")
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(NotFoundError) as info:
            await client.with_raw_response.get_call("nope")
    assert info.value.headers["X-Request-Id"] == "r-404"


async def test_a_body_that_does_not_decode_raises_at_parse_with_the_headers(backend: Backend) -> None:
    """The raw response comes back; parse() raises DecodeError, which carries the response's headers."""
    backend.respond(200, {"unexpected": True}, X_Request_Id="r-bad")
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        raw = await client.with_raw_response.get_call("c-1")
    assert raw.json() == {"unexpected": True}
    with pytest.raises(DecodeError) as info:
        raw.parse()
    assert info.value.headers["X-Request-Id"] == "r-bad"


async def test_the_type_checked_module_runs_and_its_values_are_what_it_claims() -> None:
    """typing_checks.py is checked by mypy; here it runs, and each value has the type mypy was told."""
    from skipcall_async import Call, Health, Page, RawResponse
    from skipcall_async.testing import FakeSkipcall
    from support.typing_checks import through_the_raw_view

    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        call_id = (await client.list_calls(size=1)).items[0].id
        raw, call, page, workspaces, view, health = await through_the_raw_view(client, call_id)
    assert isinstance(raw, RawResponse)
    assert isinstance(call, Call)
    assert isinstance(page, Page)
    assert isinstance(workspaces, list)
    assert isinstance(view, SkipcallClient)
    assert isinstance(health, Health)
