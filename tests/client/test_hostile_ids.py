"""Ids that would walk to another endpoint: ``.``, ``..`` and what decodes to them are refused before sending.

The client percent-encodes an id into one path segment, but encoding a dot is not enough: URL normalisation in
proxies and gateways (Node's WHATWG URL parser, in Prism here) reads ``%2E`` as ``.``, so ``/v1/sequences/%2E%2E/
contacts`` reaches ``/v1/contacts``. The tests show that through a real Prism proxy in front of the fake server,
then that every operation with a path parameter refuses such an id, naming the argument, and sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest
import yarl

from skipcall_async import InvalidArgumentError, NotFoundError, RetryPolicy, SkipcallClient, SkipcallError
from skipcall_async.testing import FakeSkipcall
from support.api_description import DESCRIPTION
from support.backends import API_KEY, Backend
from support.prism import prism_proxy
from support.threaded_server import threaded_server

DOT_SEGMENTS: Final = (".", "..", "%2E", "%2e%2E", ".%2E", "%252E%252E", "%25%32%45.")

Operation = Callable[[SkipcallClient, str], Awaitable[Any]]
# Every operation that takes a path parameter, with the parameter's name.
BY_PATH_PARAMETER: Final[dict[str, tuple[str, Operation]]] = {
    "get_call": ("call_id", lambda c, v: c.get_call(v)),
    "get_call_recording": ("call_id", lambda c, v: c.get_call_recording(v)),
    "get_call_transcription": ("call_id", lambda c, v: c.get_call_transcription(v)),
    "get_contact": ("contact_id", lambda c, v: c.get_contact(v)),
    "update_contact": ("contact_id", lambda c, v: c.update_contact(v, city="Lyon")),
    "list_sequence_contacts": ("sequence_id", lambda c, v: c.list_sequence_contacts(v)),
    "add_sequence_contacts": ("sequence_id", lambda c, v: c.add_sequence_contacts(v, ["c-1"])),
    "remove_sequence_contacts": ("sequence_id", lambda c, v: c.remove_sequence_contacts(v, ["c-1"])),
    "delete_tag": ("tag_id", lambda c, v: c.delete_tag(v)),
    "list_workspace_members": ("workspace_id", lambda c, v: c.list_workspace_members(v)),
}


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeSkipcall, str]]:
    """The fake server, and the URL of a Prism proxy in front of it."""
    description = tmp_path_factory.mktemp("prism-proxy") / "openapi.json"
    description.write_text(json.dumps(DESCRIPTION), encoding="utf-8")
    with threaded_server() as fake, prism_proxy(Path(description), fake.url) as url:
        yield fake, url


@pytest.mark.node
@pytest.mark.slow
async def test_the_proxy_turns_an_encoded_dot_segment_into_another_endpoint(proxied: tuple[FakeSkipcall, str]) -> None:
    """Why encoding is not enough: ``%2E%2E`` sent to the proxy reaches the server as ``..``, a step up the path."""
    fake, url = proxied
    seen = len(fake.requests)
    contact = {"firstName": "Ada", "lastName": "Lovelace", "phoneNumbers": ["+33612345678"]}
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with aiohttp.ClientSession() as session:
        target = yarl.URL(f"{url}/v1/sequences/%2E%2E/contacts", encoded=True)
        async with session.post(target, json=contact, headers=headers) as response:
            status = response.status
    (arrived,) = fake.requests[seen:]
    assert (arrived.method, arrived.path, arrived.route) == ("POST", "/v1/contacts", "create_contact")
    assert status == 201  # a contact was created by what was meant as an add to a sequence


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize("value", DOT_SEGMENTS)
@pytest.mark.parametrize("operation", sorted(BY_PATH_PARAMETER))
async def test_through_the_proxy_no_dot_segment_is_sent(
    proxied: tuple[FakeSkipcall, str], operation: str, value: str
) -> None:
    """Each operation with a path parameter refuses the id, naming the argument; the server sees no request."""
    fake, url = proxied
    name, call = BY_PATH_PARAMETER[operation]
    seen = len(fake.requests)
    async with SkipcallClient(fake.api_key, base_url=url, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(InvalidArgumentError) as refused:
            await call(client, value)
    assert refused.value.argument == name
    assert str(refused.value).startswith(f"{name} must not be {value!r}")
    assert isinstance(refused.value, SkipcallError)
    assert isinstance(refused.value, ValueError)
    assert fake.requests[seen:] == []


@pytest.mark.node
@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "path"), [("...", "/v1/calls/..."), ("..x", "/v1/calls/..x"), ("a.%2E", "/v1/calls/a.%252E")]
)
async def test_through_the_proxy_an_id_with_dots_reaches_its_own_endpoint(
    proxied: tuple[FakeSkipcall, str], value: str, path: str
) -> None:
    """Dots that do not make a dot segment are an ordinary id: sent, and answered by the operation asked for."""
    fake, url = proxied
    seen = len(fake.requests)
    async with SkipcallClient(fake.api_key, base_url=url, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(NotFoundError, match="Call not found"):
            await client.get_call(value)
    (arrived,) = fake.requests[seen:]
    assert (arrived.method, arrived.path, arrived.route) == ("GET", path, "get_call")


@pytest.mark.parametrize("value", DOT_SEGMENTS)
async def test_the_iterators_refuse_a_dot_segment_when_called(backend: Backend, value: str) -> None:
    """``iter_*`` check their path parameter at the call, before the first ``async for`` step."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(InvalidArgumentError, match=r"^sequence_id must not be"):
            client.iter_sequence_contacts(value)
        with pytest.raises(InvalidArgumentError, match=r"^workspace_id must not be"):
            client.iter_workspace_members(value)
    assert backend.sent == []


@pytest.mark.parametrize("value", ["..", "%2E"])
async def test_a_contact_id_in_a_body_is_refused_alike(backend: Backend, value: str) -> None:
    """The ids of an add are checked as path ids are: no id can be a dot segment."""
    async with SkipcallClient(API_KEY, base_url=backend.url) as client:
        with pytest.raises(InvalidArgumentError) as refused:
            await client.add_sequence_contacts("seq-1", ["c-1", value])
    assert refused.value.argument == "contacts[].contact_id"
    assert backend.sent == []
