"""The Redis URL's password, in every form redis-py accepts, never shows: repr, str, logs, errors, the variable.

The forms: userinfo (``:pw@``, ``user:pw@``), the ``password`` query field (for ``unix://`` too), ``rediss://``,
and percent-encoded passwords, which redis-py decodes. Each is also used against a real redis-server that
requires the password, so masking it never stops it from reaching Redis.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from skipcall_async import ConfigurationError, RateLimitPolicy, RedisRateLimitStore, SkipcallClient
from skipcall_async._pacing.resolve import resolve_store
from skipcall_async._secret import SecretUrl
from skipcall_async.testing import FakeSkipcall
from support.redis_servers import RedisServer, free_port

PASSWORD = "p@ss:w/rd%+#?"  # every character a URL must encode, and one ("+") that a query reads as a space
ENCODED = quote(PASSWORD, safe="")
SPELLINGS = (PASSWORD, ENCODED, quote(PASSWORD))  # as written, decoded, and with "/" left as it is


def forms(host: str, socket: str) -> dict[str, str]:
    """Every way to put the password in a URL, for a server at ``host`` (``127.0.0.1:port``) and ``socket``."""
    return {
        "userinfo": f"redis://:{ENCODED}@{host}/0",
        "user-and-password": f"redis://default:{ENCODED}@{host}/0",
        "query": f"redis://{host}/0?password={ENCODED}",
        "query-and-other-fields": f"redis://{host}/0?socket_timeout=1&password={ENCODED}&db=0",
        "unix-query": f"unix://{socket}?password={ENCODED}&db=0",
        "unix-userinfo": f"unix://:{ENCODED}@{socket}?db=0",
    }


UNREACHABLE = {
    **forms(f"127.0.0.1:{free_port()}", "/nonexistent/redis.sock"),
    "tls": f"rediss://:{ENCODED}@127.0.0.1:{free_port()}/0",
    "tls-query": f"rediss://127.0.0.1:{free_port()}/0?password={ENCODED}",
}


def leaks(text: str) -> list[str]:
    """The spellings of the password found in ``text``."""
    return [s for s in (*SPELLINGS, "hunter2") if s in text]


@pytest.fixture(scope="module")
def locked_redis() -> Iterator[RedisServer]:
    """A real redis-server that refuses every client without the password."""
    with RedisServer(password=PASSWORD) as redis:
        yield redis


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_the_url_shows_with_every_password_masked(url: str) -> None:
    """repr, str and the shown URL mask the password; redact removes every spelling of it from any text."""
    secret = SecretUrl(url)
    assert "***" in secret.shown
    assert not leaks(repr(secret) + str(secret) + secret.shown)
    assert secret.reveal() == url
    message = f"AUTH failed for {PASSWORD} ({ENCODED}) at {url}"
    assert not leaks(secret.redact(message))
    assert secret.redact("Connection refused") == "Connection refused"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://user:pw@cache/1?db=1", "redis://user:***@cache/1?db=1"),
        ("unix:///run/redis.sock?password=pw&db=2", "unix:///run/redis.sock?password=***&db=2"),
        ("rediss://cache?ssl_password=pw", "rediss://cache?ssl_password=***"),
        ("redis://lonely@cache", "redis://***@cache"),  # redis-cli reads a lone userinfo as the password
        ("redis://:pa/ss@cache:6379/0", "redis://:***@cache:6379/0"),  # an unencoded "/" masked whole
    ],
)
def test_what_is_shown_keeps_everything_but_the_password(url: str, shown: str) -> None:
    """Host, port, database, socket path and other query fields stay readable."""
    assert SecretUrl(url).shown == shown


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_the_store_never_shows_the_password(url: str) -> None:
    """repr, str, the url attribute, every attribute's repr and the policy's repr are clean."""
    store = RedisRateLimitStore(url)
    policy = RateLimitPolicy(store=store)
    shown = repr(store) + str(store) + store.url + repr(vars(store)) + repr(policy)
    assert not leaks(shown)
    assert store.redact(f"WRONGPASS {PASSWORD}") == "WRONGPASS ***"
    assert "url_secret" not in vars(store)  # no plain attribute holds it


@pytest.mark.parametrize(
    "url",
    [
        f"http://:{ENCODED}@cache:6379/0",
        f"cache:6379/0?password={ENCODED}",
        f"redis://:{ENCODED}@cache:notaport/0",
        f"redis://cache/0?password={ENCODED}&db=notanumber",
    ],
    ids=["scheme", "no-scheme", "port", "query-field"],
)
def test_a_url_refused_at_construction_is_named_without_its_password(url: str) -> None:
    """A bad scheme, port or query field fails at once, as a ConfigurationError that shows the masked URL."""
    with pytest.raises(ConfigurationError) as info:
        RedisRateLimitStore(url)
    text = str(info.value) + repr(info.value.__cause__) + repr(info.value.__context__)
    assert not leaks(text)
    assert "***" in text


def client(server: FakeSkipcall, store: RedisRateLimitStore) -> SkipcallClient:
    return SkipcallClient(server.api_key, base_url=server.url, rate_limiting=RateLimitPolicy(store=store))


async def shared_keys(redis: RedisServer) -> list[str]:
    """The store's keys in ``redis``, read with the password."""
    import redis.asyncio as aioredis

    conn = aioredis.Redis(host="127.0.0.1", port=redis.port, password=PASSWORD, decode_responses=True)
    try:
        return [key async for key in conn.scan_iter("skipcall-async:*")]
    finally:
        await conn.aclose()


