"""Raw responses: what the funnel of a raw view hands back instead of the decoded result.

A [`RawResponse`][skipcall_async.RawResponse] holds the status, headers, attempts and timing, with the operation's
result parsed on demand. The view that returns them, `client.with_raw_response`, lives with the client in
``_client``: it lists every operation, and this module, which the funnel imports, must not know them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy

from ._decode import ApiResponse
from ._errors import SkipcallError, locate
from ._pacing.headers import RateLimitHeaders

T = TypeVar("T")

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
