"""Raw responses: every operation, reachable through `client.with_raw_response`, returning what came back.

The raw view is a client view whose funnel hands back a [`RawResponse`][skipcall_async.RawResponse] instead of
decoding: status, headers, attempts and timing, with the operation's result parsed on demand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy

from ._decode import ApiResponse
from ._errors import SkipcallError, locate
from ._pacing.headers import RateLimitHeaders

if TYPE_CHECKING:
    from ._client import SkipcallClient

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

_UNPARSED: Any = object()


class RawResponse(Generic[T]):
    """One operation's final response as it came back, with its result parsed on demand.

    Attributes:
        status: The HTTP status (2xx: errors still raise, as for the plain operation).
        headers: The response headers: a read-only, case-insensitive mapping.
        method: The HTTP method sent.
        url: The URL requested, query string included (never the key: it travels in a header).
        attempts: Requests sent for this call, retries included.
        elapsed: Seconds from the call's start to its final response, rate-limit waits and retries included.
        rate_limit: The response's rate-limit headers, parsed.
    """

    __slots__ = (
        "_decode",
        "_located",
        "_parsed",
        "_response",
        "attempts",
        "elapsed",
        "headers",
        "method",
        "rate_limit",
        "url",
    )

    def __init__(
        self,
        response: ApiResponse,
        decode: Callable[[ApiResponse], T],
        *,
        method: str,
        url: str,
        attempts: int,
        elapsed: float,
        located: tuple[str, str | None],
    ) -> None:
        self._response = response
        self._decode = decode
        self._located = located  # (path, resource id), named by a DecodeError from parse()
        self._parsed: T = _UNPARSED
        self.method = method
        self.url = url
        self.attempts = attempts
        self.elapsed = elapsed
        self.rate_limit = RateLimitHeaders.parse(response.headers)
        headers = response.headers
        self.headers: Mapping[str, str] = (
            headers if isinstance(headers, CIMultiDictProxy) else CIMultiDictProxy(CIMultiDict(headers))
        )

    @property
    def status(self) -> int:
        return self._response.status

    def parse(self) -> T:
        """What the plain operation returns (a model, a page, or None), decoded once and then cached.

        Raises:
            DecodeError: The body is not the JSON, or the shape, the operation promises.
        """
        if self._parsed is _UNPARSED:
            try:
                self._parsed = self._decode(self._response)
            except SkipcallError as error:
                locate(error, self.method, *self._located)
                raise
        return self._parsed

    def json(self) -> Any:
        """The decoded JSON body (None for an empty one)."""
        return self._response.data

    def __repr__(self) -> str:
        return (
            f"<RawResponse {self.method} {self.url} {self.status} attempts={self.attempts} elapsed={self.elapsed:.3f}s>"
        )


def _raw(operation: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[RawResponse[R]]]:
    """The same operation, typed for what a raw view's funnel returns: a RawResponse of its result."""
    return operation  # type: ignore[return-value]


class WithRawResponse:
    """Every operation of the client, with the same arguments, returning a [`RawResponse`][skipcall_async.RawResponse].

    Iterators (`iter_*`) send several requests each and are not here: call `list_*` page by page instead.
    """

    def __init__(self, client: SkipcallClient) -> None:
        raw = client._raw_view()
        self.health = _raw(raw.health)
        self.list_calls = _raw(raw.list_calls)
        self.get_call = _raw(raw.get_call)
        self.get_call_recording = _raw(raw.get_call_recording)
        self.get_call_transcription = _raw(raw.get_call_transcription)
        self.create_contact = _raw(raw.create_contact)
        self.get_contact = _raw(raw.get_contact)
        self.update_contact = _raw(raw.update_contact)
        self.create_sequence = _raw(raw.create_sequence)
        self.list_sequence_contacts = _raw(raw.list_sequence_contacts)
        self.add_sequence_contacts = _raw(raw.add_sequence_contacts)
        self.remove_sequence_contacts = _raw(raw.remove_sequence_contacts)
        self.create_tag = _raw(raw.create_tag)
        self.delete_tag = _raw(raw.delete_tag)
        self.get_tag_distribution = _raw(raw.get_tag_distribution)
        self.get_status_distribution = _raw(raw.get_status_distribution)
        self.get_call_duration_stats = _raw(raw.get_call_duration_stats)
        self.get_team_stats = _raw(raw.get_team_stats)
        self.list_users = _raw(raw.list_users)
        self.list_workspaces = _raw(raw.list_workspaces)
        self.list_workspace_members = _raw(raw.list_workspace_members)
