"""Call-outcome tags: create and delete."""

from __future__ import annotations

from .._base_client import BaseClient
from .._decode import no_result
from .._errors import InvalidArgumentTypeError
from .._models import Tag
from .._routes import Route
from .._urls import segment
from ._arguments import check_text

CREATE_TAG = Route("create_tag", "POST", "/v1/tags")
DELETE_TAG = Route("delete_tag", "DELETE", "/v1/tags/{id}")


class TagsMixin(BaseClient):
    async def create_tag(self, *, label: str, is_success_tag: bool = False) -> Tag:
        """Create a call-outcome tag.

        Args:
            label: The tag's label (not blank).
            is_success_tag: Whether the tag marks a successful outcome in the statistics.

        Returns:
            The created tag.

        Raises:
            InvalidArgumentError: `label` is blank.
            InvalidArgumentTypeError: `label` is not a string (None included) or `is_success_tag` is not a bool.
            BadRequestError: The server refused the tag.
        """
        check_text("label", label, min_length=1, required=True)
        if not isinstance(is_success_tag, bool):
            raise InvalidArgumentTypeError("is_success_tag must be a bool", argument="is_success_tag")
        payload = {"label": label, "isSuccessTag": is_success_tag}
        return await self._request_model(CREATE_TAG, CREATE_TAG.path(), Tag, body=payload)

    async def delete_tag(self, tag_id: str) -> None:
        """Delete a tag.

        Args:
            tag_id: The tag's id.

        Raises:
            BadRequestError: The tag is its workspace's last success tag, which the API refuses to delete.
            NotFoundError: No such tag, or it lies outside the key's workspaces.
            InvalidArgumentError: `tag_id` is blank, or `.` or `..`.
            InvalidArgumentTypeError: `tag_id` is not a string.
        """
        path = DELETE_TAG.path(segment(tag_id, "tag_id"))
        return await self._call(DELETE_TAG, path, no_result, resource_id=tag_id)
