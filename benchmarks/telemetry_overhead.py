"""CPU cost of observability per request, in instructions (valgrind's callgrind), against a baseline in the same run.

Each client process fetches N and then 3N calls, 100 at a time, after one warm-up call, from a fake server in a
separate (untraced) process; the difference divided by 2N is one request's cost, start-up and imports cancelled
out (see ``cpu_instructions.py``). The same gather runs as:

- ``baseline``: the SDK of another git revision (``--baseline-ref``, default ``main``), exported to a temporary
  folder and imported from there: the cost before this code;
- ``no otel``: this SDK with the opentelemetry package hidden, as without the ``otel`` extra;
- ``off``: this SDK with the OpenTelemetry API installed and no SDK configured (the library's default state);
- ``on``: the OpenTelemetry SDK configured: a tracer provider whose spans go to an exporter that drops them, and a
  meter provider read in memory; every span, event, propagation and metric is made;
- ``baseline hooks`` and ``hooks``: an ``on_response`` hook that does nothing, on the baseline and on this SDK.

Each mode is printed as a ratio to ``baseline`` (``hooks`` to ``baseline hooks``).

    python benchmarks/telemetry_overhead.py            # about twelve minutes; needs valgrind and the otel extra
    python benchmarks/telemetry_overhead.py --modes baseline off --requests 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 100
MODES = ("baseline", "no otel", "off", "on", "baseline hooks", "hooks")


def configure(mode: str) -> dict[str, Any]:
    """Set the process up for ``mode``; the client's extra arguments."""
    if mode == "no otel":
        sys.modules["opentelemetry"] = None  # type: ignore[assignment]  # what an import finds when it is absent
    if mode == "on":
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

        class Dropping(SpanExporter):
            def export(self, spans: Sequence[Any]) -> SpanExportResult:
                return SpanExportResult.SUCCESS

        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(Dropping()))
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    if mode.endswith("hooks"):

        async def on_response(event: object) -> None:
            return None

        return {"on_response": on_response}
    return {}


async def client_run(url: str, key: str, ids: list[str], extra: dict[str, Any]) -> None:
    from skipcall_async import SkipcallClient

    async with SkipcallClient(key, base_url=url, max_connections=CONCURRENCY, **extra) as client:
        await client.get_call(ids[0])
        await asyncio.gather(*(client.get_call(i) for i in ids))


def instructions(mode: str, url: str, ids_file: Path, count: int, baseline: Path) -> int:
    """Instructions executed by a client process of ``mode`` that fetches ``count`` calls."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [sys.executable, __file__, "--client", mode, "--url", url, "--ids", str(ids_file)]
        command += ["--count", str(count), "--baseline-dir", str(baseline)]
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            capture_output=True,
            text=True,
            check=True,
        )
    match = re.search(r"Collected : (\d+)", result.stderr)
    assert match, result.stderr[-2000:]
    return int(match.group(1))


def child(args: argparse.Namespace) -> None:
    if args.client.startswith("baseline"):
        sys.path.insert(0, str(args.baseline_dir))  # the other revision's package, ahead of this one
    extra = configure(args.client)
    import skipcall_async

    if args.client.startswith("baseline"):
        assert Path(skipcall_async.__file__).is_relative_to(args.baseline_dir), skipcall_async.__file__
    from skipcall_async.testing import DEFAULT_KEY

    ids = json.loads(args.ids.read_text())
    asyncio.run(client_run(args.url, DEFAULT_KEY, [ids[i % len(ids)] for i in range(args.count)], extra))


async def fetch_ids(url: str) -> list[str]:
    from skipcall_async import SkipcallClient
    from skipcall_async.testing import DEFAULT_KEY

    async with SkipcallClient(DEFAULT_KEY, base_url=url) as client:
        page = await client.list_calls(size=100)
    return [c.id for c in page]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="N: runs of N and 3N requests are compared")
    parser.add_argument("--baseline-ref", default="main", help="the git revision measured as the baseline")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="the modes to run")
    parser.add_argument("--client", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        child(args)
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.testing", "--port", "0", "--limit", "1000000000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(" on ")[1].split(" ")[0]
        with tempfile.TemporaryDirectory() as folder:
            baseline = Path(folder) / "baseline"
            baseline.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.baseline_ref, "skipcall_async"],
                capture_output=True,
                check=True,
            )
            subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
            ids_file = Path(folder) / "ids.json"
            ids_file.write_text(json.dumps(asyncio.run(fetch_ids(url))))
            n = args.requests
            per_request = {}
            for mode in args.modes:
                small = instructions(mode, url, ids_file, n, baseline)
                large = instructions(mode, url, ids_file, 3 * n, baseline)
                per_request[mode] = (large - small) / (2 * n)
                print(f"{mode:9} {per_request[mode]:>10,.0f} instructions per request", flush=True)
        for mode in args.modes:
            base = "baseline hooks" if mode == "hooks" else "baseline"
            if mode != base and base in per_request:
                print(f"{mode} / {base} ({args.baseline_ref}): {per_request[mode] / per_request[base]:.3f}")
    finally:
        server.terminate()
        server.communicate(timeout=10)


if __name__ == "__main__":
    main()
