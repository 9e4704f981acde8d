"""``skipcall contacts``: get, create and update contacts (the API has no list of contacts: see ``export``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TextIO

import click

from .._client import SkipcallClient
from ._body import load_body, merge, pairs
from ._options import body_option, connection_options, format_option
from ._render import resolve_format
from ._run import run
from ._settings import Settings
from ._show import print_one

FIELDS = tuple(p for p in inspect.signature(SkipcallClient.create_contact).parameters if p != "self")


def contact_fields(command: Callable[..., Any]) -> Callable[..., Any]:
    """The contact's fields as options, named after the API's fields."""
    options = [
        click.option("--first-name"),
        click.option("--last-name"),
        click.option("--phone", "phone_numbers", multiple=True, help="A phone number (repeat for several)."),
        click.option("--email"),
        click.option("--company"),
        click.option("--city"),
        click.option("--country"),
        click.option("--url"),
        click.option("--linkedin-url"),
        click.option("--linkedin-sales-url"),
        click.option("--role"),
        click.option("--allow-phone-calls/--no-allow-phone-calls", default=None),
        click.option(
            "--custom-field", "custom_fields", multiple=True, metavar="NAME=VALUE", help="Repeat for several."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def contact_kwargs(body_file: TextIO | None, options: dict[str, Any]) -> dict[str, Any]:
    """The operation's arguments from the body file and the options (``--custom-field`` as a mapping)."""
    custom = options.pop("custom_fields")
    kwargs = merge(load_body(body_file), options, FIELDS)
    if custom:
        kwargs["custom_fields"] = {**(kwargs.get("custom_fields") or {}), **pairs(custom, "--custom-field")}
    return kwargs


@click.group("contacts")
def contacts() -> None:
    """Contacts: get, create and update one."""


@contacts.command("get")
@click.argument("contact_id", metavar="ID")
@format_option
@connection_options
def get_contact(contact_id: str, fmt: str | None, settings: Settings) -> None:
    """One contact."""
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.get_contact(contact_id), fmt))


@contacts.command("create")
@contact_fields
@body_option
@format_option
@connection_options
def create_contact(body_file: TextIO | None, fmt: str | None, settings: Settings, **options: Any) -> None:
    """Create a contact: --first-name, --last-name and at least one --phone, or the same in --body."""
    kwargs = contact_kwargs(body_file, options)
    missing = [f"--{name.replace('_', '-')}" for name in ("first_name", "last_name") if name not in kwargs]
    if "phone_numbers" not in kwargs:
        missing.append("--phone")
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (or the same fields in --body)")
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.create_contact(**kwargs), fmt))


@contacts.command("update")
@click.argument("contact_id", metavar="ID")
@contact_fields
@body_option
@format_option
@connection_options
def update_contact(
    contact_id: str, body_file: TextIO | None, fmt: str | None, settings: Settings, **options: Any
) -> None:
    """Change only the fields given (the API takes no null, so a field cannot be cleared)."""
    kwargs = contact_kwargs(body_file, options)
    if not kwargs:
        raise click.UsageError("nothing to change: give at least one field")
    fmt = resolve_format(fmt)
    run(settings, lambda client: print_one(client.update_contact(contact_id, **kwargs), fmt))
