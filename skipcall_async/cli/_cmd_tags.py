"""``skipcall tags``: create and delete call-outcome tags."""

from __future__ import annotations

from typing import TextIO

import click

from ._body import load_body, merge
from ._options import body_option, connection_options, format_option
from ._render import resolve_format
from ._run import run
from ._settings import Settings
from ._show import print_one


@click.group("tags")
def tags() -> None:
    """Call-outcome tags: create and delete one."""


@tags.command("create")
@click.option("--label")
@click.option("--success/--no-success", "is_success_tag", default=None, help="Whether the tag marks a success.")
@body_option
@format_option
@connection_options
def create_tag(
    label: str | None, is_success_tag: bool | None, body_file: TextIO | None, fmt: str | None, settings: Settings
) -> None:
    """Create a tag: --label, or {"label": ..., "isSuccessTag": ...} in --body."""
    kwargs = merge(
        load_body(body_file), {"label": label, "is_success_tag": is_success_tag}, ("label", "is_success_tag")
    )
    if "label" not in kwargs:
        raise click.UsageError("missing --label (or label in --body)")
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.create_tag(**kwargs), fmt))


@tags.command("delete")
@click.argument("tag_id", metavar="ID")
@connection_options
def delete_tag(tag_id: str, settings: Settings) -> None:
    """Delete a tag (the API refuses to delete a workspace's last success tag)."""
    run(settings, lambda client: client.delete_tag(tag_id))
    click.echo(f"deleted tag {tag_id}", err=True)
