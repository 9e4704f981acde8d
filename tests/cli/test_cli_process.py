"""``skipcall export`` as a real process against the fake server run as a process: kill, interrupt, resume, overlap.

Every server here is ``python -m skipcall_async.testing`` with the same seed, so they hold the same calls. An
unthrottled one gives the reference export and serves the runs that resume. A throttled one admits 100 requests
in a minute (about 49 calls with both parts), then holds the export until the window ends: an interrupted run
has always stopped partway, whatever the machine's load, and no test waits for the window.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli import SCRIPT, command_env, server_process, skipcall

INCLUDE = ("--include", "recording,transcription")
THROTTLED = ("--plan", "starter", "--limit", "100", "--rule", "fixed-first")  # 100 requests, then a 60 s wait
# 600 of the export's 682 requests at once, then a wait until the 5 s window ends: long enough for another
# command to start beside it, short enough to wait for the export to complete.
ONE_PAUSE = ("--plan", "starter", "--limit", "600", "--rule", "fixed-first", "--time-scale", "12")
EXIT_BUSY = 75
TIMEOUT = 120  # seconds a run may take on a loaded machine; a run here takes one or two


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    """An unthrottled server for the module; yields its URL."""
    with server_process("--limit", "1000000") as url:
        yield url


@pytest.fixture(scope="module")
def reference(api: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An uninterrupted export with both parts."""
    out = tmp_path_factory.mktemp("reference") / "calls.jsonl"
    process = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(api))
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    return out.read_bytes()


@pytest.fixture
def throttled() -> Iterator[str]:
    """A server whose first window admits 100 requests; each test gets a fresh one (it spends the window)."""
    with server_process(*THROTTLED) as url:
        yield url


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[str]) -> None:
    """Wait until ``path`` holds ``count`` complete lines: the export is under way."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {count} lines")


def ids_of(data: bytes) -> list[str]:
    """The ids of JSON lines; every line must be valid JSON."""
    return [json.loads(line)["id"] for line in data.splitlines()]


def resume(out: Path, reference: bytes, url: str) -> str:
    """Run the same command again; the file must then equal the reference export. Returns the run's stderr."""
    again = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(url))
    _, stderr = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 0, stderr
    data = out.read_bytes()
    ids = ids_of(data)  # every line valid JSON
    assert len(ids) == len(set(ids))  # none duplicated
    assert ids == ids_of(reference)  # none lost, in the listing's order
    assert data == reference  # each record byte for byte as the uninterrupted export wrote it
    return stderr


