"""OpenTelemetry: one client span per call named by its route, its context on the wire, waits, retries, metrics."""

from __future__ import annotations

import asyncio
import hashlib
import math
import socket
import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from skipcall_async import (
    APIConnectionError,
    NotFoundError,
    RequestEvent,
    RetryPolicy,
    SkipcallClient,
)
from skipcall_async import _otel as otel_module
from skipcall_async._resources.organization import LIST_WORKSPACES
from skipcall_async._telemetry import observe
from skipcall_async.testing import FakeSkipcall, Plan, RateLimitRule
from support.backends import API_KEY, LocalServer
from support.otel import Telemetry, global_sdk, reset_globals

NO_BACKOFF = RetryPolicy(base=0.0, cap=0.0)


def traceparent_of(span: object) -> str:
    context = span.get_span_context()  # type: ignore[attr-defined]
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def test_a_call_is_one_client_span_named_by_its_route_and_its_context_goes_on_the_wire(otel: Telemetry) -> None:
    """`GET /v1/calls/{id}`: a CLIENT span with the HTTP attributes, and the request carries its `traceparent`."""
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        call_id = next(iter(await client.list_calls(size=1))).id
        call = await client.get_call(call_id)
    assert call.id == call_id
    [span] = otel.spans("GET /v1/calls/{id}")
    assert span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "skipcall_async"
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.template": "/v1/calls/{id}",
        "url.full": f"{server.url}/v1/calls/{call_id}",
        "server.address": "127.0.0.1",
        "server.port": port_of(server.url),
        "http.response.status_code": 200,
        "skipcall.operation": "get_call",
        "skipcall.rate_limit.lane": "interactive",
        "skipcall.rate_limit.wait_duration": 0.0,
    }
    assert span.status.status_code is StatusCode.UNSET
    sent = server.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"/v1/calls/{call_id}")
    assert sent.headers["traceparent"] == traceparent_of(span)
    [page_span] = otel.spans("GET /v1/calls")
    assert page_span.attributes is not None
    assert page_span.attributes["skipcall.operation"] == "list_calls"
    assert server.requests[-2].headers["traceparent"] == traceparent_of(page_span)


async def test_the_call_span_is_a_child_of_the_callers_span(otel: Telemetry, server: LocalServer) -> None:
    """A call made inside the application's span belongs to its trace; the server sees that trace too."""
    server.respond(200, [])
    async with SkipcallClient(API_KEY, base_url=server.url) as client:
        with trace.get_tracer("app").start_as_current_span("nightly sync") as job:
            await client.list_workspaces()
    [span] = otel.spans("GET /v1/workspaces")
    assert span.parent is not None
    assert span.parent.span_id == job.get_span_context().span_id
    assert span.context is not None
    assert span.context.trace_id == job.get_span_context().trace_id
    assert server.last.headers["traceparent"] == traceparent_of(span)
    assert trace.get_current_span() is not span  # the call's span is current only while the call runs


async def test_a_retry_is_a_span_event_and_the_resend_is_counted(otel: Telemetry, server: LocalServer) -> None:
    """A 503 then a 200: one span with `http.request.resend_count` 1 and a `skipcall.retry` event; two requests."""
    server.respond(503, None)
    server.respond(200, [])
    async with SkipcallClient(API_KEY, base_url=server.url, retry=NO_BACKOFF) as client:
        assert await client.list_workspaces() == []
    [span] = otel.spans()
    assert span.attributes is not None
    assert span.attributes["http.request.resend_count"] == 1
    assert span.attributes["http.response.status_code"] == 200
    assert "error.type" not in span.attributes
    assert [(e.name, dict(e.attributes or {})) for e in span.events] == [
        ("skipcall.retry", {"skipcall.attempt": 1, "error.type": "503", "skipcall.retry.delay": 0.0})
    ]
    assert [s.headers["traceparent"] for s in server.sent] == [traceparent_of(span)] * 2
    durations = {
        (p.attributes["http.response.status_code"], p.attributes.get("error.type")): p.count
        for p in otel.points("http.client.request.duration")
    }
    assert durations == {(503, "503"): 1, (200, None): 1}


