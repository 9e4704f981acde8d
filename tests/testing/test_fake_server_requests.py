"""The fake server answers as the API description says, for each request Schemathesis once found it getting wrong.

Raw HTTP, not the SDK (which refuses most of these bodies before sending): every refusal is a JSON 400 naming the
field, with the rate-limit headers every answer carries.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from skipcall_async.testing import FakeSkipcall
from skipcall_async.testing._store import EXAMPLE_CONTACT_ID
from support.threaded_server import UNLIMITED

RATE_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


class Api:
    """A started fake server and a session sending the testing key."""

    def __init__(self, server: FakeSkipcall, session: aiohttp.ClientSession) -> None:
        self.server, self.session = server, session

    async def send(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        headers = {"Authorization": f"Bearer {self.server.api_key}"}
        async with self.session.request(method, self.server.url + path, headers=headers, **kwargs) as response:
            assert response.content_type == "application/json" or response.content_length == 0
            body = await response.json() if response.content_length else None
            return response.status, dict(response.headers), body


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with FakeSkipcall(rate_limit=UNLIMITED) as server, aiohttp.ClientSession() as session:
        yield Api(server, session)


def assert_refused(answer: tuple[int, dict[str, str], Any], field: str) -> None:
    status, headers, body = answer
    assert status == 400, body
    assert body["error"]["code"] == "BAD_REQUEST"
    assert body["error"]["message"].startswith(field), body
    assert headers.keys() >= RATE_HEADERS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workspaceId": {}}, "workspaceId"),
        ({"creatorId": {}}, "creatorId"),
        ({"assignedToIds": 5}, "assignedToIds"),
        ({"assignedToIds": [{}]}, "assignedToIds"),
        ({"name": ["S"]}, "name"),
    ],
)
async def test_a_sequence_with_a_field_of_the_wrong_type_is_a_400_not_a_crash(
    api: Api, body: dict[str, Any], field: str
) -> None:
    """These bodies used to raise TypeError in the store: a text/plain 500 without rate-limit headers."""
    assert_refused(await api.send("POST", "/v1/sequences", json=body), field)


async def test_a_sequence_without_a_name_has_none_rather_than_null(api: Api) -> None:
    """The reference types ``name`` as a string: a sequence created without one leaves the key out."""
    status, _, body = await api.send("POST", "/v1/sequences", json={"assignedToIds": ["om-1"]})
    assert status == 201
    assert "name" not in body
    assert "creatorId" not in body
    assert body["assignedToIds"] == ["om-1"]


CONTACT = {"firstName": "Ada", "lastName": "Lovelace", "phoneNumbers": ["+441234"]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", 5),
        ("allowPhoneCalls", "yes"),
        ("linkedinUrl", True),
        ("role", None),
        ("country", {"name": "France"}),
        ("customFields", {"Size": 50}),
        ("customFields", ["Size"]),
        ("phoneNumbers", ["+33", 6]),
        ("firstName", ""),
    ],
)
async def test_a_contact_field_of_the_wrong_type_is_refused_on_create_and_update(
    api: Api, field: str, value: Any
) -> None:
    """Each field is checked as the reference types it (none is nullable), instead of being stored and echoed."""
    before = dict(api.server.store.contacts[EXAMPLE_CONTACT_ID])
    count = len(api.server.store.contacts)
    assert_refused(await api.send("POST", "/v1/contacts", json={**CONTACT, field: value}), field)
    assert_refused(await api.send("PATCH", f"/v1/contacts/{EXAMPLE_CONTACT_ID}", json={field: value}), field)
    assert api.server.store.contacts[EXAMPLE_CONTACT_ID] == before
    assert len(api.server.store.contacts) == count


async def test_a_contact_property_the_reference_does_not_list_is_ignored(api: Api) -> None:
    """Its request schemas allow other properties: they are dropped, neither stored nor refused."""
    status, _, body = await api.send("POST", "/v1/contacts", json={**CONTACT, "nickname": "Countess"})
    assert status == 201
    assert "nickname" not in body
    assert "nickname" not in api.server.store.contacts[body["id"]]


@pytest.mark.parametrize("flag", ["false", 0, None])
async def test_is_success_tag_takes_only_a_boolean(api: Api, flag: Any) -> None:
    """``"false"`` used to be stored as a success tag (``bool("false")``)."""
    assert_refused(await api.send("POST", "/v1/tags", json={"label": "Won", "isSuccessTag": flag}), "isSuccessTag")
    status, _, body = await api.send("POST", "/v1/tags", json={"label": "Lost", "isSuccessTag": False})
    assert (status, body["isSuccessTag"]) == (201, False)


@pytest.mark.parametrize("path", ["/v1/stats/tag-repartition", "/v1/stats/call-duration"])
async def test_call_type_takes_only_the_documented_values(api: Api, path: str) -> None:
    """The documented enum is checked; ``inbound`` counts inbound calls only."""
    assert_refused(await api.send("GET", path, params={"callType": "conference"}), "callType")
    for kind in ("all", "sequence", "direct", "inbound", "outbound"):
        status, _, _ = await api.send("GET", path, params={"callType": kind})
        assert status == 200
    _, _, every = await api.send("GET", "/v1/stats/call-duration", params={"callType": "all"})
    _, _, inbound = await api.send("GET", "/v1/stats/call-duration", params={"callType": "inbound"})
    _, _, outbound = await api.send("GET", "/v1/stats/call-duration", params={"callType": "outbound"})
    assert 0 < inbound["data"][0]["count"] < every["data"][0]["count"]
    assert inbound["data"][0]["count"] + outbound["data"][0]["count"] == every["data"][0]["count"]


async def test_team_id_is_named_in_its_error_and_answered_with_a_deprecation_header(api: Api) -> None:
    """The deprecated ``teamId`` still filters; its answers say ``Deprecation: true``, others do not."""
    assert_refused(await api.send("GET", "/v1/stats/status-repartition", params={"teamId": "ws-3"}), "teamId")
    assert_refused(await api.send("GET", "/v1/stats/call-duration", params={"workspaceId": "ws-3"}), "workspaceId")
    status, headers, _ = await api.send("GET", "/v1/stats/call-duration", params={"teamId": "ws-1"})
    assert (status, headers.get("Deprecation")) == (200, "true")
    status, headers, _ = await api.send("GET", "/v1/stats/call-duration", params={"workspaceId": "ws-1"})
    assert (status, "Deprecation" in headers) == (200, False)


@pytest.mark.parametrize("path", ["/v1/stats/status-repartition", "/v1/stats/call-duration"])
async def test_stats_are_bucketed_by_granularity_and_undated_without_one(api: Api, path: str) -> None:
    """No granularity: no ``date`` (a string in the reference, never null). With one: each bucket's start."""
    _, _, whole = await api.send("GET", path)
    assert all("date" not in item for item in whole["data"])
    _, _, daily = await api.send("GET", path, params={"granularity": "day"})
    dates = [datetime.fromisoformat(item["date"]) for item in daily["data"]]
    assert dates == sorted(dates)
    assert len(set(dates)) > 1
    assert all((d.hour, d.minute, d.second) == (0, 0, 0) for d in dates)
    assert sum(i["count"] for i in daily["data"]) == sum(i["count"] for i in whole["data"])
    _, _, weekly = await api.send("GET", path, params={"granularity": "week"})
    assert {datetime.fromisoformat(item["date"]).weekday() for item in weekly["data"]} == {0}


