"""Rate-limit benchmark: this SDK against what users write by hand, on the fake server's rules.

Each rule runs a fake server in a separate process (so its CPU is not counted) enforcing ``--limit`` requests per
window. Three clients fetch ``--requests`` calls with ``asyncio.gather``:

* ``sdk``: ``SkipcallClient.get_call``;
* ``gather+tenacity``: plain aiohttp, retrying 429s with tenacity's exponential jitter;
* ``aiolimiter+tenacity``: the same, paced by ``aiolimiter.AsyncLimiter(limit, window)``.

Printed per run: wall time, ideal time (earliest the rule admits all requests), utilization = ideal / wall,
requests sent, 429s received, failures, and client CPU microseconds per request. Then an uncontended run
(no limit) comparing the SDK's CPU per request with raw aiohttp + json.loads, and the peak memory of a
10,000-request gather.

    python benchmarks/rate_limit.py                 # about 5 minutes
    python benchmarks/rate_limit.py --time-scale 30 --requests 250   # a quicker look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import tenacity
from aiolimiter import AsyncLimiter

from skipcall_async import RateLimitPolicy, ResponseEvent, SkipcallClient
from skipcall_async.testing import DEFAULT_KEY

RULES = [
    ("fixed-clock", ["--rule", "fixed-clock"]),
    ("fixed-first", ["--rule", "fixed-first"]),
    ("seconds-until-reset", ["--rule", "seconds-until-reset"]),
    ("sliding-log", ["--rule", "sliding-log"]),
    ("skewed clock (+90 s)", ["--rule", "fixed-first", "--skew", "90"]),
]
AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}
ROUNDS = 3


@asynccontextmanager
async def server_process(*args: str):  # type: ignore[no-untyped-def]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "skipcall_async.testing", "--port", "0", *args, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    line = (await proc.stdout.readline()).decode()
    url = line.split(" on ")[1].split(" ")[0]
    try:
        yield url
    finally:
        proc.terminate()
        await proc.wait()


async def call_ids(url: str, count: int, window: float = 60.0) -> list[str]:
    # The governor is shared per key and configured by the first client: state the window here too.
    async with SkipcallClient(DEFAULT_KEY, base_url=url, rate_limiting=RateLimitPolicy(window=window)) as client:
        page = await client.list_calls(size=100)
    ids = [c.id for c in page.items]
    return [ids[i % len(ids)] for i in range(count)]


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.rate_limited = 0
        self.failures = 0


def ideal_seconds(rule: str, requests: int, limit: int, window: float, first_at: float) -> float:
    windows = math.floor((requests - 1) / limit)
    if rule == "fixed-clock":
        return (math.floor(first_at / window) + 1) * window - first_at + (windows - 1) * window
    return windows * window


async def run_sdk(url: str, ids: list[str], tally: Tally, window: float) -> None:
    async def on_response(event: ResponseEvent) -> None:
        tally.sent += 1
        tally.rate_limited += event.status == 429

    policy = RateLimitPolicy(window=window)
    async with SkipcallClient(DEFAULT_KEY, base_url=url, on_response=on_response, rate_limiting=policy) as client:
        results = await asyncio.gather(*(client.get_call(i) for i in ids), return_exceptions=True)
    tally.failures = sum(isinstance(r, BaseException) for r in results)


class TooMany(Exception):
    pass


async def run_by_hand(url: str, ids: list[str], tally: Tally, limiter: AsyncLimiter | None) -> None:
    retrying = tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception_type(TooMany),
        wait=tenacity.wait_exponential_jitter(multiplier=0.5, max=10),
        stop=tenacity.stop_after_attempt(12),
        reraise=True,
    )

    async def fetch(session: aiohttp.ClientSession, call_id: str) -> Any:
        async for attempt in retrying.copy():
            with attempt:
                if limiter is not None:
                    await limiter.acquire()
                async with session.get(f"{url}/v1/calls/{call_id}", headers=AUTH) as response:
                    tally.sent += 1
                    if response.status == 429:
                        tally.rate_limited += 1
                        raise TooMany
                    return json.loads(await response.read())
        return None

    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(*(fetch(session, i) for i in ids), return_exceptions=True)
    tally.failures = sum(isinstance(r, BaseException) for r in results)


async def measure(run: Callable[[Tally], Awaitable[None]]) -> tuple[Tally, float, float, float]:
    tally = Tally()
    cpu, wall, first_at = time.process_time(), time.perf_counter(), time.time()
    await run(tally)
    return tally, time.perf_counter() - wall, time.process_time() - cpu, first_at


async def contended(args: argparse.Namespace) -> None:
    window = 60.0 / args.time_scale
    print(f"\nContended: {args.requests} requests, limit {args.limit} per {window:g} s window\n")
    header = (
        f"{'rule':22} {'client':22} {'wall s':>7} {'ideal s':>7} {'util':>5} {'sent':>6} {'429s':>5} "
        f"{'fail':>4} {'CPU us/req':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, extra in RULES:
        if args.rule and name not in args.rule:
            continue
        fmt = [] if "seconds" in name else ["--reset-format", "epoch-ms" if args.ms else "epoch"]
        clients: list[tuple[str, Callable[[str, list[str], Tally], Awaitable[None]]]] = [
            ("sdk", lambda u, i, t: run_sdk(u, i, t, window)),
            ("gather+tenacity", lambda u, i, t: run_by_hand(u, i, t, None)),
            ("aiolimiter+tenacity", lambda u, i, t: run_by_hand(u, i, t, AsyncLimiter(args.limit, window))),
        ]
        for client_name, client in clients:
            server_args = ["--limit", str(args.limit), "--time-scale", str(args.time_scale), *extra, *fmt]
            async with server_process(*server_args) as url:
                ids = await call_ids(url, args.requests, window)
                # The list_calls request above used a token: start each run in a fresh window.
                await asyncio.sleep(window)
                tally, wall, cpu, first_at = await measure(lambda t: client(url, ids, t))  # noqa: B023
            ideal = ideal_seconds(extra[1], args.requests, args.limit, window, first_at)
            print(
                f"{name:22} {client_name:22} {wall:7.2f} {ideal:7.2f} {ideal / wall:5.2f} {tally.sent:6d} "
                f"{tally.rate_limited:5d} {tally.failures:4d} {cpu / max(tally.sent, 1) * 1e6:10.0f}"
            )


async def uncontended(args: argparse.Namespace) -> None:
    total, concurrency = args.uncontended, 100
    async with server_process("--limit", str(10**9)) as url:
        ids = await call_ids(url, total)

        async def raw(tally: Tally) -> None:
            gate = asyncio.Semaphore(concurrency)
            async with aiohttp.ClientSession() as session:

                async def fetch(call_id: str) -> Any:
                    async with gate, session.get(f"{url}/v1/calls/{call_id}", headers=AUTH) as response:
                        tally.sent += 1
                        return json.loads(await response.read())

                await asyncio.gather(*(fetch(i) for i in ids))

        async def sdk(tally: Tally) -> None:
            async with SkipcallClient(DEFAULT_KEY, base_url=url, max_connections=concurrency) as client:
                await asyncio.gather(*(client.get_call(i) for i in ids))
            tally.sent = total

        rows = []
        for _ in range(ROUNDS):  # interleaved, so machine noise hits both alike
            for name, run in (("raw aiohttp + json.loads", raw), ("sdk get_call", sdk)):
                tally, wall, cpu, _ = await measure(run)
                rows.append((name, wall, cpu / tally.sent * 1e6))
    print(f"\nUncontended: {total} requests, {concurrency} at once, {ROUNDS} interleaved rounds\n")
    for name, wall, per in rows:
        print(f"{name:26} wall {wall:6.2f} s   CPU {per:6.0f} us/request")
    raw_cpu = min(per for name, _, per in rows if name.startswith("raw"))
    sdk_cpu = min(per for name, _, per in rows if name.startswith("sdk"))
    print(f"SDK / raw CPU per request: {sdk_cpu / raw_cpu:.2f}x (best round of each)")


async def memory(args: argparse.Namespace) -> None:
    async with server_process("--limit", str(10**9)) as url:
        ids = await call_ids(url, args.memory)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        async with SkipcallClient(DEFAULT_KEY, base_url=url) as client:
            calls = await asyncio.gather(*(client.get_call(i) for i in ids))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        f"\nMemory: {len(calls)} concurrent get_call, peak {(peak - base) / 2**20:.1f} MB above the start "
        f"(Python allocations, tracemalloc)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=250)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--time-scale", type=float, default=10.0, help="10: the one-minute window lasts 6 s")
    parser.add_argument("--ms", action="store_true", help="send resets in epoch milliseconds instead of seconds")
    parser.add_argument("--uncontended", type=int, default=5000)
    parser.add_argument("--memory", type=int, default=10000)
    parser.add_argument("--only", choices=("contended", "uncontended", "memory"), default=None)
    parser.add_argument("--rule", action="append", choices=[name for name, _ in RULES], help="repeatable")
    args = parser.parse_args()
    for part in (contended, uncontended, memory):
        if args.only in (None, part.__name__):
            asyncio.run(part(args))


if __name__ == "__main__":
    main()
