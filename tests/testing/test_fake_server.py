"""The fake server: each operation, auth, each rate rule, each fault, and what it records."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from skipcall_async import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
    ServerError,
    SkipcallClient,
)
from skipcall_async._codec import structure
from skipcall_async._models import Call, Contact
from skipcall_async.testing import (
    FAULT_PROFILES,
    INELIGIBLE_KEY,
    PLANS,
    FakeSkipcall,
    Faults,
    Plan,
    RateLimitRule,
    Store,
)
from skipcall_async.testing._ratelimit import KeyLimiter

NO_RETRY = RetryPolicy(max_attempts=1)


def in_scope_calls(server: FakeSkipcall) -> list[str]:
    return [c for c in server.store.calls if server.store.visible(server.store.call_workspace[c])]


async def test_every_operation_answers_with_decodable_data() -> None:
    """All 21 operations succeed through the SDK and their seeded data decodes under the strict converter."""
    async with FakeSkipcall(rate_limit=RateLimitRule(plan=PLANS["expert"])) as server:
        call_id = next(c for c in in_scope_calls(server) if c in server.store.transcriptions)
        async with SkipcallClient(server.api_key, base_url=server.url) as client:
            assert (await client.health()).status == "ok"
            assert (await client.get_call(call_id)).id == call_id
            assert (await client.list_calls(size=5)).total == len(in_scope_calls(server))
            assert (await client.get_call_recording(call_id)).duration is not None
            assert (await client.get_call_transcription(call_id)).id
            contact = await client.create_contact(first_name="Ada", last_name="L", phone_numbers=["+1"])
            assert (await client.get_contact(contact.id)).first_name == "Ada"
            assert (await client.update_contact(contact.id, city="London")).city == "London"
            users = await client.list_users()
            sequence = await client.create_sequence(
                name="S", assigned_to_ids=[users.items[0].organization_membership_id]
            )
            added = await client.add_sequence_contacts(sequence.id, [contact.id, contact.id])
            assert added.extra == {"added": 1}
            assert [c.contact_id async for c in client.iter_sequence_contacts(sequence.id)] == [contact.id]
            assert (await client.remove_sequence_contacts(sequence.id, [contact.id])).extra == {"removed": 1}
            assert (await client.list_sequence_contacts(sequence.id)).items == ()
            tag = await client.create_tag(label="Won", is_success_tag=True)
            await client.delete_tag(tag.id)
            assert (await client.get_tag_distribution()).data
            assert (await client.get_status_distribution()).non_called_count is not None
            assert (await client.get_call_duration_stats()).data[0].count > 0
            assert len((await client.get_team_stats(period="week")).teams) == 2
            workspaces = await client.list_workspaces()
            assert [w.id for w in workspaces] == ["ws-1", "ws-2"]
            assert [m.id async for m in client.iter_workspace_members("ws-1")]
        routes = {r.route for r in server.requests}
        assert len(routes) == 21
        assert all(r.status < 400 for r in server.requests)
    for raw in (server.store.calls[call_id], server.store.contacts[contact.id]):
        structure(raw, Call if "callType" in raw else Contact, strict=True)


async def test_writes_persist_and_ids_outside_the_scope_are_404() -> None:
    """A created contact is readable and patchable; resources of workspace ws-3 answer 404."""
    async with FakeSkipcall() as server:
        outside = next(c for c, ws in server.store.call_workspace.items() if ws == "ws-3")
        async with SkipcallClient(server.api_key, base_url=server.url, retry=NO_RETRY) as client:
            with pytest.raises(NotFoundError):
                await client.get_call(outside)
            with pytest.raises(NotFoundError):
                await client.list_workspace_members("ws-3")
            created = await client.create_contact(first_name="A", last_name="B", phone_numbers=["+1"])
            await client.update_contact(created.id, email="a@b.c")
        assert server.store.contacts[created.id]["email"] == "a@b.c"


def test_the_store_lists_only_what_is_in_scope_and_narrowing_never_widens_it() -> None:
    """in_scope keeps ws-1 and ws-2 items in stored order; within= narrows to its in-scope part only."""
    store = Store(calls=60, contacts=30)
    in_scope = [c for c in store.calls.values() if store.call_workspace[c["id"]] in ("ws-1", "ws-2")]
    assert 0 < len(in_scope) < 60
    assert store.in_scope("calls") == in_scope
    assert store.in_scope("calls", within={"ws-2", "ws-3"}) == [
        c for c in in_scope if store.call_workspace[c["id"]] == "ws-2"
    ]
    assert store.in_scope("calls", within={"ws-3"}) == []
    assert [c["teamId"] for c in store.in_scope("contacts")] == ["ws-1", "ws-2"] * 10
    assert [w["id"] for w in store.in_scope("workspaces")] == ["ws-1", "ws-2"]


async def test_writes_without_a_workspace_land_in_the_default_one() -> None:
    """A contact, sequence or tag created without a workspace belongs to ws-1."""
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        contact = await client.create_contact(first_name="A", last_name="B", phone_numbers=["+1"])
        sequence = await client.create_sequence(name="S")
        tag = await client.create_tag(label="T")
    assert server.store.contacts[contact.id]["teamId"] == "ws-1"
    assert server.store.sequence_workspace[sequence.id] == "ws-1"
    assert server.store.tag_workspace[tag.id] == "ws-1"


async def test_auth_wrong_key_is_401_and_ineligible_plan_is_403() -> None:
    """Only configured keys work; the documented bodies come back as typed errors."""
    async with FakeSkipcall() as server:
        async with SkipcallClient("sk_test_wrong", base_url=server.url, retry=NO_RETRY) as client:
            with pytest.raises(AuthenticationError) as auth:
                await client.list_workspaces()
        async with SkipcallClient(INELIGIBLE_KEY, base_url=server.url, retry=NO_RETRY) as client:
            with pytest.raises(PermissionDeniedError) as denied:
                await client.list_workspaces()
    assert auth.value.code == "UNAUTHORIZED"
    assert denied.value.code == "PLAN_NOT_ELIGIBLE"
    assert all("Authorization" not in r.headers for r in server.requests)


async def test_health_needs_no_key_and_counts_a_valid_key_like_any_call() -> None:
    """Health answers without a key or with any key; a valid key spends its own budget, others the address's."""
    rule = RateLimitRule(plan=Plan(limit=3), rule="fixed-first")
    async with FakeSkipcall(rate_limit=rule) as server, aiohttp.ClientSession() as session:
        answers = []
        for auth in (None, "Bearer sk_test_wrong", f"Bearer {INELIGIBLE_KEY}", None, f"Bearer {server.api_key}"):
            headers = {"Authorization": auth} if auth else {}
            async with session.get(server.url + "/v1/health", headers=headers) as resp:
                answers.append((resp.status, resp.headers.get("X-RateLimit-Remaining")))
        keyed = {"Authorization": f"Bearer {server.api_key}"}
        async with session.get(server.url + "/v1/workspaces", headers=keyed) as resp:
            assert (resp.status, resp.headers["X-RateLimit-Remaining"]) == (200, "1")
    # The address's budget of 3 is spent by the keyless and wrong-key probes; the valid key's probe is its own.
    assert answers == [(200, "2"), (200, "1"), (200, "0"), (429, "0"), (200, "2")]