async def test_direct_calls_carry_no_sequence_ids_and_sequence_calls_carry_both(api: Api) -> None:
    """The reference types both as strings, never null: a direct call leaves them out."""
    calls = api.server.store.calls.values()
    assert all("sequenceId" not in c and "sequenceRunId" not in c for c in calls if c["callType"] == "DIRECT_CALL")
    assert all(c["sequenceId"].startswith("seq-") for c in calls if c["callType"] == "CALL_SESSION")


@pytest.mark.parametrize("call_id", ["a{b}", "{}", "%7B"])
async def test_an_id_with_braces_gets_the_api_s_404(api: Api, call_id: str) -> None:
    """aiohttp's default ``{id}`` refused braces, leaving a plain-text 404 without the API's body or headers."""
    status, headers, body = await api.send("GET", "/v1/calls/" + call_id.replace("{", "%7B").replace("}", "%7D"))
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    assert headers.keys() >= RATE_HEADERS


async def test_an_unknown_path_is_a_json_404_and_an_undeclared_method_a_405_with_allow(api: Api) -> None:
    """Outside the 21 operations, the API's error body and headers too; no key is needed to learn that."""
    status, headers, body = await api.send("GET", "/v1/nowhere")
    assert (status, body["error"]["code"], headers.keys() >= RATE_HEADERS) == (404, "NOT_FOUND", True)
    status, headers, body = await api.send("PUT", "/v1/sequences/seq-1/contacts")
    assert (status, body["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert headers["Allow"] == "DELETE, GET, POST"
    async with api.session.put(api.server.url + "/v1/health") as response:
        assert (response.status, response.headers["Allow"]) == (405, "GET")


async def test_a_failing_handler_is_a_json_500_with_the_rate_limit_headers(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of the fake still answers as the API would, and is logged, instead of aiohttp's text/plain 500."""

    def broken(*_: object, **__: object) -> Any:
        raise RuntimeError("store bug")

    monkeypatch.setattr(api.server.store, "in_scope", broken)
    status, headers, body = await api.send("GET", "/v1/calls")
    assert (status, body["error"]["code"]) == (500, "INTERNAL_SERVER_ERROR")
    assert headers.keys() >= RATE_HEADERS
    assert api.server.requests[-1].status == 500


async def test_workspace_ids_narrow_and_never_fail(api: Api) -> None:
    """Any string is a valid filter: unknown ids and an empty value select nothing, rather than a 400."""
    for path in ("/v1/calls", "/v1/users"):
        status, _, body = await api.send("GET", path, params={"workspaceIds": ""})
        assert (status, body["data"], body["total"]) == (200, [], 0)
        status, _, body = await api.send("GET", path, params={"workspaceIds": "ws-1,,nowhere"})
        assert status == 200
        assert body["total"] > 0


STATS_PATHS = ["/v1/stats/tag-repartition", "/v1/stats/status-repartition", "/v1/stats/call-duration"]


@pytest.mark.parametrize("path", [*STATS_PATHS, "/v1/teams/stats?period=custom"])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"startDate": "notadate"}, "startDate"),
        ({"endDate": "2026-02-30"}, "endDate"),
        ({"startDate": ""}, "startDate"),
        ({"endDate": "2026-01-05T25:00:00Z"}, "endDate"),
        ({"startDate": "2026-01-06", "endDate": "2026-01-05"}, "endDate"),
        ({"startDate": "2026-01-06T10:00:00Z", "endDate": "2026-01-06T09:59:59.999Z"}, "endDate"),
    ],
)
async def test_stats_dates_are_checked(api: Api, path: str, params: dict[str, str], field: str) -> None:
    """A date that is not one, or an end before the start, is a 400 naming it (it was ignored: a 200)."""
    assert_refused(await api.send("GET", path, params=params), field)


