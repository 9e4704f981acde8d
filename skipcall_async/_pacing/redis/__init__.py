"""The Redis rate-limit store: one key's pacing shared by a fleet of processes.

Importing this package does not import redis-py; building a `RedisRateLimitStore` does.
"""

from .store import RedisRateLimitStore

__all__ = ["RedisRateLimitStore"]
