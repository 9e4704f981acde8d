"""The lines an export prints when it ends: what the file holds, what it cost, and how to resume."""

from __future__ import annotations

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
    rate = stats.requests / elapsed if elapsed > 0 else 0.0
    allowed = f"; the key allows {quota[0]} per {quota[1]:.3g} s" if quota else ""
    lines = [
        f"{ENDINGS[ending]}: {stats.done} {what} in {where} ({stats.written} written now, "
        f"{stats.present} already there)",
        f"{stats.requests} requests in {elapsed:.1f} s ({rate:.2f}/s{allowed}); rate-limit wait "
        f"{stats.waited:.1f} s, {stats.rate_limited} throttled (429), {stats.retries} retries",
    ]
    if stats.absent:
        lines.append(
            "not in the API (404, written as null or skipped): "
            + ", ".join(f"{name} {count}" for name, count in sorted(stats.absent.items()))
        )
    return lines


def resume_line(argv: Iterable[str], resumable: bool) -> str:
    """How to go on: the same command, or why it cannot resume."""
    if not resumable:
        return "output to stdout (--out -) cannot resume: give --out FILE to export resumably"
    return "to resume, run the same command: " + shlex.join(["skipcall", *argv])
