"""Users, workspaces, workspace members and the health probe."""

from __future__ import annotations

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class OrganizationUser(Model):
    """An organisation member who can reach at least one of the key's workspaces.

    Attributes:
        organization_membership_id: The member's id in the organisation: what
            [`create_sequence`][skipcall_async.SkipcallClient.create_sequence] takes as `assigned_to_ids` and
            `creator_id`.
        first_name: First name.
        last_name: Last name.
        email: Email address.
    """

    organization_membership_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


@attrs.frozen(kw_only=True)
class Workspace(Model):
    """A workspace within the key's scope."""

    id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class WorkspaceMember(Model):
    """A member of a workspace, of any status (filter to `"ACTIVE"` yourself).

    Attributes:
        id: The workspace-membership id: what a
            [`SequenceContactAssignment`][skipcall_async.SequenceContactAssignment] takes as
            `assigned_to_workspace_membership_id`.
        status: The membership's status, such as `"ACTIVE"`.
        organization_membership_id: The member's id in the organisation.
        first_name: First name.
        last_name: Last name.
        email: Email address.
    """

    id: str
    status: str | None = None
    organization_membership_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


@attrs.frozen(kw_only=True)
class Health(Model):
    """Answer of the health probe."""

    status: str | None = None
