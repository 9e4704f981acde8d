"""Every error the SDK raises, in one tree.

::

    SkipcallError                      base of everything below
    ├── ConfigurationError             bad client set-up (missing key, unsafe base URL); also a ValueError
    ├── InvalidArgumentError           an operation's argument, refused before sending; also a ValueError
    │   └── InvalidArgumentTypeError   ... because of its type; also a TypeError
    ├── ClientClosedError              the client was used after ``aclose()``
    ├── EventLoopError                 an async client was used in another event loop than its own
    ├── DecodeError                    a 2xx body (or from_dict's data) not the JSON promised; also a ValueError
    │   └── ResponseTooLargeError      ... because it passed ``max_response_bytes``: reading stopped there
    ├── APIConnectionError             the request did not get a response (DNS, refused, reset)
    │   └── APITimeoutError            ... because a timeout fired
    ├── RateLimitError                 the rate limit stopped the request (``retry_after``)
    │   ├── TooManyRequestsError       429 from the server (also an APIError)
    │   └── RateLimitWaitError         refused locally: the wait would pass ``max_rate_limit_wait`` or the deadline
    └── APIError                       the server answered with an error status
        ├── BadRequestError            400
        ├── AuthenticationError        401 (bad, revoked or missing key)
        ├── PermissionDeniedError      403 (SUBSCRIPTION_REQUIRED, PLAN_NOT_ELIGIBLE)
        ├── NotFoundError              404 (also: outside the key's workspaces)
        ├── TooManyRequestsError       429 (also a RateLimitError)
        └── ServerError                5xx

Low-level transport exceptions are translated once, in the transport, and never reach users. Every error
carries ``attempts``: how many times the request was sent before giving up (0 when it never left). An error
raised by a call also names its request: ``method``, ``path`` (no query string, so no filter values) and the
operation's ``resource_id``, set once by the funnel (``locate``) and shown in the message, so that one failure
among many concurrent calls can be traced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from multidict import CIMultiDict

_SNIPPET_CHARS = 200


def snippet(body: bytes | str, limit: int = _SNIPPET_CHARS) -> str:
    """A short, printable excerpt of a body for error messages."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SkipcallError(Exception):
    """Base class of every error raised by skipcall-async: catch it to catch them all.

    An error raised by a call names the request in its message (`GET /v1/calls/123...: ...`) and in the
    attributes below; they are None on errors that no request raised, such as a bad client setting.

    Attributes:
        attempts: How many times the request was sent before this error was raised (0 when it never left).
        method: The request's HTTP method (`"GET"`, ...).
        path: The request's path as sent, ids percent-encoded, without the query string (`/v1/calls/123...`).
        resource_id: The id the operation was called with (the call's, the contact's, ...), None for an
            operation on no single resource, such as a list.
    """

    attempts: int = 0
    method: str | None = None
    path: str | None = None
    resource_id: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.method} {self.path}: {text}" if self.method is not None else text

    def __repr__(self) -> str:
        # The message with its request, as str shows it: what a list from gather(..., return_exceptions=True) prints.
        return f"{type(self).__name__}({str(self)!r})"


class ConfigurationError(SkipcallError, ValueError):
    """The client was set up with an argument it cannot work with (also a `ValueError`).

    Raised at once, when the client or a policy is built: a missing or blank key, an unsafe or malformed base
    URL, a value out of range.
    """


class InvalidArgumentError(SkipcallError, ValueError):
    """An operation was called with an argument the API cannot take: refused before anything is sent.

    Also a `ValueError`, so code written for the SDK's earlier `ValueError`s keeps working. Examples: a blank or
    `..` id, `size` outside 1 to 100, a date that is not one.

    Attributes:
        argument (str | None): The argument's name (`"call_id"`, `"contacts[].contact_id"`), None when the error
            is about the arguments together (an update with nothing to change).
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        self.argument = argument
        super().__init__(message)


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of the wrong type, such as a bare string where a list of ids is expected (also a `TypeError`)."""


class ClientClosedError(SkipcallError, RuntimeError):
    """The client was used after [`aclose`][skipcall_async.SkipcallClient.aclose] (also a `RuntimeError`)."""


class EventLoopError(SkipcallError, RuntimeError):
    """An async client was used in an event loop other than the one it first sent a request in (also a
    `RuntimeError`).

    Its connections and its rate-limit queue belong to that loop: a second `asyncio.run(...)` with a client made
    outside it is the usual cause. Make the client inside the coroutine each loop runs
    (`async with SkipcallClient() as client:`), or use a [`SyncSkipcallClient`][skipcall_async.SyncSkipcallClient]
    from synchronous code.
    """


def event_loop_error(client: str, *, closed: bool) -> EventLoopError:
    """The error for a ``client`` used outside its loop; ``closed``: that loop has ended."""
    where = "has ended" if closed else "is another one"
    return EventLoopError(
        f"this {client} belongs to the event loop it first sent a request in, which {where}: make the client inside "
        f"the coroutine each loop runs (`async with {client}() as client:` inside the function you pass to "
        "asyncio.run), or use SyncSkipcallClient from synchronous code (scripts, notebooks, Django or Flask views, "
        "Celery tasks)"
    )


