"""Hook events name the operation and the route; a retry names its request; a call's final failure is one event."""

from __future__ import annotations

import socket

import pytest

from skipcall_async import (
    APIConnectionError,
    FailureEvent,
    NotFoundError,
    RateLimitWaitEvent,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    SkipcallClient,
)
from support.backends import API_KEY, LocalServer
from support.examples import CALL

NO_BACKOFF = RetryPolicy(base=0.0, cap=0.0)
Event = RequestEvent | ResponseEvent | RetryEvent | RateLimitWaitEvent | FailureEvent


class Recorder:
    """Every hook of a client, recording what it hears in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.events.append(event)

    def hooks(self) -> dict[str, Recorder]:
        names = ("on_request", "on_response", "on_retry", "on_rate_limit_wait", "on_failure")
        return dict.fromkeys(names, self)

    def of(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


async def test_every_event_names_the_operation_and_the_route(server: LocalServer) -> None:
    """A gather on a cold client (one waits for the probe): request, response and wait events all carry both."""
    server.respond(200, CALL)
    recorder = Recorder()
    async with SkipcallClient(API_KEY, base_url=server.url, **recorder.hooks()) as client:
        await client.get_call("c-1")
        await client.get_call_recording("c-1")
    assert [type(e).__name__ for e in recorder.events] == ["RequestEvent", "ResponseEvent"] * 2
    named = [(e.operation, e.route, e.path) for e in recorder.events]
    assert (
        named
        == [("get_call", "/v1/calls/{id}", "/v1/calls/c-1")] * 2
        + [("get_call_recording", "/v1/calls/{id}/recording", "/v1/calls/c-1/recording")] * 2
    )
    assert [s.raw_path for s in server.sent] == ["/v1/calls/c-1", "/v1/calls/c-1/recording"]


async def test_a_wait_event_names_the_operation_and_the_route(server: LocalServer) -> None:
    """The second call of a cold client waits for the probe's headers: its wait event says which call it was."""
    import asyncio

    server.respond(200, {"id": "x"}, X_RateLimit_Remaining="50", X_RateLimit_Reset="60")
    recorder = Recorder()
    async with SkipcallClient(API_KEY, base_url=server.url, **recorder.hooks()) as client:
        await asyncio.gather(client.get_contact("a"), client.get_contact("b"))
    [wait] = recorder.of(RateLimitWaitEvent)
    assert isinstance(wait, RateLimitWaitEvent)
    assert (wait.method, wait.operation, wait.route, wait.lane) == (
        "GET",
        "get_contact",
        "/v1/contacts/{id}",
        "interactive",
    )
    assert wait.path in ("/v1/contacts/a", "/v1/contacts/b")
    assert wait.waited > 0


async def test_a_retry_event_names_its_request(server: LocalServer) -> None:
    """`RetryEvent` has the method, path, operation and route of the call it retries."""
    server.respond(503, None)
    server.respond(200, None)
    recorder = Recorder()
    async with SkipcallClient(API_KEY, base_url=server.url, retry=NO_BACKOFF, **recorder.hooks()) as client:
        await client.delete_tag("t-1")
    [retry] = recorder.of(RetryEvent)
    assert isinstance(retry, RetryEvent)
    assert (retry.method, retry.path, retry.operation, retry.route) == (
        "DELETE",
        "/v1/tags/t-1",
        "delete_tag",
        "/v1/tags/{id}",
    )
    assert (retry.attempt, retry.delay, getattr(retry.error, "status", None)) == (1, 0.0, 503)
    assert recorder.of(FailureEvent) == []  # the call succeeded in the end
    assert [(s.method, s.raw_path) for s in server.sent] == [("DELETE", "/v1/tags/t-1")] * 2


async def test_a_call_to_a_server_that_is_down_ends_in_one_failure_event() -> None:
    """4 attempts, 3 retries, then one `FailureEvent` with the error the call raises, just before it is raised."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder()
    url = f"http://127.0.0.1:{port}"
    async with SkipcallClient(API_KEY, base_url=url, retry=NO_BACKOFF, **recorder.hooks()) as client:
        with pytest.raises(APIConnectionError) as raised:
            await client.list_calls(size=5)
    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds == ["RequestEvent", "RetryEvent"] * 3 + ["RequestEvent", "FailureEvent"]
    [failure] = recorder.of(FailureEvent)
    assert isinstance(failure, FailureEvent)
    assert failure.error is raised.value
    assert (failure.method, failure.path, failure.operation, failure.route) == (
        "GET",
        "/v1/calls",
        "list_calls",
        "/v1/calls",
    )
    assert (failure.attempts, failure.status) == (4, None)
    assert failure.elapsed > 0


async def test_a_failure_event_carries_the_last_status(server: LocalServer) -> None:
    """A 404 is final at once: one attempt, status 404, the NotFoundError the caller gets."""
    server.respond(404, {"error": {"code": "NOT_FOUND", "message": "no such contact", "status": 404}})
    recorder = Recorder()
    async with SkipcallClient(API_KEY, base_url=server.url, **recorder.hooks()) as client:
        with pytest.raises(NotFoundError) as raised:
            await client.get_contact("nobody")
    [failure] = recorder.of(FailureEvent)
    assert isinstance(failure, FailureEvent)
    assert (failure.attempts, failure.status, failure.error) == (1, 404, raised.value)
    assert (failure.operation, failure.route, failure.path) == (
        "get_contact",
        "/v1/contacts/{id}",
        "/v1/contacts/nobody",
    )
