"""Priority lanes: the latency of interactive calls while bulk work saturates the key, and the rate used in all.

A bulk gather of ``--bulk`` calls starts at once; beside it, one interactive ``get_call`` starts every
``--every`` seconds for as long as the bulk work runs. Three modes per server rule:

* ``lanes``: the gather runs as bulk (``with_options(priority="bulk")``), the interactive calls as interactive;
* ``no lanes``: both as interactive, the default: one first-come-first-served queue (what a client without lanes
  does);
* ``alone``: the interactive calls with no bulk work at all (the latency they have on a quiet key).

``1 proc``: all in this process, one client. ``2 procs``: the bulk gather in one worker process and the
interactive calls in another, sharing the key through a private ``redis-server``. Rules: fixed windows on the
clock and from the first request, a sliding log (the package's fake server, in a process of its own) and the
real @nestjs/throttler (``tests/support/limiters/nestjs``), 100 requests per window.

Judged per mode: interactive latency (p50, p99, max, from a call's start to its result), utilization of all
traffic (the ideal, ``floor((calls - 1) / limit) * window``, over the span of the server's admissions), 429s and
ids returned. ``--chart PATH`` draws the interactive latencies with and without lanes for the first rule.

    python benchmarks/lanes.py                              # 10 s windows, every rule: about 15 minutes
    python benchmarks/lanes.py --window 60 --bulk 300 --every 6 --rules fixed-first   # 10 % of the limit
    python benchmarks/lanes.py --chart docs/img/lanes.png --rules fixed-first
    python benchmarks/lanes.py --baseline /tmp/venv-before/bin/python --rules fixed-first,real-nestjs

``--baseline PYTHON`` runs each rule first with that interpreter (an older release installed in its own venv; this
script runs by path under it, in-process runs and workers alike: "before"), then with this one ("after").

Needs ``pip install -e '.[redis]' --group bench``, a ``redis-server`` and, for the real throttler, Node.js 20+.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import _support  # noqa: F401 (tests/ on sys.path, for the support package)
from fleet import PLAN_WINDOW, RealServer, Rule, ServerProcess, start_servers

from skipcall_async import RateLimitPolicy, SkipcallClient
from support.fleet import collect, go, start_workers, wait_ready
from support.redis_servers import RedisServer

RULES = {
    "fixed-clock": Rule("fixed-clock", "fixed-clock"),
    "fixed-first": Rule("fixed-first", "fixed-first"),
    "sliding-log": Rule("sliding-log", "sliding-log"),
    "real-nestjs": Rule("real-nestjs", "nestjs-throttler", block_windows=None, real=True),
}
MODES = ("lanes", "no lanes", "alone")


@dataclass
class Outcome:
    latencies: list[float]  # interactive calls, in the order they started
    starts: list[float]  # seconds from the first start
    admitted: list[float]
    rate_limited: int
    fetched: int
    asked: int
    failed: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def in_one_process(server: ServerProcess | RealServer, mode: str, args: argparse.Namespace) -> Outcome:
    """Bulk gather and interactive calls in this process, through one client."""
    window = PLAN_WINDOW / args.time_scale
    bulk_ids = [] if mode == "alone" else server.ids[: args.bulk]
    interactive_ids = server.ids[args.bulk : args.bulk + args.interactive]
    policy = RateLimitPolicy(window=window)
    async with SkipcallClient(server.key, base_url=server.url, rate_limiting=policy) as client:
        bulk = client.with_options(priority="bulk") if mode == "lanes" else client
        latencies: list[float] = []
        starts: list[float] = []
        begun = time.monotonic()

        async def interactive(index: int, call_id: str) -> str:
            await asyncio.sleep(index * args.every)
            started = time.monotonic()
            starts.append(started - begun)
            call = await client.get_call(call_id)
            latencies.append(time.monotonic() - started)
            return call.id

        work = [bulk.get_call(i) for i in bulk_ids]
        calls = [interactive(n, i) for n, i in enumerate(interactive_ids)]
        results = await asyncio.gather(*work, *calls, return_exceptions=True)
    answered = server.answered()
    failed = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    order = sorted(range(len(starts)), key=lambda k: starts[k])
    return Outcome(
        latencies=[latencies[k] for k in order],
        starts=[starts[k] for k in order],
        admitted=sorted(at for at, status in answered if status == 200),
        rate_limited=sum(1 for _, status in answered if status == 429),
        fetched=len(results) - len(failed),
        asked=len(results),
        failed=failed,
    )


def in_two_processes(
    server: ServerProcess | RealServer, mode: str, args: argparse.Namespace, redis_url: str
) -> Outcome:
    """The bulk gather in one worker, the interactive calls in another, sharing the key through Redis."""
    window = PLAN_WINDOW / args.time_scale
    # A bulk call may wait for the whole run: the workers' own bound (two minutes) would fail it at 60 s windows.
    base = {"base_url": server.url, "api_key": server.key, "window": window, "max_attempts": 20,
            "max_rate_limit_wait": args.timeout}  # fmt: skip
    jobs = []
    if mode != "alone":
        jobs.append({**base, "ids": server.ids[: args.bulk], **({"priority": "bulk"} if mode == "lanes" else {})})
    jobs.append({**base, "ids": server.ids[args.bulk : args.bulk + args.interactive], "every": args.every})
    processes = start_workers(jobs, redis_url=redis_url, hold=True)
    wait_ready(processes)
    go(processes, time.time() + 0.2)
    reports = collect(processes, timeout=args.timeout)
    answered = server.answered()
    done = [r for r in reports if r is not None]
    interactive = reports[-1]
    latencies = interactive.latencies if interactive is not None else []
    return Outcome(
        latencies=latencies,
        starts=[n * args.every for n in range(len(latencies))],
        admitted=sorted(at for at, status in answered if status == 200),
        rate_limited=sum(1 for _, status in answered if status == 429),
        fetched=sum(len(r.fetched) for r in done),
        asked=sum(len(job["ids"]) for job in jobs),
        failed=[f for r in done for f in r.failed.values()],
    )


def spec(rule: Rule, args: argparse.Namespace) -> dict[str, Any]:
    return {"rule": rule.rule, "limit": args.limit, "time_scale": args.time_scale, "skew": 0.0,
            "block_duration": None if rule.block_windows is None else 0.0, "real": rule.real,
            "calls": args.bulk + args.interactive}  # fmt: skip


def row(rule: str, setup: str, mode: str, outcome: Outcome, args: argparse.Namespace) -> str:
    return sdk_cell(args.label) + rule_row(rule, setup, mode, outcome, args)


def sdk_cell(label: str) -> str:
    """The first column with --baseline: which SDK ran the row."""
    return f"{label:<6}  " if label else ""


def rule_row(rule: str, setup: str, mode: str, outcome: Outcome, args: argparse.Namespace) -> str:
    window = PLAN_WINDOW / args.time_scale
    span = outcome.admitted[-1] - outcome.admitted[0] if len(outcome.admitted) > 1 else math.nan
    ideal = math.floor((outcome.asked - 1) / args.limit) * window
    util = f"{ideal / span:.3f}" if mode != "alone" and span > 0 else "-"
    ms = [s * 1000 for s in outcome.latencies]
    cells = [rule, setup, mode, f"{percentile(ms, 0.5):.0f}", f"{percentile(ms, 0.99):.0f}",
             f"{max(ms, default=math.nan):.0f}", util, str(outcome.rate_limited),
             f"{outcome.fetched}/{outcome.asked}"]  # fmt: skip
    widths = [12, 7, 8, 7, 7, 7, 5, 5, 9]
    return f"{cells[0]:<{widths[0]}}" + "".join(f"  {c:>{w}}" for c, w in zip(cells[1:], widths[1:], strict=True))


def chart(path: str, series: dict[str, Outcome], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 3.6), dpi=110)
    styles = {"no lanes": ("tab:red", "o"), "lanes": ("tab:blue", "s"), "alone": ("tab:gray", ".")}
    for mode, outcome in series.items():
        colour, marker = styles[mode]
        axis.plot(outcome.starts, outcome.latencies, marker=marker, linestyle="none", color=colour,
                  label={"lanes": "bulk as bulk (lanes)", "no lanes": "everything interactive (no lanes)",
                         "alone": "no bulk work"}[mode])  # fmt: skip
    axis.set_yscale("symlog", linthresh=0.1)
    axis.set_xlabel("seconds since the bulk gather began (when the interactive call started)")
    axis.set_ylabel("interactive latency, s")
    axis.set_title(title, fontsize=10)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="center right")
    figure.tight_layout()
    figure.savefig(path)
    print(f"\nchart written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=lambda t: t.split(","), default=list(RULES))
    parser.add_argument("--window", type=float, default=10.0, help="seconds per window (the plan's is 60)")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--bulk", type=int, default=400)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between interactive calls")
    parser.add_argument("--setups", type=lambda t: t.split(","), default=["1 proc", "2 procs"])
    parser.add_argument("--modes", type=lambda t: t.split(","), default=list(MODES))
    parser.add_argument("--chart", metavar="PATH", help="draw the first rule's one-process latencies")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--baseline", metavar="PYTHON", help="run each rule with this interpreter's SDK first")
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)  # rows only, under this SDK label
    args = parser.parse_args()
    unknown = sorted(set(args.rules) - set(RULES))
    if unknown:
        parser.error(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULES)}")
    args.time_scale = PLAN_WINDOW / args.window
    ideal = math.floor((args.bulk - 1) / args.limit) * args.window
    args.interactive = max(1, int(ideal / args.every))
    if not args.label:
        print(f"{args.bulk} bulk calls gathered at once and one interactive call every {args.every:g} s "
              f"({args.interactive} in all), {args.limit} requests per {args.window:g} s window.\n"
              "Latency: an interactive call's start to its result, ms. util: ideal / span of every admission "
              "(all traffic).\n")  # fmt: skip
        if args.baseline:
            print(f"before: the SDK of {args.baseline}; after: the SDK of {sys.executable}; each rule runs before, "
                  "then after.\n")  # fmt: skip
        header = ["rule", "setup", "mode", "p50 ms", "p99 ms", "max ms", "util", "429s", "ids"]
        widths = [12, 7, 8, 7, 7, 7, 5, 5, 9]
        titles = f"{header[0]:<{widths[0]}}" + "".join(
            f"  {c:>{w}}" for c, w in zip(header[1:], widths[1:], strict=True)
        )
        titles = (sdk_cell("sdk") if args.baseline else "") + titles
        print(f"{titles}\n{'-' * len(titles)}", flush=True)
    if args.baseline:
        args.label = "after"
    charted: dict[str, Outcome] = {}
    with RedisServer() as redis:
        store_url = redis.url
        for name in args.rules:
            if args.baseline:
                before(args.baseline, name)
            rule = RULES[name]
            for setup in args.setups:
                for mode in args.modes:
                    server = start_servers([spec(rule, args)])[0]
                    if setup == "1 proc":
                        outcome = asyncio.run(in_one_process(server, mode, args))
                        if args.chart and name == args.rules[0]:
                            charted[mode] = outcome
                    else:
                        outcome = in_two_processes(server, mode, args, store_url)
                    print(row(name, setup, mode, outcome, args), flush=True)
                    for failure in outcome.failed[:3]:
                        print(f"    failed: {failure}")
    if args.chart and charted:
        chart(args.chart, charted, f"{args.bulk} bulk calls and one interactive call every {args.every:g} s, "
                                   f"{args.limit} per {args.window:g} s ({args.rules[0]})")  # fmt: skip


def before(python: str, rule: str) -> None:
    """Run ``rule`` with another interpreter's SDK: this script, by path, under it, printing its rows only."""
    argv = sys.argv[1:]
    for option in ("--baseline", "--rules", "--chart"):
        while option in argv:
            at = argv.index(option)
            del argv[at : at + 2]
    # By path and from this script's folder, never the checkout's root, whose SDK would shadow the baseline's.
    here = os.path.dirname(os.path.abspath(__file__))
    command = [python, os.path.abspath(__file__), *argv, "--rules", rule, "--label", "before"]
    subprocess.run(command, check=True, cwd=here)


if __name__ == "__main__":
    main()
