"""Send one request, return status, headers and body: the only module that sends requests through aiohttp.

Elsewhere the client only names ``aiohttp.ClientSession`` (a user may pass one in), and the fake server in
``testing`` is an aiohttp web app. Translates every aiohttp and socket exception into ``APIConnectionError`` or
``APITimeoutError``. Follows redirects itself so that the ``Authorization`` header is only ever sent to the base
URL's host.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urljoin

import aiohttp
import yarl

from ._errors import APIConnectionError, APITimeoutError, ClientClosedError
from ._urls import origin

logger = logging.getLogger("skipcall_async")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
DEFAULT_CONNECTIONS = 100


class HttpRequest(NamedTuple):
    """One request as the funnel built it; ``url`` is fully percent-encoded.

    The funnel's records are named tuples: immutable like the models, and built for every request at a
    fraction of a frozen class's cost.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None


class HttpResponse(NamedTuple):
    """Status, headers (case-insensitive mapping) and the body of one response, complete unless ``cut``.

    ``cut``: the body passed the size limit, and only its first ``limit`` bytes were read (none when its
    ``Content-Length`` already said so); the funnel decides what that means for the status.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    cut: bool = False


class AiohttpTransport:
    """Sends requests on one ``aiohttp.ClientSession``: created lazily in the running loop, or borrowed."""

    def __init__(self, *, session: aiohttp.ClientSession | None = None, connections: int = DEFAULT_CONNECTIONS):
        self._session = session
        self._owns_session = session is None
        self._connections = connections
        self._closed = False

    @property
    def connections(self) -> int:
        """How many connections the session may open at once (a borrowed session's own limit)."""
        if self._session is not None and not self._owns_session:
            limit = self._session.connector.limit if self._session.connector is not None else 0
            return limit or DEFAULT_CONNECTIONS
        return self._connections

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new SkipcallClient")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections)
            # The per-request timeout below is the only one: no session-wide default on top of it.
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None))
        elif self._session.closed:
            raise ClientClosedError("the aiohttp session passed to the client has been closed")
        return self._session

    async def send(self, request: HttpRequest, *, timeout: float | None, max_bytes: int | None = None) -> HttpResponse:
        """Send ``request``, following redirects, each hop within ``timeout`` seconds (body included).

        A body is read up to ``max_bytes`` (None: no limit), counted after its content encoding is undone, so
        memory stays bounded whatever the server sends, compressed or not.
        """
        session = self._get_session()
        hop_timeout = _timeout(timeout)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with session.request(
                    request.method,
                    yarl.URL(request.url, encoded=True),
                    headers=request.headers,
                    data=request.body,
                    allow_redirects=False,
                    timeout=hop_timeout,
                ) as response:
                    payload, cut = await _read(response, max_bytes)
                    status = response.status
                    location = response.headers.get("Location") if status in _REDIRECTS else None
                    if not location:
                        return HttpResponse(status, response.headers, payload, request.url, cut)
                request = _redirected(request, status, location)
        except TimeoutError as exc:
            raise APITimeoutError(f"no complete response from {_site(request.url)} within {timeout} s") from exc
        except aiohttp.ClientConnectorError as exc:
            message = f"cannot connect to {_site(request.url)}: {exc.os_error}"
            raise APIConnectionError(message, request_sent=False) from exc
        except (aiohttp.ClientError, OSError) as exc:
            message = f"connection to {_site(request.url)} failed: {type(exc).__name__}: {exc}"
            raise APIConnectionError(message) from exc
        raise APIConnectionError(f"more than {MAX_REDIRECTS} redirects from {_site(request.url)}", request_sent=True)

    def abandon(self) -> None:
        """Let go of the session without closing it, and refuse further requests.

        For a session whose connections cannot be closed from here: its loop has ended, or it is the parent's in
        a forked child (closing them there could cut the parent's). It is marked closed so that aiohttp does not
        log it as leaked when it is collected; its sockets are released with it, nothing sent on them.
        """
        session, self._session = self._session, None
        self._closed = True
        if session is not None and self._owns_session and session.connector is not None:
            session.connector._closed = True

    async def aclose(self) -> None:
        """Close the session if this transport created it; a borrowed session stays open."""
        self._closed = True
        if self._session is not None and self._owns_session:
            await self._session.close()


async def _read(response: aiohttp.ClientResponse, limit: int | None) -> tuple[bytes, bool]:
    """(the body, or its first ``limit`` bytes; whether it was cut there). A cut response's connection is closed,
    never reused with the rest of the body unread."""
    if limit is None:
        return await response.read(), False
    length = response.content_length
    if length is not None and length > limit:  # said too large up front: nothing is read
        response.close()
        return b"", True
    if length is not None and response.headers.get("Content-Encoding", "identity") == "identity":
        return await response.read(), False  # the parser stops at Content-Length: the body cannot exceed it
    chunks, size = [], 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            response.close()
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def _redirected(request: HttpRequest, status: int, location: str) -> HttpRequest:
    """The request to send after ``request`` got a ``status`` redirect to ``location`` (absolute or relative).

    303, and 301/302 after a method other than GET or HEAD, become a bodiless GET. A hop to another origin drops
    ``Authorization``, and a request without it never gets it back: the key only reaches the base URL's host.
    """
    url = urljoin(request.url, location)
    logger.debug("following %s redirect to %s", status, url)
    method, body, headers = request.method, request.body, dict(request.headers)
    if status == 303 or (status in (301, 302) and method not in ("GET", "HEAD")):
        method, body = "GET", None
        headers.pop("Content-Type", None)
    if origin(url) != origin(request.url):
        headers.pop("Authorization", None)
    return HttpRequest(method, url, headers, body)


def _site(url: str) -> str:
    """``scheme://host:port`` of ``url``, for error messages: which server could not be reached (the base URL's,
    unless a redirect led elsewhere), never a path, query or credentials."""
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


@functools.lru_cache(maxsize=32)
def _timeout(total: float | None) -> aiohttp.ClientTimeout:
    """One immutable timeout object per value (calls near a deadline get their own)."""
    return aiohttp.ClientTimeout(total=total)
