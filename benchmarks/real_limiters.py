"""The SDK against real limiters: @fastify/rate-limit, express-rate-limit's four header forms, nginx ``limit_req``.

Each row starts a fresh limiter from the test suite's catalogue (``tests/support/limiters/catalogue.py``) on a free
port: @fastify/rate-limit and express-rate-limit (legacy ``X-RateLimit-*`` with an epoch Reset, ``draft-6``,
``draft-7``, ``draft-8``) at ``--limit`` requests per ``--window`` seconds per API key, each a fixed window opened by
the key's first request; nginx ``limit_req`` at the same average rate (100 per 10 s: ``10r/s``; per 60 s:
``100r/m``) with a burst of ``--limit`` and of a fifth of it, ``nodelay`` and queued, in front of an express app
that limits nothing, answering bare 429s. ``--calls`` ``get_call`` are dealt round-robin to P worker processes
(``tests/support/fleet_worker.py``), which start their gather at one instant with the SDK's default settings (a new
user's client, the window learned, nothing stated): P = 1 paces in its process, P > 1 share the key's quota
through a private ``redis-server``.

Everything is counted at the limiter, from its own log (the apps' ``/__admin/log``, nginx's access log): 429s,
requests, and when it admitted each one. ``refused`` is 429s over all the requests the limiter saw.

Utilization. ``elapsed`` runs from the first request the limiter saw to the last one it admitted (nginx: when it
passed a request to the app, so a queued one counts when it left the queue). The ideal is the best any client
could do:

- a fixed window admits ``limit`` at its first request, then ``limit`` more at each window's start:
  the n-th admission comes at best ``floor((n - 1) / limit) * window`` after the first request;
- nginx admits 1 + ``burst`` at once with ``nodelay``, else 1 (the rest wait in its queue), then ``rate`` per
  second: the n-th comes at best ``max(0, n - at_once) / rate`` after the first.

``util`` is that ideal time for the admissions seen over ``elapsed`` (1.0: no second lost; the issue's figures
are this ratio). ``count`` is the same judged by numbers: admissions seen over the most the limiter allows in
``elapsed`` (its whole first window or burst, then every window started or ``rate * elapsed`` more). The two
differ on a window limiter: a run that opens each window a second late still fits in as many windows, so
``count`` shows 1.0 where ``util`` shows the seconds lost. A run that loses calls is short, and both stay high:
read them beside ``back``.

The workers run the SDK installed for the interpreter that runs this script. ``--baseline PYTHON`` first runs the
same table with another interpreter (an older release installed in its own venv), so one command prints before
and after.

    python benchmarks/real_limiters.py                          # 9 limiters x (1, 4 processes): about 10 minutes
    python benchmarks/real_limiters.py --limiters fastify,express-legacy,nginx-nodelay-100 --processes 1
    python benchmarks/real_limiters.py --window 60 --calls 250  # the real one-minute window (100r/m for nginx)
    python benchmarks/real_limiters.py --baseline /path/to/old-venv/bin/python

Needs Node.js 20+ (``SKIPCALL_NODE`` to name it), nginx (``apt-get install nginx-light``; ``SKIPCALL_NGINX``),
``pip install -e '.[redis]'`` and a ``redis-server``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import _support  # noqa: F401 (tests/ on sys.path, for the support package)

from support.fleet import collect, go, split, start_workers, wait_ready
from support.limiters.catalogue import RealLimiter, catalogue
from support.redis_servers import RedisServer

KEY = "sk_live_benchmark_key"


@dataclass
class Result:
    asked: int
    fetched: int
    failed: int
    sent: int  # requests the limiter saw, retries included
    refused: int  # 429s among them
    admitted: int  # 200s among them
    elapsed: float  # first request seen to last admitted, by the limiter's clock
    ideal: float  # the least time for ``admitted`` admissions
    allowed: int  # the most admissions the limiter allows in ``elapsed``
    wall: float

    @property
    def utilization(self) -> float:
        return self.ideal / self.elapsed if self.elapsed > 0 and self.ideal > 0 else math.nan

    @property
    def count_utilization(self) -> float:
        return self.admitted / self.allowed if self.allowed else math.nan


def measure(limiter: RealLimiter, processes: int, args: argparse.Namespace, redis_url: str) -> Result:
    """One run on a fresh limiter: the workers' reports and the limiter's log."""
    ids = [f"call-{i:04d}" for i in range(args.calls)]
    with limiter.start() as served:
        job: dict[str, Any] = {"base_url": served.url, "api_key": KEY, "sdk_defaults": True}
        jobs: list[Mapping[str, Any]] = [{**job, "ids": share} for share in split(ids, processes)]
        workers = start_workers(jobs, redis_url=redis_url if processes > 1 else None, hold=True)
        wait_ready(workers)
        go(workers, time.time() + 0.2)
        reports = collect(workers, timeout=args.timeout)
        log = served.log()
    done = [r for r in reports if r is not None]
    admitted = sorted(at for at, status in log if status == 200)
    first = min((at for at, _ in log), default=math.nan)
    elapsed = admitted[-1] - first if admitted else 0.0
    return Result(
        asked=len(ids),
        fetched=sum(len(r.fetched) for r in done),
        failed=len(ids) - sum(len(r.fetched) for r in done),
        sent=len(log),
        refused=sum(1 for _, status in log if status == 429),
        admitted=len(admitted),
        elapsed=elapsed,
        ideal=limiter.ideal.ideal_elapsed(len(admitted)),
        allowed=limiter.ideal.ideal_count(elapsed),
        wall=max((r.wall for r in done), default=math.nan),
    )


HEADER = [("limiter", 18), ("P", 2), ("store", 7), ("util", 5), ("count", 5), ("429s", 5), ("refused", 7),
          ("back", 9), ("sent", 5), ("elapsed", 7), ("ideal", 6), ("wall s", 6)]  # fmt: skip


def row(name: str, processes: int, result: Result) -> str:
    store = "redis" if processes > 1 else "in-proc"
    cells = [name, str(processes), store, f"{result.utilization:.3f}", f"{result.count_utilization:.3f}",
             str(result.refused), f"{100 * result.refused / max(1, result.sent):.1f} %",
             f"{result.fetched}/{result.asked}", str(result.sent), f"{result.elapsed:.1f}", f"{result.ideal:.1f}",
             f"{result.wall:.1f}"]  # fmt: skip
    first, *rest = cells
    (_, width), *others = HEADER
    return f"{first:<{width}}" + "".join(f"  {c:>{w}}" for c, (_, w) in zip(rest, others, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limiters", type=lambda t: t.split(","), help="names, comma-separated (default: all)")
    parser.add_argument("--processes", type=lambda t: [int(x) for x in t.split(",")], default=[1, 4])
    parser.add_argument("--limit", type=int, default=100, help="requests per window per key (100)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds (10; 60 for the real one-minute window)")
    parser.add_argument("--calls", type=int, default=400, help="calls per run (400)")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds a run may take before it is killed")
    parser.add_argument("--baseline", metavar="PYTHON", help="first run the same table with this interpreter's SDK")
    args = parser.parse_args()
    limiters = catalogue(args.limit, args.window)
    unknown = sorted(set(args.limiters or []) - set(limiters))
    if unknown:
        parser.error(f"unknown limiters {', '.join(unknown)}; choose from {', '.join(limiters)}")
    if args.baseline:
        argv = sys.argv[1:]
        at = argv.index("--baseline")
        print("before:", flush=True)
        # By path and from this script's folder, never the checkout's root: a process started there would find
        # this checkout's SDK on sys.path instead of the baseline's (the workers run by path too).
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([args.baseline, os.path.abspath(__file__), *argv[:at], *argv[at + 2 :]], check=True, cwd=here)
        print("\nafter:", flush=True)
    import skipcall_async

    print(f"skipcall-async {skipcall_async.__version__} at {os.path.dirname(skipcall_async.__file__)}")
    print(f"{args.limit} requests per {args.window:g} s per key; {args.calls} calls per run; the SDK's defaults\n")
    print("  util     ideal time for the admissions seen / elapsed (first request seen to last admitted)")
    print("  count    admissions seen / the most the limiter allows in elapsed; both defined in the docstring")
    print("  429s     counted at the limiter; refused: 429s / requests it saw; back: calls returned / asked")
    print("  store    in-proc: one process; redis: P processes sharing the key's quota through Redis\n")
    for name in args.limiters or limiters:
        print(f"  {name:<18} {limiters[name].sends}")
    print()
    print("  ".join(f"{name:>{w}}" if i else f"{name:<{w}}" for i, (name, w) in enumerate(HEADER)))
    print("-" * (sum(w for _, w in HEADER) + 2 * (len(HEADER) - 1)), flush=True)
    with RedisServer() as redis:
        for name in args.limiters or limiters:
            for processes in args.processes:
                print(row(name, processes, measure(limiters[name], processes, args, redis.url)), flush=True)


if __name__ == "__main__":
    main()