@pytest.mark.redis
@pytest.mark.parametrize("form", list(forms("h", "s")))
async def test_every_form_reaches_a_redis_that_requires_the_password(
    locked_redis: RedisServer, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Masked everywhere, the password still reaches redis-py intact: calls are paced through Redis."""
    import redis.asyncio as aioredis

    flush = aioredis.Redis(host="127.0.0.1", port=locked_redis.port, password=PASSWORD)
    await flush.flushall()
    await flush.aclose()
    caplog.set_level(logging.DEBUG)
    url = forms(f"127.0.0.1:{locked_redis.port}", locked_redis.socket)[form]
    store = RedisRateLimitStore(url)
    async with FakeSkipcall() as server, client(server, store) as sdk:
        call_ids = list(server.store.calls)[:3]
        calls = await asyncio.gather(*(sdk.get_call(i) for i in call_ids))
        snapshot = sdk.rate_limit
        shown = repr(store)
    assert [c.id for c in calls] == call_ids
    assert [r.path for r in server.requests] == [f"/v1/calls/{i}" for i in call_ids]
    assert (snapshot.store, snapshot.degraded) == ("redis", False)
    assert await shared_keys(locked_redis)  # the store wrote its state: it authenticated
    assert not leaks(caplog.text + shown)


@pytest.mark.redis
async def test_a_wrong_password_warns_once_without_either_password(
    locked_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis refuses the password: one WARNING naming the masked URL and the refusal, the calls go on in-process."""
    caplog.set_level(logging.WARNING, logger="skipcall_async")
    wrong = "hunter2"
    store = RedisRateLimitStore(f"redis://127.0.0.1:{locked_redis.port}/0?password={wrong}")
    async with FakeSkipcall() as server, client(server, store) as sdk:
        call = await sdk.get_call(next(iter(server.store.calls)))
        assert sdk.rate_limit.degraded
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert call.id
    assert len(warnings) == 1
    assert f"redis://127.0.0.1:{locked_redis.port}/0?password=***" in warnings[0]
    assert not leaks(caplog.text)


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
async def test_an_unreachable_redis_warns_without_the_password(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing listens: the WARNING, and every other log line, show the URL masked."""
    caplog.set_level(logging.DEBUG)
    store = RedisRateLimitStore(url, command_timeout=0.5)
    async with FakeSkipcall() as server, client(server, store) as sdk:
        await sdk.get_call(next(iter(server.store.calls)))
        shown = repr(store) + repr(sdk)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert store.url in warnings[0].getMessage()
    assert not leaks(caplog.text + shown)


@pytest.mark.parametrize("form", ["userinfo", "query", "unix-query"])
async def test_the_environment_variable_goes_through_the_same_masking(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    """SKIPCALL_REDIS_URL in any form: the client's store, its repr and its WARNING are clean."""
    import skipcall_async._pacing.resolve as stores

    caplog.set_level(logging.DEBUG)
    url = forms(f"127.0.0.1:{free_port()}", "/nonexistent/redis.sock")[form]
    monkeypatch.setenv("SKIPCALL_REDIS_URL", url)
    monkeypatch.setattr(stores, "_from_environment", {})
    store = resolve_store(None)
    assert isinstance(store, RedisRateLimitStore)
    async with FakeSkipcall() as server:
        async with SkipcallClient(server.api_key, base_url=server.url) as sdk:
            await sdk.get_call(next(iter(server.store.calls)))
            shown: Any = (repr(sdk._store), repr(sdk._rate_policy), sdk.rate_limit)
    assert sdk._store is store
    assert "unreachable" in caplog.text
    assert not leaks(caplog.text + repr(shown))


@pytest.mark.parametrize(("strict", "words"), [(False, "pacing in-process"), (True, "holding requests")])
def test_the_degraded_behaviour_is_worded_for_the_store_s_mode(strict: bool, words: str) -> None:
    """A strict store holds requests while Redis is away; it must never say it paces in-process."""
    behaviour = RedisRateLimitStore("redis://cache:6379/0", strict=strict).degraded_behaviour
    assert behaviour.startswith(words)
    assert behaviour.endswith("until it is back (strict)" if strict else "until it is back")
