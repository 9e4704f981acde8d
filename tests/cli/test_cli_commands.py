"""Every ``skipcall`` command in-process against the fake server: what it requested and what it printed."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from skipcall_async.testing import FakeSkipcall
from skipcall_async.testing._store import EXAMPLE_CALL_ID, EXAMPLE_CONTACT_ID
from support.cli import invoke, lines
from support.threaded_server import threaded_server

BAD_KEY = "sk_live_not_a_key_SECRET42"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSkipcall]:
    """One fake server for the module, on its own thread."""
    with threaded_server() as server:
        yield server


def sent_since(api: FakeSkipcall, before: int) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, query) of each request since ``before``."""
    return [(r.method, r.path, dict(r.query)) for r in api.requests[before:]]


def test_calls_get_prints_the_calls_json(api: FakeSkipcall) -> None:
    """One GET of the call; stdout (not a terminal) holds its JSON on one line, as the API sent it."""
    before = len(api.requests)
    result = invoke(api, "calls", "get", EXAMPLE_CALL_ID)
    assert result.exit_code == 0, result.stderr
    assert sent_since(api, before) == [("GET", f"/v1/calls/{EXAMPLE_CALL_ID}", {})]
    assert lines(result.stdout) == [api.store.calls[EXAMPLE_CALL_ID]]


def test_calls_list_sends_the_filters_and_prints_one_page(api: FakeSkipcall) -> None:
    """--workspace, --page and --size reach the query (page 2, counted from 1, is the API's index 1); one page is
    printed, one JSON line per call."""
    before = len(api.requests)
    result = invoke(api, "calls", "list", "--workspace", "ws-2", "--page", "2", "--size", "5")
    assert result.exit_code == 0, result.stderr
    assert sent_since(api, before) == [("GET", "/v1/calls", {"workspaceIds": "ws-2", "page": "1", "size": "5"})]
    expected = api.store.in_scope("calls", within={"ws-2"})[5:10]
    assert [c["id"] for c in lines(result.stdout)] == [c["id"] for c in expected]


def test_page_numbers_start_at_one(api: FakeSkipcall) -> None:
    """--page 0 is refused with a usage error saying that pages count from 1."""
    result = invoke(api, "calls", "list", "--page", "0")
    assert result.exit_code == 2
    assert "0 is not in the range x>=1" in result.stderr


def test_verbose_before_the_command_is_accepted(api: FakeSkipcall) -> None:
    """skipcall -v calls list works as skipcall calls list -v: the SDK's log goes to stderr at every level."""
    sdk_log = logging.getLogger("skipcall_async")
    for args in (("-v", "calls", "list"), ("calls", "list", "-v"), ("calls", "list")):
        result = invoke(api, *args, "--size", "1")
        assert result.exit_code == 0, result.stderr
        assert len(lines(result.stdout)) == 1
        assert sdk_log.level == (logging.DEBUG if "-v" in args else logging.WARNING), args


def test_calls_list_all_walks_every_page(api: FakeSkipcall) -> None:
    """--all requests pages 0, 1, 2... until the last and prints every call once, in order."""
    before = len(api.requests)
    result = invoke(api, "calls", "list", "--all", "--size", "100")
    assert result.exit_code == 0, result.stderr
    calls = api.store.in_scope("calls")
    pages = (len(calls) + 99) // 100
    assert [q["page"] for _, _, q in sent_since(api, before)] == [str(i) for i in range(pages)]
    assert [c["id"] for c in lines(result.stdout)] == [c["id"] for c in calls]


