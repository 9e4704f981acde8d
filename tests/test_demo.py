"""The demo: the main job on an embedded fake server, ending with its summary."""

from __future__ import annotations

import io

import pytest

from skipcall_async._demo import ideal_seconds, main, run_demo


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
