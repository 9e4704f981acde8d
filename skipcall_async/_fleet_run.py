"""A fleet run: several worker processes fetch calls on one key at once, each reporting what it saw as JSON.

Used by ``python -m skipcall_async demo --processes N``, by ``benchmarks/fleet.py`` and by the fleet tests. A
worker is ``python -m skipcall_async._fleet_run`` with its job as JSON on stdin; it paces through Redis when
``SKIPCALL_REDIS_URL`` is set in its environment, exactly as a user's process would, else on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from ._client import SkipcallClient
from ._errors import SkipcallError
from ._events import RateLimitWaitEvent, ResponseEvent
from ._models import Call
from ._pacing.policy import RateLimitPolicy
from ._pacing.resolve import REDIS_URL_ENV
from ._retry import RetryPolicy


@attrs.frozen(kw_only=True)
class WorkerReport:
    """What one worker did: the ids it got back, what failed, the 429s it received, and its timing."""

    pid: int
    fetched: list[str]
    failed: dict[str, str]
    sent: int
    rate_limited: int
    started: float  # epoch seconds when its gather began
    ended: float
    waits: list[float]  # seconds each rate-limit wait took (with Redis: every token's round trip)
    store: str
    degraded: bool
    warnings: list[str]  # every WARNING the SDK logged
    rejoined: int  # times the shared state was reachable again after an outage
    latencies: list[float] = attrs.field(factory=list)  # seconds from each call's start to its result

    @property
    def wall(self) -> float:
        return self.ended - self.started


class _Health(logging.Handler):
    """Collects the SDK's warnings, and counts its reconnections to the shared state."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.warnings: list[str] = []
        self.rejoined = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.warnings.append(record.getMessage())
        elif "reachable again" in record.getMessage():
            self.rejoined += 1


async def run_worker(job: Mapping[str, Any], *, ready: Callable[[], Awaitable[float]] | None = None) -> WorkerReport:
    """Fetch ``job["ids"]`` from ``job["base_url"]`` with ``job["api_key"]`` once the clock reaches ``start_at``.

    Optional: ``window`` (the policy's), ``timeout``, ``max_attempts``, ``max_rate_limit_wait``, ``store``
    (settings of a Redis store built on ``SKIPCALL_REDIS_URL``, such as ``lease_slack``), ``warmup`` (ids fetched
    one by one before the start, left out of the report: the key's quota is then known when the run starts)
    ``concurrency`` (at most this many calls at once; default: all of them), ``priority`` (the lane of its calls)
    and ``every`` (seconds between the starts of its calls, instead of all at once). ``ready``, when given, is
    awaited once the client is set up and warmed up, and returns the start time instead of ``start_at``.
    """
    health = _Health()
    sdk_logger = logging.getLogger("skipcall_async")
    sdk_logger.addHandler(health)
    sdk_logger.setLevel(logging.INFO)
    sent = rate_limited = 0
    waits: list[float] = []

    async def on_response(event: ResponseEvent) -> None:
        nonlocal sent, rate_limited
        sent += 1
        rate_limited += event.status == 429

    async def on_wait(event: RateLimitWaitEvent) -> None:
        waits.append(event.waited)

    store = None
    if "store" in job:  # store settings stated: build it here, from the same URL the variable gives
        from ._pacing.redis import RedisRateLimitStore

        store = RedisRateLimitStore(os.environ[REDIS_URL_ENV], **job["store"])
    async with SkipcallClient(
        job["api_key"],
        base_url=job["base_url"],
        timeout=float(job.get("timeout", 30.0)),
        retry=RetryPolicy(max_attempts=int(job.get("max_attempts", 8)), base=0.05, cap=1.0),
        rate_limiting=RateLimitPolicy(window=job.get("window"), store=store),
        max_rate_limit_wait=float(job.get("max_rate_limit_wait", 120.0)),
        on_response=on_response,
        on_rate_limit_wait=on_wait,
    ) as client:
        for call_id in job.get("warmup", []):
            await client.get_call(call_id)
        sent = rate_limited = 0
        waits.clear()
        start_at = float(job.get("start_at", 0.0)) if ready is None else await ready()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        view = client.with_options(priority=job["priority"]) if "priority" in job else client
        gate = asyncio.Semaphore(int(job["concurrency"])) if job.get("concurrency") else None
        every = float(job.get("every", 0.0))
        latencies: list[float] = []

        async def fetch(index: int, call_id: str) -> Call:
            await asyncio.sleep(index * every)
            begun = time.monotonic()
            try:
                if gate is None:
                    return await view.get_call(call_id)
                async with gate:
                    return await view.get_call(call_id)
            finally:
                latencies.append(time.monotonic() - begun)

        started = time.time()
        results = await asyncio.gather(*(fetch(n, i) for n, i in enumerate(job["ids"])), return_exceptions=True)
        ended = time.time()
        snapshot = client.rate_limit
    fetched = [r.id for r in results if not isinstance(r, BaseException)]
    failed = {
        i: f"{type(r).__name__}: {r}" for i, r in zip(job["ids"], results, strict=True) if isinstance(r, BaseException)
    }
    return WorkerReport(
        pid=os.getpid(),
        fetched=fetched,
        failed=failed,
        sent=sent,
        rate_limited=rate_limited,
        started=started,
        ended=ended,
        waits=waits,
        store=snapshot.store,
        degraded=snapshot.degraded,
        warnings=health.warnings,
        rejoined=health.rejoined,
        latencies=latencies,
    )


