"""Calls: list, get, recording metadata, transcription."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from .._base_client import BaseClient
from .._models import Call, CallRecording, CallTranscription, Page
from .._pagination import MAX_PAGE_SIZE, page_params
from .._routes import Route
from .._urls import segment
from ._arguments import workspace_filter
from ._paging import paginate

LIST_CALLS = Route("list_calls", "GET", "/v1/calls")
GET_CALL = Route("get_call", "GET", "/v1/calls/{id}")
GET_CALL_RECORDING = Route("get_call_recording", "GET", "/v1/calls/{id}/recording")
GET_CALL_TRANSCRIPTION = Route("get_call_transcription", "GET", "/v1/calls/{id}/transcription")


class CallsMixin(BaseClient):
    async def list_calls(
        self, *, workspace_ids: Iterable[str] | None = None, page: int = 0, size: int = MAX_PAGE_SIZE
    ) -> Page[Call]:
        """One page of calls in the key's workspaces.

        Args:
            workspace_ids: Only calls in these workspaces (at least one id). None: every workspace of the key.
            page: Page index, from 0.
            size: Calls per page, 1 to 100.

        Returns:
            The calls of that page, with whatever paging metadata the server sent.

        Raises:
            InvalidArgumentError: `page` or `size` is out of range, or `workspace_ids` is empty or holds a blank id.
            InvalidArgumentTypeError: `workspace_ids` is a bare string or not iterable.
        """
        params = {"workspaceIds": workspace_filter(workspace_ids), **page_params(page, size)}
        return await self._request_page(LIST_CALLS, LIST_CALLS.path(), Call, params)

    def iter_calls(
        self, *, workspace_ids: Iterable[str] | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[Call]:
        """Every call in the key's workspaces, fetched page by page as the loop consumes them.

        Arguments are checked when this is called; nothing is requested before the first `async for` step, and
        errors of the requests surface there.

        Args:
            workspace_ids: Only calls in these workspaces (at least one id). None: every workspace of the key.
            page_size: Calls per request, 1 to 100.

        Returns:
            An async iterator of calls.

        Raises:
            InvalidArgumentError: `page_size` is out of range, or `workspace_ids` is empty or holds a blank id.
            InvalidArgumentTypeError: `workspace_ids` is a bare string or not iterable.
        """
        ids = workspace_filter(workspace_ids)
        return paginate(lambda page, size: self.list_calls(workspace_ids=ids, page=page, size=size), page_size)

    async def get_call(self, call_id: str) -> Call:
        """One call with summaries of its contact, numbers and caller.

        Args:
            call_id: The call's id.

        Returns:
            The call.

        Raises:
            NotFoundError: No such call, or it lies outside the key's workspaces.
            InvalidArgumentError: `call_id` is blank, or `.` or `..`.
            InvalidArgumentTypeError: `call_id` is not a string.
        """
        path = GET_CALL.path(segment(call_id, "call_id"))
        return await self._request_model(GET_CALL, path, Call, resource_id=call_id)

    async def get_call_recording(self, call_id: str) -> CallRecording:
        """Recording metadata of a call: duration, start and transcription state (the API gives no audio URL).

        Args:
            call_id: The call's id.

        Returns:
            The recording's metadata.

        Raises:
            NotFoundError: No such call or no recording, or the call lies outside the key's workspaces.
            InvalidArgumentError: `call_id` is blank, or `.` or `..`.
            InvalidArgumentTypeError: `call_id` is not a string.
        """
        path = GET_CALL_RECORDING.path(segment(call_id, "call_id"))
        return await self._request_model(GET_CALL_RECORDING, path, CallRecording, resource_id=call_id)

    async def get_call_transcription(self, call_id: str) -> CallTranscription:
        """The transcript of a call, utterance by utterance, and its AI summary.

        Args:
            call_id: The call's id.

        Returns:
            The transcription; check its `status` before reading `transcript`.

        Raises:
            NotFoundError: No such call or no transcription, or the call lies outside the key's workspaces.
            InvalidArgumentError: `call_id` is blank, or `.` or `..`.
            InvalidArgumentTypeError: `call_id` is not a string.
        """
        path = GET_CALL_TRANSCRIPTION.path(segment(call_id, "call_id"))
        return await self._request_model(GET_CALL_TRANSCRIPTION, path, CallTranscription, resource_id=call_id)
