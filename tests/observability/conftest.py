"""Fixtures of the observability tests: the OpenTelemetry SDK configured as an application would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.otel import Telemetry, global_sdk


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    """The SDK's in-memory span exporter and metric reader behind the global providers, for this test only."""
    with global_sdk() as telemetry:
        yield telemetry
