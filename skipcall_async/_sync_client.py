"""``SyncSkipcallClient``: every operation of ``SkipcallClient``, called without ``await``.

The operations are not written again: each line below names the async operation it runs, and ``blocking`` turns
it into a method with the same parameters, docstring and (for type checkers) return type, that runs the async
client's call on the SDK's loop thread (``_portal.py``) and waits for it. So the request path, the pacing, the
retries and the errors are the async client's own, and a test holds the two classes to the same operations.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from typing import Any, Concatenate, Final, ParamSpec, Self, TypeVar

from ._base_client import DEFAULT_MAX_RESPONSE_BYTES
from ._client import SkipcallClient
from ._errors import ClientClosedError
from ._events import FailureEvent, Hook, RateLimitWaitEvent, RequestEvent, ResponseEvent, RetryEvent
from ._pacing.limiter import RateLimitSnapshot
from ._pacing.policy import RateLimitPolicy
from ._portal import PORTAL
from ._priority import Priority
from ._raw_response import RawResponse
from ._retry import RetryPolicy
from ._types import NOT_GIVEN, NotGiven

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_DONE: Final[Any] = object()


def blocking(operation: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]) -> Callable[Concatenate[Any, P], R]:
    """A method running the async client's ``operation`` (by name, so views and raw views run their own)."""
    name = operation.__name__

    def method(self: _Blocking, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._run(getattr(self._target(), name)(*args, **kwargs))  # type: ignore[no-any-return]

    return _named(method, operation, lambda result: result)


def blocking_iterator(
    operation: Callable[Concatenate[Any, P], AsyncIterator[T]],
) -> Callable[Concatenate[Any, P], Iterator[T]]:
    """A method returning an iterator over what the async ``operation`` yields, a page fetched as it is needed.

    Arguments are checked at the call, as the async operation checks them.
    """
    name = operation.__name__

    def method(self: _Blocking, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        return _iterate(self, getattr(self._target(), name)(*args, **kwargs))

    return _named(method, operation, _iterator_of)


def blocking_raw(
    operation: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Any, P], RawResponse[R]]:
    """As `blocking`, for the raw view: the call returns the operation's `RawResponse`."""
    name = operation.__name__

    def method(self: _Blocking, /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        return self._run(getattr(self._target(), name)(*args, **kwargs))

    return _named(method, operation, _raw_of)


def _iterator_of(result: Any) -> Any:
    """``Iterator[X]`` of an ``AsyncIterator[X]``."""
    return Iterator[typing.get_args(result)[0]]  # type: ignore[misc]


def _raw_of(result: Any) -> Any:
    return RawResponse[result]


def _named(method: F, operation: Callable[..., Any], returns: Callable[[Any], Any]) -> F:
    """``method`` named and documented as ``operation``, with its parameters and the return type ``returns``
    makes of the operation's (for ``help()``, ``inspect`` and ``typing.get_type_hints``)."""
    hints = typing.get_type_hints(operation)
    hints["return"] = returns(hints["return"])
    signature = inspect.signature(operation)
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    method.__name__ = operation.__name__
    method.__qualname__ = operation.__qualname__
    method.__doc__ = operation.__doc__
    method.__annotations__ = hints
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints["return"]
    )
    return method


def _iterate(owner: _Blocking, items: AsyncIterator[T]) -> Iterator[T]:
    try:
        while True:
            item = owner._run(_next(items))
            if item is _DONE:
                return
            yield item
    finally:  # left early (break, an error, garbage collection): end the async iterator on its loop
        if hasattr(items, "aclose"):
            PORTAL.submit(items.aclose())


async def _next(items: AsyncIterator[T]) -> T:
    try:
        return await anext(items)
    except StopAsyncIteration:
        return _DONE  # type: ignore[no-any-return]


async def _snapshot(client: SkipcallClient) -> RateLimitSnapshot:
    return client.rate_limit


class _Blocking:
    """What the methods made by `blocking` need: the async object they call, and a way to wait for a call."""

    _client: SkipcallClient

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in vars(cls).items():  # the async operations' names moved here, as help() shows them
            function = member.fget if isinstance(member, property) else member
            if inspect.isfunction(function):
                function.__qualname__, function.__module__ = f"{cls.__qualname__}.{name}", cls.__module__

    def _target(self) -> Any:
        return self._client

    def _run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        return PORTAL.run(coroutine)


class SyncSkipcallClient(_Blocking):
    """Synchronous client for the Skipcall Public API, for scripts, notebooks, Django or Flask views and Celery tasks.

    It has every operation of [`SkipcallClient`][skipcall_async.SkipcallClient], with the same arguments and
    results, called without `await`.

    Use it as `with SyncSkipcallClient() as client:`, or make one per process and share it between threads (each
    thread's calls run concurrently). Calls run on one event loop thread the SDK starts in the process, so every
    synchronous and asynchronous client on the same key in the process is paced together. A process forked
    after the client was used (a Celery or gunicorn worker) gets fresh connections on its first call.

    It takes the arguments of `SkipcallClient` but `session`; its hooks are async functions, run on the SDK's
    loop thread. The documentation's "Synchronous code" page shows it in each setting.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = 30.0,
        max_connections: int | None = None,
        retry: RetryPolicy | None = None,
        rate_limiting: RateLimitPolicy | None = None,
        max_rate_limit_wait: float = 300.0,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        on_request: Hook[RequestEvent] | None = None,
        on_response: Hook[ResponseEvent] | None = None,
        on_retry: Hook[RetryEvent] | None = None,
        on_rate_limit_wait: Hook[RateLimitWaitEvent] | None = None,
        on_failure: Hook[FailureEvent] | None = None,
    ) -> None:
        self._settings: dict[str, Any] = {
            "base_url": base_url, "timeout": timeout, "max_connections": max_connections, "retry": retry,
            "rate_limiting": rate_limiting, "max_rate_limit_wait": max_rate_limit_wait,
            "max_response_bytes": max_response_bytes, "on_request": on_request,
            "on_response": on_response, "on_retry": on_retry, "on_rate_limit_wait": on_rate_limit_wait,
            "on_failure": on_failure,
        }  # fmt: skip
        self._api_key = api_key
        self._client = SkipcallClient(api_key, **self._settings)  # checks every argument, here and now
        self._generation = PORTAL.generation
        self._root: SyncSkipcallClient = self
        self._options: dict[str, Any] = {}  # a view's with_options arguments
        self._view: SkipcallClient | None = None  # a view's async view, made on first use
        PORTAL.close_with(self, self._client.aclose)

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new SyncSkipcallClient")
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the client's connections. Idempotent; on a view, closes the view only."""
        if self._root is not self:
            self._run(self._target().aclose())
            return
        PORTAL.forget(self)
        if self._generation == PORTAL.generation:  # a client of the parent process: its connections are not ours
            self._run(self._client.aclose())

    @property
    def closed(self) -> bool:
        """True once [`close`][skipcall_async.SyncSkipcallClient.close] has been called (on a view: or on its
        client)."""
        return self._target().closed

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._client.base_url

    @property
    def rate_limit(self) -> RateLimitSnapshot:
        """An immutable snapshot of this key's rate-limit state (shared by every client on the key in the
        process)."""
        return self._run(_snapshot(self._target()))

    def with_options(
        self,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        max_rate_limit_wait: float | NotGiven = NOT_GIVEN,
        headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
        priority: Priority | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A view of this client for some calls with other settings, as
        [`SkipcallClient.with_options`][skipcall_async.SkipcallClient.with_options] makes one."""
        options: dict[str, Any] = {"timeout": timeout, "retry": retry, "max_rate_limit_wait": max_rate_limit_wait,
                   "headers": headers, "priority": priority, "max_response_bytes": max_response_bytes}  # fmt: skip
        self._target().with_options(**options)  # checks the options now
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._options = {**self._options, **{k: v for k, v in options.items() if v is not NOT_GIVEN}}
        view._view = None
        return view

    @property
    def with_raw_response(self) -> SyncWithRawResponse:
        """Every operation, with the same arguments, returning a [`RawResponse`][skipcall_async.RawResponse]."""
        return SyncWithRawResponse(self)

    def __repr__(self) -> str:
        return "Sync" + repr(self._target())

    def _target(self) -> SkipcallClient:
        """The async client (or view) the calls run on, made again in a process forked from the one that made it."""
        root = self._root
        if root._generation != PORTAL.generation:  # forked: the parent's connections are not this process's
            root._client._transport.abandon()
            root._client = SkipcallClient(root._api_key, **root._settings)
            root._generation = PORTAL.generation
            PORTAL.close_with(root, root._client.aclose)
            self._view = None
        if not self._options:
            return root._client
        view = self._view
        if view is None or view._parent is not root._client:
            view = self._view = root._client.with_options(**self._options)
        return view

    # -- operations: each one the async client's, by name --------------------------------------------------------

    health = blocking(SkipcallClient.health)
    list_calls = blocking(SkipcallClient.list_calls)
    iter_calls = blocking_iterator(SkipcallClient.iter_calls)
    get_call = blocking(SkipcallClient.get_call)
    get_call_recording = blocking(SkipcallClient.get_call_recording)
    get_call_transcription = blocking(SkipcallClient.get_call_transcription)
    create_contact = blocking(SkipcallClient.create_contact)
    get_contact = blocking(SkipcallClient.get_contact)
    update_contact = blocking(SkipcallClient.update_contact)
    create_sequence = blocking(SkipcallClient.create_sequence)
    list_sequence_contacts = blocking(SkipcallClient.list_sequence_contacts)
    iter_sequence_contacts = blocking_iterator(SkipcallClient.iter_sequence_contacts)
    add_sequence_contacts = blocking(SkipcallClient.add_sequence_contacts)
    remove_sequence_contacts = blocking(SkipcallClient.remove_sequence_contacts)
    create_tag = blocking(SkipcallClient.create_tag)
    delete_tag = blocking(SkipcallClient.delete_tag)
    get_tag_distribution = blocking(SkipcallClient.get_tag_distribution)
    get_status_distribution = blocking(SkipcallClient.get_status_distribution)
    get_call_duration_stats = blocking(SkipcallClient.get_call_duration_stats)
    get_team_stats = blocking(SkipcallClient.get_team_stats)
    list_users = blocking(SkipcallClient.list_users)
    iter_users = blocking_iterator(SkipcallClient.iter_users)
    list_workspaces = blocking(SkipcallClient.list_workspaces)
    list_workspace_members = blocking(SkipcallClient.list_workspace_members)
    iter_workspace_members = blocking_iterator(SkipcallClient.iter_workspace_members)


class SyncWithRawResponse(_Blocking):
    """Every operation of the synchronous client, with the same arguments, returning a
    [`RawResponse`][skipcall_async.RawResponse]."""

    def __init__(self, client: SyncSkipcallClient) -> None:
        self._owner = client
        self._client = client._target()

    def _target(self) -> Any:
        return self._owner._target()._raw_view()

    health = blocking_raw(SkipcallClient.health)
    list_calls = blocking_raw(SkipcallClient.list_calls)
    get_call = blocking_raw(SkipcallClient.get_call)
    get_call_recording = blocking_raw(SkipcallClient.get_call_recording)
    get_call_transcription = blocking_raw(SkipcallClient.get_call_transcription)
    create_contact = blocking_raw(SkipcallClient.create_contact)
    get_contact = blocking_raw(SkipcallClient.get_contact)
    update_contact = blocking_raw(SkipcallClient.update_contact)
    create_sequence = blocking_raw(SkipcallClient.create_sequence)
    list_sequence_contacts = blocking_raw(SkipcallClient.list_sequence_contacts)
    add_sequence_contacts = blocking_raw(SkipcallClient.add_sequence_contacts)
    remove_sequence_contacts = blocking_raw(SkipcallClient.remove_sequence_contacts)
    create_tag = blocking_raw(SkipcallClient.create_tag)
    delete_tag = blocking_raw(SkipcallClient.delete_tag)
    get_tag_distribution = blocking_raw(SkipcallClient.get_tag_distribution)
    get_status_distribution = blocking_raw(SkipcallClient.get_status_distribution)
    get_call_duration_stats = blocking_raw(SkipcallClient.get_call_duration_stats)
    get_team_stats = blocking_raw(SkipcallClient.get_team_stats)
    list_users = blocking_raw(SkipcallClient.list_users)
    list_workspaces = blocking_raw(SkipcallClient.list_workspaces)
    list_workspace_members = blocking_raw(SkipcallClient.list_workspace_members)
