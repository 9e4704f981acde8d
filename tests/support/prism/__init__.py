"""Stoplight Prism serving the API description: ``npm ci`` from the committed lockfile, then ``prism mock`` or
``prism proxy``.

Prism (``package.json`` beside this module, pinned by ``package-lock.json``) validates every request against the
description; with ``--errors`` a violation is answered with an error status and listed in the ``sl-violations``
header. It needs Node.js 20 or newer (`support.node_packages`): in CI (``CI=true``) its absence fails the tests that
need it, elsewhere it skips them, saying what to install.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest

from skipcall_async.testing import API_DESCRIPTION
from support.node_packages import NodeMissing, npm_ci
from support.node_unavailable import node_unavailable

PRISM_DIR: Final = Path(__file__).resolve().parent


def prism_node() -> str:
    """Prism's packages installed from its lockfile; the ``node`` to run it with (see `node_unavailable`)."""
    try:
        return npm_ci(PRISM_DIR)
    except NodeMissing as missing:
        node_unavailable("the Prism contract test", str(missing))


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
            pytest.fail(f"prism exited with {process.returncode}:\n{output}", pytrace=False)
        try:
            with urllib.request.urlopen(url + "/v1/health", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"prism did not answer on {url} within {timeout:g} s", pytrace=False)


@contextmanager
def prism_mock(description: Path = API_DESCRIPTION) -> Iterator[str]:
    """A ``prism mock --errors`` of ``description`` on a free port of 127.0.0.1; yields its URL."""
    with _prism("mock", "--errors", str(description)) as url:
        yield url


@contextmanager
def prism_proxy(description: Path, upstream: str) -> Iterator[str]:
    """A ``prism proxy`` of ``description`` in front of ``upstream``: it forwards every request, normalising its URL
    as Node's URL parser does (``%2E`` is a dot), and reports violations in ``sl-violations``; yields its URL."""
    with _prism("proxy", str(description), upstream) as url:
        yield url


@contextmanager
def _prism(*arguments: str) -> Iterator[str]:
    node = prism_node()
    port = _free_port()
    cli = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"
    process = subprocess.Popen(
        [node, str(cli), arguments[0], "--host", "127.0.0.1", "--port", str(port), *arguments[1:]],
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
