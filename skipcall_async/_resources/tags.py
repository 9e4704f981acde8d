"""Call-outcome tags: create and delete."""

from __future__ import annotations

from .._base_client import BaseClient
from .._decode import no_result
from .._models import Tag
from .._urls import segment
from ._arguments import check_text


class TagsMixin(BaseClient):
    async def create_tag(self, *, label: str, is_success_tag: bool = False) -> Tag:
        """Create a tag; ``is_success_tag`` marks a successful call outcome."""
        check_text("label", label, min_length=1)
        if not isinstance(is_success_tag, bool):
            raise TypeError("is_success_tag must be a bool")
        return await self._request_model("POST", "/v1/tags", Tag, body={"label": label, "isSuccessTag": is_success_tag})

    async def delete_tag(self, tag_id: str) -> None:
        """Delete a tag. The last success tag of a workspace cannot be deleted (the API refuses it)."""
        await self._request("DELETE", f"/v1/tags/{segment(tag_id, 'tag_id')}", no_result)
