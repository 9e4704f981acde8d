"""``python -m skipcall_async demo``: its command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..testing import FAULT_PROFILES, PLANS
from .fleet import run_fleet_demo
from .one_process import run_demo


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
