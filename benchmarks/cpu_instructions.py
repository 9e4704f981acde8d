"""CPU cost per request in instructions, SDK against raw aiohttp + json.loads, immune to a noisy machine.

Process CPU time on a shared machine varies by tens of percent from run to run. Valgrind's callgrind counts the
instructions a process executes, which repeat closely. Each client runs under callgrind twice, for N and 3N
requests against a fake server in a separate (untraced) process. The difference divided by 2N is the cost of one
request, with interpreter start-up and imports cancelled out.

The SDK is measured twice. "cold" is the first gather of a process: every call queues behind the governor's
probe until the first response has told it the limit. "warm" makes one call first, as a running service has,
so the gather is admitted at once; raw aiohttp makes the same first call. Garbage collection is included, as
users run with it; its share moves by a few percent with N, so compare figures from one run.

    python benchmarks/cpu_instructions.py            # about three minutes; needs valgrind
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from skipcall_async import SkipcallClient
from skipcall_async.testing import DEFAULT_KEY

CONCURRENCY = 100


async def client_run(mode: str, url: str, ids: list[str], *, warm: bool = False) -> None:
    """One measured run: fetch every id, 100 at once; ``warm`` makes one call before the gather."""
    if mode == "sdk":
        async with SkipcallClient(DEFAULT_KEY, base_url=url, max_connections=CONCURRENCY) as client:
            if warm:
                await client.get_call(ids[0])
            await asyncio.gather(*(client.get_call(i) for i in ids))
        return
    gate = asyncio.Semaphore(CONCURRENCY)
    headers = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    async with aiohttp.ClientSession() as session:

        async def fetch(call_id: str) -> Any:
            async with gate, session.get(f"{url}/v1/calls/{call_id}", headers=headers) as response:
                return json.loads(await response.read())

        if warm:
            await fetch(ids[0])
        await asyncio.gather(*(fetch(i) for i in ids))


def instructions(mode: str, url: str, ids_file: Path, count: int, *, warm: bool) -> int:
    """Instructions executed by a client process that fetches ``count`` calls."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--client",
                mode,
                "--url",
                url,
                "--ids",
                str(ids_file),
                "--count",
                str(count),
                *(["--warm"] if warm else []),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    match = re.search(r"Collected : (\d+)", result.stderr)
    assert match, result.stderr[-2000:]
    return int(match.group(1))


async def fetch_ids(url: str) -> list[str]:
    async with SkipcallClient(DEFAULT_KEY, base_url=url) as client:
        page = await client.list_calls(size=100)
    return [c.id for c in page]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500, help="N: runs of N and 3N requests are compared")
    parser.add_argument("--client", choices=("sdk", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:  # the traced child
        if os.environ.get("CPU_INSTRUCTIONS_NO_GC"):
            gc.disable()  # to see how much of the cost is garbage collection
        if os.environ.get("CPU_INSTRUCTIONS_NO_MODELS"):
            import skipcall_async._base_client as funnel  # to see how much of the cost is decoding into models

            funnel.structure_hook = lambda model: lambda data: data  # type: ignore[attr-defined]
        ids = json.loads(args.ids.read_text())
        asyncio.run(client_run(args.client, args.url, [ids[i % len(ids)] for i in range(args.count)], warm=args.warm))
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.testing", "--port", "0", "--limit", "1000000000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(" on ")[1].split(" ")[0]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(asyncio.run(fetch_ids(url)), handle)
        ids_file = Path(handle.name)
        n = args.requests
        per_request = {}
        for label, mode, warm in (
            ("raw", "raw", False),
            ("sdk cold", "sdk", False),
            ("raw warm", "raw", True),
            ("sdk warm", "sdk", True),
        ):
            small = instructions(mode, url, ids_file, n, warm=warm)
            large = instructions(mode, url, ids_file, 3 * n, warm=warm)
            per_request[label] = (large - small) / (2 * n)
            print(
                f"{label:8} {small:>14,} instructions for {n} requests, {large:>14,} for {3 * n}: "
                f"{per_request[label]:>9,.0f} per request",
                flush=True,
            )
        print(f"SDK / raw instructions per request, cold: {per_request['sdk cold'] / per_request['raw']:.2f}x")
        print(f"SDK / raw instructions per request, warm: {per_request['sdk warm'] / per_request['raw warm']:.2f}x")
        ids_file.unlink()
    finally:
        server.terminate()
        server.communicate(timeout=10)


if __name__ == "__main__":
    main()
