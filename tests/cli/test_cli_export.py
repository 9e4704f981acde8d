"""``skipcall export`` in-process against the fake server: the records, the columns, resuming, refusing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skipcall_async.cli._jobs import call_columns
from skipcall_async.testing import FakeSkipcall, Faults
from support.cli import invoke, lines
from support.threaded_server import threaded_server


@pytest.fixture(scope="module")
def api() -> Iterator[FakeSkipcall]:
    """One fake server for the module, on its own thread."""
    with threaded_server() as server:
        yield server


def export(api: FakeSkipcall, out: Path | str, *args: str) -> tuple[int, str, str]:
    result = invoke(api, "export", "calls", "--out", str(out), *args)
    return result.exit_code, result.stdout, result.stderr


def as_written(call: dict[str, Any]) -> dict[str, Any]:
    """A stored call as a record writes it: a direct call's left-out sequence ids as null, like every model field."""
    return {**call, "sequenceRunId": call.get("sequenceRunId"), "sequenceId": call.get("sequenceId")}


def test_every_call_is_one_json_line_as_the_api_sent_it(api: FakeSkipcall, tmp_path: Path) -> None:
    """No --include: each line is the stored call, in the listing's order; a summary on stderr."""
    out = tmp_path / "calls.jsonl"
    code, stdout, stderr = export(api, out)
    assert code == 0, stderr
    assert stdout == ""
    assert lines(out.read_text()) == [as_written(c) for c in api.store.in_scope("calls")]
    total = len(api.store.in_scope("calls"))
    assert f"export complete: {total} calls in {out} ({total} written now, 0 already there)" in stderr
    assert "0 throttled (429), 0 retries" in stderr


def test_include_adds_recording_and_transcription_or_null(api: FakeSkipcall, tmp_path: Path) -> None:
    """Each call carries its recording and transcription; where the API answers 404 they are null, not errors."""
    out = tmp_path / "calls.jsonl"
    before = len(api.requests)
    code, _, stderr = export(api, out, "--include", "recording,transcription")
    assert code == 0, stderr
    records = lines(out.read_text())
    calls = api.store.in_scope("calls")
    assert [r["id"] for r in records] == [c["id"] for c in calls]
    for record, call in zip(records, calls, strict=True):
        assert {k: v for k, v in record.items() if k not in ("recording", "transcription")} == as_written(call)
        assert record["recording"] == api.store.recordings.get(call["id"])
        assert record["transcription"] == api.store.transcriptions.get(call["id"])
        assert list(record)[-2:] == ["recording", "transcription"]
    absent = sum(1 for c in calls if c["id"] not in api.store.recordings)
    assert absent > 0
    assert f"recording {absent}, transcription {absent}" in stderr
    routes = [r.route for r in api.requests[before:]]
    assert routes.count("get_call_recording") == routes.count("get_call_transcription") == len(calls)


def test_workspace_narrows_the_export(api: FakeSkipcall, tmp_path: Path) -> None:
    """--workspace reaches the listing's query; only that workspace's calls are written."""
    out = tmp_path / "ws2.jsonl"
    before = len(api.requests)
    code, _, stderr = export(api, out, "--workspace", "ws-2")
    assert code == 0, stderr
    assert {r.query.get("workspaceIds") for r in api.requests[before:]} == {"ws-2"}
    assert [r["id"] for r in lines(out.read_text())] == [c["id"] for c in api.store.in_scope("calls", {"ws-2"})]


def test_csv_has_the_documented_columns_and_one_row_per_call(api: FakeSkipcall, tmp_path: Path) -> None:
    """--format csv: the header is the call's flattened columns then the included part's, prefixed."""
    out = tmp_path / "calls.csv"
    code, _, stderr = export(api, out, "--format", "csv", "--include", "transcription")
    assert code == 0, stderr
    with out.open(newline="") as file:
        rows = list(csv.reader(file))
    assert tuple(rows[0]) == call_columns(["transcription"])
    assert rows[0][21:25] == ["contact.id", "contact.firstName", "contact.lastName", "contact.isUnknown"]
    assert rows[0][-6:] == [
        "transcription.id",
        "transcription.status",
        "transcription.transcript",
        "transcription.summary",
        "transcription.startedAt",
        "transcription.endedAt",
    ]
    calls = api.store.in_scope("calls")
    assert [row[0] for row in rows[1:]] == [c["id"] for c in calls]
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    example = by_id["123e4567-e89b-12d3-a456-426614174000"]
    transcription = api.store.transcriptions[example["id"]]
    assert json.loads(example["transcription.transcript"]) == transcription["transcript"]
    assert example["transcription.summary"] == transcription["summary"]
    untranscribed = next(c["id"] for c in calls if c["id"] not in api.store.transcriptions)
    assert by_id[untranscribed]["transcription.id"] == ""


