"""``SkipcallClient``: the configuration and funnel of ``BaseClient`` plus one mixin per resource."""

from __future__ import annotations

from ._base_client import BaseClient
from ._resources.calls import CallsMixin
from ._resources.contacts import ContactsMixin
from ._resources.organization import OrganizationMixin
from ._resources.sequences import SequencesMixin
from ._resources.stats import StatsMixin
from ._resources.tags import TagsMixin


class SkipcallClient(CallsMixin, ContactsMixin, SequencesMixin, TagsMixin, StatsMixin, OrganizationMixin, BaseClient):
    """Async client for the Skipcall Public API.

    Use it as ``async with SkipcallClient() as client:``; the key comes from ``api_key`` or the
    ``SKIPCALL_API_KEY`` environment variable. One client (or many) can be shared by any number of tasks:
    requests on the same key are paced together from the server's rate-limit headers.

    Arguments (all keyword-only but ``api_key``):
        base_url: API root (default ``SKIPCALL_BASE_URL``, else production); ``https`` unless loopback.
        timeout: seconds for one HTTP exchange, counted from when it gets a connection slot (None: no limit).
        session: an ``aiohttp.ClientSession`` to borrow; it is not closed by the client.
        max_connections: requests on the wire at once (default: the session's connection limit, 100).
        retry: a :class:`RetryPolicy` (attempts, backoff base and cap, total deadline).
        rate_limiting: a :class:`RateLimitPolicy` (the plan's limit and window if known, the probe, the store).
        max_rate_limit_wait: longest wait for a rate-limit token before :class:`RateLimitWaitError` (seconds).
        on_request, on_response, on_retry, on_rate_limit_wait: async hooks receiving event objects.
    """
