"""A worker of the fleet demo: ``python -m skipcall_async._demo.worker``, its job as one JSON line on stdin.

It sets up a client on the job's key (pacing through Redis when ``SKIPCALL_REDIS_URL`` is set, as a user's process
would, else on its own), says "ready" on stdout, reads the start time (epoch seconds) from stdin, waits for it, then
fetches the job's calls at once and prints one JSON line: how many came back, the 429s received, when its gather
began and ended, the store it paced with and the SDK's warnings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from .._client import SkipcallClient
from .._events import ResponseEvent
from .._pacing.policy import RateLimitPolicy
from .._retry import RetryPolicy


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def run(job: dict[str, Any]) -> dict[str, Any]:
    warnings = _Warnings()
    logging.getLogger("skipcall_async").addHandler(warnings)
    rate_limited = 0

    async def on_response(event: ResponseEvent) -> None:
        nonlocal rate_limited
        rate_limited += event.status == 429

    async with SkipcallClient(
        job["api_key"],
        base_url=job["base_url"],
        retry=RetryPolicy(max_attempts=int(job["max_attempts"]), base=0.05, cap=1.0),
        rate_limiting=RateLimitPolicy(window=job["window"]),
        on_response=on_response,
    ) as client:
        print("ready", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.sleep(max(0.0, float(line or 0) - time.time()))
        started = time.time()
        results = await asyncio.gather(*(client.get_call(i) for i in job["ids"]), return_exceptions=True)
        ended = time.time()
        store = client.rate_limit.store
    fetched = sum(not isinstance(r, BaseException) for r in results)
    return {"fetched": fetched, "rate_limited": rate_limited, "started": started, "ended": ended, "store": store,
            "warnings": warnings.messages}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.stdin.readline())))), flush=True)
