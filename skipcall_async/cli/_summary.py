"""The lines an export prints when it ends: what the file holds, what it cost, and how to resume."""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterable

from ._stats import ExportStats

ENDINGS = {
    "complete": "export complete",
    "stopped": "export interrupted",
    "failed": "export failed",
}


def summary_lines(
    stats: ExportStats, *, what: str, where: str, ending: str, quota: tuple[int, float] | None = None
) -> list[str]:
    """The summary: records in the output, requests, time, rate-limit wait, 429s, retries and 404s.

    Args:
        stats: The run's counters.
        what: ``calls`` or ``contacts``.
        where: The output's name.
        ending: ``complete``, ``stopped`` or ``failed``.
        quota: The key's (limit, window in seconds), when known.
    """
    elapsed = stats.elapsed
    lines = [
        f"{ENDINGS[ending]}: {stats.done} {what} in {where} ({stats.written} written now, "
        f"{stats.present} already there)",
        f"{stats.requests} requests in {elapsed:.1f} s ({_pace(stats.requests, elapsed, quota)}); rate-limit wait "
        f"{stats.waited:.1f} s, {stats.rate_limited} throttled (429), {stats.retries} retries",
    ]
    if stats.absent:
        lines.append(
            "not in the API (404, written as null or skipped): "
            + ", ".join(f"{name} {count}" for name, count in sorted(stats.absent.items()))
        )
    return lines


def _pace(requests: int, elapsed: float, quota: tuple[int, float] | None) -> str:
    """How fast the run went, in the quota's own terms when it is known: requests per window, averaged over the
    windows the run overlapped, beside the window's limit (a rate per second of a run shorter than a window
    would read as a broken limit: 126 requests in 0.1 s are 1260/s, and well within 1000 per 60 s)."""
    if quota is None:
        return f"{requests / elapsed if elapsed > 0 else 0.0:.2f}/s"
    limit, window = quota
    windows = max(1, math.ceil(elapsed / window))
    per = "window" if windows == 1 else f"window on average over {windows}"
    return f"{requests / windows:.0f} per {window:.3g} s {per}; the key allows {limit}"


def resume_line(argv: Iterable[str], resumable: bool) -> str:
    """How to go on: the same command, or why it cannot resume."""
    if not resumable:
        return "output to stdout (--out -) cannot resume: give --out FILE to export resumably"
    return "to resume, run the same command: " + shlex.join(["skipcall", *argv])
