"""Which store a policy's clients use: the one it names, else Redis at ``SKIPCALL_REDIS_URL``, else in-process.

The Redis store's module is imported here at start-up, but it imports redis-py only when a store is built: a
process that never asks for Redis never loads it.
"""

from __future__ import annotations

import os
from typing import Final

from .._errors import ConfigurationError
from .redis.store import RedisRateLimitStore
from .stores import IN_PROCESS, RateLimitStore

REDIS_URL_ENV: Final = "SKIPCALL_REDIS_URL"
_from_environment: dict[str, RedisRateLimitStore] = {}


def resolve_store(store: RateLimitStore | None) -> RateLimitStore:
    """The store a policy names; unnamed, Redis at ``SKIPCALL_REDIS_URL`` when it is set, else in-process."""
    if store is not None:
        if not isinstance(store, RateLimitStore):
            raise ConfigurationError(
                f"RateLimitPolicy.store must be an InProcessRateLimitStore or a RedisRateLimitStore, "
                f"not {type(store).__name__}"
            )
        return store
    url = os.environ.get(REDIS_URL_ENV, "").strip()
    if not url:
        return IN_PROCESS
    cached = _from_environment.get(url)
    if cached is None:
        cached = _from_environment[url] = RedisRateLimitStore(url)
    return cached
