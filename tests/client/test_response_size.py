"""The response size limit, ``max_response_bytes``: enforced while reading, so memory stays bounded.

A real aiohttp server on 127.0.0.1 sends the bodies (declared by ``Content-Length`` or streamed without one, plain
or gzip-compressed) and counts what it managed to write, which shows that the client stopped reading at the limit
rather than reading everything and then refusing it.
"""

from __future__ import annotations

import gzip
import json
import pickle
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from skipcall_async import (
    ConfigurationError,
    DecodeError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
    SkipcallError,
)
from support import examples as ex
from support.backends import API_KEY, RATE_HEADERS

MiB = 1024 * 1024
CHUNK = 64 * 1024
PREFIX = b'{"id": "c-1", "notes": "'


class StreamingServer:
    """Answers ``/v1/calls/<how>`` with a call whose ``notes`` hold ``size`` bytes, as ``how`` says; counts bytes."""

    def __init__(self) -> None:
        self.written = 0  # body bytes the last handler wrote before the client hung up (or it finished)
        self.requests = 0
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/calls/{how}", self._handle)
        app.router.add_get("/v1/calls", self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.written = 0
        how, _, query = request.match_info["how"].partition("?")  # the "query" rides in the id, decoded here
        options = dict(parse_qsl(query))
        size, status = int(options.get("size", 0)), int(options.get("status", 200))
        body_size = len(PREFIX) + size + 2
        response = web.StreamResponse(status=status, headers={**RATE_HEADERS, "Content-Type": "application/json"})
        if how == "declared":
            response.content_length = body_size
        if how == "gzip":
            response.headers["Content-Encoding"] = "gzip"
        await response.prepare(request)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31) if how == "gzip" else None
        try:
            for piece in _pieces(size):
                data = compressor.compress(piece) if compressor is not None else piece
                if data:
                    await response.write(data)
                    self.written += len(data)
            if compressor is not None:
                await response.write(compressor.flush())
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client hung up: what it read is what was written so far
        return response

    async def _page(self, request: web.Request) -> web.StreamResponse:
        """A page of calls, as many as fill the bytes ``workspaceIds`` asks for (``bytes-<n>``), streamed."""
        self.requests += 1
        self.written = 0
        size = int(request.query["workspaceIds"].removeprefix("bytes-"))
        response = web.StreamResponse(headers={**RATE_HEADERS, "Content-Type": "application/json"})
        await response.prepare(request)
        call = json.dumps(ex.CALL).encode()
        try:
            await response.write(b'{"data": [' + call)
            while self.written < size:
                await response.write(b"," + call)
                self.written += len(call) + 1
            await response.write(b"]}")
            await response.write_eof()
        except ConnectionError:
            pass
        return response


def _pieces(size: int) -> Iterator[bytes]:
    yield PREFIX
    left = size
    filler = b"a" * CHUNK
    while left > 0:
        yield filler[: min(CHUNK, left)]
        left -= CHUNK
    yield b'"}'


@pytest.fixture
async def server() -> AsyncIterator[StreamingServer]:
    streaming = StreamingServer()
    await streaming.start()
    yield streaming
    await streaming.stop()


def client_of(server: StreamingServer, **options: Any) -> SkipcallClient:
    retry = RetryPolicy(max_attempts=3, base=0.001, cap=0.001)  # retries, without the wait between them
    return SkipcallClient(API_KEY, base_url=server.url, retry=retry, **options)


@pytest.mark.parametrize("how", ["declared", "streamed", "gzip"])
async def test_a_body_within_the_limit_is_read_whole(server: StreamingServer, how: str) -> None:
    """Up to the limit (counted after gzip is undone), a body decodes as usual."""
    size = 100_000
    limit = len(PREFIX) + size + 2
    async with client_of(server, max_response_bytes=limit) as client:
        call = await client.get_call(f"{how}?size={size}")
    assert call.notes == "a" * size


@pytest.mark.parametrize("how", ["declared", "streamed", "gzip"])
async def test_a_body_past_the_limit_stops_the_read_there(server: StreamingServer, how: str) -> None:
    """One byte past: ResponseTooLargeError (a DecodeError) naming the limit, the status and the body's start."""
    size = 100_000
    limit = len(PREFIX) + size + 1
    async with client_of(server, max_response_bytes=limit) as client:
        with pytest.raises(ResponseTooLargeError) as refused:
            await client.get_call(f"{how}?size={size}")
    error = refused.value
    assert (error.limit, error.status, error.method, error.resource_id) == (limit, 200, "GET", f"{how}?size={size}")
    assert isinstance(error, DecodeError)
    assert isinstance(error, SkipcallError)
    assert f"larger than max_response_bytes ({limit:,} bytes)" in str(error)
    assert API_KEY not in str(error)
    assert server.requests == 1  # not retried: the same request would get the same body
    if how != "declared":
        assert error.snippet.startswith(PREFIX.decode())


