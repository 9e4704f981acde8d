"""The command line's parts without a server: resume files, interval union, columns, messages, the extra."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import skipcall_async as sc
from skipcall_async.cli._columns import cell, model_columns, row
from skipcall_async.cli._errors import describe
from skipcall_async.cli._lock import OutputLocked
from skipcall_async.cli._settings import Settings
from skipcall_async.cli._sink import FileSink, ResumeError, encode_csv
from skipcall_async.cli._stats import ExportStats, IntervalUnion, clock_text, status_line
from skipcall_async.cli._summary import resume_line, summary_lines

COLUMNS = ("id", "note", "contact.firstName")
RECORDS = [
    {"id": "a", "note": "plain", "contact": {"firstName": "Ada"}},
    {"id": "b", "note": 'two\nlines, a comma and "quotes"', "contact": None},
    {"id": "c", "note": "", "contact": {"firstName": "Chloé"}},
]


def write_all(path: Path, fmt: str) -> bytes:
    sink = FileSink(path, fmt, columns=COLUMNS)
    for record in RECORDS:
        sink.write(record)
    sink.close()
    return path.read_bytes()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_file_cut_at_any_byte_resumes_to_the_same_file(tmp_path: Path, fmt: str) -> None:
    """Cut after every byte (a kill can land anywhere): reopening keeps exactly the complete records, and writing
    the missing ones gives back the uncut file, byte for byte."""
    whole = write_all(tmp_path / f"whole.{fmt}", fmt)
    for cut in range(len(whole) + 1):
        path = tmp_path / f"cut.{fmt}"
        path.write_bytes(whole[:cut])
        sink = FileSink(path, fmt, columns=COLUMNS)
        kept = sink.ids
        assert kept == [r["id"] for r in RECORDS][: len(kept)], cut
        for record in RECORDS[len(kept) :]:
            sink.write(record)
        sink.close()
        assert path.read_bytes() == whole, cut
        assert sink.repaired == cut - _complete_prefix(cut, fmt), cut


def _complete_prefix(cut: int, fmt: str) -> int:
    """Length of the complete records (and header) within the first ``cut`` bytes."""
    ends = [0]
    if fmt == "csv":
        ends.append(len(encode_csv(list(COLUMNS))))
    for record in RECORDS:
        if fmt == "csv":
            line = encode_csv(row(record, COLUMNS))
        else:
            line = (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        ends.append(ends[-1] + len(line))
    return max(end for end in ends if end <= cut)


def test_the_csv_header_is_written_once(tmp_path: Path) -> None:
    """A new file gets the header; reopening it does not write it again."""
    path = tmp_path / "x.csv"
    FileSink(path, "csv", columns=COLUMNS).close()
    sink = FileSink(path, "csv", columns=COLUMNS)
    sink.write(RECORDS[0])
    sink.close()
    assert path.read_text() == "id,note,contact.firstName\na,plain,Ada\n"


def test_a_damaged_record_before_the_end_is_refused(tmp_path: Path) -> None:
    """Only the last record may be torn: damage in the middle is not repaired by cutting records off."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"id":"a"}\n{"id":"b",\n{"id":"c"}\n')
    with pytest.raises(ResumeError, match="line 2 is not a record"):
        FileSink(path, "jsonl")
    assert path.read_text() == '{"id":"a"}\n{"id":"b",\n{"id":"c"}\n'


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_file_another_export_writes_is_refused_before_it_is_read(tmp_path: Path, fmt: str) -> None:
    """While one sink holds the file, a second refuses it at once, without cutting off the first one's half-written
    record; once the first closes, the file opens again."""
    path = tmp_path / f"x.{fmt}"
    first = FileSink(path, fmt, columns=COLUMNS)
    first.write(RECORDS[0])
    with path.open("ab") as raw:  # the first export is in the middle of writing its next record
        raw.write(b'{"id":"b","no')
    during = path.read_bytes()
    with pytest.raises(OutputLocked, match=rf"{path} is being written by another export .* choose another --out"):
        FileSink(path, fmt, columns=COLUMNS)
    assert path.read_bytes() == during  # not repaired, not truncated, not appended to
    first.close()
    again = FileSink(path, fmt, columns=COLUMNS)
    assert again.ids == ["a"]
    again.close()


