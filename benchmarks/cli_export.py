"""The ``skipcall`` command's export against the rate limit: utilization of the ideal and 429s.

For each server rule, the fake server runs as a process with the one-minute window shortened by
``--time-scale``, and ``skipcall export calls --include recording,transcription`` runs as a process against it:
one request per page of calls, then a recording and a transcription for each call (the API has no recording or
transcription for some calls: their 404s count against the limit like any request).

Utilization is defined as in ``rate_limit.py``: the ideal time (the earliest the rule can admit every request the
export sent, ``floor((requests - 1) / limit)`` windows under these rules) divided by the wall time. Two wall
times are printed: the export's own (its summary's "in X s", from the first request being queued to the last
record written) and the whole process's (interpreter start and imports included). Requests, 429s and retries are
read from the command's summary; the file is checked to hold every call once.

By default the export states the window with ``--rate-limit-window``, as ``rate_limit.py`` states it to the
client. ``--window learned`` leaves it to be learned from the headers: the server's resets are whole seconds, so
the client may start each window up to a second late; at a window shortened to 12 s or 6 s that second weighs
five or ten times what it weighs against the real one-minute window.

    python benchmarks/cli_export.py                  # about 2.5 minutes
    python benchmarks/cli_export.py --window both --time-scale 10 --rule sliding-log
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from skipcall_async.testing import DEFAULT_KEY

# Rules under which the ideal is a whole number of windows from the first request (see rate_limit.py).
RULES = ("fixed-first", "sliding-log", "nestjs-throttler", "seconds-until-reset")
SUMMARY = re.compile(
    r"(?P<requests>\d+) requests in (?P<elapsed>[\d.]+) s .*; rate-limit wait (?P<wait>[\d.]+) s, "
    r"(?P<throttled>\d+) throttled \(429\), (?P<retries>\d+) retries"
)


@contextmanager
def server_process(*args: str) -> Iterator[str]:
    """``python -m skipcall_async.testing`` as a process; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.testing", "--port", "0", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split(" on ")[1].split(" ")[0]
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def skipcall_command() -> list[str]:
    """The installed console script beside this Python, else the same command through ``python -m``."""
    script = Path(sys.executable).parent / "skipcall"
    return [str(script)] if script.exists() else [sys.executable, "-m", "skipcall_async.cli"]


def run(rule: str, limit: int, time_scale: float, stated: bool) -> dict[str, float]:
    """One export against a fresh server under ``rule``, the window stated with ``--rate-limit-window`` or not."""
    window = 60.0 / time_scale
    server_args = ["--limit", str(limit), "--time-scale", str(time_scale), "--rule", rule]
    with server_process(*server_args) as url, tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "calls.jsonl"
        command = [*skipcall_command(), "export", "calls", "--out", str(out), "--include", "recording,transcription"]
        if stated:
            command += ["--rate-limit-window", f"{window:g}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKIPCALL_")}
        env |= {"SKIPCALL_API_KEY": DEFAULT_KEY, "SKIPCALL_BASE_URL": url}
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"the export failed ({result.returncode}):\n{result.stderr}")
        ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    match = SUMMARY.search(result.stderr)
    if match is None:
        raise SystemExit(f"no summary in the command's stderr:\n{result.stderr}")
    requests = int(match["requests"])
    ideal = math.floor((requests - 1) / limit) * window
    elapsed = float(match["elapsed"])
    return {
        "window": window,
        "calls": len(ids),
        "duplicates": len(ids) - len(set(ids)),
        "requests": requests,
        "ideal": ideal,
        "elapsed": elapsed,
        "wall": wall,
        "throttled": int(match["throttled"]),
        "retries": int(match["retries"]),
        "wait": float(match["wait"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=100, help="requests per window (the starter plan's)")
    parser.add_argument("--time-scale", type=float, default=5.0, help="5: the one-minute window lasts 12 s")
    parser.add_argument(
        "--rule", action="append", choices=RULES, help="repeatable (default: fixed-first, nestjs-throttler)"
    )
    parser.add_argument(
        "--window",
        choices=("stated", "learned", "both"),
        default="stated",
        help="run with --rate-limit-window (as rate_limit.py states the window), without it, or both",
    )
    args = parser.parse_args()
    modes = {"stated": [True], "learned": [False], "both": [True, False]}[args.window]
    rules = args.rule or ["fixed-first", "nestjs-throttler"]
    print(
        f"skipcall export calls --include recording,transcription; {args.limit} requests per "
        f"{60 / args.time_scale:g} s window; command: {' '.join(skipcall_command())}\n"
    )
    header = (
        f"{'rule':20} {'window':7} {'calls':>5} {'dup':>3} {'requests':>8} {'ideal s':>7} {'export s':>8} {'util':>5} "
        f"{'process s':>9} {'util':>5} {'429s':>4} {'retries':>7}"
    )
    print(header)
    print("-" * len(header))
    for rule in rules:
        for stated in modes:
            f = run(rule, args.limit, args.time_scale, stated)
            print(
                f"{rule:20} {'stated' if stated else 'learned':7} {f['calls']:5d} {f['duplicates']:3d} "
                f"{f['requests']:8d} {f['ideal']:7.2f} "
                f"{f['elapsed']:8.2f} {f['ideal'] / f['elapsed']:5.3f} {f['wall']:9.2f} "
                f"{f['ideal'] / f['wall']:5.3f} {f['throttled']:4d} {f['retries']:7d}"
            )


if __name__ == "__main__":
    main()
