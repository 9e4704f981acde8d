"""Turn a response into what the operation returns, or the right typed error. Pure: no I/O, no clock.

``api_error`` maps an error status to its class; ``decode_json`` reads a 2xx body; ``model_decoder`` and
``page_decoder`` turn the JSON into models through the codec's hooks, fetched once per model and cached here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from ._codec import STRUCTURE_ERRORS, converter, mismatch
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
from ._models import Page

T = TypeVar("T")

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


def error_fields(body: bytes) -> tuple[str | None, str | None]:
    """(code, message) from any of the error bodies the API is known to send, else (None, None).

    Shapes: ``{"error": {"code", "message", "status"}}``; ``{"code": "API_KEY_INVALID", "details": null}``;
    and a framework validation body ``{"message": [...] | "...", "error": "Bad Request"}``. Only text is taken
    (a number as its digits): a value of another type is left out rather than shown as Python's repr of it.
    """
    try:
        data = parse_json(body) if body else None
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    inner = data.get("error")
    if isinstance(inner, dict):
        data = inner
    message = data.get("message")
    if isinstance(message, list):
        message = "; ".join(text for m in message if (text := _text(m)) is not None) or None
    else:
        message = _text(message)
    if message is None:
        message = _text(inner)
    return _text(data.get("code")), message


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else str(value) if type(value) is int else None


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


def decode_json(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Any:
    """JSON of a successful response; an empty body is None; anything unparsable is a ``DecodeError``.

    Unparsable includes what Python's ``json`` would read but JSON does not allow (``NaN``, ``Infinity``), and
    values nested too deeply for the interpreter's recursion limit.
    """
    if not body or body.isspace():
        return None
    try:
        return parse_json(body)
    except RecursionError as exc:
        message = "Response body is nested too deeply to decode"
        raise DecodeError(message, status=status, body=body, headers=headers) from exc
    except ValueError as exc:
        message = f"Response body is not valid JSON ({exc.__class__.__name__}: {exc})"
        raise DecodeError(message, status=status, body=body, headers=headers) from exc


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if number - number != 0.0:  # 1e400: past any float, which Python would read as infinity
        raise ValueError(f"{text[:40]} is past the largest number a float holds")
    return number


_DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)


def parse_json(body: bytes) -> Any:
    """``json.loads`` without ``NaN`` and ``Infinity``, which JSON does not have, nor numbers past a float's range
    (``1e400``), which Python would read as infinity: a ``ValueError`` for them."""
    return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


class ApiResponse(NamedTuple):
    """A successful response: status, headers and the decoded JSON (None for an empty body)."""

    status: int
    headers: Any
    data: Any


def no_result(response: ApiResponse) -> None:
    """The decoder of operations that return nothing (their body, if any, is not read)."""


_model_decoders: dict[tuple[type, bool], Callable[[ApiResponse], Any]] = {}
_page_decoders: dict[type, Callable[[ApiResponse], Any]] = {}


def model_decoder(model: type[T], *, empty_ok: bool) -> Callable[[ApiResponse], T]:
    """``response -> model``, built once per model; ``empty_ok`` reads an empty body as ``{}``."""
    decoder = _model_decoders.get((model, empty_ok))
    if decoder is None:
        hook = converter.get_structure_hook(model)

        def decode_model(data: Any) -> T:
            result: T = hook(data, model)
            return result

        def decoder(response: ApiResponse) -> T:
            data = {} if response.data is None and empty_ok else response.data
            return _decode_as(response, data, decode_model, model)

        _model_decoders[(model, empty_ok)] = decoder
    return decoder


def page_decoder(item_model: type[T]) -> Callable[[ApiResponse], Page[T]]:
    """``response -> Page[item_model]``, built once per item model."""
    decoder = _page_decoders.get(item_model)
    if decoder is None:
        page_type = Page[item_model]  # type: ignore[valid-type]
        hook = converter.get_structure_hook(page_type)

        def decode_page(data: Any) -> Page[T]:
            page: Page[T] = hook(data, page_type)
            return page

        def decoder(response: ApiResponse) -> Page[T]:
            return _decode_as(response, response.data, decode_page, page_type)

        _page_decoders[item_model] = decoder
    return decoder


def list_decoder(item_model: type[T]) -> Callable[[ApiResponse], list[T]]:
    """``response -> list[item_model]``: a page's items, for operations that return every item at once."""
    decode_page = page_decoder(item_model)

    def decoder(response: ApiResponse) -> list[T]:
        return list(decode_page(response).items)

    return decoder


def _decode_as(response: ApiResponse, data: Any, decode: Callable[[Any], T], tp: Any) -> T:
    """``decode(data)``, or the ``DecodeError`` naming the field of ``tp`` (a model, or ``Page[Item]``) that fails."""
    try:
        return decode(data)
    except STRUCTURE_ERRORS as exc:
        raise mismatch("Response", data, tp, exc, status=response.status, headers=response.headers) from exc
