"""Tables at 120 columns: ids (UUIDs) and timestamps are never split over lines; the other columns wrap."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

import skipcall_async as sc
from skipcall_async.cli._columns import table_columns
from skipcall_async.cli._render import print_table, unbreakable
from skipcall_async.testing import FakeSkipcall
from skipcall_async.testing._store import EXAMPLE_CALL_ID
from support.cli import invoke
from support.threaded_server import threaded_server

WIDTH = 120
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Every model a list command prints as a table, through table_columns or as its own columns.
LISTED = [
    sc.Call,
    sc.Contact,
    sc.SequenceContact,
    sc.OrganizationUser,
    sc.WorkspaceMember,
    sc.Workspace,
    sc.TagDistributionItem,
    sc.StatusDistributionItem,
    sc.CallDurationBucket,
    sc.TeamStatsEntry,
]


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSkipcall]:
    with threaded_server() as server:
        yield server


def sample(header: str, n: int) -> str:
    """A long, realistic value for a column: a UUID for an id, a timestamp, or words that may wrap."""
    if unbreakable(header):
        timestamp = header.endswith(("At", "Date", "date"))
        return "2026-01-05T09:00:59.000Z" if timestamp else f"{n:08x}-b16d-493f-93d0-04cd6599b581"
    return {"email": "christopher.montgomery@example.com", "status": "IN_PROGRESS"}.get(header, "Montgomery-Smith")


def draw(headers: tuple[str, ...], rows: list[list[str]], capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The table as printed on a terminal WIDTH columns wide (COLUMNS is set by the caller)."""
    capsys.readouterr()
    print_table(headers, rows)
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("model", LISTED, ids=lambda m: m.__name__)
def test_every_id_and_timestamp_fits_on_one_line_at_120_columns(
    model: type[sc.Model], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each table's columns, filled with UUIDs, timestamps and long words, keep every id and timestamp whole."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    headers = table_columns(model)
    rows = [[sample(h, n * 100 + i) for i, h in enumerate(headers)] for n in range(3)]
    lines = draw(headers, rows, capsys)
    assert max(len(line) for line in lines) <= WIDTH
    for cells in rows:
        for header, value in zip(headers, cells, strict=True):
            if unbreakable(header):
                assert any(value in line for line in lines), (model.__name__, header, value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("id", True), ("contact.id", True), ("contactId", True), ("startedAt", True), ("date", True),
     ("syncedWithCrmDate", True), ("status", False), ("email", False), ("paid", False), ("contact.firstName", False)],
)  # fmt: skip
def test_ids_and_timestamps_are_recognised_by_their_column(header: str, expected: bool) -> None:
    """Names ending in id/Id, At, date/Date are unbreakable; others (paid, status) wrap."""
    assert unbreakable(header) is expected


def test_a_list_of_calls_at_120_columns_shows_each_id_whole(api: FakeSkipcall) -> None:
    """skipcall calls list on a 120-column terminal: every call id and start time on one line."""
    before = len(api.requests)
    result = invoke(api, "calls", "list", "--size", "5", "--format", "table", columns=WIDTH)
    assert result.exit_code == 0, result.stderr
    assert [(r.method, r.path, dict(r.query)) for r in api.requests[before:]] == [
        ("GET", "/v1/calls", {"page": "0", "size": "5"})
    ]
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    calls = api.store.in_scope("calls")[:5]
    for call in calls:
        row = next(line for line in lines if call["id"] in line)
        assert call["startedAt"] in row


def test_sequence_contacts_at_120_columns_show_each_contact_id_whole(api: FakeSkipcall) -> None:
    """The sequence contacts table keeps contact ids whole (the row's own id is in the other formats)."""
    result = invoke(api, "sequences", "contacts", "seq-1", "--size", "5", "--format", "table", columns=WIDTH)
    assert result.exit_code == 0, result.stderr
    stored = list(api.store.sequence_contacts["seq-1"].values())[:5]
    for row in stored:
        assert any(row["contactId"] in line for line in result.stdout.splitlines())


def test_one_call_as_a_table_at_120_columns_keeps_every_uuid_whole(api: FakeSkipcall) -> None:
    """The field/value table of calls get: each UUID value on one line."""
    result = invoke(api, "calls", "get", EXAMPLE_CALL_ID, "--format", "table", columns=WIDTH)
    assert result.exit_code == 0, result.stderr
    uuids = set(UUID.findall(str(api.store.calls[EXAMPLE_CALL_ID])))
    assert len(uuids) >= 3
    assert uuids <= set(UUID.findall(result.stdout))


def header_cells(lines: list[str]) -> set[str]:
    """The words of a table's header lines (those above its rule), as printed."""
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    return {word for line in lines[:rule] for word in line.split()}


@pytest.mark.parametrize("model", LISTED, ids=lambda m: m.__name__)
def test_headers_break_only_after_a_dot_at_120_columns(
    model: type[sc.Model], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 120 columns, every header is printed whole, or in parts cut after its dots (contact. / firstName)."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    headers = table_columns(model)
    rows = [[sample(h, n * 100 + i) for i, h in enumerate(headers)] for n in range(3)]
    lines = draw(headers, rows, capsys)
    assert max(len(line) for line in lines) <= WIDTH
    words = header_cells(lines)
    for header in headers:
        assert set(header.replace(".", ".\n").split()) <= words, (model.__name__, header, words)


def test_a_table_in_a_pipe_takes_the_width_it_needs(api: FakeSkipcall, monkeypatch: pytest.MonkeyPatch) -> None:
    """--format table into a pipe or a file, with no COLUMNS set: no column squeezed, every value on its row whole
    (a pipe used to get 80 columns, and all columns but two shrank to nothing)."""
    result = invoke(api, "calls", "list", "--size", "5", "--format", "table", columns=0)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert {"id", "startedAt", "status", "type", "contact.", "firstName", "lastName"} <= header_cells(lines)
    for call in api.store.in_scope("calls")[:5]:
        row = next(line for line in lines if call["id"] in line)
        cells = row.split()
        assert call["startedAt"] in cells
        assert call["status"] in cells
        contact = call.get("contact") or {}
        if contact.get("firstName"):
            assert contact["firstName"] in cells