def start_workers(
    jobs: list[Mapping[str, Any]],
    *,
    redis_url: str | None,
    extra_env: Mapping[str, str] | None = None,
    hold: bool = False,
) -> list[subprocess.Popen[bytes]]:
    """Start one worker process per job; with ``redis_url`` they share the key's quota through it.

    ``hold``: each worker sets up its client, then waits for :func:`go` instead of its job's ``start_at``, so that
    every worker starts at one instant however long start-up takes on a busy machine.
    """
    env = {k: v for k, v in os.environ.items() if k != REDIS_URL_ENV}
    if redis_url:
        env[REDIS_URL_ENV] = redis_url
    env.update(extra_env or {})
    processes = []
    for job in jobs:
        process = subprocess.Popen(
            [sys.executable, "-m", "skipcall_async._fleet_run"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert process.stdin is not None
        if hold:
            process.stdin.write(json.dumps({**job, "hold": True}).encode() + b"\n")
            process.stdin.flush()  # left open: go() writes the start time to it
        else:
            process.stdin.write(json.dumps(job).encode())
            process.stdin.close()
            process.stdin = None  # written and closed: communicate() must not touch it again
        processes.append(process)
    return processes


def wait_ready(processes: list[subprocess.Popen[bytes]]) -> None:
    """Wait until every worker started with ``hold`` has set up its client (or died)."""
    for process in processes:
        assert process.stdout is not None
        process.stdout.readline()  # "ready", or nothing from a worker that died


def go(processes: list[subprocess.Popen[bytes]], start_at: float) -> None:
    """Tell workers started with ``hold`` to begin at ``start_at`` (epoch seconds); call :func:`wait_ready` first."""
    for process in processes:
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(f"{start_at!r}\n".encode())
                process.stdin.close()
            process.stdin = None


def collect(processes: list[subprocess.Popen[bytes]], *, timeout: float = 600.0) -> list[WorkerReport | None]:
    """Each worker's report, in order; None for a worker that died without one (killed, or crashed)."""
    reports: list[WorkerReport | None] = []
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            out, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        line = out.decode().strip().splitlines()[-1] if out.strip() else ""
        reports.append(WorkerReport(**json.loads(line)) if process.returncode == 0 and line else None)
    return reports


def split(ids: list[str], parts: int) -> list[list[str]]:
    """``ids`` dealt round-robin into ``parts`` shares."""
    return [list(ids[i::parts]) for i in range(parts)]


async def _told_to_go() -> float:
    """Say "ready" on stdout, then read the start time from stdin (a closed stdin means now)."""
    print("ready", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return float(line) if line.strip() else time.time()


def main() -> int:
    job = json.loads(sys.stdin.readline())
    try:
        report = asyncio.run(run_worker(job, ready=_told_to_go if job.get("hold") else None))
    except SkipcallError as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 1
    print(json.dumps(attrs.asdict(report)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
