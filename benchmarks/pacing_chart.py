"""Draw docs/img/pacing.png: requests admitted and 429s per second, this SDK against a hand-written gather.

Both fetch the same calls with ``asyncio.gather`` from a fake server enforcing the starter plan (100 requests
per minute) with a time scale, so a minute lasts a few seconds. The hand-written client is plain aiohttp with
tenacity's exponential-jitter retries on 429, which is what users write without the SDK.

    python benchmarks/pacing_chart.py            # writes docs/img/pacing.png (needs matplotlib)
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import aiohttp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import tenacity

from skipcall_async import RateLimitPolicy, SkipcallClient
from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule, RecordedRequest

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "pacing.png"


class TooMany(Exception):
    pass


async def sdk(server: FakeSkipcall, ids: list[str]) -> None:
    policy = RateLimitPolicy(window=server.api.rule.window)
    async with SkipcallClient(server.api_key, base_url=server.url, rate_limiting=policy) as client:
        await asyncio.gather(*(client.get_call(i) for i in ids))


async def by_hand(server: FakeSkipcall, ids: list[str]) -> None:
    retrying = tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception_type(TooMany),
        wait=tenacity.wait_exponential_jitter(multiplier=0.2, max=5),
        stop=tenacity.stop_after_attempt(15),
        reraise=True,
    )
    headers = {"Authorization": f"Bearer {server.api_key}"}

    async def fetch(session: aiohttp.ClientSession, call_id: str) -> None:
        async for attempt in retrying.copy():
            with attempt:
                async with session.get(f"{server.url}/v1/calls/{call_id}", headers=headers) as response:
                    if response.status == 429:
                        raise TooMany
                    await response.read()

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(fetch(session, i) for i in ids), return_exceptions=True)


async def record(client: str, args: argparse.Namespace) -> list[RecordedRequest]:
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", time_scale=args.time_scale)
    async with FakeSkipcall(rate_limit=rule, calls=max(600, args.requests * 2)) as server:
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][: args.requests]
        await (sdk if client == "sdk" else by_hand)(server, ids)
        return list(server.requests)


def per_bucket(requests: list[RecordedRequest], start: float, bucket: float, ok: bool) -> tuple[list[float], list[int]]:
    counts: dict[int, int] = {}
    for r in requests:
        if (r.status == 200) == ok and (ok or r.status == 429):
            index = int((r.at - start) / bucket)
            counts[index] = counts.get(index, 0) + 1
    last = int((max(r.at for r in requests) - start) / bucket) + 1
    return [i * bucket for i in range(last)], [counts.get(i, 0) for i in range(last)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--time-scale", type=float, default=10.0, help="10: the one-minute window lasts 6 s")
    parser.add_argument("--bucket", type=float, default=0.25, help="seconds per bar")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    runs = {name: asyncio.run(record(name, args)) for name in ("sdk", "by hand")}
    horizon = max(max(r.at for r in reqs) - min(r.at for r in reqs) for reqs in runs.values()) + args.bucket
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, sharey=True)
    titles = {
        "sdk": "skipcall-async: paced from X-RateLimit-* headers",
        "by hand": "aiohttp + asyncio.gather + tenacity exponential-jitter retries",
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
    axes[-1].set_xlabel(f"seconds (limit: 100 requests per {window:g} s window, {args.requests} calls gathered)")
    fig.tight_layout()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