async def test_any_key_accepts_every_bearer_key_each_with_its_own_budget() -> None:
    """With any_key, unknown keys are served and counted apart; no key is 401 and an ineligible key still 403."""
    rule = RateLimitRule(plan=Plan(limit=5), rule="fixed-first")
    async with FakeSkipcall(rate_limit=rule, any_key=True) as server, aiohttp.ClientSession() as session:
        answers = []
        for auth in ("Bearer sk_tenant_1", "Bearer sk_tenant_2", "Bearer sk_tenant_1", "", f"Bearer {INELIGIBLE_KEY}"):
            headers = {"Authorization": auth} if auth else {}
            async with session.get(server.url + "/v1/workspaces", headers=headers) as resp:
                answers.append((resp.status, resp.headers.get("X-RateLimit-Remaining")))
    assert answers == [(200, "4"), (200, "4"), (200, "3"), (401, None), (403, None)]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v1/calls?size=500", "size"),
        ("/v1/calls?page=-1", "page"),
        ("/v1/stats/tag-repartition?granularity=year", "granularity"),
    ],
)
async def test_invalid_query_parameters_get_a_readable_400(path: str, message: str) -> None:
    """Bad page, size or enum values are refused with a message naming the parameter."""
    async with FakeSkipcall() as server, aiohttp.ClientSession() as session:
        async with session.get(server.url + path, headers={"Authorization": f"Bearer {server.api_key}"}) as resp:
            body = await resp.json()
    assert resp.status == 400
    assert message in body["error"]["message"]