async def test_a_429_is_a_span_event_and_counted(otel: Telemetry, server: LocalServer) -> None:
    """A 429 is marked on the span with its Retry-After, counted, and the pause after it is a wait span."""
    refusal = {"error": {"code": "RATE_LIMITED", "message": "slow down", "status": 429}}
    server.respond(429, refusal, Retry_After="0.05", X_RateLimit_Remaining="0", X_RateLimit_Reset="1")
    server.respond(200, [])
    async with SkipcallClient(API_KEY, base_url=server.url, retry=NO_BACKOFF) as client:
        await client.list_workspaces()
    assert len(server.sent) == 2
    [span] = otel.spans("GET /v1/workspaces")
    [pause] = otel.spans("skipcall.rate_limit.wait")  # the key's gate after the 429, before the request went again
    assert pause.parent is not None
    assert span.context is not None
    assert pause.parent.span_id == span.context.span_id
    rejected = [e for e in span.events if e.name == "skipcall.rate_limit.rejected"]
    assert [dict(e.attributes or {}) for e in rejected] == [
        {"http.response.status_code": 429, "skipcall.attempt": 1, "skipcall.rate_limit.retry_after": 0.05}
    ]
    assert span.attributes is not None
    assert span.attributes["skipcall.rate_limit.rejections"] == 1
    assert span.attributes["http.response.status_code"] == 200
    [counted] = otel.points("skipcall.rate_limit.rejections")
    assert counted.value == 1
    assert dict(counted.attributes) == {
        "http.request.method": "GET",
        "url.template": "/v1/workspaces",
        "server.address": "127.0.0.1",
        "server.port": port_of(server.url),
        "skipcall.rate_limit.lane": "interactive",
    }


async def test_a_failed_call_ends_its_span_in_error_with_the_status_as_error_type(
    otel: Telemetry, server: LocalServer
) -> None:
    """A 404: span status ERROR, `error.type` "404", the exception recorded; the call's duration says so too."""
    server.respond(404, {"error": {"code": "NOT_FOUND", "message": "no such call", "status": 404}})
    async with SkipcallClient(API_KEY, base_url=server.url) as client:
        with pytest.raises(NotFoundError):
            await client.get_call("c-404")
    [span] = otel.spans("GET /v1/calls/{id}")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "404"
    [exception] = [e for e in span.events if e.name == "exception"]
    assert exception.attributes is not None
    assert exception.attributes["exception.type"].endswith("NotFoundError")
    [call] = otel.points("skipcall.operation.duration")
    assert call.count == 1
    assert call.attributes["error.type"] == "404"
    assert call.attributes["skipcall.operation"] == "get_call"


