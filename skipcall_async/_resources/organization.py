"""Users, workspaces, workspace members and the health probe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from .._base_client import BaseClient
from .._decode import list_decoder
from .._models import Health, OrganizationUser, Page, Workspace, WorkspaceMember
from .._pagination import MAX_PAGE_SIZE, page_params
from .._routes import Route
from .._urls import segment
from ._arguments import workspace_filter
from ._paging import paginate

HEALTH = Route("health", "GET", "/v1/health")
LIST_USERS = Route("list_users", "GET", "/v1/users")
LIST_WORKSPACES = Route("list_workspaces", "GET", "/v1/workspaces")
LIST_WORKSPACE_MEMBERS = Route("list_workspace_members", "GET", "/v1/workspaces/{id}/members")


class OrganizationMixin(BaseClient):
    async def health(self) -> Health:
        """The API's liveness probe.

        Returns:
            The probe's answer (fields beyond `status` are in its `extra`).
        """
        return await self._request_model(HEALTH, HEALTH.path(), Health, empty_ok=True)

    async def list_users(
        self, *, workspace_ids: Iterable[str] | None = None, page: int = 0, size: int = MAX_PAGE_SIZE
    ) -> Page[OrganizationUser]:
        """One page of the organisation's users who can reach the key's workspaces.

        Args:
            workspace_ids: Only users who can reach these workspaces (at least one id). None: every workspace of
                the key.
            page: Page index, from 0.
            size: Users per page, 1 to 100.

        Returns:
            The users of that page, with whatever paging metadata the server sent.

        Raises:
            InvalidArgumentError: `page` or `size` is out of range, or `workspace_ids` is empty or holds a blank id.
            InvalidArgumentTypeError: `workspace_ids` is a bare string or not iterable.
        """
        params = {"workspaceIds": workspace_filter(workspace_ids), **page_params(page, size)}
        return await self._request_page(LIST_USERS, LIST_USERS.path(), OrganizationUser, params)

    def iter_users(
        self, *, workspace_ids: Iterable[str] | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[OrganizationUser]:
        """Every organisation user who can reach the key's workspaces, fetched page by page as the loop needs them.

        Arguments are checked when this is called; nothing is requested before the first `async for` step, and
        errors of the requests surface there.

        Args:
            workspace_ids: Only users who can reach these workspaces (at least one id). None: every workspace of
                the key.
            page_size: Users per request, 1 to 100.

        Returns:
            An async iterator of users.

        Raises:
            InvalidArgumentError: `page_size` is out of range, or `workspace_ids` is empty or holds a blank id.
            InvalidArgumentTypeError: `workspace_ids` is a bare string or not iterable.
        """
        ids = workspace_filter(workspace_ids)
        return paginate(lambda page, size: self.list_users(workspace_ids=ids, page=page, size=size), page_size)

    async def list_workspaces(self) -> list[Workspace]:
        """Every workspace in the key's scope, in one request (the endpoint is not paginated).

        Returns:
            The workspaces.
        """
        return await self._call(LIST_WORKSPACES, LIST_WORKSPACES.path(), list_decoder(Workspace))

    async def list_workspace_members(
        self, workspace_id: str, *, page: int = 0, size: int = MAX_PAGE_SIZE
    ) -> Page[WorkspaceMember]:
        """One page of a workspace's members, whatever their status (filter to `"ACTIVE"` yourself).

        Args:
            workspace_id: The workspace's id.
            page: Page index, from 0.
            size: Members per page, 1 to 100.

        Returns:
            The members of that page, with whatever paging metadata the server sent.

        Raises:
            NotFoundError: No such workspace, or it lies outside the key's scope.
            InvalidArgumentError: `page` or `size` is out of range, or `workspace_id` is blank, `.` or `..`.
            InvalidArgumentTypeError: `workspace_id` is not a string.
        """
        return await self._request_page(
            LIST_WORKSPACE_MEMBERS,
            LIST_WORKSPACE_MEMBERS.path(segment(workspace_id, "workspace_id")),
            WorkspaceMember,
            dict(page_params(page, size)),
            resource_id=workspace_id,
        )

    def iter_workspace_members(
        self, workspace_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[WorkspaceMember]:
        """Every member of a workspace, fetched page by page as the loop consumes them.

        Arguments are checked when this is called; nothing is requested before the first `async for` step, and
        errors of the requests ([`NotFoundError`][skipcall_async.NotFoundError] for an unknown workspace) surface
        there.

        Args:
            workspace_id: The workspace's id.
            page_size: Members per request, 1 to 100.

        Returns:
            An async iterator of workspace members.

        Raises:
            InvalidArgumentError: `page_size` is out of range, or `workspace_id` is blank, `.` or `..`.
            InvalidArgumentTypeError: `workspace_id` is not a string.
        """
        segment(workspace_id, "workspace_id")
        return paginate(lambda page, size: self.list_workspace_members(workspace_id, page=page, size=size), page_size)