async def test_invalid_bodies_get_a_readable_400() -> None:
    """A contact without a first name, or with an unknown property, is a BadRequestError."""
    async with FakeSkipcall() as server, aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        async with session.post(
            server.url + "/v1/contacts", json={"lastName": "x", "phoneNumbers": []}, headers=headers
        ) as resp:
            assert resp.status == 400
            assert "firstName" in (await resp.json())["error"]["message"]
        async with session.post(server.url + "/v1/contacts", data=b"{oops", headers=headers) as resp:
            assert resp.status == 400


def expected_tag_counts(store: Store, sequences: list[str]) -> dict[str, int]:
    """Tag id -> sequence contacts carrying it, over ``sequences``, removed contacts left out: read off the store."""
    counts: dict[str, int] = {}
    for seq_id in sequences:
        for row in store.sequence_contacts[seq_id].values():
            for tag in [] if row.get("_deleted") else row["tags"]:
                counts[tag["id"]] = counts.get(tag["id"], 0) + 1
    return counts


async def test_tag_distribution_counts_only_the_workspace_and_sequence_asked_for() -> None:
    """workspace_id narrows the tag distribution to that workspace's sequences (sequence_id to one sequence); no
    filter covers the key's scope only, never a workspace outside it; a removed contact no longer counts."""
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        store = server.store
        by_workspace = {ws: [s for s, w in store.sequence_workspace.items() if w == ws] for ws in ("ws-1", "ws-2")}
        first = by_workspace["ws-1"][0]
        expected = {
            "ws-1": expected_tag_counts(store, by_workspace["ws-1"]),
            "ws-2": expected_tag_counts(store, by_workspace["ws-2"]),
            None: expected_tag_counts(store, by_workspace["ws-1"] + by_workspace["ws-2"]),
        }
        answers = await asyncio.gather(*(client.get_tag_distribution(workspace_id=ws) for ws in expected))
        await client.remove_sequence_contacts(first, [next(iter(store.sequence_contacts[first]))])
        after = await client.get_tag_distribution(sequence_id=first)
        sent = [dict(r.query) for r in server.requests if r.path == "/v1/stats/tag-repartition"]
    counted = [{item.tag_id: item.count for item in answer.data} for answer in answers]
    assert counted == list(expected.values())
    assert set(counted[0]).isdisjoint(counted[1])  # each workspace has its own tags
    assert {store.tag_workspace[t] for t in counted[2]} == {"ws-1", "ws-2"}  # ws-3 is outside the key's scope
    remaining = expected_tag_counts(store, [first])
    assert {item.tag_id: item.count for item in after.data} == remaining
    assert sum(remaining.values()) == len(store.sequence_contacts[first]) - 1
    assert sorted(q.get("workspaceId", "") for q in sent[:3]) == ["", "ws-1", "ws-2"]
    assert sent[3] == {"sequenceId": first}


def test_the_last_success_tag_cannot_be_deleted() -> None:
    """Deleting the only success tag of a workspace is refused with 400."""

    async def scenario() -> None:
        async with FakeSkipcall() as server:
            ws1 = [
                t
                for t, ws in server.store.tag_workspace.items()
                if ws == "ws-1" and server.store.tags[t]["isSuccessTag"]
            ]
            async with SkipcallClient(server.api_key, base_url=server.url, retry=NO_RETRY) as client:
                await client.delete_tag(ws1[0])
                with pytest.raises(BadRequestError, match="last success tag"):
                    await client.delete_tag(ws1[1])

    asyncio.run(scenario())


@pytest.mark.parametrize("rule", ["fixed-clock", "fixed-first", "seconds-until-reset", "sliding-log"])
def test_each_rule_admits_limit_requests_per_window(rule: str) -> None:
    """limit requests pass, the next is refused, and the window reopens after it ends (fake clock)."""
    limiter = KeyLimiter(RateLimitRule(plan=PLANS["starter"], rule=rule))  # type: ignore[arg-type]
    start = 1_800_000_000.0
    assert all(limiter.check(start + i * 0.01).allowed for i in range(100))
    refused = limiter.check(start + 1.5)
    assert not refused.allowed
    assert refused.remaining == 0
    assert limiter.check(refused.reset_at + 0.001).allowed
    headers = limiter.headers(refused, start + 1.5)
    reset = float(headers["X-RateLimit-Reset"])
    assert reset < 1e8 if rule == "seconds-until-reset" else reset > 1e9


