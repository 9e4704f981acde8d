"""SyncSkipcallClient: the async client's operations without ``await``, paced with async clients on the same key."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import inspect
import subprocess
import sys
import textwrap
import threading
import time
import typing
from collections.abc import Iterator

import pytest

from skipcall_async import (
    Call,
    ClientClosedError,
    Contact,
    EventLoopError,
    NotFoundError,
    Page,
    RateLimitPolicy,
    RawResponse,
    SkipcallClient,
    SyncSkipcallClient,
    SyncWithRawResponse,
    WithRawResponse,
)
from skipcall_async._pacing.loops import SharedMemoryBackend
from skipcall_async._pacing.stores import InProcessRateLimitStore
from skipcall_async._secret import ApiKey
from skipcall_async.testing import FakeSkipcall, Plan, RateLimitRule
from support.threaded_server import threaded_server


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeSkipcall]:
    with threaded_server() as server:
        yield server


@pytest.fixture
def client(fake_api: FakeSkipcall) -> Iterator[SyncSkipcallClient]:
    with SyncSkipcallClient(fake_api.api_key, base_url=fake_api.url) as client:
        yield client


def visible_calls(server: FakeSkipcall) -> list[str]:
    """Ids of the calls the server's key may read."""
    return [call["id"] for call in server.store.in_scope("calls")]


def async_operations() -> dict[str, object]:
    return {
        name: member
        for name, member in vars(SkipcallClient).items()
        if not name.startswith("_") and (inspect.iscoroutinefunction(member) or name.startswith("iter_"))
        and name != "aclose"
    }  # fmt: skip


def test_every_async_operation_has_a_blocking_twin_with_the_same_parameters() -> None:
    """The sync client has exactly the async client's operations, each with its parameters and docstring."""
    operations = async_operations()
    assert len(operations) == 25
    for name, operation in operations.items():
        twin = getattr(SyncSkipcallClient, name)
        shown = [(p.name, p.kind, p.default) for p in inspect.signature(twin).parameters.values()]
        assert shown == [(p.name, p.kind, p.default) for p in inspect.signature(operation).parameters.values()]  # type: ignore[arg-type]
        hints, async_hints = typing.get_type_hints(twin), typing.get_type_hints(operation)
        assert {k: v for k, v in hints.items() if k != "return"} == {
            k: v for k, v in async_hints.items() if k != "return"
        }
        assert twin.__doc__ == operation.__doc__
    raw = set(vars(WithRawResponse(SkipcallClient("sk_x"))))
    assert raw == {name for name in operations if not name.startswith("iter_")}
    blocking_raw = {n for n, member in vars(SyncWithRawResponse).items() if inspect.isfunction(member)}
    assert raw == {n for n in blocking_raw if not n.startswith("_")}


def test_the_constructor_takes_the_async_clients_arguments_but_the_session() -> None:
    """Every argument of SkipcallClient but an aiohttp session (bound to one loop), in the same order."""
    ours = list(inspect.signature(SyncSkipcallClient).parameters.values())
    theirs = [p for p in inspect.signature(SkipcallClient).parameters.values() if p.name != "session"]
    assert [(p.name, p.kind, p.default) for p in ours] == [(p.name, p.kind, p.default) for p in theirs]


def test_return_types_are_the_async_ones_without_awaiting() -> None:
    """typing sees ``Call`` for get_call, ``Iterator[Call]`` for iter_calls, ``RawResponse[Call]`` on the raw view."""
    from collections.abc import Iterator as AbcIterator

    assert typing.get_type_hints(SyncSkipcallClient.get_call)["return"] is Call
    assert typing.get_type_hints(SyncSkipcallClient.list_calls)["return"] == Page[Call]
    assert typing.get_type_hints(SyncSkipcallClient.iter_calls)["return"] == AbcIterator[Call]
    assert typing.get_type_hints(SyncWithRawResponse.get_call)["return"] == RawResponse[Call]


def test_a_call_sends_the_async_clients_request_and_returns_its_model(
    client: SyncSkipcallClient, fake_api: FakeSkipcall
) -> None:
    """get_call: GET /v1/calls/{id} with the SDK's headers, and the typed Call back."""
    call_id = visible_calls(fake_api)[0]
    before = len(fake_api.requests)
    call = client.get_call(call_id)
    assert isinstance(call, Call)
    assert call.id == call_id
    (sent,) = fake_api.requests[before:]
    assert (sent.method, sent.path, sent.route, sent.status) == ("GET", f"/v1/calls/{call_id}", "get_call", 200)
    assert sent.headers["User-Agent"].startswith("skipcall-async/")
    assert sent.headers["Accept"] == "application/json"


def test_a_write_sends_its_body(client: SyncSkipcallClient, fake_api: FakeSkipcall) -> None:
    """create_contact: a POST with the camelCase body, and the created Contact back."""
    before = len(fake_api.requests)
    contact = client.create_contact(first_name="Ada", last_name="Lovelace", phone_numbers=["+33612345678"])
    assert isinstance(contact, Contact)
    assert (contact.first_name, contact.last_name) == ("Ada", "Lovelace")
    (sent,) = fake_api.requests[before:]
    assert (sent.method, sent.path, sent.status) == ("POST", "/v1/contacts", 201)
    assert sent.body == {"firstName": "Ada", "lastName": "Lovelace", "phoneNumbers": ["+33612345678"]}


