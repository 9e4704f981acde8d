"""A fleet run: several worker processes fetch calls on one key at once, each reporting what it saw as JSON.

Used by the fleet tests and the fleet benchmarks. Each worker is ``fleet_worker.py``, run by path with this
interpreter and its job as JSON on stdin: it loads the SDK installed for that interpreter, never a checkout's, so a
benchmark run with an older release's Python measures that release. A worker paces through Redis when
``SKIPCALL_REDIS_URL`` is set in its environment, exactly as a user's process would, else on its own.

Standard library only (no SDK name at all), so it runs under any release's interpreter.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("fleet_worker.py")
REDIS_URL_ENV = "SKIPCALL_REDIS_URL"


@dataclass(frozen=True, kw_only=True)
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
    latencies: list[float] = field(default_factory=list)  # seconds from each call's start to its result

    @property
    def wall(self) -> float:
        return self.ended - self.started


def start_workers(
    jobs: list[Mapping[str, Any]],
    *,
    redis_url: str | None,
    extra_env: Mapping[str, str] | None = None,
    hold: bool = False,
    python: str | None = None,
) -> list[subprocess.Popen[bytes]]:
    """Start one worker process per job (see ``fleet_worker.py``); with ``redis_url`` they share the key's quota.

    ``hold``: each worker sets up its client, then waits for :func:`go` instead of its job's ``start_at``, so that
    every worker starts at one instant however long start-up takes on a busy machine. ``python``: the interpreter
    that runs the workers, and so the SDK they load (default: this one); a benchmark's baseline is another's.
    """
    env = {k: v for k, v in os.environ.items() if k != REDIS_URL_ENV}
    if redis_url:
        env[REDIS_URL_ENV] = redis_url
    env.update(extra_env or {})
    processes = []
    for job in jobs:
        process = subprocess.Popen(
            [python or sys.executable, "-P", str(WORKER)],  # -P: not this folder on sys.path, only the installed SDK
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
