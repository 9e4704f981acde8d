"""Draw docs/img/fleet.png: four processes on one key, sharing its quota through Redis and each on its own.

Four worker processes (``tests/support/fleet_worker.py``) fetch ``--calls`` calls between them with
``asyncio.gather`` from one fake server enforcing the starter plan (100 requests per minute) with a time scale, so
a minute lasts a few seconds. Top panel: the workers share the key's quota through a private ``redis-server``
(``SKIPCALL_REDIS_URL``); bottom panel: each paces on its own. Bars count, per quarter second, the requests the
server admitted and the 429s it sent, as in ``pacing_chart.py``.

    python benchmarks/fleet_chart.py        # writes docs/img/fleet.png (needs matplotlib and redis-server), ~1 min
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import _support  # noqa: F401 (tests/ on sys.path, for the support package)
import matplotlib.pyplot as plt
from pacing_chart import per_bucket

from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule, RecordedRequest
from support.fleet import collect, go, split, start_workers, wait_ready
from support.redis_servers import RedisServer

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "fleet.png"


async def record(redis_url: str | None, args: argparse.Namespace) -> list[RecordedRequest]:
    """Every request the server received while ``args.processes`` workers fetched the calls."""
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=args.time_scale)
    async with FakeSkipcall(rate_limit=rule, calls=max(600, args.calls * 3)) as server:
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][: args.calls]
        jobs = [
            {"base_url": server.url, "api_key": server.api_key, "ids": share, "window": rule.window, "max_attempts": 20}
            for share in split(ids, args.processes)
        ]
        loop = asyncio.get_running_loop()
        workers = start_workers(jobs, redis_url=redis_url, hold=True)
        await loop.run_in_executor(None, wait_ready, workers)
        go(workers, time.time() + 0.1)
        reports = await loop.run_in_executor(None, collect, workers)
        if any(r is None for r in reports):
            raise SystemExit("a worker ended without a report")
        return [r for r in server.requests if r.route == "get_call"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--time-scale", type=float, default=10.0, help="10: the one-minute window lasts 6 s")
    parser.add_argument("--bucket", type=float, default=0.25, help="seconds per bar")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with RedisServer() as redis:
        runs = {"redis": asyncio.run(record(redis.url, args)), "alone": asyncio.run(record(None, args))}
    horizon = max(max(r.at for r in reqs) - min(r.at for r in reqs) for reqs in runs.values()) + args.bucket
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, sharey=True)
    titles = {
        "redis": f"{args.processes} processes, one key, sharing its quota through Redis",
        "alone": f"{args.processes} processes, one key, each pacing on its own",
    }
    for ax, (name, requests) in zip(axes, runs.items(), strict=True):
        start = min(r.at for r in requests)
        xs, admitted = per_bucket(requests, start, args.bucket, ok=True)
        _, rejected = per_bucket(requests, start, args.bucket, ok=False)
        ax.bar(xs, admitted, width=args.bucket, align="edge", color="#2b8a3e", label="admitted (200)")
        ax.bar(xs, rejected, width=args.bucket, align="edge", bottom=admitted, color="#e03131", label="429")
        done = max(r.at for r in requests if r.status == 200) - start
        ax.set_title(
            f"{titles[name]}: {sum(admitted)} fetched, {sum(rejected)} 429s, done at {done:.1f} s", fontsize=10
        )
        ax.set_ylabel(f"requests per {args.bucket:g} s")
        ax.set_xlim(0, horizon)
        ax.legend(loc="upper right", fontsize=8)
    window = 60.0 / args.time_scale
    axes[-1].set_xlabel(
        f"seconds (limit: 100 requests per {window:g} s window, {args.calls} calls gathered by {args.processes} "
        f"processes)"
    )
    fig.tight_layout()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
