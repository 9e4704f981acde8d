"""Sequences and the contacts in them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class Sequence(Model):
    """A call sequence. The API documents little of its body: everything else is in ``extra``."""

    id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class SequenceContact(Model):
    """A contact inside a sequence, with its tags and its call history in that sequence."""

    id: str | None = None
    contact_id: str | None = None
    status: str | None = None
    assigned_to_workspace_membership_id: str | None = None
    tags: tuple[Mapping[str, Any], ...] = ()
    calls: tuple[Mapping[str, Any], ...] = ()


@attrs.frozen(kw_only=True)
class SequenceContactsResult(Model):
    """Answer to adding or removing sequence contacts; its fields are undocumented, so all are in ``extra``."""


@attrs.frozen(kw_only=True)
class SequenceContactAssignment:
    """One contact to add to a sequence, optionally with the workspace membership that will call it.

    Passed to [`add_sequence_contacts`][skipcall_async.SkipcallClient.add_sequence_contacts].

    Attributes:
        contact_id: The contact's id.
        assigned_to_workspace_membership_id: Who will call: a workspace-membership id
            ([`WorkspaceMember.id`][skipcall_async.WorkspaceMember], from
            [`iter_workspace_members`][skipcall_async.SkipcallClient.iter_workspace_members]), not an
            organisation-membership id. None: not sent.
    """

    contact_id: str
    assigned_to_workspace_membership_id: str | None = None
