"""The export's progress on stderr: a live bar on a terminal, a line every few seconds when forced elsewhere."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Column
from rich.text import Text

from ._stats import ExportStats, status_line


class Display(Protocol):
    """Shows an export's progress."""

    def start(self) -> None:
        """Begin showing."""

    def update(self) -> None:
        """The counters changed."""

    def stop(self) -> None:
        """Stop showing (the summary follows)."""


class NoDisplay:
    """Nothing: stderr is not a terminal and ``--progress`` was not given."""

    def start(self) -> None:
        """Nothing to begin."""

    def update(self) -> None:
        """Nothing to show."""

    def stop(self) -> None:
        """Nothing to stop."""


class LineDisplay:
    """A status line every ``every`` seconds, for a log file or CI output (``--progress`` off a terminal)."""

    def __init__(self, stats: ExportStats, stream: TextIO, every: float = 5.0) -> None:
        self.stats = stats
        self.stream = stream
        self.every = every
        self._last = float("-inf")

    def start(self) -> None:
        """Nothing is printed before the first records."""

    def update(self) -> None:
        """Print the status line if the last one is ``every`` seconds old."""
        now = self.stats.clock()
        if now - self._last >= self.every:
            self._last = now
            self.stream.write(f"skipcall: {status_line(self.stats)}\n")
            self.stream.flush()

    def stop(self) -> None:
        """The summary says the rest."""


class _StatusColumn(ProgressColumn):
    """The status line, read from the counters at each refresh so the rate-limit wait moves while records do not."""

    def __init__(self, stats: ExportStats) -> None:
        super().__init__(table_column=Column(no_wrap=True, overflow="ellipsis"))
        self.stats = stats

    def render(self, task: Task) -> Text:
        return Text(status_line(self.stats))


class RichDisplay:
    """A live progress bar on the terminal."""

    def __init__(self, stats: ExportStats, console: Console, what: str) -> None:
        self.stats = stats
        self.progress = Progress(
            TextColumn(f"[bold]{what}"),
            BarColumn(bar_width=12),
            _StatusColumn(stats),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task(what, total=stats.total, completed=stats.done)

    def start(self) -> None:
        """Show the bar."""
        self.progress.start()

    def update(self) -> None:
        """Move the bar."""
        self.progress.update(self.task, total=self.stats.total, completed=self.stats.done)

    def stop(self) -> None:
        """Leave the final bar on screen."""
        self.update()
        self.progress.stop()


def make_display(stats: ExportStats, progress: bool | None, what: str) -> Display:
    """The display for ``--progress/--no-progress`` (None: on when stderr is a terminal)."""
    stream = sys.stderr
    terminal = stream.isatty()
    if not (terminal if progress is None else progress):
        return NoDisplay()
    if terminal:
        return RichDisplay(stats, Console(file=stream), what)
    return LineDisplay(stats, stream)
