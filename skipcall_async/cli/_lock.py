"""An exclusive lock on an export's output file, so that two exports never append to one file.

The lock is ``flock`` on the open output file, taken without waiting and held until the export closes it. The
operating system releases it when the process ends in any way, SIGKILL included, so a killed export never
leaves a stale lock behind and the same command resumes at once. Where there is no ``flock`` (Windows), the
file is not locked.
"""

from __future__ import annotations

from typing import BinaryIO


class OutputLocked(Exception):
    """Another process holds the output file's lock: another export is writing to it."""


def lock_exclusively(file: BinaryIO, name: str) -> None:
    """Take ``file``'s exclusive lock now, or raise `OutputLocked` if another open file of it holds the lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows has no flock
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputLocked(
            f"{name} is being written by another export (it holds the file's lock): "
            "wait for that one to end, or choose another --out"
        ) from None