@pytest.mark.slow
def test_sigkill_mid_export_then_the_same_command_completes_it(
    api: str, reference: bytes, throttled: str, tmp_path: Path
) -> None:
    """SIGKILL partway, the last line left half-written; the rerun cuts it off and ends equal to the reference."""
    out = tmp_path / "calls.jsonl"
    process = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(throttled))
    wait_for_lines(out, 20, process)
    process.kill()
    process.communicate(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGKILL
    data = out.read_bytes()
    assert reference.startswith(data[: data.rfind(b"\n") + 1])  # what was written whole is the reference's start
    # A kill inside a write leaves part of a line; cut the last line in half so that case is tested every time.
    complete = data[: data.rfind(b"\n") + 1]
    last_start = complete.rfind(b"\n", 0, len(complete) - 1) + 1
    torn = complete[: last_start + (len(complete) - last_start) // 2]
    out.write_bytes(torn)
    kept = torn.count(b"\n")
    assert 19 <= kept < len(reference.splitlines())
    stderr = resume(out, reference, api)
    assert f"skipcall: cut a half-written last record off {out} ({len(torn) - last_start} bytes)" in stderr
    assert f"skipcall: resuming: {kept} calls already in {out}" in stderr
    assert f"skipcall: export complete: {len(reference.splitlines())} calls in {out}" in stderr


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_finishes_the_writes_says_how_to_resume_and_exits(
    api: str, reference: bytes, throttled: str, tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    """SIGINT (Ctrl-C) or SIGTERM: the records fetched are written whole, the summary and the command to resume
    are printed, the exit code is 130 or 143, and the same command then completes the file."""
    out = tmp_path / "calls.jsonl"
    process = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(throttled))
    wait_for_lines(out, 20, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == code, stderr
    data = out.read_bytes()
    assert data.endswith(b"\n")  # no half-written line: the write in flight was finished
    assert reference.startswith(data)  # and everything before it is the reference's start
    written = data.count(b"\n")
    assert 20 <= written < len(reference.splitlines())
    summary = stderr.splitlines()
    assert f"skipcall: export interrupted: {written} calls in {out} ({written} written now, 0 already there)" in summary
    assert summary[-1] == (
        f"skipcall: to resume, run the same command: skipcall export calls --out {out} "
        "--include recording,transcription"
    )
    assert "Traceback" not in stderr
    stderr = resume(out, reference, api)
    assert f"skipcall: resuming: {written} calls already in {out}" in stderr


@pytest.mark.slow
def test_a_second_export_to_the_same_file_exits_at_once_and_the_first_completes(
    reference: bytes, tmp_path: Path
) -> None:
    """Two exports to one file (a cron overlap): the second exits 75 with one line while the first still runs, and
    the first's file ends equal to an uninterrupted export: nothing appended beside it, nothing cut off."""
    out = tmp_path / "calls.jsonl"
    with server_process(*ONE_PAUSE) as url:
        first = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(url))
        wait_for_lines(out, 20, first)
        second = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(url))
        stdout, stderr = second.communicate(timeout=TIMEOUT)
        first_still_running = first.poll() is None
        _, first_stderr = first.communicate(timeout=TIMEOUT)
    assert second.returncode == EXIT_BUSY, stderr
    assert stderr == (
        f"skipcall: error: {out} is being written by another export (it holds the file's lock): "
        "wait for that one to end, or choose another --out\n"
    )
    assert stdout == ""
    assert first_still_running  # the second did not wait for the lock: it gave up while the first held it
    assert first.returncode == 0, first_stderr
    assert f"skipcall: export complete: {len(reference.splitlines())} calls in {out}" in first_stderr
    assert out.read_bytes() == reference


def test_csv_export_as_a_process_has_the_documented_header(api: str, reference: bytes, tmp_path: Path) -> None:
    """CSV with the flattened header (the call's columns, then each part's), then one row per call, in order."""
    out = tmp_path / "calls.csv"
    process = skipcall("export", "calls", "--out", str(out), "--format", "csv", *INCLUDE, env=command_env(api))
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    with out.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    assert header[:3] == ["id", "callType", "phoneNumberId"]
    assert {"contact.firstName", "caller.lastName", "recording.duration", "transcription.status"} <= set(header)
    assert header.index("recording.id") < header.index("transcription.id")
    assert [row[0] for row in rows[1:]] == ids_of(reference)
    first = json.loads(reference.splitlines()[0])
    cells = dict(zip(header, rows[1], strict=True))
    assert cells["contact.firstName"] == (first["contact"] or {}).get("firstName", "")


def test_a_bad_key_is_one_line_exit_1_and_never_printed(api: str, tmp_path: Path) -> None:
    """A refused key: exit 1, exactly one line on stderr, the key nowhere, nothing written."""
    secret = "sk_live_do_not_print_me_0123456789"
    out = tmp_path / "calls.jsonl"
    process = skipcall("export", "calls", "--out", str(out), *INCLUDE, env=command_env(api, key=secret))
    stdout, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 1
    assert stderr == (
        "skipcall: error: the API key was refused (401 UNAUTHORIZED): check SKIPCALL_API_KEY or --api-key-file\n"
    )
    assert secret not in stdout + stderr
    assert out.read_bytes() == b""


@pytest.mark.skipif(not SCRIPT.exists(), reason="the skipcall console script is not installed in this environment")
def test_the_console_script_runs_the_command(api: str) -> None:
    """The installed ``skipcall`` script is this command: ``health`` through it prints the API's answer."""
    result = subprocess.run(
        [str(SCRIPT), "health", "--format", "json"],
        env=command_env(api),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok"


@pytest.mark.parametrize(
    "args", [("export", "calls", "--out", "-"), ("calls", "list", "--all")], ids=["export", "list"]
)
def test_a_reader_that_stops_early_ends_the_command_quietly(api: str, args: tuple[str, ...]) -> None:
    """``skipcall ... | head -n 1``: once the reader has gone, exit 141 as a command killed by SIGPIPE, no error."""
    process = skipcall(*args, env=command_env(api))
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    process.stdout.close()  # the reader goes away with most of the output unread (more than a pipe holds)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert first["id"]
    assert process.returncode == 141, stderr
    assert "error" not in stderr
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
