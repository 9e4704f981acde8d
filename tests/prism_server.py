"""Stoplight Prism serving the API description: ``npm ci`` from the committed lockfile, then ``prism mock``.

Prism (``tests/prism/package.json``, pinned by ``package-lock.json``) validates every request against the
description; with ``--errors`` a violation is answered with an error status and listed in the ``sl-violations``
header. It needs Node.js 18 or newer on PATH: in CI (``CI=true``) its absence fails the tests that need it,
elsewhere it skips them, saying what to install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, NoReturn

import pytest

from skipcall_async.testing import API_DESCRIPTION

PRISM_DIR: Final = Path(__file__).with_name("prism")
STAMP: Final = PRISM_DIR / "node_modules" / ".package-lock.sha256"  # which lockfile node_modules was built from
NODE_MAJOR: Final = 18
INSTALL_HINT: Final = f"install Node.js {NODE_MAJOR} or newer with npm (e.g. apt-get install nodejs npm)"


def _unavailable(reason: str) -> NoReturn:
    """Fail in CI, where Node.js is installed on purpose; skip elsewhere. Either way, say what to install."""
    message = f"the Prism contract test needs Node.js: {reason}; {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _node() -> tuple[str, str]:
    """Paths of ``node`` and ``npm``, checked to be recent enough."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        _unavailable("node is not on PATH")
    if npm is None:
        _unavailable("npm is not on PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
        _unavailable(f"node {version} is older than {NODE_MAJOR}")
    return node, npm


def _install(npm: str) -> None:
    """``npm ci`` when node_modules is missing or was built from another lockfile."""
    digest = hashlib.sha256((PRISM_DIR / "package-lock.json").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PRISM_DIR, check=True, timeout=600)
    STAMP.write_text(digest + "\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll until Prism answers (any status); fail with its output if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"prism mock exited with {process.returncode}:\n{output}", pytrace=False)
        try:
            with urllib.request.urlopen(url + "/v1/health", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"prism mock did not answer on {url} within {timeout:g} s", pytrace=False)


@contextmanager
def prism_mock(description: Path = API_DESCRIPTION) -> Iterator[str]:
    """A ``prism mock --errors`` of ``description`` on a free port of 127.0.0.1; yields its URL."""
    node, npm = _node()
    _install(npm)
    port = _free_port()
    cli = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"
    process = subprocess.Popen(
        [node, str(cli), "mock", "--host", "127.0.0.1", "--port", str(port), "--errors", str(description)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