def calls_started(api: Api, start: str, end: str) -> list[dict[str, Any]]:
    """The key's calls that started from ``start`` to ``end``, both included."""
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    calls = api.server.store.in_scope("calls")
    return [c for c in calls if first <= datetime.fromisoformat(c["startedAt"]) <= last]


async def test_stats_count_only_the_calls_of_the_period(api: Api) -> None:
    """A date covers its whole day; a date-time is an instant, included; days add up to the whole."""
    day = calls_started(api, "2026-01-06T00:00:00Z", "2026-01-06T23:59:59.999999Z")
    _, _, whole = await api.send("GET", "/v1/stats/status-repartition")
    _, _, one_day = await api.send(
        "GET", "/v1/stats/status-repartition", params={"startDate": "2026-01-06", "endDate": "2026-01-06"}
    )
    assert 0 < sum(i["count"] for i in one_day["data"]) == len(day) < sum(i["count"] for i in whole["data"])
    per_day = []
    for date_ in ("2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"):
        _, _, answer = await api.send(
            "GET", "/v1/stats/status-repartition", params={"startDate": date_, "endDate": date_}
        )
        per_day.append(sum(i["count"] for i in answer["data"]))
    assert sum(per_day) == sum(i["count"] for i in whole["data"])
    first = min(day, key=lambda c: c["startedAt"])["startedAt"]
    _, _, up_to = await api.send("GET", "/v1/stats/call-duration", params={"startDate": "2026-01-06", "endDate": first})
    recorded = [c for c in calls_started(api, "2026-01-06T00:00:00Z", first) if c["id"] in api.server.store.recordings]
    assert up_to["data"][0]["count"] == len(recorded) <= 1
    _, _, before_any = await api.send("GET", "/v1/stats/call-duration", params={"endDate": "2025-12-31"})
    assert before_any["data"][0]["count"] == 0
    _, _, team = await api.send(
        "GET", "/v1/teams/stats", params={"period": "custom", "startDate": "2026-01-06", "endDate": "2026-01-06"}
    )
    assert team["aggregate"]["totalCalls"] == len(day)


