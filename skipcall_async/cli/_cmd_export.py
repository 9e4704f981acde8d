"""``skipcall export calls|contacts --out FILE``: every record to a file, concurrently, resumable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from pathlib import Path, PurePath
from typing import Any, Final

import click

from .._client import SkipcallClient
from .._errors import AuthenticationError, PermissionDeniedError
from .._priority import priority
from ._errors import EXIT_BUSY, EXIT_CLOSED_OUTPUT, EXIT_USAGE, fail
from ._jobs import PARTS, call_columns, calls_job, contact_columns, contacts_job
from ._lock import OutputLocked
from ._options import connection_options
from ._pipeline import Job, Outcome, run_export
from ._progress import make_display
from ._run import run
from ._settings import Settings, SettingsError
from ._signals import StopRequest
from ._sink import FileSink, ResumeError, Sink, StdoutSink
from ._stats import ExportStats
from ._summary import resume_line, summary_lines

ARGV: Final = "skipcall.argv"  # the command line as typed, kept by the root group for the resume hint
TICK: Final = 0.1  # seconds between looks at the client's quota (and refreshes of a display without records)


def parse_include(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    """``recording,transcription`` as a tuple in the order given, each part known and given once."""
    parts = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: the parts are {', '.join(PARTS)}")
    if len(set(parts)) != len(parts):
        raise click.BadParameter("a part is given twice")
    return parts


def export_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every export takes."""
    options = [
        click.option(
            "--out",
            required=True,
            type=click.Path(dir_okay=False, allow_dash=True),
            help="The output file, resumed if it exists; - for stdout (not resumable).",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(("jsonl", "csv")),
            default=None,
            help="jsonl or csv (default: csv for an --out ending in .csv, else jsonl).",
        ),
        click.option("--workspace", "workspaces", multiple=True, metavar="ID", help="Only this workspace (repeat)."),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Show progress on stderr (default: when stderr is a terminal).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


_SUFFIXES: Final = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def export_format(out: str, fmt: str | None) -> str:
    """The format asked for, else the one ``out``'s name says (``.csv``: csv), else JSON lines; a format that
    contradicts the name (``--out calls.csv --format jsonl``) is a usage error rather than a CSV-named file of JSON.
    """
    named = _SUFFIXES.get(PurePath(out).suffix.lower()) if out != "-" else None
    if fmt is None:
        return named or "jsonl"
    if named is not None and named != fmt:
        raise click.UsageError(
            f"--out {out} is named as {named} but --format is {fmt}: "
            f"drop --format (or pass --format {named}), or give --out a name ending in .{fmt}"
        )
    return fmt


@click.group("export")
def export() -> None:
    """Export every call or contact to a file: concurrent, at the plan's full rate, resumable."""


@export.command("calls")
@click.option(
    "--include",
    callback=parse_include,
    metavar="PARTS",
    help="Also fetch, for each call: recording, transcription (comma-separated).",
)
@export_options
@connection_options
def export_calls(
    include: tuple[str, ...],
    out: str,
    fmt: str | None,
    workspaces: tuple[str, ...],
    progress: bool | None,
    settings: Settings,
) -> None:
    """Every call, one JSON object per line (the API's JSON), or CSV with flattened columns."""
    fmt = export_format(out, fmt)
    ids = list(workspaces) or None
    execute(
        settings,
        what="calls",
        out=out,
        fmt=fmt,
        columns=call_columns(include),
        parts=include,
        optional=tuple(PARTS),
        progress=progress,
        make_job=lambda client, stats: calls_job(client, stats, include, ids),
    )


@export.command("contacts")
@click.option(
    "--sequence", "sequences", multiple=True, metavar="ID", help="The contacts of this sequence (repeat for several)."
)
@export_options
@connection_options
def export_contacts(
    sequences: tuple[str, ...],
    out: str,
    fmt: str | None,
    workspaces: tuple[str, ...],
    progress: bool | None,
    settings: Settings,
) -> None:
    """Every contact of the calls (or of --sequence), once each, fetched with get_contact."""
    fmt = export_format(out, fmt)
    if sequences and workspaces:
        raise click.UsageError("--workspace narrows the calls; it cannot be combined with --sequence")
    ids = list(workspaces) or None
    execute(
        settings,
        what="contacts",
        out=out,
        fmt=fmt,
        columns=contact_columns(),
        parts=(),
        optional=(),
        progress=progress,
        make_job=lambda client, stats: contacts_job(client, stats, ids, sequences),
    )


def open_sink(out: str, fmt: str, columns: tuple[str, ...], parts: Collection[str], optional: Collection[str]) -> Sink:
    """The output, locked, read back and repaired when it is a file; an error exit when it cannot be resumed now.

    Stdout needs no lock: each export has its own.
    """
    if out == "-":
        return StdoutSink(fmt, columns)
    try:
        return FileSink(Path(out), fmt, columns=columns, parts=tuple(parts), optional=tuple(optional))
    except OutputLocked as error:
        fail(str(error), EXIT_BUSY)
    except ResumeError as error:
        fail(str(error), EXIT_USAGE)
    except OSError as error:
        fail(f"cannot open --out {out}: {error.strerror}", EXIT_USAGE)


def execute(
    settings: Settings,
    *,
    what: str,
    out: str,
    fmt: str,
    columns: tuple[str, ...],
    parts: Collection[str],
    optional: Collection[str],
    progress: bool | None,
    make_job: Callable[[SkipcallClient, ExportStats], Job[Any]],
) -> None:
    """Open the output, run the export with a progress display and signal handling, then print the summary."""
    try:
        settings.api_key()  # a missing key is reported before the output is touched
    except SettingsError as error:
        fail(str(error), EXIT_USAGE)
    sink = open_sink(out, fmt, columns, parts, optional)
    if sink.repaired:
        click.echo(f"skipcall: cut a half-written last record off {sink.name} ({sink.repaired} bytes)", err=True)
    stats = ExportStats(present=len(sink.ids))
    if stats.present:
        click.echo(f"skipcall: resuming: {stats.present} {what} already in {sink.name}", err=True)
    display = make_display(stats, progress, what)
    refused: list[bool] = []  # the key was refused: running again cannot help, the error line says it all

    async def tick(client: SkipcallClient) -> None:
        """Count a wait for the rate limit while it lasts, and keep the display moving while no record arrives."""
        while True:
            state = client.rate_limit
            stats.sample_waiting(state.waiting)
            if state.limit is not None:
                stats.quota = (state.limit, state.window)
            display.update()
            await asyncio.sleep(TICK)

    async def work(client: SkipcallClient) -> tuple[Outcome, int]:
        with StopRequest(asyncio.get_running_loop()) as stop:
            display.start()
            ticker = asyncio.ensure_future(tick(client))
            try:
                with priority("bulk"):  # an export is bulk work: interactive calls on the key go first
                    outcome = await run_export(make_job(client, stats), sink, stats, display, stop.event)
            except (AuthenticationError, PermissionDeniedError):
                refused.append(True)
                raise
            finally:
                ticker.cancel()
                stats.sample_waiting(0)
                display.stop()
                sink.close()
                state = client.rate_limit
                if state.limit is not None:
                    stats.quota = (state.limit, state.window)
            return outcome, stop.exit_code

    argv = click.get_current_context().meta.get(ARGV, [])

    def report(ending: str) -> None:
        lines = summary_lines(stats, what=what, where=sink.name, ending=ending, quota=stats.quota)
        if ending != "complete":
            lines.append(resume_line(argv, sink.resumable))
        for line in lines:
            click.echo(f"skipcall: {line}", err=True)

    try:
        outcome, code = run(settings, work, **stats.hooks())
    except click.exceptions.Exit as stop:
        if stop.exit_code != EXIT_CLOSED_OUTPUT and (stats.written or not refused):
            report("failed")
        raise
    if outcome is Outcome.STOPPED:
        report("stopped")
        raise click.exceptions.Exit(code)
    report("complete")
