"""Ctrl-C and SIGTERM during an export: the first asks it to stop cleanly, a second one stops it at once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from types import TracebackType

from ._errors import EXIT_INTERRUPTED, EXIT_TERMINATED

EXIT_CODES = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}


class StopRequest:
    """Turns SIGINT and SIGTERM into an event while it is entered (``with StopRequest(loop) as stop:``).

    The first signal sets `event` and records which signal came; the export then stops sending, writes what
    has arrived, and exits with `exit_code`. A second signal raises `KeyboardInterrupt` at once (the file stays
    resumable: a half-written last record is repaired on the next run).

    Attributes:
        event: Set by the first signal.
        signum: The first signal received (None before).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.signum: signal.Signals | None = None
        self._installed: list[signal.Signals] = []

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C (SIGINT), 143 after SIGTERM."""
        return EXIT_CODES[self.signum] if self.signum is not None else EXIT_INTERRUPTED

    def _received(self, signum: signal.Signals) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signum = signum
        self.event.set()

    def __enter__(self) -> StopRequest:
        for signum in EXIT_CODES:
            try:
                self.loop.add_signal_handler(signum, self._received, signum)
            except (NotImplementedError, RuntimeError):  # no signal handlers here (Windows, a thread)
                continue
            self._installed.append(signum)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        for signum in self._installed:
            with contextlib.suppress(Exception):
                self.loop.remove_signal_handler(signum)
