"""A real fastify 5 app guarded by the real @fastify/rate-limit, started on a free port for benchmarks and tests.

Each API key (the Authorization header) gets ``limit`` requests in a fixed window of ``window`` seconds opened by
its first request; the plugin sends ``x-ratelimit-reset`` as whole seconds until that window ends. Standard
library only, so a benchmark can start it under another interpreter's SDK.
"""

from __future__ import annotations

from pathlib import Path

from support.limiters.node_app import NodeApp

HERE = Path(__file__).resolve().parent


class FastifyApp(NodeApp):
    """``with FastifyApp(limit=100, window=10) as app: app.url, app.log() ...``."""

    def __init__(self, *, limit: int = 100, window: float = 10.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"limit must be >= 1 and window > 0 (got {limit} per {window} s)")
        super().__init__(HERE, ["--port", "0", "--limit", str(limit), "--window", repr(window)])
        self.limit = limit
        self.window = window
