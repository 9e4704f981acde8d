"""The response size limit: the client's peak memory for a huge body, and its speed for ordinary ones.

A server in a separate process (so only the client is measured) answers ``GET /v1/calls/<id>`` with a call whose
``notes`` hold as many bytes as the id asks, streamed in 64 KiB chunks, with a ``Content-Length`` or without one
(chunked, as a gzip-compressing server sends). The client reads it:

- with ``max_response_bytes=None``: no limit, the whole body read, as before the limit existed (the baseline);
- with the default limit, 16 MiB.

Peak memory is tracemalloc's peak of the client's process over the call (aiohttp's buffers and the body are Python
objects, so it sees them), as a ratio of the baseline's for the same body. Speed is the wall time of 200 calls of
an ordinary 100 kB body, limit against no limit in interleaved rounds, declared and chunked: the limit must not
slow the common case.

    python benchmarks/response_size.py [--huge-mib 256]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
import tracemalloc
from typing import Any

from aiohttp import web

from skipcall_async import ResponseTooLargeError, RetryPolicy, SkipcallClient

MiB = 1024 * 1024
PREFIX = b'{"id": "c-1", "notes": "'
SUFFIX = b'"}'


async def _answer(request: web.Request) -> web.StreamResponse:
    how, size = request.match_info["id"].split("-")
    response = web.StreamResponse(headers={"Content-Type": "application/json", "X-RateLimit-Remaining": "999"})
    if how == "declared":
        response.content_length = len(PREFIX) + int(size) + len(SUFFIX)
    await response.prepare(request)
    chunk, left = b"a" * (64 * 1024), int(size)
    try:
        await response.write(PREFIX)
        while left > 0:
            await response.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
        await response.write(SUFFIX)
        await response.write_eof()
    except ConnectionError:
        pass  # the client stopped reading at its limit
    return response


def _serve(port: Any) -> None:
    async def main() -> None:
        app = web.Application()
        app.router.add_get("/v1/calls/{id}", _answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port.value = runner.addresses[0][1]
        await asyncio.Event().wait()

    asyncio.run(main())


async def peak_of(url: str, call_id: str, limit: int | None) -> tuple[float, str, float]:
    """(peak MiB traced during the call, its outcome, seconds)."""
    async with SkipcallClient("sk_bench", base_url=url, retry=RetryPolicy(max_attempts=1)) as client:
        await client.with_options(max_response_bytes=None).get_call("declared-10")  # session and pools warm
        view = client.with_options(max_response_bytes=limit)
        tracemalloc.start()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            call = await view.get_call(call_id)
            outcome = f"read, {len(call.notes or '') / MiB:.0f} MiB of notes"
            del call
        except ResponseTooLargeError as error:
            outcome = f"ResponseTooLargeError at {error.limit / MiB:.0f} MiB"
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / MiB, outcome, elapsed


async def speed_of(url: str, how: str, limit: int | None, calls: int = 200) -> float:
    """Seconds for ``calls`` sequential calls of a 100 kB body."""
    async with SkipcallClient("sk_bench", base_url=url, max_response_bytes=limit) as client:
        await client.get_call(f"{how}-100000")
        started = time.perf_counter()
        for _ in range(calls):
            await client.get_call(f"{how}-100000")
        return time.perf_counter() - started


async def measure(url: str, huge_mib: int) -> None:
    default = SkipcallClient("sk_bench", base_url=url)._max_response_bytes
    print(f"Peak memory of one get_call answered with {huge_mib} MiB (tracemalloc, client process)")
    print(f"{'body':<10} {'limit':<10} {'peak MiB':>9} {'x baseline':>11} {'seconds':>8}  outcome")
    for how in ("declared", "chunked"):
        base_peak, base_outcome, base_time = await peak_of(url, f"{how}-{huge_mib * MiB}", None)
        print(f"{how:<10} {'none':<10} {base_peak:>9.1f} {1.0:>11.2f} {base_time:>8.2f}  {base_outcome}")
        peak, outcome, elapsed = await peak_of(url, f"{how}-{huge_mib * MiB}", default)
        name = f"{default // MiB} MiB"
        print(f"{how:<10} {name:<10} {peak:>9.1f} {peak / base_peak:>11.3f} {elapsed:>8.2f}  {outcome}")
    print()
    print("Wall time of 200 calls of a 100 kB body, fastest of 9 interleaved rounds, limit against none")
    print(f"{'body':<10} {'none s':>8} {'16 MiB s':>9} {'ratio':>6}")
    for how in ("declared", "chunked"):
        rounds: dict[int | None, list[float]] = {None: [], default: []}
        for _ in range(9):
            for limit in rounds:
                rounds[limit].append(await speed_of(url, how, limit))
        none, limited = min(rounds[None]), min(rounds[default])
        print(f"{how:<10} {none:>8.3f} {limited:>9.3f} {limited / none:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge-mib", type=int, default=256, help="size of the huge body (default 256)")
    args = parser.parse_args()
    port = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 10
        while not port.value and time.monotonic() < deadline:
            time.sleep(0.05)
        asyncio.run(measure(f"http://127.0.0.1:{port.value}", args.huge_mib))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
