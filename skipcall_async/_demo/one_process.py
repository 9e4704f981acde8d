"""The demo in one process: a few hundred calls at once with ``asyncio.gather`` against an embedded fake server.

Then it pages through a sequence's contacts, creates and updates a contact, and prints records fetched, wall time
against the ideal the rate limit allows, utilisation, 429s received and retries.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import TextIO

import attrs

from .._client import SkipcallClient
from .._events import ResponseEvent, RetryEvent
from .._pacing.policy import RateLimitPolicy
from .._retry import RetryPolicy
from ..testing import FAULT_PROFILES, PLANS, FakeSkipcall, RateLimitRule


@attrs.define
class Progress:
    """A one-line progress bar on a terminal (plain periodic lines otherwise)."""

    total: int
    out: TextIO
    done: int = 0
    width: int = 30

    def advance(self) -> None:
        self.done += 1
        if self.out.isatty() or self.done == self.total or self.done % max(1, self.total // 10) == 0:
            filled = self.width * self.done // self.total
            end = "\r" if self.out.isatty() and self.done < self.total else "\n"
            self.out.write(f"  calls [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}{end}")
            self.out.flush()


def ideal_seconds(requests: int, limit: int, window: float) -> float:
    """Earliest time a fixed window opened by the first request admits ``requests``: whole windows waited."""
    return math.floor((requests - 1) / limit) * window


async def run_demo(*, plan: str, calls: int, time_scale: float, faults: str, out: TextIO) -> dict[str, float]:
    """Run the demo and return its summary figures."""
    rule = RateLimitRule(plan=PLANS[plan], rule="fixed-first", time_scale=time_scale)
    statuses: list[int] = []
    retries: list[RetryEvent] = []

    async def on_response(event: ResponseEvent) -> None:
        statuses.append(event.status)

    async def on_retry(event: RetryEvent) -> None:
        retries.append(event)

    async with FakeSkipcall(rate_limit=rule, faults=FAULT_PROFILES[faults], calls=max(calls * 2, 500)) as server:
        out.write(
            f"Fake Skipcall API on {server.url}: plan {plan} ({rule.plan.limit} requests per "
            f"{rule.window:g} s at time scale {time_scale:g}), faults: {faults}\n"
        )
        ids = [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])][:calls]
        progress = Progress(total=len(ids), out=out)
        policy = RetryPolicy(max_attempts=6, base=0.05, cap=1.0)
        async with SkipcallClient(
            server.api_key,
            base_url=server.url,
            retry=policy,
            on_response=on_response,
            on_retry=on_retry,
            # the scaled "minute"; against the real API the documented 60 s is right and need not be stated
            rate_limiting=RateLimitPolicy(window=rule.window),
        ) as client:

            async def fetch(call_id: str) -> object:
                call = await client.get_call(call_id)
                progress.advance()
                return call

            started = time.perf_counter()
            fetched = await asyncio.gather(*(fetch(i) for i in ids))
            wall = time.perf_counter() - started
            contacts = [c async for c in client.iter_sequence_contacts("seq-1", page_size=10)]
            contact = await client.create_contact(
                first_name="Ada", last_name="Lovelace", phone_numbers=["+33612345678"], company="Analytical Engines"
            )
            updated = await client.update_contact(contact.id, city="London", role="CTO")
            out.write(
                f"  paged {len(contacts)} sequence contacts; created contact {contact.id} and set city "
                f"{updated.city!r}\n"
            )
    ideal = ideal_seconds(len(ids), rule.plan.limit, rule.window)
    summary = {
        "records": float(len(fetched)),
        "wall": wall,
        "ideal": ideal,
        "utilization": ideal / wall if ideal else 1.0,
        "rate_limited": float(statuses.count(429)),
        "retries": float(len(retries)),
    }
    out.write(
        f"\nSummary\n  records fetched: {len(fetched)} calls\n  wall time: {wall:.2f} s (ideal {ideal:.2f} s)\n"
        f"  utilization: {summary['utilization']:.2f}\n  429s received: {statuses.count(429)}\n"
        f"  retries: {len(retries)}\n"
    )
    return summary
