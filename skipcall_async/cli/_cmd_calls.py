"""``skipcall calls``: list calls, get one, its recording and its transcription."""

from __future__ import annotations

import click

from .._models import Call
from ._options import connection_options, format_option, list_options
from ._render import resolve_format
from ._run import run
from ._settings import Settings
from ._show import print_one, print_pages

workspace_option = click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID", help="Only this workspace (repeat for several)."
)


@click.group("calls")
def calls() -> None:
    """Calls: list them, get one, its recording and its transcription."""


@calls.command("list")
@workspace_option
@list_options
@format_option
@connection_options
def list_calls(
    workspaces: tuple[str, ...], every_page: bool, page: int, size: int, fmt: str | None, settings: Settings
) -> None:
    """List the calls in the key's workspaces."""
    ids = list(workspaces) or None
    fmt = resolve_format(fmt)
    run(
        settings,
        lambda client: print_pages(
            lambda p, s: client.list_calls(workspace_ids=ids, page=p, size=s),
            Call,
            fmt,
            every_page=every_page,
            page=page,
            size=size,
        ),
    )


@calls.command("get")
@click.argument("call_id", metavar="ID")
@format_option
@connection_options
def get_call(call_id: str, fmt: str | None, settings: Settings) -> None:
    """One call, with its contact, numbers and caller."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.get_call(call_id), fmt))


@calls.command("recording")
@click.argument("call_id", metavar="ID")
@format_option
@connection_options
def get_recording(call_id: str, fmt: str | None, settings: Settings) -> None:
    """The recording metadata of a call."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.get_call_recording(call_id), fmt))


@calls.command("transcription")
@click.argument("call_id", metavar="ID")
@format_option
@connection_options
def get_transcription(call_id: str, fmt: str | None, settings: Settings) -> None:
    """The transcript and summary of a call."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.get_call_transcription(call_id), fmt))
