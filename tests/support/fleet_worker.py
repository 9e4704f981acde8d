"""One fleet worker: fetch the calls of the job read from stdin, then print what it saw as one JSON line.

Started by ``fleet.py`` as ``python -P tests/support/fleet_worker.py``: by path, so it loads the SDK installed for
the interpreter that runs it (an older release, for a benchmark's baseline). It uses the SDK's public names and the
standard library only.

The job: ``base_url``, ``api_key``, ``ids`` and ``start_at`` (epoch seconds), or ``hold`` (say "ready" on stdout
once the client is set up, then read the start time from stdin). Optional: ``window`` (the policy's), ``timeout``,
``max_attempts``, ``max_rate_limit_wait``, ``store`` (settings of a Redis store built on ``SKIPCALL_REDIS_URL``,
such as ``lease_slack``), ``warmup`` (ids fetched one by one before the start, left out of the report: the key's
quota is then known when the run starts), ``concurrency`` (at most this many calls at once; default: all of them),
``priority`` (the lane of its calls), ``every`` (seconds between the starts of its calls, instead of all at once)
and ``sdk_defaults`` (true: the SDK's own timeout, retry policy and ``max_rate_limit_wait``, as a new user's client
has them, instead of the fleet's settings and the three keys above that override them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from skipcall_async import (
    Call,
    RateLimitPolicy,
    RateLimitWaitEvent,
    RedisRateLimitStore,
    ResponseEvent,
    RetryPolicy,
    SkipcallClient,
    SkipcallError,
)


class Health(logging.Handler):
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


async def start_time(job: Mapping[str, Any]) -> float:
    """The job's ``start_at``; with ``hold``, say "ready" and read it from stdin (a closed stdin means now)."""
    if not job.get("hold"):
        return float(job.get("start_at", 0.0))
    print("ready", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return float(line) if line.strip() else time.time()


async def run(job: Mapping[str, Any]) -> dict[str, Any]:
    """Fetch ``job["ids"]`` at the start time; the report as `support.fleet.WorkerReport`'s fields."""
    health = Health()
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
        store = RedisRateLimitStore(os.environ["SKIPCALL_REDIS_URL"], **job["store"])
    settings: dict[str, Any] = {}
    if not job.get("sdk_defaults"):
        settings = {
            "timeout": float(job.get("timeout", 30.0)),
            "retry": RetryPolicy(max_attempts=int(job.get("max_attempts", 8)), base=0.05, cap=1.0),
            "max_rate_limit_wait": float(job.get("max_rate_limit_wait", 120.0)),
        }
    async with SkipcallClient(
        job["api_key"],
        base_url=job["base_url"],
        rate_limiting=RateLimitPolicy(window=job.get("window"), store=store),
        on_response=on_response,
        on_rate_limit_wait=on_wait,
        **settings,
    ) as client:
        for call_id in job.get("warmup", []):
            await client.get_call(call_id)
        sent = rate_limited = 0
        waits.clear()
        start_at = await start_time(job)
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
    return {
        "pid": os.getpid(),
        "fetched": [r.id for r in results if not isinstance(r, BaseException)],
        "failed": {
            i: f"{type(r).__name__}: {r}"
            for i, r in zip(job["ids"], results, strict=True)
            if isinstance(r, BaseException)
        },
        "sent": sent,
        "rate_limited": rate_limited,
        "started": started,
        "ended": ended,
        "waits": waits,
        "store": snapshot.store,
        "degraded": snapshot.degraded,
        "warnings": health.warnings,
        "rejoined": health.rejoined,
        "latencies": latencies,
    }


def main() -> int:
    job = json.loads(sys.stdin.readline())
    try:
        report = asyncio.run(run(job))
    except SkipcallError as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 1
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
