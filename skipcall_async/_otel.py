"""OpenTelemetry spans and metrics of calls, through the global providers the application configures.

The only module that imports opentelemetry, and only the API (the ``otel`` extra): when the first client is made,
never on ``import skipcall_async``. ``signals()`` is asked once per call. It answers None while neither a tracer
provider nor a meter provider of an SDK is set (the API's own proxies and no-op providers do not count), so with
the extra installed and nothing configured a call does no OpenTelemetry work; a provider set later is picked up
by the next call.

Names follow the HTTP client semantic conventions (span ``GET /v1/calls/{id}``, ``http.client.request.duration``);
the SDK's own are under ``skipcall.``. docs/observability.md lists them all.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from ._errors import APIError
from ._version import __version__

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation
    from opentelemetry.trace import Span, Tracer

    from ._pacing.limiter import RateLimitSnapshot

SCOPE: Final = "skipcall_async"
SCHEMA_URL: Final = "https://opentelemetry.io/schemas/1.27.0"

# The boundaries the HTTP semantic conventions advise for request durations, and wider ones for waits and whole
# calls, which a rate limit stretches to minutes.
REQUEST_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
WAIT_BUCKETS: Final = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

_api: _Api | None = None
_loaded = False


def load() -> None:
    """Import the API if it is installed (once; a client's constructor calls this)."""
    global _api, _loaded
    if _loaded:
        return
    _loaded = True
    try:
        _api = _Api()
    except ImportError:
        _api = None


def signals() -> Signals | None:
    """The tracer and instruments of the configured SDK for one call, or None when none is configured."""
    if _api is None:
        return None
    return _api.signals()


class Meters:
    """The instruments of one meter provider."""

    def __init__(self, meter: Meter) -> None:
        self.request_duration: Histogram = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=REQUEST_BUCKETS,
        )
        self.operation_duration: Histogram = meter.create_histogram(
            "skipcall.operation.duration",
            unit="s",
            description="Duration of SDK calls, from the call to its result: rate-limit waits and retries included.",
            explicit_bucket_boundaries_advisory=WAIT_BUCKETS,
        )
        self.wait_duration: Histogram = meter.create_histogram(
            "skipcall.rate_limit.wait.duration",
            unit="s",
            description="Time each request waited for a rate-limit token before it was sent (0 when none).",
            explicit_bucket_boundaries_advisory=WAIT_BUCKETS,
        )
        self.rejections: Counter = meter.create_counter(
            "skipcall.rate_limit.rejections",
            unit="{response}",
            description="429 responses: requests the server refused for the rate limit.",
        )
        meter.create_observable_gauge(
            "skipcall.rate_limit.remaining",
            callbacks=[_observe_remaining],
            unit="{request}",
            description="Requests the key may still send in the current window, as this process knows it.",
        )
        meter.create_observable_gauge(
            "skipcall.rate_limit.limit",
            callbacks=[_observe_limit],
            unit="{request}",
            description="Requests the key may send per window, as the server last said.",
        )
        meter.create_observable_gauge(
            "skipcall.rate_limit.waiting",
            callbacks=[_observe_waiting],
            unit="{request}",
            description="Tasks of this process queued for a rate-limit token, by lane.",
        )


class Signals:
    """What one call reports to: a tracer, the instruments, or both."""

    __slots__ = ("meters", "tracer")

    def __init__(self, tracer: Tracer | None, meters: Meters | None) -> None:
        self.tracer = tracer
        self.meters = meters


class _Api:
    """The imported API, and the tracer and instruments of the providers last seen (set once in an application)."""

    def __init__(self) -> None:
        from opentelemetry import context, metrics, propagate, trace
        from opentelemetry.metrics import _internal as metrics_state

        self.context = context
        self.metrics = metrics
        self.propagate = propagate
        self.trace = trace
        self._tracer_provider: object = None
        self._meter_provider: object = None
        self._signals: Signals | None = None
        # The public getters cost microseconds each (they look up an environment variable while nothing is set),
        # which a call without telemetry should not pay. Where the API keeps its two globals as it has since 1.x,
        # and no environment variable names a provider to load, reading them says "nothing set" in a few loads.
        self._trace_state: Any = trace
        self._metrics_state: Any = metrics_state
        self._fast = (
            hasattr(trace, "_TRACER_PROVIDER")
            and hasattr(metrics_state, "_METER_PROVIDER")
            and not {"OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER"} & set(os.environ)
        )

    def signals(self) -> Signals | None:
        if self._fast and self._trace_state._TRACER_PROVIDER is None and self._metrics_state._METER_PROVIDER is None:
            return None
        tracer_provider = self.trace.get_tracer_provider()
        meter_provider = self.metrics.get_meter_provider()
        if tracer_provider is self._tracer_provider and meter_provider is self._meter_provider:
            return self._signals
        tracer = None
        if not _is_api_own(tracer_provider):
            tracer = tracer_provider.get_tracer(SCOPE, __version__, schema_url=SCHEMA_URL)
        meters = None
        if not _is_api_own(meter_provider):
            meters = Meters(meter_provider.get_meter(SCOPE, __version__, schema_url=SCHEMA_URL))
        self._signals = None if tracer is None and meters is None else Signals(tracer, meters)
        self._tracer_provider, self._meter_provider = tracer_provider, meter_provider
        return self._signals


