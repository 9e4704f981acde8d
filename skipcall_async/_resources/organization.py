"""Users, workspaces, workspace members and the health probe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from .._base_client import BaseClient
from .._models import Health, OrganizationUser, Page, Workspace, WorkspaceMember
from .._pagination import MAX_PAGE_SIZE, page_params
from .._urls import segment
from ._arguments import workspace_filter
from ._paging import paginate


class OrganizationMixin(BaseClient):
    async def health(self) -> Health:
        """The API's liveness probe."""
        return await self._request_model("GET", "/v1/health", Health, empty_ok=True)

    async def list_users(
        self, *, workspace_ids: Iterable[str] | None = None, page: int = 0, size: int = MAX_PAGE_SIZE
    ) -> Page[OrganizationUser]:
        """One page of organisation users who can reach the key's workspaces."""
        params = {"workspaceIds": workspace_filter(workspace_ids), **page_params(page, size)}
        return await self._request_page("/v1/users", OrganizationUser, params)

    def iter_users(
        self, *, workspace_ids: Iterable[str] | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[OrganizationUser]:
        """Every organisation user, page after page (arguments are checked here, pages fetched on demand)."""
        ids = workspace_filter(workspace_ids)
        return paginate(lambda page, size: self.list_users(workspace_ids=ids, page=page, size=size), page_size)

    async def list_workspaces(self) -> list[Workspace]:
        """All workspaces in the key's scope (not paginated)."""
        page = await self._request_page("/v1/workspaces", Workspace, {})
        return list(page.items)

    async def list_workspace_members(
        self, workspace_id: str, *, page: int = 0, size: int = MAX_PAGE_SIZE
    ) -> Page[WorkspaceMember]:
        """One page of a workspace's members, every status included."""
        return await self._request_page(
            f"/v1/workspaces/{segment(workspace_id, 'workspace_id')}/members",
            WorkspaceMember,
            dict(page_params(page, size)),
        )

    def iter_workspace_members(
        self, workspace_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[WorkspaceMember]:
        """Every member of a workspace, page after page (arguments are checked here, pages fetched on demand)."""
        segment(workspace_id, "workspace_id")
        return paginate(lambda page, size: self.list_workspace_members(workspace_id, page=page, size=size), page_size)
