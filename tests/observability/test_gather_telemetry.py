"""The issue's measure: a gather of 300 calls with the OpenTelemetry SDK set up makes 300 operation spans with their
attributes and rate-limit waits, the metrics, and a real Prometheus server scrapes the same numbers; the same with
the sync client, from threads."""

from __future__ import annotations

import asyncio
import math
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from prometheus_client import start_http_server

from skipcall_async import SkipcallClient, SyncSkipcallClient
from skipcall_async.testing import FakeSkipcall, Plan, RateLimitRule
from support.otel import global_sdk
from support.prometheus import Prometheus, prometheus_server

pytestmark = pytest.mark.slow

CALLS = 300
LIMIT = 100  # per one-second window: the gather needs three windows, so most calls wait
SPAN_ATTRIBUTES = {
    "http.request.method",
    "url.template",
    "url.full",
    "server.address",
    "server.port",
    "http.response.status_code",
    "skipcall.operation",
    "skipcall.rate_limit.lane",
    "skipcall.rate_limit.wait_duration",
}


def total(prometheus: Prometheus, expression: str) -> float:
    series = prometheus.query(expression)
    return sum(value for _, value in series)


async def test_a_300_call_gather_is_traced_measured_and_scraped_by_prometheus() -> None:
    """Spans, metrics and Prometheus agree with what the fake server received, request for request."""
    exporter = PrometheusMetricReader()  # in prometheus_client's default registry until the meter provider shuts down
    http_server, thread = start_http_server(0, addr="127.0.0.1")
    target = f"127.0.0.1:{http_server.server_port}"
    rule = RateLimitRule(plan=Plan(limit=LIMIT, window=60.0), time_scale=60.0)
    try:
        with global_sdk(extra_readers=[exporter]) as otel, prometheus_server([target]) as prometheus:
            async with FakeSkipcall(rate_limit=rule, calls=CALLS) as server:
                ids = [c["id"] for c in server.store.in_scope("calls")]
                ids = (ids * (CALLS // len(ids) + 1))[:CALLS]
                async with SkipcallClient(server.api_key, base_url=server.url) as client:
                    calls = await asyncio.gather(*(client.get_call(i) for i in ids))
                    assert [c.id for c in calls] == ids

                    # -- spans: one per call, named by the route, with every attribute
                    spans = otel.spans("GET /v1/calls/{id}")
                    assert len(spans) == CALLS
                    for span in spans:
                        assert span.attributes is not None
                        assert set(span.attributes) >= SPAN_ATTRIBUTES, set(span.attributes)
                        assert span.attributes["http.response.status_code"] == 200
                        assert span.attributes["url.template"] == "/v1/calls/{id}"
                    waited = [s.attributes["skipcall.rate_limit.wait_duration"] for s in spans if s.attributes]
                    assert sum(w > 0 for w in waited) >= CALLS - LIMIT  # the gather spans three windows
                    waits = otel.spans("skipcall.rate_limit.wait")
                    assert {w.parent.span_id for w in waits if w.parent} <= {
                        s.context.span_id for s in spans if s.context
                    }
                    assert math.isclose(
                        sum(w.attributes["skipcall.rate_limit.wait_duration"] for w in waits if w.attributes),
                        sum(waited),
                    )
                    sent = len(server.requests)
                    resent = sum(s.attributes.get("http.request.resend_count", 0) for s in spans if s.attributes)
                    assert sent == CALLS + resent
                    assert {r.headers["traceparent"][3:35] for r in server.requests} == {
                        f"{s.context.trace_id:032x}" for s in spans if s.context
                    }

                    # -- metrics, in process
                    [requests] = [
                        p
                        for p in otel.points("http.client.request.duration")
                        if p.attributes.get("http.response.status_code") == 200
                    ]
                    assert requests.count == CALLS
                    [measured] = otel.points("skipcall.rate_limit.wait.duration")
                    assert measured.count == sent
                    assert math.isclose(measured.sum, sum(waited))
                    rejected = sum(p.value for p in otel.points("skipcall.rate_limit.rejections"))
                    assert rejected == server.rate_limited

                    # -- the same, as Prometheus scraped it from the exporter's endpoint
                    page = await asyncio.to_thread(
                        lambda: urllib.request.urlopen(f"http://{target}/metrics", timeout=5).read().decode()
                    )
                    for name in (
                        "http_client_request_duration_seconds_count",
                        "skipcall_rate_limit_wait_duration_seconds_bucket",
                        "skipcall_operation_duration_seconds_sum",
                        "skipcall_rate_limit_limit",
                        "skipcall_rate_limit_waiting",
                    ):
                        assert name in page, name
                    selector = '{url_template="/v1/calls/{id}",http_response_status_code="200"}'

                    def scraped() -> bool:
                        return total(prometheus, f"http_client_request_duration_seconds_count{selector}") == CALLS

                    await asyncio.to_thread(prometheus.wait_for, scraped, what=f"{CALLS} requests")
                    assert await asyncio.to_thread(prometheus.targets_up)
                    assert (
                        await asyncio.to_thread(
                            total,
                            prometheus,
                            'skipcall_rate_limit_wait_duration_seconds_count{skipcall_rate_limit_lane="interactive"}',
                        )
                        == sent
                    )
                    assert (
                        await asyncio.to_thread(
                            total,
                            prometheus,
                            'skipcall_operation_duration_seconds_count{skipcall_operation="get_call"}',
                        )
                        == CALLS
                    )
                    limit = await asyncio.to_thread(prometheus.query, "skipcall_rate_limit_limit")
                    assert [value for _, value in limit] == [LIMIT]
                    assert limit[0][0]["server_port"] == server.url.rsplit(":", 1)[1]
                    waiting = await asyncio.to_thread(prometheus.query, "skipcall_rate_limit_waiting")
                    assert sorted((labels["skipcall_rate_limit_lane"], value) for labels, value in waiting) == [
                        ("bulk", 0.0),
                        ("interactive", 0.0),
                    ]
                    # reported only while a window is current, and these last a second: present or not, in range
                    remaining = await asyncio.to_thread(prometheus.query, "skipcall_rate_limit_remaining")
                    assert len(remaining) <= 1
                    assert all(0 <= value <= LIMIT for _, value in remaining)
    finally:
        http_server.shutdown()
        http_server.server_close()
        thread.join(timeout=5)


async def test_300_calls_of_the_sync_client_are_traced_measured_and_scraped_by_prometheus() -> None:
    """The same from threads through `SyncSkipcallClient`: its calls run on the SDK's loop thread, and are traced
    and measured as the async client's are."""
    exporter = PrometheusMetricReader()
    http_server, thread = start_http_server(0, addr="127.0.0.1")
    target = f"127.0.0.1:{http_server.server_port}"
    rule = RateLimitRule(plan=Plan(limit=LIMIT, window=60.0), time_scale=60.0)
    try:
        with global_sdk(extra_readers=[exporter]) as otel, prometheus_server([target]) as prometheus:
            async with FakeSkipcall(rate_limit=rule, calls=CALLS) as server:
                ids = [c["id"] for c in server.store.in_scope("calls")]
                ids = (ids * (CALLS // len(ids) + 1))[:CALLS]

                def from_threads() -> list[str]:
                    with SyncSkipcallClient(server.api_key, base_url=server.url) as client:
                        with ThreadPoolExecutor(max_workers=30) as pool:
                            return [call.id for call in pool.map(client.get_call, ids)]

                assert await asyncio.to_thread(from_threads) == ids
                spans = otel.spans("GET /v1/calls/{id}")
                assert len(spans) == CALLS
                for span in spans:
                    assert span.attributes is not None
                    assert set(span.attributes) >= SPAN_ATTRIBUTES, set(span.attributes)
                assert server.rate_limited == 0
                assert {r.headers["traceparent"][3:35] for r in server.requests} == {
                    f"{s.context.trace_id:032x}" for s in spans if s.context
                }
                [requests] = [
                    p
                    for p in otel.points("http.client.request.duration")
                    if p.attributes.get("http.response.status_code") == 200
                ]
                assert requests.count == CALLS
                selector = '{url_template="/v1/calls/{id}",http_response_status_code="200"}'

                def scraped() -> bool:
                    return total(prometheus, f"http_client_request_duration_seconds_count{selector}") == CALLS

                await asyncio.to_thread(prometheus.wait_for, scraped, what=f"{CALLS} requests from the sync client")
    finally:
        http_server.shutdown()
        http_server.server_close()
        thread.join(timeout=5)
