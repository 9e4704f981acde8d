"""Calls: list, get, recording metadata, transcription."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from .._base_client import BaseClient
from .._models import Call, CallRecording, CallTranscription, Page
from .._pagination import MAX_PAGE_SIZE, page_params
from .._urls import segment
from ._arguments import workspace_filter
from ._paging import paginate


class CallsMixin(BaseClient):
    async def list_calls(
        self, *, workspace_ids: Iterable[str] | None = None, page: int = 0, size: int = MAX_PAGE_SIZE
    ) -> Page[Call]:
        """One page of calls in the key's workspaces, optionally narrowed to ``workspace_ids``."""
        params = {"workspaceIds": workspace_filter(workspace_ids), **page_params(page, size)}
        return await self._request_page("/v1/calls", Call, params)

    def iter_calls(
        self, *, workspace_ids: Iterable[str] | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[Call]:
        """Every call, page after page (arguments are checked here, pages fetched on demand)."""
        ids = workspace_filter(workspace_ids)
        return paginate(lambda page, size: self.list_calls(workspace_ids=ids, page=page, size=size), page_size)

    async def get_call(self, call_id: str) -> Call:
        """One call with its contact, numbers and caller; 404 outside the key's workspaces."""
        return await self._request_model("GET", f"/v1/calls/{segment(call_id, 'call_id')}", Call)

    async def get_call_recording(self, call_id: str) -> CallRecording:
        """Recording metadata of a call: duration, start, transcription state (no audio URL)."""
        return await self._request_model("GET", f"/v1/calls/{segment(call_id, 'call_id')}/recording", CallRecording)

    async def get_call_transcription(self, call_id: str) -> CallTranscription:
        """Transcript utterances of a call and its AI summary."""
        return await self._request_model(
            "GET", f"/v1/calls/{segment(call_id, 'call_id')}/transcription", CallTranscription
        )
