"""``python -m skipcall_async demo --processes N``: the demo's fetching split over N worker processes on one key.

First each worker paces on its own, then they share the key's quota through Redis (``SKIPCALL_REDIS_URL``, else a
private ``redis-server``); the two halves are printed side by side. The workers are ``worker.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

import attrs

from .._pacing.resolve import REDIS_URL_ENV
from ..testing import FAULT_PROFILES, PLANS, FakeSkipcall, RateLimitRule
from .one_process import ideal_seconds
from .redis_server import INSTALL_HINT, find_redis_server, private_redis_server


@attrs.frozen
class WorkerReport:
    """What one worker said it did (see ``worker.py``)."""

    fetched: int
    rate_limited: int
    started: float  # epoch seconds when its gather began
    ended: float
    store: str
    warnings: list[str]

    @property
    def wall(self) -> float:
        return self.ended - self.started


def run_workers(jobs: list[Mapping[str, Any]], redis_url: str | None) -> list[WorkerReport | None]:
    """One worker per job, all set up first, then started at one instant; None for a worker that died."""
    env = {k: v for k, v in os.environ.items() if k != REDIS_URL_ENV}
    if redis_url:
        env[REDIS_URL_ENV] = redis_url
    command = [sys.executable, "-m", "skipcall_async._demo.worker"]
    workers = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
               for _ in jobs]  # fmt: skip
    for worker, job in zip(workers, jobs, strict=True):
        assert worker.stdin is not None
        worker.stdin.write(json.dumps(job) + "\n")
        worker.stdin.flush()
    for worker in workers:
        assert worker.stdout is not None
        worker.stdout.readline()  # "ready" once its client is set up (nothing from a worker that died)
    start_at = f"{time.time() + 0.1!r}\n"
    for worker in workers:
        assert worker.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            worker.stdin.write(start_at)
            worker.stdin.close()
        worker.stdin = None  # closed: communicate() must not flush it
    reports: list[WorkerReport | None] = []
    for worker in workers:
        out, _ = worker.communicate()
        reports.append(WorkerReport(**json.loads(out)) if worker.returncode == 0 and out.strip() else None)
    return reports


@attrs.frozen
class FleetHalf:
    """One half of the fleet demo: what each worker was asked for and reported (None: it died without a report)."""

    label: str
    shared: bool
    asked: list[int]
    reports: list[WorkerReport | None]
    ideal: float

    @property
    def done(self) -> list[WorkerReport]:
        return [r for r in self.reports if r is not None]

    @property
    def fetched(self) -> int:
        return sum(r.fetched for r in self.done)

    @property
    def rate_limited(self) -> int:
        return sum(r.rate_limited for r in self.done)

    @property
    def wall(self) -> float:
        """From the first worker's start to the last one's end."""
        done = self.done
        return max(r.ended for r in done) - min(r.started for r in done) if done else 0.0

    @property
    def utilization(self) -> float:
        return self.ideal / self.wall if self.ideal and self.wall else 1.0


@attrs.frozen
class DemoRedis:
    """Where the Redis half's shared state lives, or why there is none (``url`` None, ``problem`` says what to do)."""

    url: str | None
    where: str
    problem: str = ""


@contextlib.contextmanager
def demo_redis() -> Iterator[DemoRedis]:
    """``SKIPCALL_REDIS_URL`` if set, else a private ``redis-server`` on a free port, stopped on exit."""
    from .._pacing.redis.store import INSTALL
    from .._secret import SecretUrl

    try:
        import redis
    except ImportError:
        yield DemoRedis(None, "none (see below)", f"the Redis half needs the redis package: {INSTALL}")
        return
    url = os.environ.get(REDIS_URL_ENV, "").strip()
    if url:
        secret = SecretUrl(url)
        shown = secret.shown
        try:
            with redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0) as conn:
                conn.ping()
        except (redis.RedisError, OSError, ValueError) as error:
            reason = secret.redact(str(error))
            yield DemoRedis(None, f"{REDIS_URL_ENV}={shown} (see below)", f"{shown} does not answer ({reason})")
            return
        yield DemoRedis(url, f"{REDIS_URL_ENV}={shown}")
        return
    executable = find_redis_server()
    if executable is None:
        yield DemoRedis(None, "none (see below)", INSTALL_HINT)
        return
    with contextlib.ExitStack() as stack:
        try:
            port = stack.enter_context(private_redis_server(executable))
        except RuntimeError as error:
            yield DemoRedis(None, f"{executable} (see below)", str(error))
            return
        yield DemoRedis(
            f"redis://127.0.0.1:{port}/0",
            f"a private redis-server on 127.0.0.1:{port} ({executable}), stopped at the end",
        )


