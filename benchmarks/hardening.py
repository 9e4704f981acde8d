"""Hardening benchmark: the SDK against servers whose rate-limit headers lie, and a window it was not told.

Every case runs the fake server of this source tree in its own process (so the lying-header faults exist even
when the client measured is an older SDK) and one ``SkipcallClient`` gathering ``get_call``s:

* ``429 says retry now``: the key's window was spent by someone else just before; each 429 says
  ``Retry-After: 0`` with a reset a minute ago;
* ``... and no headers``: the same 429s, and no ``X-RateLimit-*`` header on any answer, so nothing paces;
* ``reset a day away``: admitted answers say the window ends in a day, ``Remaining`` counting down truthfully;
* ``429 says a day``: a spent key whose 429 says ``Retry-After: 86400`` (failing fast is the goal: no ideal);
* ``20 s window told`` / ``untold``: windows of 20 s, the server clock 90 s ahead, whole-second ``Reset`` and
  ``Date``, with ``window=20`` stated or not.

Printed per case: calls returned, failures by error type, 429s received, wall time from the first call to the
last answer, the ideal (the earliest the server's rule could admit every call) and utilization = ideal / wall.

It runs on older SDKs too (the client's settings are found by feature detection), which makes before/after
tables: run the same file with another checkout's interpreter, e.g.

    python benchmarks/hardening.py                      # about 5 minutes
    /path/to/old-venv/bin/python benchmarks/hardening.py --case "reset a day away"
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import attrs
from _server_process import TREE, server_process

import skipcall_async
from skipcall_async import ResponseEvent, SkipcallClient

try:
    from skipcall_async import RateLimitPolicy
except ImportError:  # before RateLimitPolicy, the window was the client's rate_limit_window argument
    RateLimitPolicy = None

CLIENT_TREE = Path(skipcall_async.__file__).resolve().parent.parent  # the SDK measured may be another checkout
KEY = "sk_bench_hardening"


def told(window: float) -> dict[str, Any]:
    """Client arguments that state the plan's window, in the form this SDK takes."""
    if RateLimitPolicy is not None:
        return {"rate_limiting": RateLimitPolicy(window=window)}
    return {"rate_limit_window": window}


@attrs.frozen
class Case:
    name: str
    server: tuple[str, ...]  # command-line arguments of the fake server
    calls: int
    limit: int
    window: float  # the server's window, seconds
    spent: bool = False  # another consumer takes the key's whole window just before the calls
    stated: float | None = None  # the window told to the client
    has_ideal: bool = True


def cases(windows: int) -> list[Case]:
    twenty_a_second = ("--limit", "20", "--time-scale", "60", "--rule", "fixed-first")
    skewed = ("--limit", "100", "--time-scale", "3", "--rule", "fixed-first", "--skew", "90")
    return [
        Case("429 says retry now", (*twenty_a_second, "--faults", "past-429-hints"), 60, 20, 1.0, spent=True),
        Case(
            "... and no headers",
            (*twenty_a_second, "--faults", "no-headers", "--retry-after", "0", "--past-reset-on-429"),
            60,
            20,
            1.0,
        ),
        Case("reset a day away", (*twenty_a_second, "--faults", "reset-a-day-away"), 60, 20, 1.0),
        Case(
            "429 says a day", (*twenty_a_second, "--faults", "back-tomorrow"), 60, 20, 1.0, spent=True, has_ideal=False
        ),
        Case("20 s window told", skewed, windows * 100, 100, 20.0, stated=20.0),
        Case("20 s window untold", skewed, windows * 100, 100, 20.0),
    ]


async def call_ids(session: aiohttp.ClientSession, url: str, count: int) -> list[str]:
    """Ids to fetch, listed with another key so that the measured key's budget is untouched."""
    headers = {"Authorization": "Bearer sk_bench_lister"}
    async with session.get(f"{url}/v1/calls?size=100", headers=headers) as response:
        ids = [c["id"] for c in (await response.json())["data"]]
    return [ids[i % len(ids)] for i in range(count)]


async def spend(session: aiohttp.ClientSession, url: str, limit: int) -> None:
    for _ in range(limit):
        async with session.get(f"{url}/v1/health", headers={"Authorization": f"Bearer {KEY}"}) as response:
            await response.read()


async def run(case: Case) -> str:
    async with server_process(*case.server) as url, aiohttp.ClientSession() as session:
        ids = await call_ids(session, url, case.calls)
        spent_at = time.perf_counter()
        if case.spent:
            await spend(session, url, case.limit)
        statuses: Counter[int] = Counter()

        async def on_response(event: ResponseEvent) -> None:
            statuses[event.status] += 1

        options = told(case.stated) if case.stated is not None else {}
        started = time.perf_counter()
        async with SkipcallClient(KEY, base_url=url, on_response=on_response, **options) as client:
            results = await asyncio.gather(*(client.get_call(i) for i in ids), return_exceptions=True)
        wall = time.perf_counter() - started
    failed = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
    returned = len(results) - sum(failed.values())
    ideal_text, utilization = "-", "-"
    if case.has_ideal:
        ideal = math.floor((case.calls - 1) / case.limit) * case.window
        if case.spent:  # the spent window ends one window after it opened
            ideal += max(0.0, spent_at + case.window - started)
        ideal_text = f"{ideal:.2f}"
        if not failed:  # calls that failed fast make any wall time look good
            utilization = f"{ideal / wall:.3f}"
    failures = ", ".join(f"{n} {name}" for name, n in failed.most_common()) or "0"
    return (
        f"{case.name:20} {returned:>4}/{case.calls:<4} {failures:30} {statuses[429]:>5} {wall:8.2f} "
        f"{ideal_text:>8} {utilization:>6}"
    )


async def main(args: argparse.Namespace) -> None:
    print(f"skipcall_async {skipcall_async.__version__} from {CLIENT_TREE}; fake server from {TREE}\n")
    header = f"{'case':20} {'returned':>9} {'failures':30} {'429s':>5} {'wall s':>8} {'ideal s':>8} {'util':>6}"
    print(header)
    print("-" * len(header))
    for case in cases(args.windows):
        if args.case and case.name not in args.case:
            continue
        print(await run(case), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=4, help="windows of the 20 s cases (100 calls each)")
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    asyncio.run(main(parser.parse_args()))