def test_fixed_clock_windows_are_aligned_and_sliding_log_frees_one_slot_at_a_time() -> None:
    """Clock-aligned windows reset on multiples of the window; a sliding log readmits as entries age out."""
    clock = KeyLimiter(RateLimitRule(rule="fixed-clock"))
    assert clock.check(1_800_000_030.0).reset_at == 1_800_000_060.0
    sliding = KeyLimiter(RateLimitRule(rule="sliding-log", plan=PLANS["starter"]))
    for i in range(100):
        sliding.check(1000.0 + i * 0.01)
    refused = sliding.check(1030.0)
    assert not refused.allowed
    assert refused.reset_at == 1060.0  # when the oldest entry ages out
    assert sliding.check(1060.005).allowed  # one slot freed...
    assert not sliding.check(1060.006).allowed  # ...and only one


async def test_429s_carry_headers_retry_after_and_are_counted() -> None:
    """Past the limit: 429 with X-RateLimit-*, Date, Retry-After; the server counts it."""
    rule = RateLimitRule(plan=PLANS["starter"], rule="fixed-first", retry_after=True)
    async with FakeSkipcall(rate_limit=rule) as server, aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        statuses = []
        for _ in range(101):
            async with session.get(server.url + "/v1/health", headers=headers) as resp:
                statuses.append(resp.status)
                last = dict(resp.headers)
    assert statuses.count(429) == 1
    assert statuses[-1] == 429
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Date", "Retry-After"} <= set(last)
    assert server.rate_limited == 1


async def test_the_server_clock_can_be_skewed() -> None:
    """With skew=90 the Date header and the reset are 90 s ahead of the local clock."""
    from email.utils import parsedate_to_datetime

    rule = RateLimitRule(rule="fixed-first", skew=90.0)
    async with FakeSkipcall(rate_limit=rule) as server, aiohttp.ClientSession() as session:
        async with session.get(server.url + "/v1/health", headers={"Authorization": f"Bearer {server.api_key}"}) as r:
            date = parsedate_to_datetime(r.headers["Date"]).timestamp()
            reset = float(r.headers["X-RateLimit-Reset"])
    import time

    assert 88 < date - time.time() < 91
    assert 88 + 60 < reset - time.time() < 92 + 60


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(error_rate=1.0), ServerError),
        (Faults(html_502_rate=1.0), ServerError),
        (Faults(malformed_rate=1.0), DecodeError),
        (Faults(reset_rate=1.0), APIConnectionError),
    ],
)
async def test_each_fault_surfaces_as_the_right_error(faults: Faults, error: type[Exception]) -> None:
    """503 JSON, HTML 502, truncated JSON and a cut connection each map to their typed error."""
    async with FakeSkipcall(route_faults={"get_call": faults}) as server:
        call_id = in_scope_calls(server)[0]
        async with SkipcallClient(server.api_key, base_url=server.url, retry=NO_RETRY) as client:
            assert (await client.health()).status == "ok"  # other routes are unaffected
            with pytest.raises(error):
                await client.get_call(call_id)


async def test_repr_shows_url_plan_rule_and_scale_never_a_key() -> None:
    """Before start, while running and after stop; the accepted keys never appear."""
    rule = RateLimitRule(plan=PLANS["expert"], rule="nestjs-throttler", time_scale=10, block_duration=30)
    server = FakeSkipcall(api_keys=("sk_live_do_not_print",), rate_limit=rule)
    settings = "plan=1000/60s rule=nestjs-throttler block=30s time_scale=10>"
    assert repr(server) == f"<FakeSkipcall not started {settings}"
    async with server:
        assert repr(server) == f"<FakeSkipcall {server.url} {settings}"
        assert server.url.startswith("http://127.0.0.1:")
    assert repr(server) == f"<FakeSkipcall stopped {settings}"
    assert repr(FakeSkipcall()) == "<FakeSkipcall not started plan=100/60s rule=fixed-clock time_scale=1>"
    assert "sk_" not in repr(server) + repr(FakeSkipcall())


