"""Contacts."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Model


class LastModificationSource(enum.StrEnum):
    """System that last changed a contact. Unknown values arrive as a plain ``str``."""

    SKIPCALL = "SKIPCALL"
    API = "API"
    HUBSPOT = "HUBSPOT"
    PIPEDRIVE = "PIPEDRIVE"


@attrs.frozen(kw_only=True)
class Contact(Model):
    """A contact as returned by create, get and update.

    Attributes:
        id: The contact's id.
        first_name: First name.
        last_name: Last name.
        allow_phone_calls: Whether the contact may be called.
        call_count: Calls made to the contact.
        team_id: The workspace the contact belongs to (the API keeps the older "team" name here).
        phone_numbers: The contact's phone numbers.
        custom_fields: The organisation's custom fields, by field name.
        created_at: When the contact was created.
        updated_at: When the contact last changed.
        last_modification_source: A [`LastModificationSource`][skipcall_async.LastModificationSource] when known,
            else the raw string.
        email: Email address.
        company: Company name.
        city: City.
        country: Country.
        url: Website.
        linkedin_url: LinkedIn profile URL.
        linkedin_sales_url: LinkedIn Sales Navigator URL.
        role: Job title.
        last_call_at: When the contact was last called.
    """

    id: str
    first_name: str | None = None
    last_name: str | None = None
    allow_phone_calls: bool | None = None
    call_count: int | None = None
    team_id: str | None = None
    phone_numbers: tuple[str, ...] = ()
    custom_fields: Mapping[str, Any] = attrs.field(factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_modification_source: LastModificationSource | str | None = None
    email: str | None = None
    company: str | None = None
    city: str | None = None
    country: str | None = None
    url: str | None = None
    linkedin_url: str | None = None
    linkedin_sales_url: str | None = None
    role: str | None = None
    last_call_at: datetime | None = None
