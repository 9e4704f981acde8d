"""Helpers of the command-line tests: the fake server as a process, and runners of the command in-process and out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from skipcall_async.cli._app import cli
from skipcall_async.testing import FakeSkipcall

SCRIPT = Path(sys.executable).parent / "skipcall"  # the console script, installed beside this Python


def invoke(
    server: FakeSkipcall | None, *args: str, key: str | None = None, stdin: str | None = None, columns: int = 200
) -> Result:
    """Run ``skipcall ARGS`` in-process against ``server``; stdout and stderr are kept apart.

    Tables are drawn for a terminal ``columns`` wide (wide by default); 0: no ``COLUMNS``, as in a pipe.
    """
    env: dict[str, str | None] = {"SKIPCALL_REDIS_URL": None, "COLUMNS": str(columns) if columns else None}
    if server is not None:
        env |= {"SKIPCALL_API_KEY": server.api_key, "SKIPCALL_BASE_URL": server.url}
    if key is not None:
        env["SKIPCALL_API_KEY"] = key
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects of JSON-lines text."""
    return [json.loads(line) for line in text.splitlines()]


@contextmanager
def server_process(*options: str) -> Iterator[str]:
    """``python -m skipcall_async.testing`` as a process; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.testing", "--port", "0", *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield line.split(" on ")[1].split(" ")[0]
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def command_env(url: str, key: str = "sk_test_fake_skipcall", **extra: str) -> dict[str, str]:
    """The environment of a ``skipcall`` process against the fake server at ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIPCALL_")}
    return {**env, "SKIPCALL_API_KEY": key, "SKIPCALL_BASE_URL": url, **extra}


def skipcall(*args: str, env: Mapping[str, str], **popen: Any) -> subprocess.Popen[str]:
    """Start ``skipcall ARGS`` as a process (``python -m skipcall_async.cli``), stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "skipcall_async.cli", *args],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