def test_iterating_fetches_pages_as_they_are_needed(client: SyncSkipcallClient, fake_api: FakeSkipcall) -> None:
    """iter_calls: a plain iterator; a page is requested only when the loop reaches it, and a break stops it."""
    before = len(fake_api.requests)
    calls = client.iter_calls(page_size=2)
    assert len(fake_api.requests) == before  # nothing sent before the first step
    first = [next(calls).id for _ in range(3)]
    pages = [r.query for r in fake_api.requests[before:]]
    assert pages == [{"page": "0", "size": "2"}, {"page": "1", "size": "2"}]
    calls.close()
    assert first == [c.id for c in client.list_calls(size=3).items]


def test_bad_arguments_fail_at_the_call_as_on_the_async_client(client: SyncSkipcallClient) -> None:
    """Argument checks raise in the caller's thread, with the async client's messages."""
    with pytest.raises(ValueError, match="page_size"):
        client.iter_calls(page_size=0)
    with pytest.raises(ValueError, match="call_id"):
        client.get_call(" ")


def test_api_errors_are_the_typed_errors_naming_the_request(client: SyncSkipcallClient) -> None:
    """A 404 is a NotFoundError naming method, path and id, as from the async client."""
    with pytest.raises(NotFoundError) as caught:
        client.get_call("no-such-call")
    assert (caught.value.method, caught.value.path, caught.value.resource_id) == (
        "GET",
        "/v1/calls/no-such-call",
        "no-such-call",
    )


def test_views_and_raw_responses(client: SyncSkipcallClient, fake_api: FakeSkipcall) -> None:
    """with_options sends the view's headers; with_raw_response returns the RawResponse; closing a view does not
    close its client."""
    call_id = visible_calls(fake_api)[1]
    view = client.with_options(headers={"X-Trace": "abc"}, priority="bulk")
    before = len(fake_api.requests)
    assert view.get_call(call_id).id == call_id
    assert fake_api.requests[before].headers["X-Trace"] == "abc"
    raw = client.with_raw_response.get_call(call_id)
    assert isinstance(raw, RawResponse)
    assert (raw.status, raw.method, raw.attempts) == (200, "GET", 1)
    assert raw.parse().id == call_id
    assert "X-Trace" not in fake_api.requests[-1].headers
    view.close()
    assert view.closed
    assert not client.closed
    with pytest.raises(ClientClosedError):
        view.health()
    assert client.health().status == "ok"


def test_closed_client_refuses_calls(fake_api: FakeSkipcall) -> None:
    """After close (or the with block), a call raises ClientClosedError; close is idempotent."""
    with SyncSkipcallClient(fake_api.api_key, base_url=fake_api.url) as client:
        client.health()
    assert client.closed
    client.close()
    with pytest.raises(ClientClosedError):
        client.health()
    with pytest.raises(ClientClosedError):
        client.__enter__()


def test_a_client_dropped_without_close_closes_its_connections(fake_api: FakeSkipcall) -> None:
    """A client that is collected while open (no with, no close) has its async client closed on the loop thread,
    so aiohttp never reports an unclosed session; the registry for closing at exit does not keep it alive."""
    client = SyncSkipcallClient(fake_api.api_key, base_url=fake_api.url)
    assert client.health().status == "ok"
    inner = client._client
    del client
    gc.collect()
    deadline = time.monotonic() + 5
    while not inner.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert inner.closed


def test_threads_share_one_client_and_its_rate_limit_state(client: SyncSkipcallClient, fake_api: FakeSkipcall) -> None:
    """60 calls from 12 threads all come back; the snapshot then shows nothing in flight."""
    ids = visible_calls(fake_api)[:60]
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        calls = list(pool.map(client.get_call, ids))
    assert [c.id for c in calls] == ids
    snapshot = client.rate_limit
    assert snapshot.in_flight == 0
    assert snapshot.store == "in-process"


def test_calling_the_sync_client_from_its_own_loop_thread_is_refused(fake_api: FakeSkipcall) -> None:
    """A hook (on the SDK's loop thread) that calls a sync client would wait for itself: EventLoopError instead."""
    caught: list[BaseException] = []

    async def on_request(event: object) -> None:
        try:
            other.health()
        except EventLoopError as error:
            caught.append(error)

    other = SyncSkipcallClient(fake_api.api_key, base_url=fake_api.url)
    with SyncSkipcallClient(fake_api.api_key, base_url=fake_api.url, on_request=on_request) as hooked:
        hooked.health()
    other.close()
    assert len(caught) == 1
    assert "use an async SkipcallClient" in str(caught[0])


@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_async_client_in_a_second_event_loop_says_what_to_do(fake_api: FakeSkipcall) -> None:
    """asyncio.run twice with one client made outside them: the second raises EventLoopError, which names the fix."""
    error = run_twice(fake_api)
    assert isinstance(error, RuntimeError)
    assert "which has ended: make the client inside the coroutine" in str(error)
    assert "SyncSkipcallClient" in str(error)
    gc.collect()  # the first loop's sockets, which nothing could close, go here, not in another test


