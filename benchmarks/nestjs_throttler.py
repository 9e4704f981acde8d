"""The SDK against the real @nestjs/throttler: utilization and 429s, 1 to 8 processes, in-process and through Redis.

A NestJS app guarded by the real @nestjs/throttler (``tests/support/limiters/nestjs``, the lockfile's release; one
``GET /v1/calls/:id`` route, tracked by bearer key) serves each run on a fresh port, so every run starts from an
empty count. ``--calls`` ``get_call`` are dealt round-robin to P worker processes
(``tests/support/fleet_worker.py``, as a user's processes would be), which start their gather at one instant; with
``redis`` they share the key's quota through a private ``redis-server``, with ``alone`` each paces on its own.
Nothing is stated in the policy (the window is learned, as a new user's client does) unless ``--told``.

Utilization is judged on the server's side: the ideal (the earliest the throttler could admit every call:
``floor((calls - 1) / limit) * ttl``) over the span from the first to the last admitted request, by the app's
clock. ``--hog N`` runs N CPU-bound processes beside the whole benchmark (a loaded machine); ``--stall`` stalls
every worker's event loop for 50-200 ms at a time (a thread holding the GIL, ``stall/sitecustomize.py``), so
that answers are read long after they arrive. Either way a probe process, loaded the same way, reports the event
loop lag it measured meanwhile.

The workers run the SDK installed for the interpreter that runs this script. ``--baseline PYTHON`` first runs the
same table with another interpreter (an older release installed in its own venv), against the same app, so one
command prints before and after.

    python benchmarks/nestjs_throttler.py                    # the whole table: about 40 minutes
    python benchmarks/nestjs_throttler.py --ttl 10 --processes 1,4 --blocks default
    python benchmarks/nestjs_throttler.py --hog 2 --ttl 10 --blocks default,none
    python benchmarks/nestjs_throttler.py --stall --ttl 10 --blocks default --no-alone
    python benchmarks/nestjs_throttler.py --baseline /tmp/venv-before/bin/python --ttl 10

Needs Node.js 20+ (``SKIPCALL_NODE`` to name it), ``pip install -e '.[redis]'`` and a ``redis-server``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import _support  # noqa: F401 (tests/ on sys.path, for the support package)

from support.fleet import collect, go, split, start_workers, wait_ready
from support.limiters.nestjs import NestApp, throttler
from support.redis_servers import RedisServer

KEY = "sk_live_benchmark_key"
BLOCKS = {"default": None, "none": 0.0}  # else seconds: None leaves blockDuration unset (the library: one ttl)
STALL_ENV = {
    "SKIPCALL_BENCH_STALL": "1",
    "PYTHONPATH": os.pathsep.join(filter(None, [os.path.join(os.path.dirname(__file__), "stall"),
                                                os.environ.get("PYTHONPATH")])),
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    ttl: float
    block: str
    processes: int
    redis: bool

    @property
    def block_seconds(self) -> float | None:
        return BLOCKS[self.block] if self.block in BLOCKS else float(self.block)


@dataclass
class Result:
    span: float
    ideal: float
    rate_limited: int
    fetched: int
    asked: int
    sent: int
    wall: float

    @property
    def utilization(self) -> float:
        return self.ideal / self.span if self.span > 0 else math.nan


def measure(run: Run, args: argparse.Namespace, redis_url: str | None) -> Result:
    """One run on a fresh app: the workers' reports and the app's log of admissions."""
    calls = args.calls if run.ttl <= 10 else args.calls_long
    ids = [f"call-{i:04d}" for i in range(calls)]
    with NestApp([throttler(run.ttl, args.limit, block=run.block_seconds)]) as app:
        job: dict[str, Any] = {"base_url": app.url, "api_key": KEY, "max_attempts": 40, "max_rate_limit_wait": 900.0}
        if args.told:
            job["window"] = run.ttl
        jobs: list[Mapping[str, Any]] = [{**job, "ids": share} for share in split(ids, run.processes)]
        stall = STALL_ENV if args.stall else None
        processes = start_workers(jobs, redis_url=redis_url if run.redis else None, extra_env=stall, hold=True)
        wait_ready(processes)
        go(processes, time.time() + 0.2)
        reports = collect(processes, timeout=args.timeout)
        log = app.log()
    done = [r for r in reports if r is not None]
    admitted = sorted(at for at, status in log if status == 200)
    return Result(
        span=admitted[-1] - admitted[0] if admitted else 0.0,
        ideal=math.floor((calls - 1) / args.limit) * run.ttl,
        rate_limited=sum(1 for _, status in log if status == 429),
        fetched=sum(len(r.fetched) for r in done),
        asked=calls,
        sent=len(log),
        wall=max((r.wall for r in done), default=math.nan),
    )


def runs(args: argparse.Namespace) -> Iterator[Run]:
    for ttl in args.ttl:
        for block in args.blocks:
            for p in args.processes:
                if p == 1:
                    yield Run(ttl, block, 1, redis=False)
                    yield Run(ttl, block, 1, redis=True)
                    continue
                yield Run(ttl, block, p, redis=True)
                if ttl <= 10 and not args.no_alone:
                    yield Run(ttl, block, p, redis=False)


# -- a loaded machine ---------------------------------------------------------------------------------------------

LAG_PROBE = """
import asyncio, json, sys, time
async def main():
    lags = []
    loop = asyncio.get_running_loop()
    while not sys.stdin.closed:
        started = loop.time()
        await asyncio.sleep(0.01)
        lags.append(loop.time() - started - 0.01)
        if len(lags) % 100 == 0:
            ordered = sorted(lags)
            print(json.dumps([ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)], ordered[-1]]), flush=True)
