"""Turn (status, headers, body) into JSON or the right typed error. Pure: no I/O, no clock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    TooManyRequestsError,
)

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


def error_fields(body: bytes) -> tuple[str | None, str | None]:
    """(code, message) from any of the error bodies the API is known to send, else (None, None).

    Shapes: ``{"error": {"code", "message", "status"}}``; ``{"code": "API_KEY_INVALID", "details": null}``;
    and a framework validation body ``{"message": [...] | "...", "error": "Bad Request"}``.
    """
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    inner = data.get("error")
    if isinstance(inner, dict):
        data = inner
    code = data.get("code")
    message = data.get("message")
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    if message is None and isinstance(inner, str):
        message = inner
    return (str(code) if code is not None else None, str(message) if message is not None else None)


def api_error(status: int, headers: Mapping[str, str], body: bytes, *, retry_after: float | None) -> APIError:
    """The typed error for an error status; ``retry_after`` is only used for 429."""
    code, message = error_fields(body)
    text = message or _default_message(status)
    if status == 429:
        return TooManyRequestsError(text, retry_after=retry_after, code=code, headers=headers, body=body)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    return cls(text, status=status, code=code, headers=headers, body=body)


def _default_message(status: int) -> str:
    return {
        400: "bad request",
        401: "invalid, revoked or missing API key",
        403: "API access not allowed for this subscription",
        404: "not found, or outside the API key's workspaces",
        429: "rate limit exceeded",
    }.get(status, "server error" if status >= 500 else "unexpected status")


def decode_json(status: int, body: bytes) -> Any:
    """JSON of a successful response; an empty body is None; anything unparsable is a ``DecodeError``."""
    if not body or body.isspace():
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise DecodeError(
            f"Response body is not valid JSON ({exc.__class__.__name__})", status=status, body=body
        ) from exc