async def run_fleet_half(
    label: str, *, processes: int, rule: RateLimitRule, calls: int, faults: str, redis_url: str | None, out: TextIO
) -> FleetHalf:
    """The demo's fetch job split over ``processes`` workers on one key, against a fresh fake server."""
    # A fresh key per half: nothing either half leaves in a shared Redis can reach the other, or a later run.
    key = f"sk_demo_{secrets.token_hex(8)}"
    server = FakeSkipcall(api_keys=(key,), rate_limit=rule, faults=FAULT_PROFILES[faults], calls=max(calls * 2, 500))
    async with server:
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:calls]
        shares = [ids[i::processes] for i in range(processes)]
        jobs: list[Mapping[str, Any]] = [
            {"base_url": server.url, "api_key": key, "ids": share, "window": rule.window, "max_attempts": 20}
            for share in shares
        ]
        out.write(f"  {label + ':':<24} {processes} workers running ...")
        out.flush()
        reports = await asyncio.get_running_loop().run_in_executor(None, run_workers, jobs, redis_url)
    ideal = ideal_seconds(len(ids), rule.plan.limit, rule.window)
    half = FleetHalf(label, redis_url is not None, [len(share) for share in shares], reports, ideal)
    out.write(f" {half.fetched}/{len(ids)} calls in {half.wall:.2f} s, {half.rate_limited} 429s\n")
    return half


def fleet_table(halves: list[FleetHalf]) -> str:
    """Per process and for the fleet, the halves side by side: calls fetched, 429s, wall; ideal and utilization."""
    cell = 27
    rows = [
        f"{'':12}" + "".join(f"   {h.label:<{cell}}" for h in halves),
        f"{'process':12}" + "".join(f"   {'fetched':>9} {'429s':>6} {'wall s':>9} " for _ in halves),
    ]
    for index in range(max(len(h.reports) for h in halves)):
        line = f"{index + 1:<12}"
        for half in halves:
            report = half.reports[index]
            if report is None:
                line += f"   {'no report (died)':>{cell}}"
            else:
                fetched = f"{report.fetched}/{half.asked[index]}"
                line += f"   {fetched:>9} {report.rate_limited:>6} {report.wall:>9.2f} "
        rows.append(line)
    rows.append(
        f"{'fleet':12}"
        + "".join(f"   {f'{h.fetched}/{sum(h.asked)}':>9} {h.rate_limited:>6} {h.wall:>9.2f} " for h in halves)
    )
    rows.append(f"{'ideal s':12}" + "".join(f"   {'':>9} {'':>6} {h.ideal:>9.2f} " for h in halves))
    rows.append(f"{'utilization':12}" + "".join(f"   {'':>9} {'':>6} {h.utilization:>9.2f} " for h in halves))
    return "\n".join(row.rstrip() for row in rows) + "\n"


async def run_fleet_demo(
    *, processes: int, plan: str, calls: int, time_scale: float, faults: str, out: TextIO
) -> tuple[int, list[FleetHalf]]:
    """The fleet demo: without shared state, then through Redis. Returns the exit code and the halves run."""
    rule = RateLimitRule(plan=PLANS[plan], rule="fixed-first", time_scale=time_scale)
    share = f"{calls // processes}" if calls % processes == 0 else f"{calls // processes}-{calls // processes + 1}"
    with demo_redis() as redis:
        out.write(
            f"Fleet demo: {processes} worker processes fetch {calls} calls ({share} each) with one API key\n"
            f"  server: a fake Skipcall API in this process, plan {plan}: {rule.plan.limit} requests per "
            f"{rule.window:g} s window,\n"
            f"          opened by the first request (time scale {time_scale:g}); faults: {faults}\n"
            f"  shared state: {redis.where}\n\n"
        )
        halves = [
            await run_fleet_half(
                "each process on its own", processes=processes, rule=rule, calls=calls, faults=faults,
                redis_url=None, out=out,
            )
        ]  # fmt: skip
        if redis.url is not None:
            halves.append(
                await run_fleet_half(
                    "through Redis", processes=processes, rule=rule, calls=calls, faults=faults, redis_url=redis.url,
                    out=out,
                )
            )  # fmt: skip
    out.write("\n" + fleet_table(halves))
    out.write(
        f"\nideal: the earliest the server's rule admits all {calls} calls (whole {rule.window:g} s windows after "
        f"the first request);\nutilization = ideal / fleet wall. A process's wall runs from the common start to "
        f"its last call.\n"
    )
    code = 0
    for half in halves:
        for index, report in enumerate(half.reports, 1):
            if report is None:
                out.write(f"{half.label}: worker {index} ended without a report\n")
                code = 1
            elif half.shared and (report.store != "redis" or report.warnings):
                notes = "; ".join(report.warnings) or f"paced {report.store}"
                out.write(f"{half.label}: worker {index} did not share the quota all along: {notes}\n")
    if redis.url is None:
        out.write(f"\nNo Redis half: {redis.problem}\n")
        code = 2
    return code, halves
