"""``skipcall users``, ``skipcall workspaces`` and ``skipcall health``."""

from __future__ import annotations

import click

from .._client import SkipcallClient
from .._models import OrganizationUser, Workspace, WorkspaceMember
from ._cmd_calls import workspace_option
from ._columns import model_columns
from ._options import connection_options, format_option, list_options
from ._render import ListWriter, resolve_format
from ._run import run
from ._settings import Settings
from ._show import print_one, print_pages


@click.group("users")
def users() -> None:
    """The organisation's users who can reach the key's workspaces."""


@users.command("list")
@workspace_option
@list_options
@format_option
@connection_options
def list_users(
    workspaces: tuple[str, ...], every_page: bool, page: int, size: int, fmt: str | None, settings: Settings
) -> None:
    """List users (their organisation-membership ids are what sequences are assigned to)."""
    ids = list(workspaces) or None
    fmt = resolve_format(fmt)
    run(
        settings,
        lambda client: print_pages(
            lambda p, s: client.list_users(workspace_ids=ids, page=p, size=s),
            OrganizationUser,
            fmt,
            every_page=every_page,
            page=page,
            size=size,
        ),
    )


@click.group("workspaces")
def workspaces() -> None:
    """Workspaces in the key's scope and their members."""


@workspaces.command("list")
@format_option
@connection_options
def list_workspaces(fmt: str | None, settings: Settings) -> None:
    """List the workspaces (one request, not paginated)."""
    writer = ListWriter(resolve_format(fmt), model_columns(Workspace))

    async def work(client: SkipcallClient) -> None:
        writer.extend(workspace.to_dict() for workspace in await client.list_workspaces())
        writer.close()

    run(settings, work)


@workspaces.command("members")
@click.argument("workspace_id", metavar="ID")
@list_options
@format_option
@connection_options
def list_members(
    workspace_id: str, every_page: bool, page: int, size: int, fmt: str | None, settings: Settings
) -> None:
    """List a workspace's members, whatever their status (their ids are what sequence contacts are assigned to)."""
    fmt = resolve_format(fmt)
    run(
        settings,
        lambda client: print_pages(
            lambda p, s: client.list_workspace_members(workspace_id, page=p, size=s),
            WorkspaceMember,
            fmt,
            every_page=every_page,
            page=page,
            size=size,
        ),
    )


@click.command("health")
@format_option
@connection_options
def health(fmt: str | None, settings: Settings) -> None:
    """The API's liveness probe."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.health(), fmt))
