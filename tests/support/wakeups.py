"""A second client asking while the first one's probe is out: how long it waits tells how it was woken."""

from __future__ import annotations

import asyncio

from skipcall_async import SkipcallClient


async def wait_behind_a_probe(a: SkipcallClient, b: SkipcallClient, ids: list[str]) -> float:
    """A fetches ``ids[0]`` (the key's probe); once A holds its token, B fetches ``ids[1]``: B's wait in seconds."""
    probe = asyncio.create_task(a.get_call(ids[0]))
    while a.rate_limit.in_flight == 0:  # noqa: ASYNC110 (a snapshot to poll): A holds the probe's token
        await asyncio.sleep(0.005)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await b.get_call(ids[1])
    waited = loop.time() - started
    await probe
    return waited
