"""``skipcall rate-limit``: the key's quota, read from one cheap request."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Final

import click

from .._client import SkipcallClient
from ._options import connection_options, format_option
from ._render import resolve_format, write_one
from ._run import run
from ._settings import Settings

# The cheapest request that counts against the key: one small answer, no paging. (`GET /v1/health` needs no
# key, so its headers may describe another budget.)
PROBE: Final = "GET /v1/workspaces"


async def quota(client: SkipcallClient) -> dict[str, Any]:
    """The key's quota after one request, as the client's snapshot tells it."""
    raw = await client.with_raw_response.list_workspaces()
    state = client.rate_limit
    reset_in = None if state.reset_at is None else max(0.0, round(state.reset_at - time.time(), 1))
    return {
        "limit": state.limit,
        "remaining": state.remaining,
        "resetIn": reset_in,
        "resetAt": None
        if state.reset_at is None
        else datetime.fromtimestamp(state.reset_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "window": state.window,
        "clockSkew": state.clock_skew,
        "store": state.store,
        "request": PROBE,
        "status": raw.status,
    }


@click.command("rate-limit")
@format_option
@connection_options
def rate_limit(fmt: str | None, settings: Settings) -> None:
    """The key's quota: requests per window, remaining, and when the window resets (costs one request)."""
    fmt = resolve_format(fmt)

    async def work(client: SkipcallClient) -> None:
        write_one(await quota(client), fmt)

    run(settings, work)