def test_calls_list_as_csv_has_the_documented_flat_columns(api: FakeSkipcall) -> None:
    """CSV: a header of flattened columns (contact.firstName, ...), then one row per call."""
    result = invoke(api, "calls", "list", "--size", "3", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["id", "callType", "phoneNumberId"]
    assert "contact.firstName" in rows[0]
    assert "caller.lastName" in rows[0]
    first = dict(zip(rows[0], rows[1], strict=True))
    stored = api.store.calls[first["id"]]
    assert first["contact.firstName"] == stored["contact"]["firstName"]
    assert first["transferred"] == ("true" if stored["transferred"] else "false")
    assert len(rows) == 4


def test_calls_list_as_json_is_one_array(api: FakeSkipcall) -> None:
    """--format json prints an indented JSON array of the page's calls."""
    result = invoke(api, "calls", "list", "--size", "2", "--format", "json")
    data = json.loads(result.stdout)
    assert [c["id"] for c in data] == [c["id"] for c in api.store.in_scope("calls")[:2]]
    assert result.stdout.startswith("[\n  {")


def test_calls_list_as_a_table_shows_chosen_columns_and_the_paging(api: FakeSkipcall) -> None:
    """--format table draws the short set of columns and says which page of how many it is."""
    result = invoke(api, "calls", "list", "--size", "2", "--format", "table")
    assert result.exit_code == 0
    assert "startedAt" in result.stdout
    assert "providerConferenceId" not in result.stdout
    total = len(api.store.in_scope("calls"))
    assert f"page 1 of {(total + 1) // 2}, {total} in all; --all for every page" in result.stdout


@pytest.mark.parametrize(("command", "route"), [("recording", "recording"), ("transcription", "transcription")])
def test_calls_recording_and_transcription(api: FakeSkipcall, command: str, route: str) -> None:
    """Each prints the API's JSON of the call's recording or transcription."""
    before = len(api.requests)
    result = invoke(api, "calls", command, EXAMPLE_CALL_ID, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert sent_since(api, before) == [("GET", f"/v1/calls/{EXAMPLE_CALL_ID}/{route}", {})]
    stored = api.store.recordings if route == "recording" else api.store.transcriptions
    assert json.loads(result.stdout) == stored[EXAMPLE_CALL_ID]


def test_a_single_object_as_a_table_lists_every_field(api: FakeSkipcall) -> None:
    """A get shown as a table has one row per field, nested fields dotted."""
    result = invoke(api, "calls", "get", EXAMPLE_CALL_ID, "--format", "table")
    assert "contact.firstName" in result.stdout
    assert api.store.calls[EXAMPLE_CALL_ID]["contact"]["firstName"] in result.stdout


def test_contacts_get(api: FakeSkipcall) -> None:
    """contacts get prints the stored contact."""
    result = invoke(api, "contacts", "get", EXAMPLE_CONTACT_ID)
    assert lines(result.stdout) == [api.store.contacts[EXAMPLE_CONTACT_ID]]


def test_contacts_create_from_options(api: FakeSkipcall) -> None:
    """Options become the API's camelCase body; repeated --phone a list; --custom-field a mapping."""
    before = len(api.requests)
    result = invoke(
        api,
        "contacts",
        "create",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--phone",
        "+441234",
        "--phone",
        "+445678",
        "--custom-field",
        "Industry=Maths",
        "--no-allow-phone-calls",
    )
    assert result.exit_code == 0, result.stderr
    request = api.requests[before]
    assert (request.method, request.path) == ("POST", "/v1/contacts")
    assert request.body == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "phoneNumbers": ["+441234", "+445678"],
        "allowPhoneCalls": False,
        "customFields": {"Industry": "Maths"},
    }
    created = lines(result.stdout)[0]
    assert api.store.contacts[created["id"]]["firstName"] == "Ada"


def test_contacts_create_from_a_body_file_with_options_on_top(api: FakeSkipcall, tmp_path: Path) -> None:
    """--body gives the fields under the API's names; an option given overrides the file's value."""
    body = tmp_path / "contact.json"
    body.write_text(json.dumps({"firstName": "Grace", "lastName": "Hopper", "phoneNumbers": ["+1555"], "city": "NYC"}))
    before = len(api.requests)
    result = invoke(api, "contacts", "create", "--body", str(body), "--city", "Arlington")
    assert result.exit_code == 0, result.stderr
    assert api.requests[before].body == {
        "firstName": "Grace",
        "lastName": "Hopper",
        "phoneNumbers": ["+1555"],
        "city": "Arlington",
    }


def test_contacts_create_reads_the_body_from_stdin(api: FakeSkipcall) -> None:
    """--body - reads the JSON from standard input."""
    before = len(api.requests)
    body = {"firstName": "Alan", "lastName": "Turing", "phoneNumbers": ["+44999"]}
    result = invoke(api, "contacts", "create", "--body", "-", stdin=json.dumps(body))
    assert result.exit_code == 0, result.stderr
    assert api.requests[before].body == body


def test_contacts_create_without_the_required_fields_is_a_usage_error(api: FakeSkipcall) -> None:
    """Missing names or phone: exit 2, nothing sent, the missing options named."""
    before = len(api.requests)
    result = invoke(api, "contacts", "create", "--first-name", "Ada")
    assert result.exit_code == 2
    assert "--last-name, --phone" in result.stderr
    assert len(api.requests) == before


def test_a_body_with_an_unknown_field_is_a_usage_error(api: FakeSkipcall, tmp_path: Path) -> None:
    """A body field the operation does not take is refused before sending, naming it."""
    body = tmp_path / "bad.json"
    body.write_text(json.dumps({"firstName": "A", "favouriteColour": "blue"}))
    before = len(api.requests)
    result = invoke(api, "contacts", "update", EXAMPLE_CONTACT_ID, "--body", str(body))
    assert result.exit_code == 2
    assert "favouriteColour" in result.stderr
    assert len(api.requests) == before


def test_contacts_update_sends_only_what_was_given(api: FakeSkipcall, tmp_path: Path) -> None:
    """A PATCH with the options given, on top of the --body fields."""
    body = tmp_path / "change.json"
    body.write_text(json.dumps({"email": "grace@example.com"}))
    before = len(api.requests)
    result = invoke(api, "contacts", "update", EXAMPLE_CONTACT_ID, "--city", "Lyon", "--body", str(body))
    assert result.exit_code == 0, result.stderr
    request = api.requests[before]
    assert (request.method, request.path, request.body) == (
        "PATCH",
        f"/v1/contacts/{EXAMPLE_CONTACT_ID}",
        {"email": "grace@example.com", "city": "Lyon"},
    )
    assert lines(result.stdout)[0]["city"] == "Lyon"
    assert lines(result.stdout)[0]["email"] == "grace@example.com"


def test_contacts_update_with_a_null_is_a_usage_error(api: FakeSkipcall, tmp_path: Path) -> None:
    """A null in --body is refused before sending (the API takes no null for a contact field): exit 2."""
    body = tmp_path / "clear.json"
    body.write_text(json.dumps({"email": None}))
    before = len(api.requests)
    result = invoke(api, "contacts", "update", EXAMPLE_CONTACT_ID, "--body", str(body))
    assert result.exit_code == 2
    assert "email cannot be None" in result.stderr
    assert len(api.requests) == before


def test_contacts_update_with_nothing_to_change_is_a_usage_error(api: FakeSkipcall) -> None:
    """No field: exit 2 before any request."""
    result = invoke(api, "contacts", "update", EXAMPLE_CONTACT_ID)
    assert result.exit_code == 2
    assert "nothing to change" in result.stderr


def test_sequences_create_list_add_and_remove(api: FakeSkipcall) -> None:
    """The four sequence commands send their bodies; the new sequence's contacts list shows the added contact."""
    before = len(api.requests)
    created = invoke(api, "sequences", "create", "--name", "Q4", "--assigned-to", "om-1", "--creator", "om-1")
    assert created.exit_code == 0, created.stderr
    assert api.requests[before].body == {"name": "Q4", "assignedToIds": ["om-1"], "creatorId": "om-1"}
    sequence_id = lines(created.stdout)[0]["id"]

    added = invoke(api, "sequences", "add-contacts", sequence_id, EXAMPLE_CONTACT_ID)
    assert added.exit_code == 0, added.stderr
    assert api.requests[-1].body == {"contacts": [{"contactId": EXAMPLE_CONTACT_ID}]}

    listed = invoke(api, "sequences", "contacts", sequence_id, "--all")
    assert [row["contactId"] for row in lines(listed.stdout)] == [EXAMPLE_CONTACT_ID]

    removed = invoke(api, "sequences", "remove-contacts", sequence_id, EXAMPLE_CONTACT_ID)
    assert removed.exit_code == 0, removed.stderr
    assert (api.requests[-1].method, api.requests[-1].body) == ("DELETE", {"contactIds": [EXAMPLE_CONTACT_ID]})


def test_sequences_add_contacts_with_assignments(api: FakeSkipcall) -> None:
    """--assign CONTACT=MEMBER names who calls each contact."""
    result = invoke(api, "sequences", "add-contacts", "seq-1", "--assign", f"{EXAMPLE_CONTACT_ID}=wm-1-2")
    assert result.exit_code == 0, result.stderr
    assert api.requests[-1].body == {
        "contacts": [{"contactId": EXAMPLE_CONTACT_ID, "assignedToWorkspaceMembershipId": "wm-1-2"}]
    }


def test_sequences_contacts_filters(api: FakeSkipcall) -> None:
    """--tag and --status reach the query of the sequence's contacts."""
    before = len(api.requests)
    result = invoke(api, "sequences", "contacts", "seq-1", "--status", "DONE", "--tag", "Lead", "--size", "10")
    assert result.exit_code == 0, result.stderr
    assert sent_since(api, before) == [
        ("GET", "/v1/sequences/seq-1/contacts", {"tag": "Lead", "status": "DONE", "page": "0", "size": "10"})
    ]


def test_tags_create_and_delete(api: FakeSkipcall) -> None:
    """tags create posts the label and flag; tags delete sends a DELETE and says so on stderr."""
    created = invoke(api, "tags", "create", "--label", "Demo booked", "--success")
    assert created.exit_code == 0, created.stderr
    assert api.requests[-1].body == {"label": "Demo booked", "isSuccessTag": True}
    tag_id = lines(created.stdout)[0]["id"]
    deleted = invoke(api, "tags", "delete", tag_id)
    assert deleted.exit_code == 0, deleted.stderr
    assert (api.requests[-1].method, api.requests[-1].path) == ("DELETE", f"/v1/tags/{tag_id}")
    assert deleted.stdout == ""
    assert f"deleted tag {tag_id}" in deleted.stderr


def test_users_workspaces_and_members(api: FakeSkipcall) -> None:
    """users list, workspaces list and workspaces members print what the server holds."""
    users = invoke(api, "users", "list", "--all")
    assert [u["organizationMembershipId"] for u in lines(users.stdout)] == [
        u["organizationMembershipId"] for u in api.store.users
    ]
    workspaces = invoke(api, "workspaces", "list")
    assert [w["id"] for w in lines(workspaces.stdout)] == ["ws-1", "ws-2"]
    members = invoke(api, "workspaces", "members", "ws-1")
    assert [m["id"] for m in lines(members.stdout)] == [m["id"] for m in api.store.members["ws-1"]]


def test_health(api: FakeSkipcall) -> None:
    """health prints the probe's answer."""
    result = invoke(api, "health")
    assert lines(result.stdout) == [{"status": "ok"}]
    assert api.requests[-1].path == "/v1/health"


def test_stats_commands_send_their_filters(api: FakeSkipcall) -> None:
    """Each stats command reaches its endpoint with the filters given."""
    before = len(api.requests)
    tags = invoke(api, "stats", "tags", "--workspace", "ws-1", "--granularity", "none", "--call-type", "outbound")
    statuses = invoke(api, "stats", "statuses", "--start", "2026-01-01", "--end", "2026-02-01")
    durations = invoke(api, "stats", "durations", "--sequence", "seq-1", "--user-membership", "om-1")
    teams = invoke(api, "stats", "teams", "--period", "month")
    assert all(r.exit_code == 0 for r in (tags, statuses, durations, teams))
    assert sent_since(api, before) == [
        ("GET", "/v1/stats/tag-repartition", {"granularity": "none", "workspaceId": "ws-1", "callType": "outbound"}),
        ("GET", "/v1/stats/status-repartition", {"startDate": "2026-01-01", "endDate": "2026-02-01"}),
        ("GET", "/v1/stats/call-duration", {"sequenceId": "seq-1", "userMembershipId": "om-1"}),
        ("GET", "/v1/teams/stats", {"period": "month"}),
    ]
    assert "nonCalledCount" in lines(statuses.stdout)[0]
    assert lines(teams.stdout)[0]["aggregate"]["totalCalls"] == len(api.store.in_scope("calls"))


def test_stats_as_csv_are_the_rows_of_the_answer(api: FakeSkipcall) -> None:
    """As CSV a distribution is one row per item, under the item's columns."""
    result = invoke(api, "stats", "statuses", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["status", "count", "date"]
    counts = {status: int(count) for status, count, _ in rows[1:]}
    assert sum(counts.values()) == len(api.store.in_scope("calls"))


def test_a_bad_choice_is_a_usage_error_before_any_request(api: FakeSkipcall) -> None:
    """An unknown --granularity exits 2 and sends nothing."""
    before = len(api.requests)
    result = invoke(api, "stats", "tags", "--granularity", "fortnight")
    assert result.exit_code == 2
    assert len(api.requests) == before


def test_rate_limit_reads_the_quota_from_one_keyed_request(api: FakeSkipcall) -> None:
    """One GET /v1/workspaces; the snapshot after it: the plan's limit, what remains, when it resets."""
    before = len(api.requests)
    result = invoke(api, "rate-limit")
    assert result.exit_code == 0, result.stderr
    assert sent_since(api, before) == [("GET", "/v1/workspaces", {})]
    quota = lines(result.stdout)[0]
    assert quota["limit"] == 1_000_000
    assert 0 < quota["remaining"] < 1_000_000
    assert 0 <= quota["resetIn"] <= 60
    assert (quota["request"], quota["status"], quota["store"]) == ("GET /v1/workspaces", 200, "in-process")


def test_a_stated_rate_limit_window_is_the_one_the_client_paces_by(api: FakeSkipcall) -> None:
    """--rate-limit-window reaches the client's policy (its snapshot shows it); without it, the documented minute."""
    stated = lines(invoke(api, "rate-limit", "--rate-limit-window", "6").stdout)[0]
    default = lines(invoke(api, "rate-limit").stdout)[0]
    assert (stated["window"], default["window"]) == (6.0, 60.0)
    assert invoke(api, "rate-limit", "--rate-limit-window", "0").exit_code == 2


def test_not_found_is_one_line_and_exit_1(api: FakeSkipcall) -> None:
    """A 404 prints one line on stderr, nothing on stdout, and exits 1."""
    result = invoke(api, "calls", "get", "no-such-call")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "skipcall: error: not found (404 NOT_FOUND): Call not found (or outside the key's workspaces)"
    ]


def test_a_bad_key_is_one_line_exit_1_and_never_printed(api: FakeSkipcall) -> None:
    """A refused key: exit 1, one line naming where the key comes from, the key itself nowhere."""
    result = invoke(api, "calls", "get", EXAMPLE_CALL_ID, key=BAD_KEY)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "skipcall: error: the API key was refused (401 UNAUTHORIZED): check SKIPCALL_API_KEY or --api-key-file"
    ]
    assert BAD_KEY not in result.stdout + result.stderr