async def test_tags_count_in_the_period_their_contact_was_last_called(api: Api) -> None:
    """Before any call no tag counts; over every call, only contacts that were called count."""
    path = "/v1/stats/tag-repartition"
    _, _, whole = await api.send("GET", path)
    _, _, before_any = await api.send("GET", path, params={"endDate": "2026-01-04"})
    _, _, every_call = await api.send("GET", path, params={"startDate": "2026-01-05", "endDate": "2026-01-31"})
    assert before_any["data"] == []
    total = sum(i["count"] for i in whole["data"])
    assert 0 < sum(i["count"] for i in every_call["data"]) <= total


async def test_an_oversized_url_gets_the_api_s_400_with_the_rate_limit_headers(api: Api) -> None:
    """Past 8,190 bytes aiohttp answered a text/plain 400 without the envelope or headers; now the fake does."""
    longest = "/v1/calls?page=0&x=" + "a" * (8190 - len("/v1/calls?page=0&x="))
    status, headers, _ = await api.send("GET", longest)
    assert status == 200
    assert_refused(await api.send("GET", longest + "a"), "URL is 8,191 bytes long, more than 8,190")
    assert_refused(await api.send("GET", "/v1/calls/" + "c" * 200_000), "URL is 200,010 bytes long")
    routes = [(r.route, r.status) for r in api.server.requests]
    assert routes == [("list_calls", 200), ("list_calls", 400), ("get_call", 400)]
    assert int(headers["X-RateLimit-Remaining"]) > 0


async def test_an_oversized_body_gets_the_api_s_413_with_the_rate_limit_headers(api: Api) -> None:
    """A body past 1 MiB: aiohttp's text/plain 413 before; now the envelope, counted like any request."""
    body = io.BytesIO(b'{"firstName": "' + b"a" * (1024 * 1024) + b'"}')
    status, headers, answer = await api.send("POST", "/v1/contacts", data=body)
    assert (status, answer["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert answer["error"]["message"] == "body is larger than 1,048,576 bytes"
    assert headers.keys() >= RATE_HEADERS
    assert [(r.route, r.status) for r in api.server.requests] == [("create_contact", 413)]