asyncio.run(main())
"""


@contextmanager
def hogs(count: int, stall: bool) -> Iterator[subprocess.Popen[str] | None]:
    """``count`` CPU-bound processes, and a probe (stalled as the workers are) that measures an event loop's lag."""
    if count <= 0 and not stall:
        yield None
        return
    hog_code = "while True:\n    pass\n"
    busy: list[subprocess.Popen[Any]] = [subprocess.Popen([sys.executable, "-c", hog_code]) for _ in range(count)]
    env = {**os.environ, **STALL_ENV} if stall else None
    probe = subprocess.Popen([sys.executable, "-c", LAG_PROBE], stdout=subprocess.PIPE, text=True, env=env)
    try:
        yield probe
    finally:
        for process in [*busy, probe]:
            process.kill()
            process.wait()


def lag_line(probe: subprocess.Popen[str] | None) -> str:
    """The probe's latest figures: loop lag p50, p99 and max in milliseconds."""
    if probe is None or probe.stdout is None:
        return ""
    os.set_blocking(probe.stdout.fileno(), False)
    latest = None
    for line in probe.stdout:
        latest = json.loads(line)
    if latest is None:
        return ""
    p50, p99, worst = (f"{seconds * 1000:.0f} ms" for seconds in latest)
    return f"event loop lag of a probe loaded as the workers are: p50 {p50}, p99 {p99}, max {worst}"


# -- the table ----------------------------------------------------------------------------------------------------

HEADER = [("ttl s", 5), ("block", 7), ("P", 2), ("store", 8), ("span s", 7), ("ideal s", 7), ("util", 5),
          ("429s", 5), ("ids", 9), ("sent", 5), ("wall s", 7)]  # fmt: skip


def row(run: Run, result: Result) -> str:
    store = "redis" if run.redis else ("in-proc" if run.processes == 1 else "alone")
    block = run.block if run.block in BLOCKS else f"{float(run.block):g} s"
    cells = [f"{run.ttl:g}", block, str(run.processes), store, f"{result.span:.1f}", f"{result.ideal:.0f}",
             f"{result.utilization:.3f}", str(result.rate_limited), f"{result.fetched}/{result.asked}",
             str(result.sent), f"{result.wall:.1f}"]  # fmt: skip
    first, *rest = cells
    (_, width), *others = HEADER
    return f"{first:<{width}}" + "".join(f"  {c:>{w}}" for c, (_, w) in zip(rest, others, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    numbers = lambda text: [float(x) for x in text.split(",")]  # noqa: E731
    parser.add_argument("--ttl", type=numbers, default=[10.0, 60.0], help="throttler windows, seconds (10,60)")
    parser.add_argument("--processes", type=lambda t: [int(x) for x in t.split(",")], default=[1, 2, 4, 8])
    parser.add_argument("--blocks", type=lambda t: t.split(","), default=["default", "20", "none"],
                        help="blockDuration per run: default (unset: one ttl), none (0), or seconds")  # fmt: skip
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--calls", type=int, default=400, help="calls per run at a ttl of 10 s or less")
    parser.add_argument("--calls-long", type=int, default=250, help="calls per run at longer ttls")
    parser.add_argument("--told", action="store_true", help="state the window in the policy")
    parser.add_argument("--no-alone", action="store_true", help="skip the runs of processes each pacing alone")
    parser.add_argument("--hog", type=int, default=0, metavar="N", help="N CPU-bound processes beside every run")
    parser.add_argument("--stall", action="store_true", help="stall every worker's loop for 50-200 ms at a time")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds a run may take before it is killed")
    parser.add_argument("--baseline", metavar="PYTHON", help="first run the same table with this interpreter's SDK")
    args = parser.parse_args()
    if args.baseline:
        argv = sys.argv[1:]
        at = argv.index("--baseline")
        print("before:", flush=True)
        # By path and from this script's folder, never the checkout's root: a process started there with ``-m`` or
        # ``-c`` would find this checkout's SDK on sys.path instead of the baseline's (the workers run by path).
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([args.baseline, os.path.abspath(__file__), *argv[:at], *argv[at + 2 :]], check=True, cwd=here)
        print("\nafter:", flush=True)
    for block in args.blocks:
        if block not in BLOCKS:
            float(block)
    import skipcall_async

    print(f"skipcall-async {skipcall_async.__version__} at {os.path.dirname(skipcall_async.__file__)}")
    print(f"{args.limit} requests per ttl per key; calls: {args.calls} (ttl <= 10 s), {args.calls_long} (longer); "
          f"window stated: {args.told}; CPU hogs: {args.hog}; loops stalled: {args.stall}\n")  # fmt: skip
    print("  span s  first to last admitted request, by the app's clock; util: ideal / span")
    print("  store   in-proc: one process; redis: P processes sharing the quota through Redis; alone: P processes")
    print("          each pacing on its own; sent: requests the app answered (retries after 429s included)\n")
    print("  ".join(f"{name:>{w}}" if i else f"{name:<{w}}" for i, (name, w) in enumerate(HEADER)))
    print("-" * (sum(w for _, w in HEADER) + 2 * (len(HEADER) - 1)), flush=True)
    with RedisServer() as redis, hogs(args.hog, args.stall) as probe:
        for run in runs(args):
            print(row(run, measure(run, args, redis.url)), flush=True)
        line = lag_line(probe)
    if line:
        print(f"\n{line}")


if __name__ == "__main__":
    main()