def _is_api_own(provider: object) -> bool:
    """A provider of the API itself (a proxy waiting for an SDK, or a no-op one), not one of an SDK."""
    return type(provider).__module__.startswith(("opentelemetry.trace", "opentelemetry.metrics"))


@lru_cache(maxsize=64)
def server_of(base_url: str) -> tuple[str, int]:
    """``server.address`` and ``server.port`` of a base URL (the scheme's port when it names none)."""
    parts = urlsplit(base_url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def error_type(error: BaseException) -> str:
    """``error.type``: the status for an HTTP error response, else the exception's fully qualified class name."""
    if isinstance(error, APIError) and error.status is not None:
        return str(error.status)
    cls = type(error)
    module = "skipcall_async" if cls.__module__.startswith("skipcall_async") else cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


class CallTelemetry:
    """One call's span (with its context, propagated on the wire) and measurements.

    Built by the call's observer when ``signals()`` is not None; every method is a point of interest of the funnel.
    """

    __slots__ = ("_api", "_context", "_meters", "_request_attributes", "_tracer", "_wait_attributes", "span")

    def __init__(self, signals: Signals, attributes: dict[str, Any], operation: str, lane: str) -> None:
        assert _api is not None  # signals() only answers once the API is imported
        self._api = api = _api
        self._tracer = signals.tracer
        self._meters = signals.meters
        self._request_attributes = attributes  # http.request.method, server.address, server.port, url.template
        self._wait_attributes = {
            "server.address": attributes["server.address"],
            "server.port": attributes["server.port"],
            "skipcall.rate_limit.lane": lane,
        }
        self.span: Span | None = None
        self._context: Context | None = None
        if self._tracer is not None:
            name = f"{attributes['http.request.method']} {attributes['url.template']}"
            span_attributes = {**attributes, "skipcall.operation": operation, "skipcall.rate_limit.lane": lane}
            self.span = self._tracer.start_span(name, kind=api.trace.SpanKind.CLIENT, attributes=span_attributes)
            self._context = api.trace.set_span_in_context(self.span)

    def enter(self) -> object | None:
        """Make the call's span the current one (an instrumented aiohttp's spans nest under it); a token for exit."""
        return None if self._context is None else self._api.context.attach(self._context)

    def exit(self, token: object | None) -> None:
        if token is not None:
            self._api.context.detach(token)  # the token attach gave

    def sending(self, headers: Mapping[str, str], url: str, attempt: int, waited: float) -> None:
        """An attempt is about to go: W3C trace context into its headers; the wait it had for its token."""
        if self.span is not None:
            if attempt == 1:
                self.span.set_attribute("url.full", url)
            if isinstance(headers, MutableMapping):  # the funnel builds a fresh dict per call
                self._api.propagate.inject(headers, context=self._context)
        if self._meters is not None:
            self._meters.wait_duration.record(waited, self._wait_attributes)

    def waited(self, waited: float, lane: str, attempt: int) -> None:
        """A wait for a rate-limit token, as a child span ending now (the waterfall shows it)."""
        if self._tracer is not None:
            end = time.time_ns()
            wait = self._tracer.start_span(
                "skipcall.rate_limit.wait",
                context=self._context,
                start_time=end - int(waited * 1e9),
                attributes={
                    "skipcall.rate_limit.lane": lane,
                    "skipcall.rate_limit.wait_duration": waited,
                    "skipcall.attempt": attempt,
                },
            )
            wait.end(end_time=end)

    def answered(self, status: int, elapsed: float, retry_after: float | None, attempt: int) -> None:
        """A response (any status): the request's duration; a 429 counted and marked on the span."""
        if self._meters is not None:
            attributes = {**self._request_attributes, "http.response.status_code": status}
            if status >= 400:
                attributes["error.type"] = str(status)
            self._meters.request_duration.record(elapsed, attributes)
            if status == 429:
                self._meters.rejections.add(1, {**self._request_attributes, **self._wait_attributes})
        if status == 429 and self.span is not None:
            event: dict[str, Any] = {"http.response.status_code": 429, "skipcall.attempt": attempt}
            if retry_after is not None:
                event["skipcall.rate_limit.retry_after"] = retry_after
            self.span.add_event("skipcall.rate_limit.rejected", event)

    def unanswered(self, error: BaseException, elapsed: float) -> None:
        """A request that got no response (a connection error, a timeout): its duration with ``error.type``."""
        if self._meters is not None:
            attributes = {**self._request_attributes, "error.type": error_type(error)}
            self._meters.request_duration.record(elapsed, attributes)

    def retrying(self, attempt: int, error: BaseException, delay: float) -> None:
        if self.span is not None:
            self.span.add_event(
                "skipcall.retry",
                {"skipcall.attempt": attempt, "error.type": error_type(error), "skipcall.retry.delay": delay},
            )

    def end(
        self,
        *,
        operation: str,
        lane: str,
        status: int | None,
        error: BaseException | None,
        attempts: int,
        waited: float,
        rejections: int,
        elapsed: float,
    ) -> None:
        """The call's result: the span's last attributes and status, and the call's duration."""
        kind = None if error is None else error_type(error)
        if self.span is not None and self.span.is_recording():
            span = self.span
            ended: dict[str, Any] = {"skipcall.rate_limit.wait_duration": waited}  # one call: the SDK locks per call
            if status is not None:
                ended["http.response.status_code"] = status
            if attempts > 1:
                ended["http.request.resend_count"] = attempts - 1
            if rejections:
                ended["skipcall.rate_limit.rejections"] = rejections
            if kind is not None:
                ended["error.type"] = kind
            span.set_attributes(ended)
            if error is not None:
                span.record_exception(error)
                span.set_status(self._api.trace.StatusCode.ERROR, str(error))
        if self.span is not None:
            self.span.end()
        if self._meters is not None:
            attributes = {**self._request_attributes, "skipcall.operation": operation, "skipcall.rate_limit.lane": lane}
            if status is not None:
                attributes["http.response.status_code"] = status
            if kind is not None:
                attributes["error.type"] = kind
            self._meters.operation_duration.record(elapsed, attributes)


# -- the gauges: the key of every open client in this process ---------------------------------------------------


class Watched(Protocol):
    """What the gauges read of a client (``BaseClient`` is one)."""

    @property
    def closed(self) -> bool: ...

    @property
    def rate_limit(self) -> RateLimitSnapshot: ...


_clients: weakref.WeakKeyDictionary[Watched, dict[str, Any]] = weakref.WeakKeyDictionary()
_clients_lock = threading.Lock()  # the gauges are read by the metric reader's thread


def watch_client(client: Watched, base_url: str, fingerprint: str) -> None:
    """Report ``client``'s key in the gauges until it is closed (clients on one key report it once)."""
    if client in _clients:
        return
    host, port = server_of(base_url)
    with _clients_lock:
        _clients[client] = {"server.address": host, "server.port": port, "skipcall.api_key.fingerprint": fingerprint}


def _snapshots() -> Iterator[tuple[RateLimitSnapshot, dict[str, Any]]]:
    """Each open client's key, once, read from the reader's thread (a read that races a change is tried again)."""
    with _clients_lock:
        clients = list(_clients.items())
    seen = set()
    for client, attributes in clients:
        key = tuple(attributes.values())
        if key in seen or client.closed:
            continue
        for _ in range(3):
            try:
                snapshot = client.rate_limit
            except RuntimeError:  # a collection changed size while it was read: the event loop moved on
                continue
            seen.add(key)
            yield snapshot, attributes
            break


def _observation(value: float, attributes: dict[str, Any]) -> Observation:
    from opentelemetry.metrics import Observation

    return Observation(value, attributes)


def _observe_remaining(_: CallbackOptions) -> Iterable[Observation]:
    return [_observation(s.remaining, a) for s, a in _snapshots() if s.remaining is not None]


def _observe_limit(_: CallbackOptions) -> Iterable[Observation]:
    return [_observation(s.limit, a) for s, a in _snapshots() if s.limit is not None]


def _observe_waiting(_: CallbackOptions) -> Iterable[Observation]:
    observations = []
    for snapshot, attributes in _snapshots():
        for lane, waiting in (("interactive", snapshot.waiting_interactive), ("bulk", snapshot.waiting_bulk)):
            observations.append(_observation(waiting, {**attributes, "skipcall.rate_limit.lane": lane}))
    return observations


__all__ = ["CallTelemetry", "Signals", "error_type", "load", "server_of", "signals", "watch_client"]