class DecodeError(SkipcallError, ValueError):
    """JSON that is not what was promised: a successful response's body, or the data given to `Model.from_dict`.

    The body is not JSON, or it does not fit the model (a value of the wrong type, a required field missing, a
    number no float can hold), or it was nested too deeply to read. Also a `ValueError`, which `from_dict` raised
    before. The decoding policy is in the "Models and JSON" page.

    Attributes:
        status (int | None): The response's HTTP status; None when `from_dict` raised it.
        field (str | None): The path of the field that does not fit (`contact.firstName`, `data[2].count`), None
            when the data as a whole does not (not JSON, not an object).
        snippet (str): The start of the body, for the message and logs.
        headers (Mapping[str, str]): The response's headers (never the request's, so never the key).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        self.status = status
        self.field = field
        self.headers: Mapping[str, str] = CIMultiDict(headers or {})  # case-insensitive, and picklable
        self.snippet = snippet(body)
        http = f" (HTTP {status})" if status is not None else ""
        detail = f" Body starts: {self.snippet!r}" if self.snippet and status is not None else ""
        super().__init__(f"{message}{http}.{detail}")


class ResponseTooLargeError(DecodeError):
    """A successful response whose body passed the client's `max_response_bytes`: reading stopped at the limit.

    Nothing past the limit was read or kept, so a server or proxy sending an endless body costs the limit's worth
    of memory at most. Not retried: the same request would get the same body. Raise the limit with
    `with_options(max_response_bytes=...)` for a call known to answer that much.

    Attributes:
        limit (int): The limit, in bytes of the body as decoded from its transfer encoding (after gzip).
    """

    def __init__(
        self, *, status: int, limit: int, body: bytes | str = b"", headers: Mapping[str, str] | None = None
    ) -> None:
        self.limit = limit
        message = f"Response body is larger than max_response_bytes ({limit:,} bytes); reading stopped there"
        super().__init__(message, status=status, body=body, headers=headers)

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuild_too_large, (self.status, self.limit, self.snippet, dict(self.headers)), self.__dict__


def _rebuild_too_large(status: int, limit: int, start: str, headers: dict[str, str]) -> ResponseTooLargeError:
    return ResponseTooLargeError(status=status, limit=limit, body=start, headers=headers)


class APIConnectionError(SkipcallError):
    """No response was received: the connection failed, was reset, or the host is unreachable.

    Attributes:
        request_sent (bool): False only when the request provably never reached the server (for example the
            connection was refused), which makes even a POST safe to retry.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        self.request_sent = request_sent
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """A timeout fired before the response was complete."""


class APIError(SkipcallError):
    """The server answered with an error status; the subclasses name the common ones.

    Attributes:
        status (int): The HTTP status.
        code (str | None): The API's error code from the body (`"PLAN_NOT_ELIGIBLE"`, ...), None when it has none.
        message (str): The body's message when it has one (both documented shapes are read), else a description.
        headers: The response headers (never the request's, so never the key).
        snippet (str): The start of the body, for logs.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str = b"",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers: Mapping[str, str] = CIMultiDict(headers or {})  # case-insensitive, and picklable
        self.snippet = snippet(body)
        label = f"{status} {code}" if code else str(status)
        super().__init__(f"HTTP {label}: {message}")

    def __str__(self) -> str:
        if self.method is None:
            return Exception.__str__(self)
        code = f" ({self.code})" if self.code else ""
        return f"{self.status} {self.method} {self.path}: {self.message}{code}"


class BadRequestError(APIError):
    """400: the server rejected the parameters or body."""


class AuthenticationError(APIError):
    """401: the API key is invalid, revoked or missing.

    Its message says what to check: the key the client was given (`api_key=...`, else `SKIPCALL_API_KEY`), and
    that it is a key for the API at the client's base URL (a test key against production, or the reverse, is
    refused too).
    """

    def __str__(self) -> str:
        return f"{super().__str__()}. {AUTHENTICATION_HINT}"


AUTHENTICATION_HINT = (
    "Check the API key: the client's api_key argument, else the SKIPCALL_API_KEY environment variable; it must be "
    "a live key of the organisation, for the API at the client's base URL (SKIPCALL_BASE_URL)"
)


class PermissionDeniedError(APIError):
    """403: the organisation's subscription does not allow API access.

    Its `code` tells why: `"SUBSCRIPTION_REQUIRED"` (no active subscription) or `"PLAN_NOT_ELIGIBLE"`.
    """


class NotFoundError(APIError):
    """404: no such resource, or it lies outside the key's workspaces."""


class RateLimitError(SkipcallError):
    """The rate limit stopped the request: a 429 from the server, or a wait the client refused to make.

    Catch this class for both cases; [`TooManyRequestsError`][skipcall_async.TooManyRequestsError] and
    [`RateLimitWaitError`][skipcall_async.RateLimitWaitError] tell them apart.

    Attributes:
        retry_after: Seconds until the request could be admitted (None when unknown).
    """

    retry_after: float | None = None


class TooManyRequestsError(RateLimitError, APIError):
    """429: the server refused the request because the key's rate limit was exceeded, and the call's time for
    rate-limit waits (``max_rate_limit_wait``) ran out before it was admitted.

    Both a [`RateLimitError`][skipcall_async.RateLimitError] and an [`APIError`][skipcall_async.APIError].
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str = b"",
    ) -> None:
        self.retry_after = retry_after
        APIError.__init__(self, message, status=429, code=code, headers=headers, body=body)


class RateLimitWaitError(RateLimitError):
    """Refused before sending: waiting for the rate limit would pass `max_rate_limit_wait` or the call's deadline.

    The request never reached the server, so it has no HTTP status.

    Attributes:
        retry_after: The wait it would have needed in seconds (None when the wait has no known end, such as a
            shared rate-limit store that cannot be reached).
    """

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ServerError(APIError):
    """5xx: the server failed. 500, 502, 503 and 504 are retried for requests that are safe to repeat."""


E = TypeVar("E", bound=SkipcallError)


def locate(error: E, method: str, path: str, resource_id: str | None) -> E:
    """``error``, naming the request it was raised for; the funnel calls this for every failed attempt."""
    error.method, error.path, error.resource_id = method, path, resource_id
    return error
