"""A real express 5 app guarded by the real express-rate-limit 8, started on a free port for benchmarks and tests.

``mode`` picks the headers the library sends: ``legacy`` (``X-RateLimit-*``, Reset a Unix time rounded up to the
second), ``draft-6``, ``draft-7`` or ``draft-8`` (the IETF ``RateLimit`` fields, as its README's example sends
them, legacy headers off), or ``off``: no limiter, the app a proxy such as nginx limits. Each API key (the
Authorization header) gets ``limit`` requests in a fixed window of ``window`` seconds opened by its first request.
Standard library only, so a benchmark can start it under another interpreter's SDK.
"""

from __future__ import annotations

from pathlib import Path

from support.limiters.node_app import NodeApp

HERE = Path(__file__).resolve().parent
MODES = ("legacy", "draft-6", "draft-7", "draft-8", "off")


class ExpressApp(NodeApp):
    """``with ExpressApp("draft-8", limit=100, window=10) as app: app.url, app.log() ...``."""

    def __init__(self, mode: str = "draft-8", *, limit: int = 100, window: float = 10.0) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if limit < 1 or window <= 0:
            raise ValueError(f"limit must be >= 1 and window > 0 (got {limit} per {window} s)")
        super().__init__(HERE, ["--port", "0", "--mode", mode, "--limit", str(limit), "--window", repr(window)])
        self.mode = mode
        self.limit = limit
        self.window = window