def test_the_key_can_come_from_a_file(api: FakeSkipcall, tmp_path: Path) -> None:
    """--api-key-file is read (surrounding whitespace dropped) instead of SKIPCALL_API_KEY."""
    key_file = tmp_path / "key"
    key_file.write_text(f"  {api.api_key}\n")
    result = invoke(api, "health", "--api-key-file", str(key_file), key=BAD_KEY)
    assert result.exit_code == 0, result.stderr


def test_an_empty_key_file_or_no_key_is_a_usage_error(api: FakeSkipcall, tmp_path: Path) -> None:
    """Exit 2 with what to set; no request."""
    empty = tmp_path / "empty"
    empty.write_text("\n")
    before = len(api.requests)
    from_file = invoke(api, "health", "--api-key-file", str(empty))
    assert (from_file.exit_code, from_file.stderr) == (2, f"skipcall: error: --api-key-file {empty} is empty\n")
    missing = invoke(None, "health", "--base-url", api.url)
    assert (missing.exit_code, missing.stderr) == (
        2,
        "skipcall: error: no API key: set SKIPCALL_API_KEY or pass --api-key-file FILE\n",
    )
    assert len(api.requests) == before


def test_a_non_loopback_http_base_url_is_refused(api: FakeSkipcall) -> None:
    """The library's own check of --base-url becomes a usage error."""
    result = invoke(api, "health", "--base-url", "http://example.com")
    assert result.exit_code == 2
    assert result.stderr.startswith("skipcall: error: ")
    assert "https" in result.stderr


