"""The key never leaks; URLs cannot be escaped; credentials never follow a redirect to another host."""

from __future__ import annotations

import logging
import traceback

import pytest

from skipcall_async import APIConnectionError, APIError, ConfigurationError, RetryPolicy, SkipcallClient
from skipcall_async._secret import ApiKey
from skipcall_async._transport import HttpRequest, _redirected
from support.backends import API_KEY, Backend, LocalServer


def test_the_key_never_appears_in_repr_or_str() -> None:
    """Client and key reprs show a fingerprint, never the key."""
    client = SkipcallClient(API_KEY, base_url="http://127.0.0.1:1")
    for text in (repr(client), str(client), repr(client._key), str(client._key), f"{client._key}"):
        assert API_KEY not in text
    assert "redacted" in repr(client._key)


def test_the_key_cannot_be_pickled() -> None:
    """Serialising the key (and so a client) is refused rather than writing it somewhere."""
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(ApiKey(API_KEY))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
async def test_the_key_is_absent_from_errors_and_logs(
    backend: Backend, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Error messages, reprs, tracebacks and every log record at DEBUG are free of the key."""
    caplog.set_level(logging.DEBUG, logger="skipcall_async")
    backend.respond(status, {"error": {"code": "X", "message": "m"}}, Retry_After="0.01")
    retry = RetryPolicy(max_attempts=2, base=0)
    async with SkipcallClient(API_KEY, base_url=backend.url, retry=retry, max_rate_limit_wait=0.05) as client:
        with pytest.raises(APIError) as info:
            await client.get_call("x")
    rendered = "".join(traceback.format_exception(info.value)) + repr(info.value) + str(vars(info.value))
    assert API_KEY not in rendered
    assert API_KEY not in caplog.text
    assert backend.last.headers["Authorization"] == f"Bearer {API_KEY}"


async def test_the_key_is_absent_from_connection_errors() -> None:
    """A refused connection's error and traceback do not carry the key."""
    async with SkipcallClient(API_KEY, base_url="http://127.0.0.1:9", retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.get_call("x")
    assert info.value.request_sent is False
    assert API_KEY not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize(
    "url",
    [
        "http://api-public.skipcall.app",
        "http://10.0.0.5:8080",
        "ftp://example.com",
        "api-public.skipcall.app",
        "https://user:pw@example.com",
        "https://example.com/?x=1",
    ],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    """Plain http is only allowed to loopback; other schemes, credentials and queries are refused."""
    with pytest.raises(ConfigurationError):
        SkipcallClient(API_KEY, base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "https://x.example/"]
)
def test_https_and_loopback_base_urls_are_accepted(url: str) -> None:
    """https anywhere and http on loopback are fine; a trailing slash is dropped."""
    assert SkipcallClient(API_KEY, base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    ("call_id", "raw_path"),
    [
        ("../contacts", "/v1/calls/..%2Fcontacts"),
        ("...", "/v1/calls/..."),  # not a dot segment: "." and ".." are refused (test_hostile_ids.py)
        ("a/b?c=d#e", "/v1/calls/a%2Fb%3Fc%3Dd%23e"),
        ("é 1", "/v1/calls/%C3%A9%201"),
    ],
)
async def test_ids_are_one_encoded_path_segment(backend: Backend, call_id: str, raw_path: str) -> None:
    """An id can never change which endpoint is called: get_call('../contacts') stays under /v1/calls/."""
    backend.respond(200, {"id": call_id})
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        call = await client.get_call(call_id)
    assert backend.last.raw_path == raw_path
    assert call.id == call_id


async def test_authorization_is_not_forwarded_to_another_host(server: LocalServer) -> None:
    """A redirect to another host is followed without the Authorization header."""
    other = LocalServer()
    await other.start()
    try:
        other.respond(200, {"id": "moved"})
        foreign = other.url.replace("127.0.0.1", "localhost")
        server.respond(302, None, Location=f"{foreign}/v1/calls/moved")
        async with SkipcallClient(API_KEY, base_url=server.url) as client:
            call = await client.get_call("x")
        assert call.id == "moved"
        assert server.last.headers["Authorization"] == f"Bearer {API_KEY}"
        assert "Authorization" not in other.last.headers
        assert other.last.raw_path == "/v1/calls/moved"
    finally:
        await other.stop()


async def test_authorization_follows_a_same_host_redirect(server: LocalServer) -> None:
    """A redirect within the base URL's host keeps the key; a 303 turns a POST into a GET."""
    server.respond(303, None, Location="/v1/contacts/new-id")
    server.respond(200, {"id": "new-id"})
    async with SkipcallClient(API_KEY, base_url=server.url) as client:
        contact = await client.create_contact(first_name="J", last_name="D", phone_numbers=["+1"])
    assert contact.id == "new-id"
    assert [(s.method, s.raw_path) for s in server.sent] == [("POST", "/v1/contacts"), ("GET", "/v1/contacts/new-id")]
    assert server.last.headers["Authorization"] == f"Bearer {API_KEY}"
    assert server.last.body is None


async def test_the_key_does_not_come_back_after_a_round_trip_through_another_host(server: LocalServer) -> None:
    """Base host -> other host -> base host: the hop back to the base host is still sent without the key."""
    other = LocalServer()
    await other.start()
    try:
        foreign = other.url.replace("127.0.0.1", "localhost")
        server.respond(302, None, Location=f"{foreign}/elsewhere")
        server.respond(200, {"id": "back"})
        other.respond(307, None, Location=f"{server.url}/v1/calls/back")
        async with SkipcallClient(API_KEY, base_url=server.url) as client:
            call = await client.get_call("x")
        assert call.id == "back"
        assert [s.raw_path for s in server.sent] == ["/v1/calls/x", "/v1/calls/back"]
        assert server.sent[0].headers["Authorization"] == f"Bearer {API_KEY}"
        assert "Authorization" not in other.last.headers
        assert "Authorization" not in server.last.headers
    finally:
        await other.stop()


BASE = "https://api.example/v1/contacts"
KEYED = {"Authorization": "Bearer k", "Content-Type": "application/json", "User-Agent": "ua"}
UNKEYED = {"Content-Type": "application/json", "User-Agent": "ua"}
KEYED_GET = {"Authorization": "Bearer k", "User-Agent": "ua"}
REDIRECTS = {
    "307-same-host-relative": (
        "POST",
        307,
        "/v1/other",
        HttpRequest("POST", "https://api.example/v1/other", KEYED, b"{}"),
    ),
    "308-default-port-is-same-origin": (
        "DELETE",
        308,
        "https://API.example:443/x",
        HttpRequest("DELETE", "https://API.example:443/x", KEYED, b"{}"),
    ),
    "302-get-path-relative": ("GET", 302, "next", HttpRequest("GET", "https://api.example/v1/next", KEYED, b"{}")),
    "303-post-becomes-get": ("POST", 303, "/v1/c/1", HttpRequest("GET", "https://api.example/v1/c/1", KEYED_GET)),
    "301-patch-becomes-get": ("PATCH", 301, "/v1/c/1", HttpRequest("GET", "https://api.example/v1/c/1", KEYED_GET)),
    "307-other-host": (
        "POST",
        307,
        "https://evil.example/x",
        HttpRequest("POST", "https://evil.example/x", UNKEYED, b"{}"),
    ),
    "other-scheme": ("GET", 302, "http://api.example/x", HttpRequest("GET", "http://api.example/x", UNKEYED, b"{}")),
    "other-port": (
        "GET",
        302,
        "https://api.example:8443/",
        HttpRequest("GET", "https://api.example:8443/", UNKEYED, b"{}"),
    ),
}


@pytest.mark.parametrize(("method", "status", "location", "expected"), REDIRECTS.values(), ids=REDIRECTS.keys())
def test_a_redirect_gives_the_next_request(method: str, status: int, location: str, expected: HttpRequest) -> None:
    """Method, URL, headers and body of the next hop; only the same origin keeps the key; the old request is intact."""
    request = HttpRequest(method, BASE, dict(KEYED), b"{}")
    assert _redirected(request, status, location) == expected
    assert request == HttpRequest(method, BASE, KEYED, b"{}")


def test_a_request_without_the_key_does_not_regain_it_on_the_base_host() -> None:
    """A hop that already lost Authorization keeps it lost, even when redirected back to the base URL's host."""
    away = HttpRequest("GET", "https://evil.example/x", {"User-Agent": "ua"})
    assert _redirected(away, 302, BASE) == HttpRequest("GET", BASE, {"User-Agent": "ua"})
