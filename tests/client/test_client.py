"""Client construction, lifecycle, headers and argument validation."""

from __future__ import annotations

import aiohttp
import pytest

from skipcall_async import ClientClosedError, ConfigurationError, RateLimitPolicy, SkipcallClient
from skipcall_async._secret import API_KEY_ENV
from support.backends import API_KEY, Backend, LocalServer


def test_missing_key_is_an_error_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an argument or the environment variable, construction fails and names the variable."""
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    with pytest.raises(ConfigurationError, match=API_KEY_ENV):
        SkipcallClient()


@pytest.mark.parametrize("key", ["", "   ", "sk_live_x\n"])
def test_blank_or_malformed_key_is_an_error_at_construction(key: str) -> None:
    """A blank key, or one with a stray line break, is refused before any request."""
    with pytest.raises(ConfigurationError):
        SkipcallClient(key)


async def test_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    """SKIPCALL_API_KEY is used when no api_key argument is given."""
    monkeypatch.setenv(API_KEY_ENV, "sk_test_from_env")
    backend.respond(200, {"status": "ok"})
    async with SkipcallClient(base_url=backend.url) as client:
        await client.health()
    assert backend.last.headers["Authorization"] == "Bearer sk_test_from_env"


async def test_using_a_closed_client_is_a_clear_error(backend: Backend) -> None:
    """After aclose() every call raises ClientClosedError and sends nothing."""
    client = SkipcallClient(API_KEY, base_url=backend.url)
    await client.aclose()
    assert client.closed
    with pytest.raises(ClientClosedError):
        await client.get_call("x")
    with pytest.raises(ClientClosedError):
        async with client:
            pass
    assert backend.sent == []


async def test_a_borrowed_session_is_not_closed(server: LocalServer) -> None:
    """A session passed in stays open after the client closes; the client's requests used it."""
    server.respond(200, {"status": "ok"})
    async with aiohttp.ClientSession() as session:
        async with SkipcallClient(API_KEY, base_url=server.url, session=session) as client:
            await client.health()
        assert not session.closed
    assert server.last.raw_path == "/v1/health"


async def test_an_owned_session_is_created_lazily_and_closed(server: LocalServer) -> None:
    """The client opens its session on first use inside the running loop and closes it on exit."""
    server.respond(200, {"status": "ok"})
    client = SkipcallClient(API_KEY, base_url=server.url)
    assert client._transport._session is None
    async with client:
        await client.health()
        session = client._transport._session
        assert session is not None
        assert not session.closed
    assert session.closed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_rate_limit_wait": -1}, "max_rate_limit_wait"),
        ({"rate_limiting": 100}, "rate_limiting must be a RateLimitPolicy"),
        ({"retry": 3}, "retry must be a RetryPolicy"),
    ],
)
def test_bad_configuration_names_the_argument(kwargs: dict[str, float], message: str) -> None:
    """Each invalid constructor argument raises ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match=message):
        SkipcallClient(API_KEY, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "RateLimitPolicy.limit must be an int of at least 1, got 0"),
        ({"limit": 1.5}, "RateLimitPolicy.limit must be an int"),
        ({"probe": 0}, "RateLimitPolicy.probe must be an int of at least 1"),
        ({"window": 0}, "RateLimitPolicy.window must be positive seconds or None, got 0"),
        ({"window": -60.0}, "RateLimitPolicy.window must be positive"),
        ({"store": "redis://x"}, "RateLimitPolicy.store must be an InProcessRateLimitStore or a RedisRateLimitStore"),
    ],
)
def test_a_bad_rate_limit_policy_names_the_field(kwargs: dict[str, object], message: str) -> None:
    """The policy validates itself once, on construction (the store when a client takes it up)."""
    with pytest.raises(ConfigurationError, match=message):
        SkipcallClient(API_KEY, rate_limiting=RateLimitPolicy(**kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c: c.get_call(""), "call_id"),
        (lambda c: c.get_contact("  "), "contact_id"),
        (lambda c: c.list_calls(size=0), "size"),
        (lambda c: c.list_calls(size=101), "size"),
        (lambda c: c.list_users(page=-1), "page"),
        (lambda c: c.list_calls(workspace_ids=[]), "workspace_ids"),
        (lambda c: c.add_sequence_contacts("seq", [f"c{i}" for i in range(101)]), "contacts"),
        (lambda c: c.add_sequence_contacts("seq", []), "contacts"),
        (lambda c: c.remove_sequence_contacts("seq", [f"c{i}" for i in range(101)]), "contact_ids"),
        (lambda c: c.remove_sequence_contacts("seq", []), "contact_ids"),
        (lambda c: c.create_contact(first_name="", last_name="Doe", phone_numbers=["+1"]), "first_name"),
        (lambda c: c.create_contact(first_name="J", last_name="D" * 101, phone_numbers=["+1"]), "last_name"),
        (lambda c: c.create_contact(first_name="J", last_name="D", phone_numbers=["+1"], company="x" * 201), "company"),
        (lambda c: c.update_contact("c-1"), "at least one field"),
        (lambda c: c.get_tag_distribution(granularity="year"), "granularity"),
        (lambda c: c.get_team_stats(period="year"), "period"),
        (lambda c: c.create_tag(label=""), "label"),
    ],
)
async def test_invalid_arguments_fail_before_any_request(backend: Backend, call, argument: str) -> None:  # type: ignore[no-untyped-def]
    """ValueError names the argument and nothing is sent."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(ValueError, match=argument):
            await call(client)
    assert backend.sent == []


async def test_iterators_validate_before_the_first_request(backend: Backend) -> None:
    """An iterator with a bad page size fails on first use, before any request."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(ValueError, match="size"):
            async for _ in client.iter_calls(page_size=500):
                pass
    assert backend.sent == []


async def test_a_bare_string_is_not_a_list_of_phone_numbers(backend: Backend) -> None:
    """phone_numbers="+33..." would be split into characters: it is refused with TypeError."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(TypeError, match="phone_numbers"):
            await client.create_contact(first_name="J", last_name="D", phone_numbers="+33612345678")
    assert backend.sent == []


async def test_base_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    """SKIPCALL_BASE_URL points a client at another API root when base_url is not passed."""
    monkeypatch.setenv("SKIPCALL_BASE_URL", backend.url)
    backend.respond(200, {"status": "ok"})
    async with SkipcallClient(API_KEY) as client:
        assert client.base_url == backend.url
        await client.health()
    assert backend.last.raw_path == "/v1/health"


def test_the_base_url_from_the_environment_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unsafe SKIPCALL_BASE_URL is refused like an unsafe argument."""
    monkeypatch.setenv("SKIPCALL_BASE_URL", "http://api.example.com")
    with pytest.raises(ConfigurationError, match="https"):
        SkipcallClient(API_KEY)
