"""The demo: the main job on an embedded fake server, ending with its summary."""

from __future__ import annotations

import io
import sys

import pytest

from skipcall_async._demo import fleet as demo_module
from skipcall_async._demo.command import main
from skipcall_async._demo.fleet import demo_redis
from skipcall_async._demo.one_process import ideal_seconds, run_demo
from skipcall_async._demo.redis_server import INSTALL_HINT
from support.redis_servers import free_port


@pytest.mark.slow
async def test_the_demo_fetches_everything_without_a_single_429() -> None:
    """A small demo run fetches every call, reports zero 429s and a utilization near 1."""
    out = io.StringIO()
    summary = await run_demo(plan="starter", calls=150, time_scale=60.0, faults="none", out=out)
    assert summary["records"] == 150
    assert summary["rate_limited"] == 0
    assert summary["ideal"] == 1.0
    assert 0.5 < summary["utilization"] <= 1.05
    text = out.getvalue()
    assert "records fetched: 150 calls" in text
    assert "429s received: 0" in text


def test_ideal_time_counts_whole_windows() -> None:
    """100 per window: 100 requests fit the first window, 101 need a second."""
    assert ideal_seconds(100, 100, 6.0) == 0.0
    assert ideal_seconds(101, 100, 6.0) == 6.0
    assert ideal_seconds(300, 100, 6.0) == 12.0


def test_the_command_line_rejects_a_bad_call_count(capsys) -> None:  # type: ignore[no-untyped-def]
    """--calls 0 is a usage error, not a crash."""
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--calls", "0"])
    assert exit_.value.code == 2
    assert "--calls" in capsys.readouterr().err


def fleet_rows(text: str) -> dict[str, list[str]]:
    """The fleet table's rows by first word: process number, ``fleet``, ``ideal``, ``utilization`` (first seen)."""
    rows = {}
    for line in text.splitlines():
        words = line.split()
        if words and (words[0].isdigit() or words[0] in ("fleet", "ideal", "utilization")):
            rows.setdefault(words[0], words[1:])
    return rows


@pytest.mark.slow
@pytest.mark.redis
def test_the_fleet_demo_shares_the_quota_through_redis_and_trips_it_without(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes, 120 calls, 100 per 2 s: 429s on their own, none through a private redis-server, all fetched."""
    monkeypatch.delenv("SKIPCALL_REDIS_URL", raising=False)
    code = main(["demo", "--processes", "2", "--calls", "120", "--time-scale", "30"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "a private redis-server" in text
    rows = fleet_rows(text)
    alone, shared = rows["fleet"][:3], rows["fleet"][3:]
    assert alone[0] == shared[0] == "120/120"
    assert int(alone[1]) > 0
    assert int(shared[1]) == 0
    assert rows["1"][0] == rows["1"][3] == rows["2"][0] == rows["2"][3] == "60/60"
    assert float(rows["ideal"][1]) == 2.0
    assert float(rows["utilization"][1]) >= 0.8, text  # a 2 s window on a loaded machine


@pytest.mark.slow
def test_the_fleet_demo_without_a_redis_server_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Redis anywhere: the half without shared state still runs, then the install hint, and exit code 2."""
    monkeypatch.delenv("SKIPCALL_REDIS_URL", raising=False)
    monkeypatch.setattr(demo_module, "find_redis_server", lambda: None)
    code = main(["demo", "--processes", "2", "--calls", "4", "--time-scale", "60"])
    text = capsys.readouterr().out
    assert code == 2
    assert fleet_rows(text)["fleet"][0] == "4/4"
    assert "through Redis" not in text
    assert text.rstrip().endswith(INSTALL_HINT)


def test_the_fleet_demo_names_the_redis_package_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without redis-py the Redis half cannot run: the message says which extra to install."""
    monkeypatch.setitem(sys.modules, "redis", None)
    with demo_redis() as redis:
        assert redis.url is None
        assert 'pip install "skipcall-async[redis]"' in redis.problem


@pytest.mark.parametrize("form", ["redis://:hunter2@127.0.0.1:{port}/0", "redis://127.0.0.1:{port}/0?password=hunter2"])
def test_the_fleet_demo_reports_a_redis_url_that_does_not_answer(monkeypatch: pytest.MonkeyPatch, form: str) -> None:
    """SKIPCALL_REDIS_URL pointing at a closed port: no Redis half, and the URL without its password in the reason."""
    monkeypatch.setenv("SKIPCALL_REDIS_URL", form.format(port=free_port()))
    with demo_redis() as redis:
        assert redis.url is None
        assert "does not answer" in redis.problem
        assert "hunter2" not in redis.problem + redis.where


@pytest.mark.parametrize("processes", ["1", "0", "-3"])
def test_the_command_line_wants_at_least_two_processes(capsys: pytest.CaptureFixture[str], processes: str) -> None:
    """--processes below 2 is a usage error that says why."""
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--processes", processes])
    assert exit_.value.code == 2
    assert "--processes must be at least 2" in capsys.readouterr().err
