"""Pagination: envelopes, metadata, and when the iterator stops."""

from __future__ import annotations

import examples as ex
import pytest
from conftest import API_KEY, Backend, Reply, Sent

from skipcall_async import Call, SkipcallClient
from skipcall_async._pagination import split_envelope, to_page


def test_items_are_read_from_data_or_a_bare_list() -> None:
    """Both envelopes the API may use give the same items; other keys are metadata."""
    assert split_envelope([1, 2]) == ([1, 2], {})
    assert split_envelope({"data": [1], "total": 1}) == ([1], {"total": 1})
    with pytest.raises(TypeError):
        split_envelope({"items": []})


def test_a_page_keeps_known_metadata_and_extra_keys() -> None:
    """total/page/size/totalPages become attributes; anything else lands in extra."""
    page = to_page({"data": [ex.CALL], "total": 1, "page": 0, "size": 10, "totalPages": 1, "cursor": "abc"}, Call)
    assert (page.total, page.page, page.size, page.total_pages) == (1, 0, 10, 1)
    assert page.extra == {"cursor": "abc"}
    assert [c.id for c in page] == [ex.CALL["id"]]
    assert len(page) == 1


def _pages(sizes: list[int], *, bare: bool = False) -> object:
    def reply(sent: Sent) -> Reply:
        index = int(sent.query["page"])
        items = [{**ex.CALL, "id": f"{index}-{i}"} for i in range(sizes[index] if index < len(sizes) else 0)]
        return Reply(json=items if bare else {"data": items})

    return reply


@pytest.mark.parametrize("bare", [False, True])
async def test_iteration_walks_pages_until_a_short_page(backend: Backend, bare: bool) -> None:
    """Pages 0, 1, 2 are requested in order with the page size; a short page ends the walk."""
    backend.reply_for = _pages([3, 3, 1], bare=bare)  # type: ignore[assignment]
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        ids = [call.id async for call in client.iter_calls(workspace_ids=["w"], page_size=3)]
    assert ids == ["0-0", "0-1", "0-2", "1-0", "1-1", "1-2", "2-0"]
    assert [s.query for s in backend.sent] == [{"workspaceIds": "w", "page": str(i), "size": "3"} for i in range(3)]


async def test_iteration_stops_on_an_empty_page(backend: Backend) -> None:
    """When the total is a multiple of the page size, the empty page after it ends the walk."""
    backend.reply_for = _pages([2, 2])  # type: ignore[assignment]
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        ids = [m.id async for m in client.iter_calls(page_size=2)]
    assert len(ids) == 4
    assert [s.query["page"] for s in backend.sent] == ["0", "1", "2"]


async def test_iteration_stops_once_total_items_are_seen(backend: Backend) -> None:
    """A server that reports total saves the extra empty-page request."""

    def reply(sent: Sent) -> Reply:
        return Reply(json={"data": [{**ex.CALL, "id": sent.query["page"]}], "total": 2})

    backend.reply_for = reply  # type: ignore[assignment]
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        ids = [c.id async for c in client.iter_calls(page_size=1)]
    assert ids == ["0", "1"]
    assert len(backend.sent) == 2
