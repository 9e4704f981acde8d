"""Pagination: envelopes, metadata, and when the iterator stops."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from skipcall_async import Call, SkipcallClient
from skipcall_async._codec import split_envelope, to_page
from support import examples as ex
from support.backends import API_KEY, Backend, Reply, Sent


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


BAD_ITERATOR_ARGUMENTS: list[tuple[str, Callable[[SkipcallClient], Any], str]] = [
    ("iter_calls", lambda c: c.iter_calls(page_size=0), "page_size"),
    ("iter_calls", lambda c: c.iter_calls(page_size=101), "page_size"),
    ("iter_calls", lambda c: c.iter_calls(workspace_ids=[]), "workspace_ids"),
    ("iter_users", lambda c: c.iter_users(page_size=True), "page_size"),
    ("iter_users", lambda c: c.iter_users(workspace_ids=[" "]), "workspace_ids"),
    ("iter_workspace_members", lambda c: c.iter_workspace_members(""), "workspace_id"),
    ("iter_workspace_members", lambda c: c.iter_workspace_members("ws-1", page_size=500), "page_size"),
    ("iter_sequence_contacts", lambda c: c.iter_sequence_contacts(" "), "sequence_id"),
    ("iter_sequence_contacts", lambda c: c.iter_sequence_contacts("seq-1", tag=""), "tag"),
    ("iter_sequence_contacts", lambda c: c.iter_sequence_contacts("seq-1", status=" "), "status"),
    ("iter_sequence_contacts", lambda c: c.iter_sequence_contacts("seq-1", page_size=-1), "page_size"),
]


@pytest.mark.parametrize(
    ("name", "call", "argument"), BAD_ITERATOR_ARGUMENTS, ids=[f"{n}-{a}" for n, _, a in BAD_ITERATOR_ARGUMENTS]
)
async def test_iterators_check_their_arguments_when_called(
    backend: Backend, name: str, call: Callable[[SkipcallClient], Any], argument: str
) -> None:
    """A bad argument raises ValueError naming it at the call itself, with no iteration and no request."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(ValueError, match=rf"^{argument} "):
            call(client)  # not iterated, not awaited
    assert backend.sent == []


def test_every_iterator_is_a_plain_method_covered_above() -> None:
    """No iter_* operation is an async generator (whose checks would wait for the first step), and each is tested."""
    names = {name for name in dir(SkipcallClient) if name.startswith("iter_")}
    assert names == {name for name, _, _ in BAD_ITERATOR_ARGUMENTS}
    for name in names:
        assert not inspect.isasyncgenfunction(getattr(SkipcallClient, name)), name


async def test_an_iterator_returns_an_async_iterator_that_requests_nothing_until_iterated(backend: Backend) -> None:
    """Calling iter_calls only builds the iterator; the first page is requested by the first step."""
    backend.respond(200, [ex.CALL])
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        calls = client.iter_calls(page_size=5)
        assert isinstance(calls, AsyncIterator)
        assert backend.sent == []
        first = await anext(calls)
        rest = [c async for c in calls]
    assert (first.id, rest) == (ex.CALL["id"], [])
    assert [s.query for s in backend.sent] == [{"page": "0", "size": "5"}]


async def test_a_one_shot_iterable_of_workspace_ids_filters_every_page(backend: Backend) -> None:
    """workspace_ids is read once, when the iterator is made, so a generator still filters page 1 and after."""
    backend.reply_for = _pages([1, 1])  # type: ignore[assignment]
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        ids = [c.id async for c in client.iter_calls(workspace_ids=iter(["w"]), page_size=1)]
    assert ids == ["0-0", "1-0"]
    assert [s.query["workspaceIds"] for s in backend.sent] == ["w", "w", "w"]
