"""Users, workspaces, workspace members and the health probe."""

from __future__ import annotations

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class OrganizationUser(Model):
    """An organisation member who can reach at least one of the key's workspaces.

    ``organization_membership_id`` is what :meth:`SkipcallClient.create_sequence` takes as
    ``assigned_to_ids`` and ``creator_id``.
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
    """A member of a workspace, of any status (filter to ``"ACTIVE"`` yourself).

    ``id`` is the workspace-membership id used as ``assigned_to_workspace_membership_id``.
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
