"""One of this folder's Node.js apps as a child process on a free port: the launcher every limiter app shares.

Each app lives in a folder of its own with its locked packages (``package.json``, ``package-lock.json``, installed
by `support.node_packages.npm_ci`), prints ``listening on URL`` once it serves, and logs every ``/v1`` request at
``/__admin/log`` as ``[[epoch ms, status], ...]``: what a test or benchmark counts at the limiter. Standard library
only, so a benchmark can start it under another interpreter's SDK.
"""

from __future__ import annotations

import json
import select
import subprocess
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from support.node_packages import npm_ci


class NodeApp:
    """``app.js`` of ``directory`` run with ``arguments``: ``with NodeApp(...) as app: app.url ...``.

    Attributes:
        url: The base URL, ``http://127.0.0.1:PORT``, once started.
    """

    def __init__(self, directory: Path, arguments: list[str], *, start_timeout: float = 60.0) -> None:
        self.directory = directory
        self.arguments = list(arguments)
        self.start_timeout = start_timeout
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, arguments={self.arguments!r})"

    def start(self) -> None:
        """Install the app's packages if needed, start it, and wait for it to listen."""
        node = npm_ci(self.directory)
        command = [node, str(self.directory / "app.js"), *self.arguments]
        self._process = process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=self.directory)
        assert process.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = process.stdout.readline() if ready else ""
            if line.startswith("listening on "):
                self.url = line.split()[-1]
                return
            if not ready or process.poll() is not None or not line:
                self.stop()
                raise RuntimeError(f"{self.directory.name}/app.js did not start (exit {process.poll()}): {line!r}")

    def stop(self) -> None:
        """Stop the app (its state goes with it)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()

    def log(self) -> list[tuple[float, int]]:
        """When each ``/v1`` request arrived (epoch seconds on the app's clock) and its status, in order."""
        with urllib.request.urlopen(f"{self.url}/__admin/log", timeout=30) as response:
            return [(ms / 1000.0, status) for ms, status in json.load(response)]

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