def test_a_fault_for_an_unknown_route_is_refused() -> None:
    """A misspelt route name raises ValueError naming it and listing the real ones, instead of injecting nothing."""
    with pytest.raises(ValueError, match="unknown route") as info:
        FakeSkipcall(route_faults={"get_call": Faults(error_rate=1.0), "get_calls": Faults(error_rate=1.0)})
    message = str(info.value)
    assert "'get_calls'" in message
    assert "'get_call'" not in message  # the valid one is not reported as unknown...
    assert "known routes: add_sequence_contacts, create_contact," in message  # ...but listed among the known
    assert message.endswith("list_workspaces, remove_sequence_contacts, update_contact")


async def test_latency_and_header_faults() -> None:
    """Latency delays answers; missing and garbage rate-limit headers do not break the client."""
    async with FakeSkipcall(faults=Faults(latency=0.05, rate_headers="garbage")) as server:
        async with SkipcallClient(server.api_key, base_url=server.url) as client:
            started = asyncio.get_running_loop().time()
            await asyncio.gather(*(client.health() for _ in range(5)))
            assert asyncio.get_running_loop().time() - started >= 0.05
            assert client.rate_limit.remaining is None
        assert server.requests[0].status == 200
    async with FakeSkipcall(faults=Faults(rate_headers="missing")) as server:
        async with SkipcallClient(server.api_key, base_url=server.url) as client:
            await asyncio.gather(*(client.health() for _ in range(5)))


@pytest.mark.slow
async def test_a_reset_far_in_the_future_on_a_success_is_doubted() -> None:
    """Success responses claiming nothing is left until tomorrow: the next call probes after about a second."""
    async with FakeSkipcall(faults=Faults(far_future_reset=True)) as server:
        async with SkipcallClient(server.api_key, base_url=server.url, max_rate_limit_wait=5) as client:
            await client.health()
            await client.health()
    first, second = server.requests
    assert 0.9 <= second.at - first.at <= 1.5
    assert server.rate_limited == 0


async def _headers_of(server: FakeSkipcall, count: int) -> list[tuple[int, dict[str, str]]]:
    """Status and headers of ``count`` health probes sent one after the other with the server's key."""
    answers = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            auth = {"Authorization": f"Bearer {server.api_key}"}
            async with session.get(server.url + "/v1/health", headers=auth) as resp:
                answers.append((resp.status, dict(resp.headers)))
    return answers


def _date(headers: dict[str, str]) -> int:
    from email.utils import parsedate_to_datetime

    return int(parsedate_to_datetime(headers["Date"]).timestamp())


async def test_past_429_hints_say_retry_now_and_a_reset_a_minute_ago() -> None:
    """Each 429 carries Retry-After: 0 and an epoch reset a minute before its Date; admitted answers stay true."""
    rule = RateLimitRule(plan=Plan(limit=2), rule="fixed-first", time_scale=6)  # a 10 s window
    async with FakeSkipcall(rate_limit=rule, faults=FAULT_PROFILES["past-429-hints"]) as server:
        answers = await _headers_of(server, 4)
    statuses = [status for status, _ in answers]
    assert statuses == [200, 200, 429, 429]
    first = answers[0][1]
    assert "Retry-After" not in first
    assert 10 <= int(first["X-RateLimit-Reset"]) - _date(first) <= 11  # the true window end, rounded up
    for _, headers in answers[2:]:
        assert headers["Retry-After"] == "0"
        assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("2", "0")
        assert -60 <= int(headers["X-RateLimit-Reset"]) - _date(headers) <= -59
    assert server.rate_limited == 2


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (RateLimitRule(plan=Plan(limit=1), rule="seconds-until-reset"), {"X-RateLimit-Reset": "0.000"}),
        (RateLimitRule(plan=Plan(limit=1), rule="nestjs-throttler"), {}),  # its 429s carry no X-RateLimit-*
    ],
)
async def test_past_429_hints_keep_each_rules_reset_form(rule: RateLimitRule, expected: dict[str, str]) -> None:
    """As seconds until reset, a past reset is 0; a rule that sends no reset on a 429 gets only Retry-After: 0."""
    async with FakeSkipcall(rate_limit=rule, faults=Faults(retry_after=0, past_reset_on_429=True)) as server:
        (_, admitted), (status, refused) = await _headers_of(server, 2)
    assert status == 429
    assert refused["Retry-After"] == "0"
    assert {k: v for k, v in refused.items() if k == "X-RateLimit-Reset"} == expected
    assert float(admitted["X-RateLimit-Reset"]) > 0


