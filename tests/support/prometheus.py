"""A real Prometheus server on a free port, scraping given targets every second, and its query API.

The binary is ``prometheus`` on PATH (Debian's package ``prometheus``) or ``SKIPCALL_PROMETHEUS``. Without it a
test fails under ``CI=true`` (``.ci/run`` installs it) and skips elsewhere, saying what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

SCRAPE_INTERVAL = "1s"


def prometheus_binary() -> str:
    """The path of the prometheus binary, or a failure in CI and a skip elsewhere."""
    found = os.environ.get("SKIPCALL_PROMETHEUS") or shutil.which("prometheus")
    if found is None:
        _unavailable("no prometheus binary on PATH (apt-get install prometheus, or set SKIPCALL_PROMETHEUS)")
    return found


def _unavailable(reason: str) -> NoReturn:
    message = f"the Prometheus end-to-end test needs a Prometheus server: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Prometheus:
    """A running server: ``query`` evaluates PromQL now; ``wait_for`` polls until a condition holds."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=5) as response:
            return json.loads(response.read())

    def query(self, expression: str) -> list[tuple[dict[str, str], float]]:
        """Each series of an instant query: its labels and its value."""
        answer = self._get("/api/v1/query", {"query": expression})
        assert answer["status"] == "success", answer
        return [(item["metric"], float(item["value"][1])) for item in answer["data"]["result"]]

    def targets_up(self) -> bool:
        answer = self._get("/api/v1/targets")
        active = answer["data"]["activeTargets"]
        return bool(active) and all(target["health"] == "up" for target in active)

    def wait_for(self, condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus did not show {what or 'the condition'} within {timeout:g} s")
            time.sleep(0.2)


@contextmanager
def prometheus_server(targets: Sequence[str]) -> Iterator[Prometheus]:
    """Prometheus scraping ``targets`` (``host:port``) every second, its data in a temporary folder."""
    binary = prometheus_binary()
    with tempfile.TemporaryDirectory(prefix="skipcall-prometheus-") as folder:
        config = Path(folder) / "prometheus.yml"
        config.write_text(
            f"global:\n  scrape_interval: {SCRAPE_INTERVAL}\n  evaluation_interval: {SCRAPE_INTERVAL}\n"
            "scrape_configs:\n  - job_name: skipcall\n    static_configs:\n"
            f"      - targets: {json.dumps(list(targets))}\n"
        )
        port = free_port()
        log = (Path(folder) / "prometheus.log").open("w")
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={Path(folder) / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Prometheus(f"http://127.0.0.1:{port}")
        try:
            server.wait_for(lambda: _ready(server, process, log.name), timeout=30.0, what="/-/ready")
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _ready(server: Prometheus, process: subprocess.Popen[bytes], log: str) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"prometheus exited with {process.returncode}:\n{Path(log).read_text()[-3000:]}")
    try:
        with urllib.request.urlopen(f"{server.url}/-/ready", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