def test_a_refused_file_lets_its_lock_go(tmp_path: Path) -> None:
    """A file refused for resuming is not left locked: the next attempt is refused for the same reason."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"id":"a"}\nnot a record\n')
    for _ in range(2):
        with pytest.raises(ResumeError):
            FileSink(path, "jsonl")


def test_interval_union_counts_overlapping_waits_once() -> None:
    """Waits side by side count once; disjoint ones add up; touching ones merge; order does not matter."""
    union = IntervalUnion()
    for start, end in [(0, 10), (2, 10), (5, 8), (20, 25), (10, 12), (30, 31), (29.5, 30.5), (40, 40)]:
        union.add(start, end)
    assert union.total == pytest.approx(12 + 5 + 1.5)
    reverse = IntervalUnion()
    for start, end in [(30, 31), (0, 1), (15, 16), (0.5, 30.5)]:
        reverse.add(start, end)
    assert reverse.total == pytest.approx(31)


def test_a_wait_still_going_on_counts_while_it_lasts() -> None:
    """A sampled wait counts from when it was first seen, overlapping ended waits once, and is kept when it ends."""
    now = [0.0]
    stats = ExportStats(clock=lambda: now[0])
    stats.waits.add(-5.0, 2.0)  # an ended wait, partly before the sampled one
    now[0] = 1.0
    stats.sample_waiting(3)
    now[0] = 11.0
    assert stats.waited == pytest.approx(16.0)  # [-5, 11]
    stats.sample_waiting(2)  # still held: the start stays
    stats.waits.add(4.0, 6.0)  # a wait inside the sampled one ends
    now[0] = 13.0
    assert stats.waited == pytest.approx(18.0)
    stats.sample_waiting(0)
    now[0] = 20.0
    assert stats.waited == pytest.approx(18.0)
    assert stats.waiting_since is None


def test_the_eta_is_never_shorter_than_what_the_rate_limit_allows() -> None:
    """After a first window's burst the average rate promises seconds; the quota says how many windows are left."""
    now = [0.0]
    stats = ExportStats(clock=lambda: now[0], total=339)
    now[0] = 0.5
    stats.written, stats.requests = 49, 100  # one window's 100 requests, in half a second
    assert stats.eta == pytest.approx(290 / 98)  # the average rate alone
    stats.quota = (100, 6.0)
    assert stats.eta == pytest.approx(290 * (100 / 49) * 6 / 100)  # about 35.5 s: six windows of 6 s
    stats.written = 339
    assert stats.eta == 0.0


def test_status_line_and_summary_say_what_the_run_did() -> None:
    """The status line and the summary, from counters on a fake clock."""
    now = [100.0]
    stats = ExportStats(clock=lambda: now[0], present=20, total=120)
    now[0] = 110.0
    stats.written, stats.requests, stats.rate_limited, stats.retries = 50, 101, 0, 2
    stats.waits.add(100.0, 108.0)
    stats.absent = Counter({"recording": 3})
    assert status_line(stats) == (
        "70/120 records, 5.0/s, ETA 0:10, rate-limit wait 8.0 s, 0 × 429, 2 retries"  # noqa: RUF001
    )
    assert summary_lines(stats, what="calls", where="c.jsonl", ending="stopped", quota=(100, 6.0)) == [
        "export interrupted: 70 calls in c.jsonl (50 written now, 20 already there)",
        "101 requests in 10.0 s (50 per 6 s window on average over 2; the key allows 100); rate-limit wait 8.0 s, "
        "0 throttled (429), 2 retries",
        "not in the API (404, written as null or skipped): recording 3",
    ]
    # A run shorter than the window is read against the window, not as a rate per second above the limit's.
    assert (
        "(101 per 60 s window; the key allows 1000)"
        in summary_lines(stats, what="calls", where="c.jsonl", ending="complete", quota=(1000, 60.0))[1]
    )
    assert "(10.10/s)" in summary_lines(stats, what="calls", where="c.jsonl", ending="complete")[1]
    assert clock_text(3725) == "1:02:05"
    assert clock_text(None) == "?"


