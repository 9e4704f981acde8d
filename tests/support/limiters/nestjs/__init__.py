"""A real NestJS app guarded by the real @nestjs/throttler, started on a free port for benchmarks and tests.

The app (``app.js``) and its locked dependencies (``package.json``, ``package-lock.json``) live beside this module;
``ensure_installed`` runs ``npm ci`` when needed (`support.node_packages`), and `support.limiters.node_app` runs the
process. Node.js 20 or newer is needed. Standard library only, so a benchmark can start it under another
interpreter's SDK.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from support.limiters.node_app import NodeApp
from support.node_packages import npm_ci

HERE = Path(__file__).resolve().parent


def ensure_installed() -> str:
    """The app's locked packages installed (``npm ci`` when needed); returns the ``node`` to run it with."""
    return npm_ci(HERE)


def throttler(ttl: float, limit: int, *, block: float | None = None, name: str | None = None) -> dict[str, Any]:
    """One entry of ``ThrottlerModule.forRoot``'s list, from seconds (the library counts milliseconds).

    ``block`` None leaves ``blockDuration`` unset: the library then blocks for one ``ttl``.
    """
    entry: dict[str, Any] = {"ttl": round(ttl * 1000), "limit": limit}
    if block is not None:
        entry["blockDuration"] = round(block * 1000)
    if name is not None:
        entry["name"] = name
    return entry


class NestApp(NodeApp):
    """The app as a child process: ``with NestApp([throttler(10, 100)]) as app: app.url ...``.

    Attributes:
        url: The base URL, ``http://127.0.0.1:PORT``, once started.
    """

    def __init__(
        self,
        throttlers: Sequence[Mapping[str, Any]] = ({"ttl": 10_000, "limit": 100},),
        *,
        tracker: str = "key",
        fake_clock: bool = False,
        call: Mapping[str, Any] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        super().__init__(HERE, [], start_timeout=start_timeout)
        self.throttlers = [dict(t) for t in throttlers]
        self.tracker = tracker
        self.fake_clock = fake_clock
        self.call = call
        self._call_file: str | None = None

    def __repr__(self) -> str:
        return f"NestApp(url={self.url!r}, throttlers={self.throttlers!r}, tracker={self.tracker!r})"

    def start(self) -> None:
        """Install if needed, start the app, and wait for it to listen."""
        self.arguments = ["--port", "0", "--throttlers", json.dumps(self.throttlers), "--tracker", self.tracker]
        if self.fake_clock:
            self.arguments.append("--fake-clock")
        if self.call is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
                json.dump(self.call, file)
            self._call_file = file.name
            self.arguments += ["--call", file.name]
        super().start()

    def stop(self) -> None:
        """Stop the app (its state goes with it)."""
        super().stop()
        if self._call_file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._call_file)
            self._call_file = None

    def set_clock(self, epoch_seconds: float) -> None:
        """Set the app's clock (``fake_clock=True`` only): every later ``Date.now()`` reads this instant."""
        request = urllib.request.Request(f"{self.url}/__admin/clock?now={round(epoch_seconds * 1000)}", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@contextlib.contextmanager
def nest_app(*throttlers: Mapping[str, Any], **options: Any) -> Iterator[NestApp]:
    """``NestApp`` as a context manager, throttlers given as arguments."""
    with NestApp(throttlers or ({"ttl": 10_000, "limit": 100},), **options) as app:
        yield app
