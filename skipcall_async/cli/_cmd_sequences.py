"""``skipcall sequences``: create one, list its contacts, add and remove contacts."""

from __future__ import annotations

from typing import Any, TextIO

import click

from .._models import SequenceContact, SequenceContactAssignment
from .._resources.sequences import ADD_CONTACTS_KEY
from ._body import load_body, merge, pairs
from ._options import body_option, connection_options, format_option, list_options
from ._render import resolve_format
from ._run import run
from ._settings import Settings
from ._show import print_one, print_pages


@click.group("sequences")
def sequences() -> None:
    """Call sequences: create one, list, add and remove its contacts."""


@sequences.command("create")
@click.option("--name")
@click.option(
    "--assigned-to", "assigned_to_ids", multiple=True, metavar="ID", help="An organisation-membership id (repeat)."
)
@click.option("--creator", "creator_id", metavar="ID", help="The creator's organisation-membership id.")
@click.option("--workspace", "workspace_id", metavar="ID")
@body_option
@format_option
@connection_options
def create_sequence(body_file: TextIO | None, fmt: str | None, settings: Settings, **options: Any) -> None:
    """Create a sequence."""
    kwargs = merge(load_body(body_file), options, ("name", "assigned_to_ids", "creator_id", "workspace_id"))
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.create_sequence(**kwargs), fmt))


@sequences.command("contacts")
@click.argument("sequence_id", metavar="ID")
@click.option("--tag", help="Only contacts carrying the tag with this label.")
@click.option("--status", help="Only contacts in this status.")
@list_options
@format_option
@connection_options
def list_contacts(
    sequence_id: str,
    tag: str | None,
    status: str | None,
    every_page: bool,
    page: int,
    size: int,
    fmt: str | None,
    settings: Settings,
) -> None:
    """List the contacts of a sequence."""
    fmt = resolve_format(fmt)
    run(
        settings,
        lambda client: print_pages(
            lambda p, s: client.list_sequence_contacts(sequence_id, tag=tag, status=status, page=p, size=s),
            SequenceContact,
            fmt,
            every_page=every_page,
            page=page,
            size=size,
        ),
    )


def _assignments(ids: tuple[str, ...], assign: tuple[str, ...], body: dict[str, Any]) -> list[Any]:
    entries: list[Any] = []
    for entry in body.get(ADD_CONTACTS_KEY, []):
        if isinstance(entry, dict):
            entries.append(
                SequenceContactAssignment(
                    contact_id=entry.get("contactId"),  # type: ignore[arg-type]  # the SDK checks it
                    assigned_to_workspace_membership_id=entry.get("assignedToWorkspaceMembershipId"),
                )
            )
        else:
            entries.append(entry)
    entries.extend(ids)
    entries.extend(
        SequenceContactAssignment(contact_id=contact, assigned_to_workspace_membership_id=member)
        for contact, member in pairs(assign, "--assign").items()
    )
    return entries


@sequences.command("add-contacts")
@click.argument("sequence_id", metavar="ID")
@click.argument("contact_ids", metavar="[CONTACT_ID]...", nargs=-1)
@click.option(
    "--assign", multiple=True, metavar="CONTACT_ID=MEMBERSHIP_ID", help="A contact and the workspace member to call it."
)
@body_option
@format_option
@connection_options
def add_contacts(
    sequence_id: str,
    contact_ids: tuple[str, ...],
    assign: tuple[str, ...],
    body_file: TextIO | None,
    fmt: str | None,
    settings: Settings,
) -> None:
    """Add 1 to 100 contacts to a sequence (ids, --assign pairs, or {"contacts": [...]} in --body)."""
    body = load_body(body_file)
    merge(body, {}, ("contacts",))  # refuses any other field
    entries = _assignments(contact_ids, assign, body)
    if not entries:
        raise click.UsageError("no contact to add: give CONTACT_ID, --assign or --body")
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.add_sequence_contacts(sequence_id, entries), fmt))


@sequences.command("remove-contacts")
@click.argument("sequence_id", metavar="ID")
@click.argument("contact_ids", metavar="[CONTACT_ID]...", nargs=-1)
@body_option
@format_option
@connection_options
def remove_contacts(
    sequence_id: str, contact_ids: tuple[str, ...], body_file: TextIO | None, fmt: str | None, settings: Settings
) -> None:
    """Remove 1 to 100 contacts from a sequence (ids, or {"contactIds": [...]} in --body)."""
    body = merge(load_body(body_file), {}, ("contact_ids",))
    ids = [*body.get("contact_ids", []), *contact_ids]
    if not ids:
        raise click.UsageError("no contact to remove: give CONTACT_ID or --body")
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.remove_sequence_contacts(sequence_id, ids), fmt))