def test_a_second_run_appends_nothing_and_rewrites_nothing(api: FakeSkipcall, tmp_path: Path) -> None:
    """Run again on a complete file: the same bytes, no part fetched again, 'already there' said."""
    out = tmp_path / "calls.jsonl"
    export(api, out, "--include", "recording")
    first = out.read_bytes()
    before = len(api.requests)
    code, _, stderr = export(api, out, "--include", "recording")
    assert code == 0, stderr
    assert out.read_bytes() == first
    assert {r.route for r in api.requests[before:]} == {"list_calls"}
    assert "resuming: " in stderr


def test_a_torn_last_line_is_cut_and_the_export_completes(api: FakeSkipcall, tmp_path: Path) -> None:
    """A file ending in half a record (as after SIGKILL) is repaired: same lines as a clean run, none twice."""
    clean = tmp_path / "clean.jsonl"
    export(api, clean, "--include", "recording")
    whole = clean.read_bytes().splitlines(keepends=True)
    out = tmp_path / "torn.jsonl"
    torn = b"".join(whole[:40]) + whole[40][:57]
    out.write_bytes(torn)
    before = len(api.requests)
    code, _, stderr = export(api, out, "--include", "recording")
    assert code == 0, stderr
    assert out.read_bytes() == clean.read_bytes()
    assert "cut a half-written last record off" in stderr
    assert "(57 bytes)" in stderr
    fetched = [r.path for r in api.requests[before:] if r.route == "get_call_recording"]
    assert len(fetched) == len(whole) - 40  # the 40 complete records were not fetched again


def test_csv_resume_keeps_the_header_once_and_repairs_a_torn_record(api: FakeSkipcall, tmp_path: Path) -> None:
    """A CSV cut inside a quoted multi-line field resumes to the clean file: one header, every row once."""
    clean = tmp_path / "clean.csv"
    export(api, clean, "--format", "csv", "--include", "transcription")
    data = clean.read_bytes()
    cut = data.index(b"Hello, this is") + 5  # inside the quoted transcript of some record
    out = tmp_path / "torn.csv"
    out.write_bytes(data[:cut])
    code, _, stderr = export(api, out, "--format", "csv", "--include", "transcription")
    assert code == 0, stderr
    assert out.read_bytes() == data
    assert out.read_bytes().count(b"id,callType,") == 1


def test_a_file_from_other_options_is_refused_untouched(api: FakeSkipcall, tmp_path: Path) -> None:
    """Resuming with another --include, or a CSV as JSON lines, is a usage error that changes nothing."""
    out = tmp_path / "calls.jsonl"
    export(api, out, "--include", "recording")
    before = out.read_bytes()
    code, _, stderr = export(api, out)
    assert code == 2
    assert stderr == f"skipcall: error: {out} was written with --include recording: run it with the same options\n"
    code, _, stderr = export(api, out, "--format", "csv", "--include", "recording")
    assert code == 2
    assert f"--out {out} is named as jsonl but --format is csv" in stderr
    assert out.read_bytes() == before


def test_the_format_follows_the_file_name_and_a_contradiction_is_a_usage_error(
    api: FakeSkipcall, tmp_path: Path
) -> None:
    """--out calls.csv writes CSV without --format; with --format jsonl it is refused before anything is written,
    saying what to do (it used to write JSON lines into a .csv file, then call that file not an export)."""
    out = tmp_path / "calls.csv"
    code, _, stderr = export(api, out, "--format", "jsonl")
    assert code == 2
    assert f"--out {out} is named as csv but --format is jsonl: drop --format (or pass --format csv)" in stderr
    assert not out.exists()
    code, _, stderr = export(api, out, "--workspace", "ws-1")
    assert code == 0, stderr
    assert out.read_text().splitlines()[0].startswith("id,callType,")


def test_a_file_of_the_other_format_is_named_as_such(api: FakeSkipcall, tmp_path: Path) -> None:
    """Resuming a CSV export as JSON lines (or the reverse), under a name that says neither, names the format the
    file holds and the option to pass; the file is left as it was."""
    csv_file, jsonl_file = tmp_path / "csv-export.txt", tmp_path / "jsonl-export.txt"
    assert export(api, csv_file, "--format", "csv", "--workspace", "ws-1")[0] == 0
    assert export(api, jsonl_file, "--workspace", "ws-1")[0] == 0
    before = csv_file.read_bytes(), jsonl_file.read_bytes()
    code, _, stderr = export(api, csv_file, "--workspace", "ws-1")
    assert (code, stderr) == (2, f"skipcall: error: {csv_file} holds a CSV export: run it with --format csv, "
                                 "or choose another --out\n")  # fmt: skip
    code, _, stderr = export(api, jsonl_file, "--format", "csv", "--workspace", "ws-1")
    assert (code, stderr) == (2, f"skipcall: error: {jsonl_file} holds a JSON lines export: run it with --format "
                                 "jsonl, or choose another --out\n")  # fmt: skip
    assert (csv_file.read_bytes(), jsonl_file.read_bytes()) == before


