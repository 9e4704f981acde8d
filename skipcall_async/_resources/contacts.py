"""Contacts: create, get, partial update."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._base_client import BaseClient
from .._errors import InvalidArgumentError, InvalidArgumentTypeError
from .._models import Contact
from .._routes import Route
from .._types import NOT_GIVEN, NotGiven
from .._urls import segment
from ._arguments import body, check_text, string_list, text_map

CREATE_CONTACT = Route("create_contact", "POST", "/v1/contacts")
GET_CONTACT = Route("get_contact", "GET", "/v1/contacts/{id}")
UPDATE_CONTACT = Route("update_contact", "PATCH", "/v1/contacts/{id}")

NAME_MAX = 100
TEXT_MAX = 200


def _check_contact_fields(fields: dict[str, Any], *, update: bool) -> None:
    """The documented limits and types; ``update``: no field may be None, as the API takes no null for any."""
    if update:
        for name, value in fields.items():
            if value is None:
                raise InvalidArgumentTypeError(
                    f"{name} cannot be None: the API takes no null for a contact field, so none can be cleared; "
                    "leave it out (NOT_GIVEN) to keep it",
                    argument=name,
                )
    for name in ("first_name", "last_name"):
        check_text(name, fields[name], min_length=1, max_length=NAME_MAX, required=not update)
    for name in ("company", "city"):
        check_text(name, fields[name], max_length=TEXT_MAX)
    for name in ("email", "country", "url", "linkedin_url", "linkedin_sales_url", "role"):
        check_text(name, fields[name])
    allow = fields["allow_phone_calls"]
    if not (allow is None or allow is NOT_GIVEN or isinstance(allow, bool)):  # `in (True, False)` would admit 1 and 0
        message = f"allow_phone_calls must be a bool, not {type(allow).__name__}"
        raise InvalidArgumentTypeError(message, argument="allow_phone_calls")
    if fields["custom_fields"] is not None and fields["custom_fields"] is not NOT_GIVEN:
        fields["custom_fields"] = text_map("custom_fields", fields["custom_fields"])


class ContactsMixin(BaseClient):
    async def create_contact(
        self,
        *,
        first_name: str,
        last_name: str,
        phone_numbers: Iterable[str],
        email: str | None = None,
        company: str | None = None,
        city: str | None = None,
        country: str | None = None,
        url: str | None = None,
        linkedin_url: str | None = None,
        linkedin_sales_url: str | None = None,
        role: str | None = None,
        allow_phone_calls: bool | None = None,
        custom_fields: Mapping[str, str] | None = None,
    ) -> Contact:
        """Create a contact. Arguments left as None are not sent.

        Not idempotent: it is retried only when the request provably never reached the server.

        Args:
            first_name: 1 to 100 characters.
            last_name: 1 to 100 characters.
            phone_numbers: The contact's phone numbers, as strings (a bare string is refused).
            email: Email address.
            company: Company name, at most 200 characters.
            city: City, at most 200 characters.
            country: Country.
            url: Website.
            linkedin_url: LinkedIn profile URL.
            linkedin_sales_url: LinkedIn Sales Navigator URL.
            role: Job title.
            allow_phone_calls: Whether the contact may be called.
            custom_fields: The organisation's custom fields: field name to text.

        Returns:
            The created contact.

        Raises:
            InvalidArgumentError: A name is blank or a text is too long, a phone number is blank, or a text holds a lone
                surrogate.
            InvalidArgumentTypeError: An argument has the wrong type (a name None, `phone_numbers` a bare string,
                `allow_phone_calls` not a bool, `custom_fields` not a mapping of str to str).
            BadRequestError: The server refused the contact.
        """
        fields = {
            "first_name": first_name,
            "last_name": last_name,
            "phone_numbers": string_list("phone_numbers", phone_numbers),
            "email": email,
            "company": company,
            "city": city,
            "country": country,
            "url": url,
            "linkedin_url": linkedin_url,
            "linkedin_sales_url": linkedin_sales_url,
            "role": role,
            "allow_phone_calls": allow_phone_calls,
            "custom_fields": custom_fields,
        }
        _check_contact_fields(fields, update=False)
        return await self._request_model(
            CREATE_CONTACT, CREATE_CONTACT.path(), Contact, body=body(fields, omit_none=True)
        )

    async def get_contact(self, contact_id: str) -> Contact:
        """One contact.

        Args:
            contact_id: The contact's id.

        Returns:
            The contact.

        Raises:
            NotFoundError: No such contact, or it lies outside the key's workspaces.
            InvalidArgumentError: `contact_id` is blank, or `.` or `..`.
            InvalidArgumentTypeError: `contact_id` is not a string.
        """
        path = GET_CONTACT.path(segment(contact_id, "contact_id"))
        return await self._request_model(GET_CONTACT, path, Contact, resource_id=contact_id)

    async def update_contact(
        self,
        contact_id: str,
        *,
        first_name: str | NotGiven = NOT_GIVEN,
        last_name: str | NotGiven = NOT_GIVEN,
        phone_numbers: Iterable[str] | NotGiven = NOT_GIVEN,
        email: str | NotGiven = NOT_GIVEN,
        company: str | NotGiven = NOT_GIVEN,
        city: str | NotGiven = NOT_GIVEN,
        country: str | NotGiven = NOT_GIVEN,
        url: str | NotGiven = NOT_GIVEN,
        linkedin_url: str | NotGiven = NOT_GIVEN,
        linkedin_sales_url: str | NotGiven = NOT_GIVEN,
        role: str | NotGiven = NOT_GIVEN,
        allow_phone_calls: bool | NotGiven = NOT_GIVEN,
        custom_fields: Mapping[str, str] | NotGiven = NOT_GIVEN,
    ) -> Contact:
        """Change only the fields given (a partial update).

        A field left at [`NOT_GIVEN`][skipcall_async.NOT_GIVEN] is not sent and stays as it is. None is refused:
        the API reference takes no null for any contact field, so the API documents no way to clear one.

        Args:
            contact_id: The contact's id.
            first_name: 1 to 100 characters.
            last_name: 1 to 100 characters.
            phone_numbers: The contact's phone numbers, as strings (a bare string is refused).
            email: Email address.
            company: Company name, at most 200 characters.
            city: City, at most 200 characters.
            country: Country.
            url: Website.
            linkedin_url: LinkedIn profile URL.
            linkedin_sales_url: LinkedIn Sales Navigator URL.
            role: Job title.
            allow_phone_calls: Whether the contact may be called.
            custom_fields: The organisation's custom fields: field name to text.

        Returns:
            The contact as it is after the update.

        Raises:
            InvalidArgumentError: No field to change, a blank id or name, a text that is too long, or one holding a lone
                surrogate.
            InvalidArgumentTypeError: An argument is None or has the wrong type (`custom_fields` not a mapping of
                str to str).
            NotFoundError: No such contact, or it lies outside the key's workspaces.
            BadRequestError: The server refused the change.
        """
        fields = {
            "first_name": first_name,
            "last_name": last_name,
            "phone_numbers": (
                phone_numbers if phone_numbers is NOT_GIVEN else string_list("phone_numbers", phone_numbers)
            ),
            "email": email,
            "company": company,
            "city": city,
            "country": country,
            "url": url,
            "linkedin_url": linkedin_url,
            "linkedin_sales_url": linkedin_sales_url,
            "role": role,
            "allow_phone_calls": allow_phone_calls,
            "custom_fields": custom_fields,
        }
        _check_contact_fields(fields, update=True)
        payload = body(fields, omit_none=False)
        if not payload:
            raise InvalidArgumentError("update_contact needs at least one field to change")
        path = UPDATE_CONTACT.path(segment(contact_id, "contact_id"))
        return await self._request_model(UPDATE_CONTACT, path, Contact, body=payload, resource_id=contact_id)