@pytest.mark.slow
def test_a_refused_connection_is_one_line_exit_1() -> None:
    """Nothing listens: the network error is one line, exit 1."""
    result = invoke(None, "health", "--base-url", "http://127.0.0.1:9", "--timeout", "2", key="sk_test_anything")
    assert result.exit_code == 1
    assert result.stderr.startswith("skipcall: error: cannot reach the API")
    assert len(result.stderr.splitlines()) == 1


def test_verbose_shows_the_sdks_log(api: FakeSkipcall) -> None:
    """--verbose sends the skipcall_async logger's DEBUG records to stderr; without it they stay quiet."""
    quiet = invoke(api, "calls", "get", "no-such-call")
    loud = invoke(api, "calls", "get", "no-such-call", "--verbose")
    assert "DEBUG" not in quiet.stderr
    assert "DEBUG skipcall_async" in loud.stderr


def test_version_and_help() -> None:
    """--version names the package version; --help lists every command group."""
    import skipcall_async

    assert invoke(None, "--version").stdout == f"skipcall, version {skipcall_async.__version__}\n"
    help_text = invoke(None, "--help").stdout
    for command in ("calls", "contacts", "sequences", "tags", "users", "workspaces", "stats", "health"):
        assert f"  {command} " in help_text
    assert "rate-limit" in help_text
    assert "export" in help_text


def test_max_response_bytes_bounds_what_a_command_reads(api: FakeSkipcall) -> None:
    """An answer past ``--max-response-bytes`` fails the command, naming the option; 0 lifts the limit."""
    before = len(api.requests)
    cut = invoke(api, "calls", "list", "--size", "100", "--max-response-bytes", "1000", "--format", "jsonl")
    assert cut.exit_code == 1
    assert "is larger than --max-response-bytes 1000: raise it, or give 0 for no limit" in cut.stderr
    assert cut.stdout == ""
    unlimited = invoke(api, "calls", "list", "--size", "100", "--max-response-bytes", "0", "--format", "jsonl")
    assert unlimited.exit_code == 0, unlimited.stderr
    assert len(lines(unlimited.stdout)) == 100
    assert sent_since(api, before) == [("GET", "/v1/calls", {"page": "0", "size": "100"})] * 2
    assert "--max-response-bytes BYTES" in invoke(None, "calls", "list", "--help").stdout
