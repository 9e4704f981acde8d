"""Sequences: create, list their contacts, add and remove contacts (both documented idempotent)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Final

from .._base_client import BaseClient
from .._errors import InvalidArgumentError, InvalidArgumentTypeError
from .._models import Page, Sequence, SequenceContact, SequenceContactAssignment, SequenceContactsResult
from .._pagination import MAX_PAGE_SIZE, page_params
from .._routes import Route
from .._urls import segment
from ._arguments import MAX_BATCH, body, check_text, optional_id, string_list
from ._paging import paginate

# Inferred wrapper keys (the docs show the arrays, not their names): change here if the API differs.
ADD_CONTACTS_KEY: Final = "contacts"
REMOVE_CONTACTS_KEY: Final = "contactIds"

CREATE_SEQUENCE = Route("create_sequence", "POST", "/v1/sequences")
LIST_SEQUENCE_CONTACTS = Route("list_sequence_contacts", "GET", "/v1/sequences/{id}/contacts")
ADD_SEQUENCE_CONTACTS = Route("add_sequence_contacts", "POST", "/v1/sequences/{id}/contacts")
REMOVE_SEQUENCE_CONTACTS = Route("remove_sequence_contacts", "DELETE", "/v1/sequences/{id}/contacts")
# Inferred filter names of List contacts of a sequence.
TAG_FILTER: Final = "tag"
STATUS_FILTER: Final = "status"


def _assignments(contacts: Iterable[str | SequenceContactAssignment]) -> list[dict[str, str]]:
    if isinstance(contacts, str) or not isinstance(contacts, Iterable):
        message = "contacts must be a list of contact ids or SequenceContactAssignment"
        raise InvalidArgumentTypeError(message, argument="contacts")
    items: list[dict[str, str]] = []
    for entry in contacts:
        if isinstance(entry, str):
            entry = SequenceContactAssignment(contact_id=entry)
        if not isinstance(entry, SequenceContactAssignment):
            message = f"contacts entries must be ids or SequenceContactAssignment, got {entry!r}"
            raise InvalidArgumentTypeError(message, argument="contacts")
        segment(entry.contact_id, "contacts[].contact_id")
        optional_id("contacts[].assigned_to_workspace_membership_id", entry.assigned_to_workspace_membership_id)
        item = {"contactId": entry.contact_id}
        if entry.assigned_to_workspace_membership_id is not None:
            item["assignedToWorkspaceMembershipId"] = entry.assigned_to_workspace_membership_id
        items.append(item)
    if not 1 <= len(items) <= MAX_BATCH:
        raise InvalidArgumentError(
            f"contacts must hold 1 to {MAX_BATCH} entries, got {len(items)}", argument="contacts"
        )
    return items


class SequencesMixin(BaseClient):
    async def create_sequence(
        self,
        *,
        name: str | None = None,
        assigned_to_ids: Iterable[str] | None = None,
        creator_id: str | None = None,
        workspace_id: str | None = None,
    ) -> Sequence:
        """Create a call sequence. Arguments left as None are not sent.

        Args:
            name: The sequence's name (not blank).
            assigned_to_ids: Who will call: organisation-membership ids
                ([`OrganizationUser.organization_membership_id`][skipcall_async.OrganizationUser]).
            creator_id: The organisation-membership id of its creator.
            workspace_id: The workspace it belongs to.

        Returns:
            The created sequence.

        Raises:
            InvalidArgumentError: `name` or an id is blank.
            InvalidArgumentTypeError: `assigned_to_ids` is a bare string or not iterable.
            BadRequestError: The server refused it (an unknown membership id, a workspace outside the key's scope).
        """
        check_text("name", name, min_length=1)
        fields = {
            "name": name,
            "assigned_to_ids": None if assigned_to_ids is None else string_list("assigned_to_ids", assigned_to_ids),
            "creator_id": optional_id("creator_id", creator_id),
            "workspace_id": optional_id("workspace_id", workspace_id),
        }
        return await self._request_model(
            CREATE_SEQUENCE, CREATE_SEQUENCE.path(), Sequence, body=body(fields, omit_none=True)
        )

    async def list_sequence_contacts(
        self,
        sequence_id: str,
        *,
        tag: str | None = None,
        status: str | None = None,
        page: int = 0,
        size: int = MAX_PAGE_SIZE,
    ) -> Page[SequenceContact]:
        """One page of a sequence's contacts.

        Args:
            sequence_id: The sequence's id.
            tag: Only contacts carrying the tag with this label.
            status: Only contacts in this status.
            page: Page index, from 0.
            size: Contacts per page, 1 to 100.

        Returns:
            The contacts of that page, with whatever paging metadata the server sent.

        Raises:
            NotFoundError: No such sequence, or it lies outside the key's workspaces.
            InvalidArgumentError: `page` or `size` is out of range, or an id or filter is blank (an id `.` or `..`).
            InvalidArgumentTypeError: `sequence_id` is not a string.
        """
        params = {
            TAG_FILTER: optional_id("tag", tag),
            STATUS_FILTER: optional_id("status", status),
            **page_params(page, size),
        }
        return await self._request_page(
            LIST_SEQUENCE_CONTACTS,
            LIST_SEQUENCE_CONTACTS.path(segment(sequence_id, "sequence_id")),
            SequenceContact,
            params,
            resource_id=sequence_id,
        )

    def iter_sequence_contacts(
        self, sequence_id: str, *, tag: str | None = None, status: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[SequenceContact]:
        """Every contact of a sequence, fetched page by page as the loop consumes them.

        Arguments are checked when this is called; nothing is requested before the first `async for` step, and
        errors of the requests ([`NotFoundError`][skipcall_async.NotFoundError] for an unknown sequence) surface
        there.

        Args:
            sequence_id: The sequence's id.
            tag: Only contacts carrying the tag with this label.
            status: Only contacts in this status.
            page_size: Contacts per request, 1 to 100.

        Returns:
            An async iterator of the sequence's contacts.

        Raises:
            InvalidArgumentError: `page_size` is out of range, or an id or filter is blank (an id `.` or `..`).
            InvalidArgumentTypeError: `sequence_id` is not a string.
        """
        segment(sequence_id, "sequence_id")
        optional_id("tag", tag)
        optional_id("status", status)
        return paginate(
            lambda page, size: self.list_sequence_contacts(sequence_id, tag=tag, status=status, page=page, size=size),
            page_size,
        )

    async def add_sequence_contacts(
        self, sequence_id: str, contacts: Iterable[str | SequenceContactAssignment]
    ) -> SequenceContactsResult:
        """Add contacts to a sequence. Documented idempotent, so it is retried like a GET.

        Args:
            sequence_id: The sequence's id.
            contacts: 1 to 100 entries, each a contact id or a
                [`SequenceContactAssignment`][skipcall_async.SequenceContactAssignment] that also names the
                workspace membership who will call.

        Returns:
            The server's answer (its fields are undocumented: see its `extra`).

        Raises:
            InvalidArgumentError: No entry, more than 100, or an id blank, `.` or `..`.
            InvalidArgumentTypeError: `contacts` is a bare string, or an entry is neither an id nor an assignment.
            NotFoundError: No such sequence, or it lies outside the key's workspaces.
        """
        payload = {ADD_CONTACTS_KEY: _assignments(contacts)}
        return await self._request_model(
            ADD_SEQUENCE_CONTACTS,
            ADD_SEQUENCE_CONTACTS.path(segment(sequence_id, "sequence_id")),
            SequenceContactsResult,
            body=payload,
            idempotent=True,
            empty_ok=True,
            resource_id=sequence_id,
        )

    async def remove_sequence_contacts(self, sequence_id: str, contact_ids: Iterable[str]) -> SequenceContactsResult:
        """Remove contacts from a sequence (a soft removal). Documented idempotent, so it is retried.

        The request is a DELETE that carries a JSON body.

        Args:
            sequence_id: The sequence's id.
            contact_ids: 1 to 100 contact ids.

        Returns:
            The server's answer (its fields are undocumented: see its `extra`).

        Raises:
            InvalidArgumentError: No id, more than 100, or an id blank, `.` or `..`.
            InvalidArgumentTypeError: `contact_ids` is a bare string or not iterable.
            NotFoundError: No such sequence, or it lies outside the key's workspaces.
        """
        ids = string_list("contact_ids", contact_ids, min_items=1, max_items=MAX_BATCH)
        return await self._request_model(
            REMOVE_SEQUENCE_CONTACTS,
            REMOVE_SEQUENCE_CONTACTS.path(segment(sequence_id, "sequence_id")),
            SequenceContactsResult,
            body={REMOVE_CONTACTS_KEY: ids},
            idempotent=True,
            empty_ok=True,
            resource_id=sequence_id,
        )