@pytest.mark.slow
async def test_a_reset_a_day_away_on_admitted_answers_while_remaining_and_the_window_stay_true() -> None:
    """Remaining counts down 2, 1, 0 and Reset says a day; the real one-second window still refuses, then readmits."""
    rule = RateLimitRule(plan=Plan(limit=3), rule="fixed-first", time_scale=60)  # a 1 s window
    async with FakeSkipcall(rate_limit=rule, faults=FAULT_PROFILES["reset-a-day-away"]) as server:
        burst = await _headers_of(server, 4)
        await asyncio.sleep(1.1)
        (status_after, after), *_ = await _headers_of(server, 1)
    assert [status for status, _ in burst] == [200, 200, 200, 429]
    assert [h["X-RateLimit-Remaining"] for _, h in burst] == ["2", "1", "0", "0"]
    for _, headers in burst[:3]:
        assert 86_400 <= int(headers["X-RateLimit-Reset"]) - _date(headers) <= 86_401
    refused = burst[3][1]
    assert 0 <= int(refused["X-RateLimit-Reset"]) - _date(refused) <= 2  # the 429 tells the truth
    assert "Retry-After" not in refused
    assert (status_after, after["X-RateLimit-Remaining"]) == (200, "2")  # a new window opened on the rule
    assert 86_400 <= int(after["X-RateLimit-Reset"]) - _date(after) <= 86_401
    assert server.rate_limited == 1


async def test_back_tomorrow_429s_ask_for_a_day() -> None:
    """With the back-tomorrow profile the 429 says Retry-After: 86400; admitted answers say the reset is a day away."""
    rule = RateLimitRule(plan=Plan(limit=1), rule="fixed-first", time_scale=6)
    async with FakeSkipcall(rate_limit=rule, faults=FAULT_PROFILES["back-tomorrow"]) as server:
        (status, admitted), (refused_status, refused) = await _headers_of(server, 2)
    assert (status, refused_status) == (200, 429)
    assert admitted["X-RateLimit-Remaining"] == "0"
    assert 86_400 <= int(admitted["X-RateLimit-Reset"]) - _date(admitted) <= 86_401
    assert refused["Retry-After"] == "86400"
    assert 0 <= int(refused["X-RateLimit-Reset"]) - _date(refused) <= 11


def test_retry_after_must_be_whole_non_negative_seconds() -> None:
    """A negative, fractional or boolean Retry-After fault is refused when the Faults are built."""
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="retry_after"):
            Faults(retry_after=bad)  # type: ignore[arg-type]
    assert Faults(retry_after=0).retry_after == 0


async def test_requests_are_recorded_without_the_key() -> None:
    """Method, path, query, body and headers (minus Authorization) of each request are kept."""
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        await client.list_calls(workspace_ids=["ws-1"], size=3)
        await client.create_tag(label="X")
    first, second = server.requests
    assert (first.method, first.path, dict(first.query)) == (
        "GET",
        "/v1/calls",
        {"workspaceIds": "ws-1", "page": "0", "size": "3"},
    )
    assert (second.method, second.body) == ("POST", {"label": "X", "isSuccessTag": False})
    assert server.api_key not in json.dumps([dict(r.headers) for r in server.requests])