def run_twice(fake_api: FakeSkipcall) -> EventLoopError:
    """The mistake: a module-level async client, and asyncio.run called twice (then a third time)."""
    client = SkipcallClient(fake_api.api_key, base_url=fake_api.url)

    async def health() -> str:
        return (await client.health()).status

    assert asyncio.run(health()) == "ok"
    with pytest.raises(EventLoopError) as caught:
        asyncio.run(health())
    with pytest.raises(EventLoopError):  # and again, not a ClientClosedError: the fix is the same
        asyncio.run(health())
    return caught.value


async def test_two_event_loops_share_one_state_per_key() -> None:
    """Limiters of one key in two loops share a state: a token taken in one is in flight in the other, and a token
    given back in one wakes a task waiting for it in the other."""
    store = InProcessRateLimitStore()
    settings = RateLimitPolicy(probe=1)._settings()
    key = ApiKey("sk_shared")
    here = store._limiter_for("https://api.test", key, settings)
    ticket = here.try_acquire()  # the probe: the only token until a response brings headers
    assert ticket is not None
    other_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=other_loop.run_forever, daemon=True)
    thread.start()
    try:

        async def there() -> int:
            limiter = store._limiter_for("https://api.test", key, settings)
            assert isinstance(limiter.backend, SharedMemoryBackend)
            assert limiter is not here
            assert limiter.backend.shared is here.backend.shared  # type: ignore[attr-defined]
            assert limiter.snapshot().in_flight == 1
            assert limiter.try_acquire() is None  # the probe is out, from the other loop
            granted = await asyncio.wait_for(limiter.acquire(), 5)
            return granted.stamp

        waiting = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(there(), other_loop))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        here.release(ticket, sent=False)  # never sent: the probe's token goes back, to the other loop's waiter
        assert await asyncio.wait_for(waiting, 5) == 0
    finally:
        other_loop.call_soon_threadsafe(other_loop.stop)
        thread.join(5)
        other_loop.close()


@pytest.mark.slow
async def test_a_sync_and_an_async_client_on_one_key_are_paced_as_one() -> None:
    """An async gather and a sync client's threads on one key, together over three times the limit: no 429."""
    rule = RateLimitRule(plan=Plan(limit=20), rule="fixed-first", time_scale=60 / 0.5)
    with threaded_server(rate_limit=rule) as server:
        ids = visible_calls(server)[:60]
        policy = RateLimitPolicy(window=0.5)
        sync = SyncSkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy)
        async with SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy) as client:
            loop = asyncio.get_running_loop()
            pool = concurrent.futures.ThreadPoolExecutor(10)
            blocking = [loop.run_in_executor(pool, sync.get_call, call_id) for call_id in ids[:30]]
            awaited = [client.get_call(call_id) for call_id in ids[30:]]
            calls = await asyncio.gather(*blocking, *awaited)
            pool.shutdown()
            assert client.rate_limit.in_flight == 0
        sync.close()
        assert [c.id for c in calls] == ids
        assert server.rate_limited == 0
        assert len(server.requests) == 60


@pytest.mark.slow
def test_three_hundred_calls_from_threads_are_paced_without_a_429() -> None:
    """300 get_call from 50 threads through one sync client, against a limit of 100 per window: all come back,
    in at least three windows, no 429, nothing left in flight."""
    rule = RateLimitRule(plan=Plan(limit=100), rule="fixed-first", time_scale=60 / 0.5)
    with threaded_server(rate_limit=rule) as server:
        ids = (visible_calls(server) * 2)[:300]
        with SyncSkipcallClient(server.api_key, base_url=server.url, rate_limiting=RateLimitPolicy(window=0.5)) as sync:
            with concurrent.futures.ThreadPoolExecutor(50) as pool:
                calls = list(pool.map(sync.get_call, ids))
            assert sync.rate_limit.in_flight == 0
        assert [c.id for c in calls] == ids
        assert server.rate_limited == 0
        times = sorted(r.at for r in server.requests)
        assert times[-1] - times[0] >= 2 * 0.5  # the fourth hundred could not go before two windows had passed


@pytest.mark.slow
def test_a_forked_child_uses_the_parents_client_on_connections_of_its_own(fake_api: FakeSkipcall) -> None:
    """A client used before a fork (a Celery or gunicorn parent) works in the child, which never touches the
    parent's connections, and the parent goes on using it."""
    script = textwrap.dedent(
        f"""
        import os, sys, warnings
        from skipcall_async import SyncSkipcallClient
        client = SyncSkipcallClient({fake_api.api_key!r}, base_url={fake_api.url!r})
        assert client.health().status == "ok"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() of a process with threads
            pid = os.fork()
        if pid == 0:
            code = 0 if client.health().status == "ok" and client.rate_limit.in_flight == 0 else 3
            client.close()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert client.health().status == "ok"
        client.close()
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr
    assert result.stderr == ""  # nothing logged about the parent's connections, which the child let go of