def test_a_file_that_is_not_an_export_is_refused_untouched(api: FakeSkipcall, tmp_path: Path) -> None:
    """A file of other text is never truncated or appended to."""
    out = tmp_path / "notes.txt"
    out.write_text("shopping list\neggs")
    code, _, stderr = export(api, out)
    assert code == 2
    assert "line 1 is not a record of an export" in stderr
    assert out.read_text() == "shopping list\neggs"


def test_out_dash_writes_to_stdout(api: FakeSkipcall) -> None:
    """--out - streams the records to stdout; the summary stays on stderr."""
    code, stdout, stderr = export(api, "-", "--workspace", "ws-1")
    assert code == 0, stderr
    assert [r["id"] for r in lines(stdout)] == [c["id"] for c in api.store.in_scope("calls", {"ws-1"})]
    assert "in stdout" in stderr


def test_an_unknown_include_part_is_a_usage_error(api: FakeSkipcall, tmp_path: Path) -> None:
    """--include names the parts it takes."""
    code, _, stderr = export(api, tmp_path / "x.jsonl", "--include", "recording,audio")
    assert code == 2
    assert "audio: the parts are recording, transcription" in stderr
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.slow
def test_an_api_error_ends_the_export_with_one_line_and_how_to_resume(tmp_path: Path) -> None:
    """Every transcription fails with 503 (retries spent): exit 1, one error line, the summary, the same command."""
    faults = {"get_call_transcription": Faults(error_rate=1.0)}
    with threaded_server(route_faults=faults) as api:
        out = tmp_path / "calls.jsonl"
        result = invoke(api, "export", "calls", "--out", str(out), "--include", "transcription", "--timeout", "5")
    assert result.exit_code == 1
    stderr = result.stderr.splitlines()
    assert stderr[0].startswith("skipcall: error: the API failed (503")
    assert stderr[-1] == (
        f"skipcall: to resume, run the same command: skipcall export calls --out {out} --include transcription "
        "--timeout 5"
    )
    assert f"skipcall: export failed: 0 calls in {out} (0 written now, 0 already there)" in stderr
    assert out.read_bytes() == b""


def test_forced_progress_off_a_terminal_prints_status_lines(api: FakeSkipcall, tmp_path: Path) -> None:
    """--progress where stderr is not a terminal: plain status lines with records, rate, ETA, waits, 429s."""
    code, _, stderr = export(api, tmp_path / "c.jsonl", "--progress", "--workspace", "ws-1")
    assert code == 0
    status = [line for line in stderr.splitlines() if " records, " in line]
    assert status
    assert "/s, ETA " in status[0]
    assert "rate-limit wait " in status[0]


def test_no_progress_by_default_off_a_terminal(api: FakeSkipcall, tmp_path: Path) -> None:
    """Without --progress and without a terminal, stderr holds only the summary."""
    code, _, stderr = export(api, tmp_path / "c.jsonl", "--workspace", "ws-1")
    assert code == 0
    assert stderr.startswith("skipcall: export complete: ")
    assert len(stderr.splitlines()) == 2


def test_contacts_export_fetches_each_called_contact_once(api: FakeSkipcall, tmp_path: Path) -> None:
    """Every contact of the calls, in order of first call, fetched once each, as the API's JSON."""
    out = tmp_path / "contacts.jsonl"
    before = len(api.requests)
    result = invoke(api, "export", "contacts", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    expected: list[str] = []
    for call in api.store.in_scope("calls"):
        contact = call["contact"]
        if contact and not contact["isUnknown"] and contact["id"] not in expected:
            expected.append(contact["id"])
    records = lines(out.read_text())
    assert [r["id"] for r in records] == expected
    assert records[0] == api.store.contacts[expected[0]]
    gets = [r.path for r in api.requests[before:] if r.route == "get_contact"]
    assert sorted(gets) == sorted(f"/v1/contacts/{c}" for c in expected)


def test_contacts_export_of_a_sequence_as_csv(api: FakeSkipcall, tmp_path: Path) -> None:
    """--sequence takes the sequence's contacts; CSV columns are the contact's."""
    out = tmp_path / "contacts.csv"
    result = invoke(api, "export", "contacts", "--out", str(out), "--sequence", "seq-2", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0][:4] == ["id", "firstName", "lastName", "allowPhoneCalls"]
    assert "customFields" in rows[0]
    assert [row[0] for row in rows[1:]] == [
        row["contactId"] for row in api.store.sequence_contacts["seq-2"].values() if not row.get("_deleted")
    ]
