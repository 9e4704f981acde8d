"""The root ``skipcall`` group: every command registered, and the command line kept for resume hints."""

from __future__ import annotations

from typing import Any

import click

from .._version import __version__
from ._cmd_calls import calls
from ._cmd_contacts import contacts
from ._cmd_export import ARGV, export
from ._cmd_organization import health, users, workspaces
from ._cmd_rate_limit import rate_limit
from ._cmd_sequences import sequences
from ._cmd_stats import stats
from ._cmd_tags import tags


class _Root(click.Group):
    """A group that keeps the arguments it was given, so an interrupted export can print the same command."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        argv = list(args)
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[ARGV] = argv
        return ctx


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="skipcall")
@click.option("--verbose", "-v", is_flag=True, help="Show the SDK's log on stderr (also after the command's name).")
def cli(verbose: bool) -> None:
    """The Skipcall Public API from a shell: every operation, resumable exports, the key's quota.

    The key comes from SKIPCALL_API_KEY (or --api-key-file on any command). Exit codes: 0 ok, 1 API or network
    error, 2 usage error, 130 interrupted (Ctrl-C), 141 stdout closed by its reader, 143 terminated (SIGTERM).
    """


for command in (calls, contacts, sequences, tags, users, workspaces, stats, health, rate_limit, export):
    cli.add_command(command)
