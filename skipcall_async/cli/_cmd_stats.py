"""``skipcall stats``: tag and status distributions, call durations and team totals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from .._models import Model
from .._resources.stats import CALL_TYPES, GRANULARITIES, PERIODS
from ._columns import cell, model_columns, nested_array_model
from ._options import connection_options, format_option
from ._render import ListWriter, flatten, resolve_format, write_one
from ._run import run
from ._settings import Settings


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The filters the three distribution commands share."""
    options = [
        click.option("--workspace", "workspace_id", metavar="ID", help="Only this workspace."),
        click.option("--sequence", "sequence_id", metavar="ID", help="Only calls of this sequence."),
        click.option("--user-membership", "user_membership_id", metavar="ID", help="Only calls by this member."),
        click.option("--granularity", type=click.Choice(GRANULARITIES), help="Time buckets."),
        click.option("--start", "start_date", metavar="DATE", help="Start of the period (ISO 8601)."),
        click.option("--end", "end_date", metavar="DATE", help="End of the period (ISO 8601)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


call_type_option = click.option("--call-type", type=click.Choice(CALL_TYPES), help="Only calls of this kind.")


async def print_stats(fetch: Awaitable[Model], fmt: str) -> None:
    """The whole answer as JSON; as a table or CSV, the rows of its one array, the other fields in a caption."""
    result = await fetch
    record = result.to_dict()
    rows_field, item_model = nested_array_model(type(result))
    if fmt in ("json", "jsonl") or item_model is None:
        write_one(record, fmt)
        return
    rest = {key: value for key, value in flatten(record).items() if key != rows_field}
    writer = ListWriter(fmt, model_columns(item_model), caption=", ".join(f"{k}: {cell(v)}" for k, v in rest.items()))
    writer.extend(record[rows_field])
    writer.close()


@click.group("stats")
def stats() -> None:
    """Statistics: tag and status distributions, call durations, team totals."""


@stats.command("tags")
@filter_options
@call_type_option
@format_option
@connection_options
def tag_distribution(fmt: str | None, settings: Settings, **filters: Any) -> None:
    """How contacts are distributed over post-call tags."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_stats(client.get_tag_distribution(**filters), fmt))


@stats.command("statuses")
@filter_options
@format_option
@connection_options
def status_distribution(fmt: str | None, settings: Settings, **filters: Any) -> None:
    """How calls are distributed over statuses, and the contacts never called."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_stats(client.get_status_distribution(**filters), fmt))


@stats.command("durations")
@filter_options
@call_type_option
@format_option
@connection_options
def call_durations(fmt: str | None, settings: Settings, **filters: Any) -> None:
    """Call count, average and total duration."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_stats(client.get_call_duration_stats(**filters), fmt))


@stats.command("teams")
@click.option("--period", type=click.Choice(PERIODS), required=True)
@click.option("--start", "start_date", metavar="DATE", help="Start of a custom period (ISO 8601).")
@click.option("--end", "end_date", metavar="DATE", help="End of a custom period (ISO 8601).")
@click.option("--team", "team_id", metavar="ID", help="Only this team (workspace).")
@format_option
@connection_options
def team_stats(fmt: str | None, settings: Settings, **filters: Any) -> None:
    """Totals overall and per team for a period."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_stats(client.get_team_stats(**filters), fmt))
