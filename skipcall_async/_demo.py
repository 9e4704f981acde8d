"""``python -m skipcall_async demo``: the SDK's main job against an embedded fake server, with a summary.

Fetches a few hundred calls at once with ``asyncio.gather``, pages through a sequence's contacts, creates and
updates a contact, then prints records fetched, wall time against the ideal the rate limit allows,
utilisation, 429s received and retries.

``--processes N`` splits the fetching over N worker processes on one API key, first each pacing on its own, then
sharing the key's quota through Redis (``SKIPCALL_REDIS_URL``, else a private ``redis-server``), and prints both
side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

import attrs

from ._client import SkipcallClient
from ._events import ResponseEvent, RetryEvent
from ._fleet_run import WorkerReport, collect, go, split, start_workers, wait_ready
from ._pacing.policy import RateLimitPolicy
from ._pacing.resolve import REDIS_URL_ENV
from ._retry import RetryPolicy
from .testing import FAULT_PROFILES, PLANS, FakeSkipcall, RateLimitRule
from .testing._redis import INSTALL_HINT, RedisServer, find_redis_server


@attrs.define
class Progress:
    """A one-line progress bar on a terminal (plain periodic lines otherwise)."""

    total: int
    out: TextIO
    done: int = 0
    width: int = 30

    def advance(self) -> None:
        self.done += 1
        if self.out.isatty() or self.done == self.total or self.done % max(1, self.total // 10) == 0:
            filled = self.width * self.done // self.total
            end = "\r" if self.out.isatty() and self.done < self.total else "\n"
            self.out.write(f"  calls [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}{end}")
            self.out.flush()


def ideal_seconds(requests: int, limit: int, window: float) -> float:
    """Earliest time a fixed window opened by the first request admits ``requests``: whole windows waited."""
    return math.floor((requests - 1) / limit) * window


async def run_demo(*, plan: str, calls: int, time_scale: float, faults: str, out: TextIO) -> dict[str, float]:
    """Run the demo and return its summary figures."""
    rule = RateLimitRule(plan=PLANS[plan], rule="fixed-first", time_scale=time_scale)
    statuses: list[int] = []
    retries: list[RetryEvent] = []

    async def on_response(event: ResponseEvent) -> None:
        statuses.append(event.status)

    async def on_retry(event: RetryEvent) -> None:
        retries.append(event)

    async with FakeSkipcall(rate_limit=rule, faults=FAULT_PROFILES[faults], calls=max(calls * 2, 500)) as server:
        out.write(
            f"Fake Skipcall API on {server.url}: plan {plan} ({rule.plan.limit} requests per "
            f"{rule.window:g} s at time scale {time_scale:g}), faults: {faults}\n"
        )
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:calls]
        progress = Progress(total=len(ids), out=out)
        policy = RetryPolicy(max_attempts=6, base=0.05, cap=1.0)
        async with SkipcallClient(
            server.api_key,
            base_url=server.url,
            retry=policy,
            on_response=on_response,
            on_retry=on_retry,
            # the scaled "minute"; against the real API the documented 60 s is right and need not be stated
            rate_limiting=RateLimitPolicy(window=rule.window),
        ) as client:

            async def fetch(call_id: str) -> object:
                call = await client.get_call(call_id)
                progress.advance()
                return call

            started = time.perf_counter()
            fetched = await asyncio.gather(*(fetch(i) for i in ids))
            wall = time.perf_counter() - started
            contacts = [c async for c in client.iter_sequence_contacts("seq-1", page_size=10)]
            contact = await client.create_contact(
                first_name="Ada", last_name="Lovelace", phone_numbers=["+33612345678"], company="Analytical Engines"
            )
            updated = await client.update_contact(contact.id, city="London", role="CTO")
            out.write(
                f"  paged {len(contacts)} sequence contacts; created contact {contact.id} and set city "
                f"{updated.city!r}\n"
            )
    ideal = ideal_seconds(len(ids), rule.plan.limit, rule.window)
    summary = {
        "records": float(len(fetched)),
        "wall": wall,
        "ideal": ideal,
        "utilization": ideal / wall if ideal else 1.0,
        "rate_limited": float(statuses.count(429)),
        "retries": float(len(retries)),
    }
    out.write(
        f"\nSummary\n  records fetched: {len(fetched)} calls\n  wall time: {wall:.2f} s (ideal {ideal:.2f} s)\n"
        f"  utilization: {summary['utilization']:.2f}\n  429s received: {statuses.count(429)}\n"
        f"  retries: {len(retries)}\n"
    )
    return summary


# -- the fleet demo: the same job split over worker processes on one key, without and with Redis ---------------


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
        return sum(len(r.fetched) for r in self.done)

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
    from ._pacing.redis.store import INSTALL
    from ._secret import SecretUrl

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
    server = RedisServer(executable)
    try:
        server.start()
    except RuntimeError as error:
        server.close()
        yield DemoRedis(None, f"{executable} (see below)", str(error))
        return
    try:
        yield DemoRedis(
            server.url, f"a private redis-server on 127.0.0.1:{server.port} ({executable}), stopped at the end"
        )
    finally:
        server.close()


async def run_fleet_half(
    label: str, *, processes: int, rule: RateLimitRule, calls: int, faults: str, redis_url: str | None, out: TextIO
) -> FleetHalf:
    """The demo's fetch job split over ``processes`` workers on one key, against a fresh fake server."""
    # A fresh key per half: nothing either half leaves in a shared Redis can reach the other, or a later run.
    key = f"sk_demo_{secrets.token_hex(8)}"
    server = FakeSkipcall(api_keys=(key,), rate_limit=rule, faults=FAULT_PROFILES[faults], calls=max(calls * 2, 500))
    async with server:
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:calls]
        shares = split(ids, processes)
        jobs: list[Mapping[str, Any]] = [
            {"base_url": server.url, "api_key": key, "ids": share, "window": rule.window, "max_attempts": 20}
            for share in shares
        ]
        out.write(f"  {label + ':':<24} {processes} workers running ...")
        out.flush()
        loop = asyncio.get_running_loop()
        workers = start_workers(jobs, redis_url=redis_url, hold=True)
        await loop.run_in_executor(None, wait_ready, workers)
        go(workers, time.time() + 0.1)  # every worker starts its gather at one instant
        reports = await loop.run_in_executor(None, collect, workers)
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
                fetched = f"{len(report.fetched)}/{half.asked[index]}"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skipcall_async", description="skipcall-async command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fetch calls from an embedded fake server and report the pacing")
    demo.add_argument("--plan", choices=sorted(PLANS), default="starter")
    demo.add_argument("--calls", type=int, default=280, help="how many calls to fetch at once")
    demo.add_argument("--time-scale", type=float, default=10.0, help="10 makes the one-minute window last 6 s")
    demo.add_argument("--faults", choices=sorted(FAULT_PROFILES), default="none")
    demo.add_argument(
        "--processes",
        type=int,
        default=None,
        metavar="N",
        help="split the calls over N worker processes on one key (N >= 2), each on its own and then through Redis",
    )
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.processes is not None:
        if args.processes < 2:
            parser.error(
                f"--processes must be at least 2, got {args.processes} (without it the demo runs in one process)"
            )
        if args.calls < args.processes:
            parser.error("--calls must be at least --processes: every worker needs a call")
        code, _ = asyncio.run(
            run_fleet_demo(
                processes=args.processes,
                plan=args.plan,
                calls=args.calls,
                time_scale=args.time_scale,
                faults=args.faults,
                out=sys.stdout,
            )
        )
        return code
    asyncio.run(
        run_demo(plan=args.plan, calls=args.calls, time_scale=args.time_scale, faults=args.faults, out=sys.stdout)
    )
    return 0