def test_the_server_runs_as_a_process_and_prints_its_url() -> None:
    """python -m skipcall_async.testing prints a URL that answers, the export line for it, and its pacing."""
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.testing", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" on ")[1].split(" ")[0]
        exported = [proc.stdout.readline().rstrip("\n") for _ in range(2)]
        pacing = [proc.stdout.readline().rstrip("\n") for _ in range(3)]
        request = urllib.request.Request(url + "/v1/health", headers={"Authorization": "Bearer sk_test_fake_skipcall"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert json.load(resp) == {"status": "ok"}
    finally:
        proc.terminate()
        proc.communicate(timeout=5)
    assert exported == [
        "in another shell, point the SDK and the skipcall command at it:",
        f"  export SKIPCALL_BASE_URL={url} SKIPCALL_API_KEY=sk_test_fake_skipcall",
    ]
    assert pacing == [
        "rate limit: 100 requests per 60 s window for the key (plan starter, rule fixed-clock, real time)",
        "more in one window get 429; a SkipcallClient waits for the next window instead (up to 60 s)",
        "change it with --plan {expert,intermediaire,starter}, --limit N, --rule RULE (see --help) or "
        "--time-scale N (--time-scale 10 makes the window 6 s)",
    ]


@pytest.mark.parametrize(
    ("argv", "first", "change"),
    [
        (
            ["--plan", "expert", "--time-scale", "10"],
            "rate limit: 1000 requests per 6 s window for the key (plan expert, rule fixed-clock, the plan's 60 s "
            "at --time-scale 10)",
            "(--time-scale 20 makes the window 3 s)",
        ),
        (
            ["--limit", "600", "--rule", "fixed-first", "--any-key", "--faults", "flaky"],
            "rate limit: 600 requests per 60 s window for each key (--limit 600, rule fixed-first, real time); "
            "faults: flaky",
            "(--time-scale 10 makes the window 6 s)",
        ),
        (
            ["--rule", "nestjs-throttler", "--block-duration", "30", "--time-scale", "2"],
            "rate limit: 100 requests per 30 s window for the key (plan starter, rule nestjs-throttler, the plan's "
            "60 s at --time-scale 2); once over the limit, every request is refused for 15 s",
            "(--time-scale 4 makes the window 15 s)",
        ),
    ],
    ids=["scaled", "limit-any-key-faults", "block"],
)
def test_the_process_says_how_it_paces_and_how_to_change_it(argv: list[str], first: str, change: str) -> None:
    """The start message states the limit, the window in real seconds, what sets them, and the options."""
    from skipcall_async.testing.__main__ import pacing, parse

    args, rule, _ = parse(argv)
    lines = pacing(args, rule)
    assert lines[0] == first
    assert f"(up to {rule.window:g} s)" in lines[1]
    assert lines[2].startswith("change it with --plan")
    assert lines[2].endswith(change)


def test_the_printed_export_line_points_a_shell_at_the_server() -> None:
    """The start message's export line, run by a shell, sets the base URL and key the SDK reads (quoted safely)."""
    import subprocess

    from skipcall_async.testing.__main__ import exports

    lines = exports("http://127.0.0.1:8080", "sk_test_it's")
    assert lines[1].strip().startswith("export SKIPCALL_BASE_URL=http://127.0.0.1:8080 SKIPCALL_API_KEY=")
    shown = subprocess.run(
        ["bash", "-c", f'{lines[1]}\nprintf "%s|%s" "$SKIPCALL_BASE_URL" "$SKIPCALL_API_KEY"'],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout == "http://127.0.0.1:8080|sk_test_it's"


def test_the_lying_header_flags_reach_the_process() -> None:
    """--reset-a-day-away, --retry-after and --past-reset-on-429 spoil the headers the process sends as they say."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    flags = ["--limit", "1", "--rule", "fixed-first", "--time-scale", "6", "--reset-a-day-away"]
    flags += ["--retry-after", "86400", "--past-reset-on-429", "--faults", "slow"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.testing", "--port", "0", *flags], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" on ")[1].split(" ")[0]
        request = urllib.request.Request(url + "/v1/health", headers={"Authorization": "Bearer sk_test_fake_skipcall"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            admitted = dict(resp.headers)
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=5)
        with error.value as answer:  # an HTTPError is the response: closing it releases the socket
            status, refused = answer.code, dict(answer.headers)
    finally:
        proc.terminate()
        proc.communicate(timeout=5)
    assert 86_400 <= int(admitted["X-RateLimit-Reset"]) - _date(admitted) <= 86_401
    assert status == 429
    assert refused["Retry-After"] == "86400"
    assert -60 <= int(refused["X-RateLimit-Reset"]) - _date(refused) <= -59


def test_an_invalid_retry_after_flag_is_a_usage_error() -> None:
    """A negative --retry-after stops the process with argparse's usage message, not a traceback."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "skipcall_async.testing", "--retry-after", "-5"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "retry_after must be whole seconds" in done.stderr


async def test_the_documented_example_ids_exist_in_scope() -> None:
    """The API reference's example call and contact ids answer, so documented snippets run as written."""
    from skipcall_async.testing._store import EXAMPLE_CALL_ID, EXAMPLE_CONTACT_ID

    async with FakeSkipcall() as server:
        async with SkipcallClient(server.api_key, base_url=server.url) as client:
            call = await client.get_call(EXAMPLE_CALL_ID)
            contact = await client.get_contact(EXAMPLE_CONTACT_ID)
            transcription = await client.get_call_transcription(EXAMPLE_CALL_ID)
    assert call.contact is not None
    assert call.contact.id == contact.id == EXAMPLE_CONTACT_ID
    assert transcription.status == "COMPLETED"
