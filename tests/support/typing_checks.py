"""Checked by mypy (the typecheck session lists this file): type checkers see each operation's own types.

``typing.assert_type`` fails the type check when an inferred type differs; at run time it returns its argument,
so ``test_options.py`` also runs this module against the fake server.
"""

from __future__ import annotations

from typing import assert_type

from skipcall_async import Call, Health, Page, RawResponse, SkipcallClient, Workspace


async def through_the_raw_view(client: SkipcallClient, call_id: str) -> list[object]:
    """Raw responses keep the operation's result type; views keep the client's class."""
    raw = await client.with_raw_response.get_call(call_id)
    assert_type(raw, RawResponse[Call])
    call = assert_type(raw.parse(), Call)
    page = assert_type((await client.with_raw_response.list_calls(size=5)).parse(), Page[Call])
    workspaces = assert_type((await client.with_raw_response.list_workspaces()).parse(), list[Workspace])
    view = assert_type(client.with_options(timeout=5.0), SkipcallClient)
    health = assert_type(await view.health(), Health)
    return [raw, call, page, workspaces, view, health]