async def test_a_gigabyte_body_is_cut_at_the_default_limit(server: StreamingServer) -> None:
    """get_call answered with 1 GiB (accepted after 10 s at a 3 GB peak before): refused at 16 MiB read."""
    async with client_of(server) as client:
        with pytest.raises(ResponseTooLargeError) as refused:
            await client.get_call(f"streamed?size={1024 * MiB}")
    assert refused.value.limit == 16 * MiB
    assert server.written < 64 * MiB  # what the client read, and what the sockets buffered: not 1 GiB
    assert server.requests == 1


async def test_a_50_mb_page_is_cut_at_the_default_limit(server: StreamingServer) -> None:
    """A list answered with a 50 MB page (55,072 calls decoded at a 738 MB peak before): refused at 16 MiB."""
    async with client_of(server) as client:
        with pytest.raises(ResponseTooLargeError) as refused:
            await client.list_calls(workspace_ids=[f"bytes-{50_000_000}"])
        assert server.written < 40 * MiB  # the read stopped: the server could not write the rest
        assert len(await client.list_calls(workspace_ids=["bytes-100000"])) > 50  # an ordinary page reads whole
    assert (refused.value.status, refused.value.limit, refused.value.path) == (200, 16 * MiB, "/v1/calls")
    assert refused.value.snippet.startswith('{"data": [{"id": ')


async def test_a_declared_length_past_the_limit_is_refused_before_reading(server: StreamingServer) -> None:
    """``Content-Length`` already says too much: nothing of the body is read, the connection is dropped."""
    async with client_of(server, max_response_bytes=MiB) as client:
        with pytest.raises(ResponseTooLargeError) as refused:
            await client.get_call(f"declared?size={512 * MiB}")
        assert refused.value.snippet == ""
        call = await client.get_call("declared?size=10")  # the client goes on, on a fresh connection
    assert call.notes == "a" * 10
    assert server.written < 64 * MiB  # what the socket buffers took before the client hung up


async def test_a_compressed_bomb_is_cut_by_its_decompressed_size(server: StreamingServer) -> None:
    """A few kB on the wire that inflate to 16 MiB: the limit counts the inflated bytes."""
    assert len(gzip.compress(b"a" * 16 * MiB)) < 20_000  # what the server sends for the whole body
    async with client_of(server, max_response_bytes=100_000) as client:
        with pytest.raises(ResponseTooLargeError) as refused:
            await client.get_call(f"gzip?size={16 * MiB}")
    assert refused.value.snippet.startswith(PREFIX.decode())


async def test_an_error_answer_past_the_limit_keeps_its_status_error(server: StreamingServer) -> None:
    """A huge 503 page is cut too, and is still the ServerError of its status (retried, as 503s are)."""
    async with client_of(server, max_response_bytes=1000) as client:
        with pytest.raises(ServerError) as failed:
            await client.get_call(f"streamed?size={8 * MiB}&status=503")
    assert failed.value.status == 503
    assert failed.value.snippet.startswith(PREFIX.decode())
    assert server.requests == 3


async def test_the_limit_is_set_per_call_with_a_view(server: StreamingServer) -> None:
    """``with_options(max_response_bytes=...)`` raises or lowers it for some calls; None lifts it."""
    size = 3 * MiB
    async with client_of(server, max_response_bytes=MiB) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.get_call(f"streamed?size={size}")
        roomy = client.with_options(max_response_bytes=4 * MiB)
        assert len((await roomy.get_call(f"streamed?size={size}")).notes or "") == size
        assert len((await client.with_options(max_response_bytes=None).get_call(f"gzip?size={size}")).notes or "")
        with pytest.raises(ResponseTooLargeError) as refused:
            await roomy.with_options(max_response_bytes=100).get_call("streamed?size=1000")
    assert refused.value.limit == 100


async def test_the_rate_limit_headers_of_a_cut_answer_are_still_read(server: StreamingServer) -> None:
    """The pacing learns from every answer, a refused one included."""
    async with client_of(server, max_response_bytes=1000) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.get_call("streamed?size=5000")
        assert client.rate_limit.remaining == int(RATE_HEADERS["X-RateLimit-Remaining"])


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "1000"])
def test_a_bad_limit_is_a_configuration_error(limit: Any) -> None:
    """Checked in the constructor and in a view: a positive whole number of bytes, or None."""
    with pytest.raises(ConfigurationError, match="max_response_bytes must be a positive number of bytes or None"):
        SkipcallClient(API_KEY, base_url="http://127.0.0.1:9", max_response_bytes=limit)
    client = SkipcallClient(API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        client.with_options(max_response_bytes=limit)


def test_the_error_survives_pickling() -> None:
    """Handed across processes (a worker pool), it keeps its limit, status, start and headers."""
    error = ResponseTooLargeError(status=200, limit=1000, body=b'{"id": "r', headers={"X-Request-Id": "r-1"})
    again = pickle.loads(pickle.dumps(error))
    assert (again.limit, again.status, again.snippet, again.headers["x-request-id"]) == (1000, 200, '{"id": "r', "r-1")
    assert str(again) == str(error)