async def test_a_request_without_a_response_is_measured_with_its_error_type(otel: Telemetry) -> None:
    """Nobody listening: `error.type` names the SDK's error class, and there is no status code."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with SkipcallClient(API_KEY, base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=1)) as c:
        with pytest.raises(APIConnectionError):
            await c.list_workspaces()
    [request] = otel.points("http.client.request.duration")
    assert dict(request.attributes) == {
        "http.request.method": "GET",
        "url.template": "/v1/workspaces",
        "server.address": "127.0.0.1",
        "server.port": port,
        "error.type": "skipcall_async.APIConnectionError",
    }
    [span] = otel.spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "skipcall_async.APIConnectionError"
    assert "http.response.status_code" not in span.attributes


async def test_rate_limit_waits_are_child_spans_and_measured_by_lane(otel: Telemetry) -> None:
    """A gather on a cold client waits for the probe and then for the window: each wait is a child span of its call,
    the call's `skipcall.rate_limit.wait_duration` is their sum, and the gauges report the key."""
    rule = RateLimitRule(plan=Plan(limit=4, window=60.0), time_scale=200.0, reset_format="epoch-ms")
    async with FakeSkipcall(rate_limit=rule) as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        ids = [c["id"] for c in server.store.in_scope("calls")[:8]]
        await asyncio.gather(*(client.get_call(i) for i in ids))
        remaining = client.rate_limit.remaining
        limits = [(p.value, dict(p.attributes)) for p in otel.points("skipcall.rate_limit.limit")]
        remainders = [(p.value, dict(p.attributes)) for p in otel.points("skipcall.rate_limit.remaining")]
        lanes = otel.points("skipcall.rate_limit.waiting")
        waiting = {p.attributes["skipcall.rate_limit.lane"]: p.value for p in lanes}
    assert otel.points("skipcall.rate_limit.limit") == []  # a closed client's key is no longer reported
    calls = otel.spans("GET /v1/calls/{id}")
    waits = otel.spans("skipcall.rate_limit.wait")
    assert len(calls) == 8
    assert waits, "a cold client's gather waits for the probe"
    by_parent: dict[int, float] = {}
    for wait in waits:
        assert wait.parent is not None
        assert wait.attributes is not None
        assert wait.attributes["skipcall.rate_limit.lane"] == "interactive"
        by_parent[wait.parent.span_id] = (
            by_parent.get(wait.parent.span_id, 0.0) + wait.attributes["skipcall.rate_limit.wait_duration"]
        )
        assert wait.end_time is not None
        assert wait.start_time is not None
        assert wait.end_time > wait.start_time
    for call in calls:
        assert call.context is not None
        assert call.attributes is not None
        waited = call.attributes["skipcall.rate_limit.wait_duration"]
        assert math.isclose(waited, by_parent.get(call.context.span_id, 0.0))
    assert sum(c.attributes["skipcall.rate_limit.wait_duration"] > 0 for c in calls if c.attributes) >= 4
    [measured] = otel.points("skipcall.rate_limit.wait.duration")
    assert measured.count == len(server.requests)  # one sample per request sent, zero for those that did not wait
    assert math.isclose(measured.sum, sum(c.attributes["skipcall.rate_limit.wait_duration"] for c in calls))
    assert dict(measured.attributes) == {
        "server.address": "127.0.0.1",
        "server.port": port_of(server.url),
        "skipcall.rate_limit.lane": "interactive",
    }
    key = {
        "server.address": "127.0.0.1",
        "server.port": port_of(server.url),
        "skipcall.api_key.fingerprint": hashlib.sha256(server.api_key.encode()).hexdigest()[:12],
    }
    assert limits == [(4, key)]
    assert remainders == ([] if remaining is None else [(remaining, key)])  # None once the window is over
    assert waiting == {"interactive": 0, "bulk": 0}


async def test_without_an_sdk_a_call_does_no_opentelemetry_work_until_one_is_configured(server: LocalServer) -> None:
    """The API installed and no SDK: no observer, no `traceparent`; a provider set later is used by the next call."""
    reset_globals()
    server.respond(200, [])
    async with SkipcallClient(API_KEY, base_url=server.url) as client:
        assert otel_module.signals() is None
        assert observe(client, LIST_WORKSPACES, "/v1/workspaces") is None
        await client.list_workspaces()
        assert "traceparent" not in server.last.headers
        with global_sdk() as otel:
            await client.list_workspaces()
            [span] = otel.spans()
        assert server.last.headers["traceparent"] == traceparent_of(span)
        await client.list_workspaces()
        assert "traceparent" not in server.last.headers  # and once it is gone, so is the work
    assert len(server.sent) == 3


async def test_without_opentelemetry_installed_calls_and_hooks_work(
    monkeypatch: pytest.MonkeyPatch, server: LocalServer
) -> None:
    """The `otel` extra is optional: with no opentelemetry package at all, nothing of it is tried again per call."""
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # what an import finds when the package is absent
    monkeypatch.setattr(otel_module, "_loaded", False)
    monkeypatch.setattr(otel_module, "_api", None)
    seen: list[RequestEvent] = []

    async def on_request(event: RequestEvent) -> None:
        seen.append(event)

    server.respond(200, [])
    async with SkipcallClient(API_KEY, base_url=server.url, on_request=on_request) as client:
        assert otel_module._loaded
        assert otel_module.signals() is None
        assert await client.list_workspaces() == []
    assert [(e.operation, e.route) for e in seen] == [("list_workspaces", "/v1/workspaces")]
    assert "traceparent" not in server.last.headers


def test_importing_the_package_does_not_import_opentelemetry() -> None:
    """Only a client's construction imports the API, so `import skipcall_async` costs nothing for it."""
    script = (
        "import sys\n"
        "import skipcall_async\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry')\n"
        "assert loaded() == [], loaded()\n"
        "skipcall_async.SkipcallClient('sk_test_x')\n"
        "assert 'opentelemetry.trace' in loaded(), loaded()\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
