"""``SkipcallClient``: the configuration and funnel of ``BaseClient`` plus one mixin per resource, as one class.

The code is split by resource for its readers; users see one class. ``one_class`` defines every member of the
bases on the class itself and drops the bases, so ``help(SkipcallClient)`` lists the operations, not seven
private mixins in a method resolution order. Type checkers read the class statement as written, with the same
members; only ``isinstance`` checks against the private bases differ, and nothing makes them.

``WithRawResponse``, the raw view of every operation, lives here too: it names each operation, and this is the
one module that knows them all. The funnel only needs ``RawResponse``, so it never imports the client back.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from ._base_client import BaseClient
from ._raw_response import RawResponse
from ._resources.calls import CallsMixin
from ._resources.contacts import ContactsMixin
from ._resources.organization import OrganizationMixin
from ._resources.sequences import SequencesMixin
from ._resources.stats import StatsMixin
from ._resources.tags import TagsMixin

C = TypeVar("C", bound=type)
R = TypeVar("R")
P = ParamSpec("P")


def one_class(cls: C) -> C:
    """``cls`` rebuilt on ``object`` alone, with the members of its bases (resolved as its MRO does) its own."""
    namespace: dict[str, object] = {}
    for klass in reversed(cls.__mro__[:-1]):  # the most derived last, so its members win as in the MRO
        namespace.update((k, v) for k, v in vars(klass).items() if k not in ("__dict__", "__weakref__"))
    for name, member in namespace.items():
        function = member.fget if isinstance(member, property) else member
        if inspect.isfunction(function) and "__class__" in function.__code__.co_freevars:
            raise TypeError(f"{cls.__name__}.{name} uses super() or __class__, which would not survive the move")
        if inspect.isfunction(function):  # help() on Python 3.13 names the module and class a method says it has
            function.__qualname__, function.__module__ = f"{cls.__qualname__}.{name}", cls.__module__
    return type(cls)(cls.__name__, (object,), namespace)


@one_class
class SkipcallClient(CallsMixin, ContactsMixin, SequencesMixin, TagsMixin, StatsMixin, OrganizationMixin, BaseClient):
    """Async client for the Skipcall Public API.

    Use it as `async with SkipcallClient() as client:`. One client (or many) can be shared by any number of tasks:
    requests on the same key are paced together from the server's rate-limit headers. Every argument but
    `api_key` is keyword-only.

    Besides the errors each operation lists, any call can raise one about the key
    ([`AuthenticationError`][skipcall_async.AuthenticationError],
    [`PermissionDeniedError`][skipcall_async.PermissionDeniedError]), the rate limit
    ([`RateLimitError`][skipcall_async.RateLimitError]), the network
    ([`APIConnectionError`][skipcall_async.APIConnectionError]) or the server
    ([`ServerError`][skipcall_async.ServerError], [`DecodeError`][skipcall_async.DecodeError]), and
    [`ClientClosedError`][skipcall_async.ClientClosedError] once the client is closed. All are subclasses of
    [`SkipcallError`][skipcall_async.SkipcallError].

    Args:
        api_key: The API key. None: the `SKIPCALL_API_KEY` environment variable.
        base_url: The API root. None: `SKIPCALL_BASE_URL`, else the production API. Must be `https` unless the
            host is loopback (`localhost`, `127.0.0.0/8`, `::1`).
        timeout: Seconds for one HTTP exchange, counted from when it holds a connection slot (time queued for the
            rate limit is not counted). Default 30; None: no limit.
        session: An `aiohttp.ClientSession` to borrow (connection pool, proxies, TLS). The client never closes it.
        max_connections: Requests on the wire at once. None: a borrowed session's connection limit, else 100.
        retry: Attempts, backoff and total deadline; see [`RetryPolicy`][skipcall_async.RetryPolicy]. None: the
            defaults.
        rate_limiting: How the key is paced (the plan's limit and window if known, the probe, the store); see
            [`RateLimitPolicy`][skipcall_async.RateLimitPolicy]. None: the defaults.
        max_rate_limit_wait: Longest time in seconds a call waits for the rate limit, all its waits together
            (a request refused with a 429 waits and is sent again); past it the call fails with
            [`RateLimitWaitError`][skipcall_async.RateLimitWaitError], or with its last
            [`TooManyRequestsError`][skipcall_async.TooManyRequestsError] if it got one. Default 300; 0 makes a
            429 final at once.
        max_response_bytes: The largest response body read, in bytes (after gzip is undone): reading stops there,
            and a larger successful body raises [`ResponseTooLargeError`][skipcall_async.ResponseTooLargeError].
            Default 16 MiB; None: no limit.
        on_request: Async hook given a [`RequestEvent`][skipcall_async.RequestEvent] before each attempt.
        on_response: Async hook given a [`ResponseEvent`][skipcall_async.ResponseEvent] for every response,
            errors and 429s included.
        on_retry: Async hook given a [`RetryEvent`][skipcall_async.RetryEvent] before each retry's sleep.
        on_rate_limit_wait: Async hook given a [`RateLimitWaitEvent`][skipcall_async.RateLimitWaitEvent] after a
            request waited for a rate-limit token.
        on_failure: Async hook given a [`FailureEvent`][skipcall_async.FailureEvent] once when a call fails for
            good (after its retries), just before its error is raised.

    Raises:
        ConfigurationError: No API key, an unsafe or malformed `base_url`, or an argument out of range
            (a `timeout` that is not positive, a `retry` that is not a `RetryPolicy`, ...).
    """

    @property
    def with_raw_response(self) -> WithRawResponse:
        """Every operation, with the same arguments, returning a [`RawResponse`][skipcall_async.RawResponse].

        Use it to read a response's status, headers, attempts or timing next to its result:
        `raw = await client.with_raw_response.get_call(call_id)`, then `raw.headers` and `raw.parse()`.
        """
        return WithRawResponse(self)


def _raw(operation: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[RawResponse[R]]]:
    """The same operation, typed for what a raw view's funnel returns: a RawResponse of its result."""
    return operation  # type: ignore[return-value]


class WithRawResponse:
    """Every operation of the client, with the same arguments, returning a [`RawResponse`][skipcall_async.RawResponse].

    Iterators (`iter_*`) send several requests each and are not here: call `list_*` page by page instead.
    """

    def __init__(self, client: SkipcallClient) -> None:
        raw = client._raw_view()
        self.health = _raw(raw.health)
        self.list_calls = _raw(raw.list_calls)
        self.get_call = _raw(raw.get_call)
        self.get_call_recording = _raw(raw.get_call_recording)
        self.get_call_transcription = _raw(raw.get_call_transcription)
        self.create_contact = _raw(raw.create_contact)
        self.get_contact = _raw(raw.get_contact)
        self.update_contact = _raw(raw.update_contact)
        self.create_sequence = _raw(raw.create_sequence)
        self.list_sequence_contacts = _raw(raw.list_sequence_contacts)
        self.add_sequence_contacts = _raw(raw.add_sequence_contacts)
        self.remove_sequence_contacts = _raw(raw.remove_sequence_contacts)
        self.create_tag = _raw(raw.create_tag)
        self.delete_tag = _raw(raw.delete_tag)
        self.get_tag_distribution = _raw(raw.get_tag_distribution)
        self.get_status_distribution = _raw(raw.get_status_distribution)
        self.get_call_duration_stats = _raw(raw.get_call_duration_stats)
        self.get_team_stats = _raw(raw.get_team_stats)
        self.list_users = _raw(raw.list_users)
        self.list_workspaces = _raw(raw.list_workspaces)
        self.list_workspace_members = _raw(raw.list_workspace_members)