def test_resume_line_repeats_the_command_quoted() -> None:
    """The same command, shell-quoted; stdout says it cannot resume."""
    argv = ["export", "calls", "--out", "my calls.jsonl", "--include", "recording"]
    assert resume_line(argv, True) == (
        "to resume, run the same command: skipcall export calls --out 'my calls.jsonl' --include recording"
    )
    assert "cannot resume" in resume_line(argv, False)


def test_columns_of_a_call_spread_nested_models_and_keep_arrays_whole() -> None:
    """Nested models become dotted columns; arrays and free-form objects stay one column of JSON text."""
    assert model_columns(sc.Call)[-8:] == (
        "contact.id",
        "contact.firstName",
        "contact.lastName",
        "contact.isUnknown",
        "phoneNumber.value",
        "caller.firstName",
        "caller.lastName",
        "callerPhoneNumber.value",
    )
    assert "phoneNumbers" in model_columns(sc.Contact)
    assert "customFields" in model_columns(sc.Contact)
    assert [cell(v) for v in (None, True, False, 245, [1, "é"], {"a": 1}, "x")] == [
        "",
        "true",
        "false",
        "245",
        '[1,"é"]',
        '{"a":1}',
        "x",
    ]


def test_the_documented_csv_columns_are_the_exported_ones() -> None:
    """docs/cli.md lists the columns of a calls export with both parts exactly as the export writes them."""
    from skipcall_async.cli._jobs import call_columns

    text = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    documented = [line.split("`")[1] for line in text.splitlines() if line.startswith("| `") and "` |" in line]
    columns = call_columns(["recording", "transcription"])
    assert [c for c in documented if c in columns or "." in c or c[0].islower()][: len(columns)] == list(columns)


@pytest.mark.parametrize(
    ("error", "message", "code"),
    [
        (sc.AuthenticationError("Invalid API key", status=401, code="API_KEY_INVALID"), "the API key was refused", 1),
        (sc.PermissionDeniedError("no", status=403, code="PLAN_NOT_ELIGIBLE"), "subscription gives no API access", 1),
        (sc.NotFoundError("Call not found", status=404), "not found (404): Call not found", 1),
        (sc.BadRequestError("size too big", status=400), "the API refused the request (400): size too big", 1),
        (
            sc.RateLimitWaitError("wait", retry_after=900.0),
            "the rate limit would hold the request for 900 s, more than --max-rate-limit-wait 300 s",
            1,
        ),
        (sc.TooManyRequestsError("slow down", retry_after=12.0), "rate limited (429)", 1),
        (sc.ServerError("boom", status=502), "the API failed (502)", 1),
        (sc.APITimeoutError("timeout"), "no answer within --timeout 30 s", 1),
        (sc.APIConnectionError("Connection refused"), "cannot reach the API: Connection refused", 1),
        (sc.DecodeError("not JSON", status=200), "unexpected answer from the API", 1),
        (sc.ConfigurationError("base_url must use https"), "base_url must use https", 2),
        (ValueError("size must be an int from 1 to 100"), "size must be an int from 1 to 100", 2),
    ],
)
def test_each_failure_is_one_line_with_its_exit_code(error: BaseException, message: str, code: int) -> None:
    """Every kind of failure has its own one-line message and exit code."""
    text, exit_code = describe(error, Settings())
    assert message in text
    assert "\n" not in text
    assert exit_code == code


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_library_never_imports_click_or_rich() -> None:
    """Importing the package, its testing module and making a client leaves click and rich unimported."""
    result = run_python(
        "import sys, skipcall_async, skipcall_async.testing\n"
        "skipcall_async.SkipcallClient('k', base_url='http://127.0.0.1:9')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich')))"
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_without_the_extra_the_command_says_what_to_install() -> None:
    """With click missing, ``skipcall`` prints the pip command for the extra and exits 2."""
    result = run_python(
        "import sys; sys.modules['click'] = None\n"
        "import importlib.util; real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'click' else real(name, *a)\n"
        "from skipcall_async.cli import main; main(['calls', 'list'])"
    )
    assert result.returncode == 2
    assert result.stderr == (
        'skipcall: the skipcall command needs the cli extra: pip install "skipcall-async[cli]" (click not installed)\n'
    )
