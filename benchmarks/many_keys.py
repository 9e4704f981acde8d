"""Many keys in one process: does the SDK's per-key pacing state stay flat when keys come and go?

A multi-tenant service holds one API key per customer and builds a short-lived client for each piece of work.
Here 100,000 distinct keys each make one ``get_call`` through a client of their own (sharing one aiohttp
session, as such a service would), ``--concurrency`` keys at a time, against a fake server in a separate process
that accepts every key. The server's windows are short (``--time-scale``) and stated to the client, so each
key's window is over a moment after its call and its state no longer matters. (Untold, the store keeps a new key
for at least the documented minute, so memory levels off at one minute's worth of keys instead.)

Printed every 10,000 keys (``--every``) and at the end: the Python memory allocated since the start
(tracemalloc's current figure, after a garbage collection) and the limiters the process still holds. Two runs:

* ``closed``: each client is closed after its call; memory should stay flat;
* ``kept``: every client is kept open to the end (one client per customer, held forever), for contrast.

    python benchmarks/many_keys.py                     # about 12 minutes (tracemalloc slows Python down)
    python benchmarks/many_keys.py --keys 20000        # a quicker look
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from typing import Any

import aiohttp
from _server_process import server_process

from skipcall_async import SkipcallClient

try:
    from skipcall_async import RateLimitPolicy
except ImportError:  # before RateLimitPolicy, the window was the client's rate_limit_window argument
    RateLimitPolicy = None


def pacing(window: float) -> dict[str, Any]:
    """Client arguments that state the plan's window, in the form this SDK takes."""
    if RateLimitPolicy is not None:
        return {"rate_limiting": RateLimitPolicy(window=window)}
    return {"rate_limit_window": window}


def limiters_held() -> int:
    """Limiters this process holds for the running loop, wherever this SDK version keeps them."""
    loop = asyncio.get_running_loop()
    try:
        from skipcall_async._pacing.stores import IN_PROCESS
    except ImportError:
        try:
            from skipcall_async._stores import IN_PROCESS  # type: ignore[no-redef]
        except ImportError:  # before the stores, a plain dict per loop
            from skipcall_async import _limiter  # type: ignore[attr-defined]

            return len(_limiter._registry.get(loop, {}))
    registry = IN_PROCESS._registries.get(loop)
    return 0 if registry is None else len(registry)


def megabytes(base: int) -> str:
    gc.collect()
    return f"{(tracemalloc.get_traced_memory()[0] - base) / 2**20:7.1f} MB"


async def run(mode: str, args: argparse.Namespace) -> None:
    window = 60.0 / args.time_scale
    server = server_process("--time-scale", str(args.time_scale), "--rule", "fixed-first")
    async with server as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/v1/calls?size=1", headers={"Authorization": "Bearer sk_list"}) as response:
            call_id = (await response.json())["data"][0]["id"]
        kept: list[SkipcallClient] = []
        options = {"base_url": url, "session": session, **pacing(window)}

        async def one(key: str) -> None:
            client = SkipcallClient(key, **options)
            if mode == "kept":
                kept.append(client)
                await client.get_call(call_id)
                return
            async with client:
                await client.get_call(call_id)

        print(f"\n{mode}: {args.keys:,} keys, one get_call each, {args.concurrency} at a time, {window:g} s windows")
        print(f"{'keys':>8} {'memory':>10} {'limiters held':>14} {'elapsed s':>10}")
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        for first in range(0, args.keys, args.concurrency):
            last = min(first + args.concurrency, args.keys)
            await asyncio.gather(*(one(f"sk_tenant_{n:06d}") for n in range(first, last)))
            if last % args.every == 0 or last == args.keys:
                elapsed = time.perf_counter() - started
                print(f"{last:>8,} {megabytes(base):>10} {limiters_held():>14,} {elapsed:10.1f}", flush=True)
        await asyncio.sleep(window + 0.1)  # the last keys' windows end
        await one("sk_tenant_last")  # a new key lets the store look at the others again
        print(f"{'at end':>8} {megabytes(base):>10} {limiters_held():>14,}", flush=True)
        tracemalloc.stop()
        for client in kept:
            await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--every", type=int, default=10_000, help="print after this many keys")
    parser.add_argument("--time-scale", type=float, default=60.0, help="60: the one-minute window lasts 1 s")
    parser.add_argument("--mode", choices=("closed", "kept"), action="append", help="default: both")
    args = parser.parse_args()
    for mode in args.mode or ("closed", "kept"):
        asyncio.run(run(mode, args))


if __name__ == "__main__":
    main()
