"""Every Python and shell example of the documentation runs against the fake server; one that breaks fails here.

Python examples are the ```` ```python ```` blocks. Shell examples are the ```` ```shell ```` blocks (install
commands and other text not meant to run use ```` ```sh ````): each runs with bash, ``skipcall`` on the PATH, in a
folder of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule
from support.otel import reset_globals
from support.threaded_server import threaded_server

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)
SHELL_BLOCK = re.compile(r"^```shell\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


def python_blocks(page: Path, block: re.Pattern[str] = BLOCK) -> list[tuple[str, str]]:
    """(id, code) of each fenced Python block (or of ``block``'s kind); the id is page:line."""
    text = page.read_text()
    return [(f"{page.name}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1)) for m in block.finditer(text)]


SCRIPTS = [block for page in PAGES for block in python_blocks(page) if "def test_" not in block[1]]
PYTEST_EXAMPLES = [block for page in PAGES for block in python_blocks(page) if "def test_" in block[1]]
SHELL_EXAMPLES = [block for page in PAGES for block in python_blocks(page, SHELL_BLOCK)]
# A fleet example runs against a real Redis, as a user's would.
SCRIPT_PARAMS = [
    pytest.param(where, code, id=where, marks=[pytest.mark.redis] if "SKIPCALL_REDIS_URL" in code else [])
    for where, code in SCRIPTS
]


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeSkipcall]:
    """A fake server on its own loop in a thread, so each example can call asyncio.run itself."""
    with threaded_server(rate_limit=RateLimitRule(plan=PLANS["expert"])) as server:
        yield server


def test_the_documentation_has_examples() -> None:
    """The extraction finds the examples (an empty list would make the tests below pass vacuously)."""
    assert len(SCRIPTS) >= 15
    assert PYTEST_EXAMPLES
    assert len(SHELL_EXAMPLES) >= 9


@pytest.mark.parametrize(("where", "code"), SCRIPT_PARAMS)
def test_example_runs_against_the_fake_server(
    where: str,
    code: str,
    fake_api: FakeSkipcall,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """The example runs unchanged, with the key and base URL (and Redis) from the environment, against the server."""
    monkeypatch.setenv("SKIPCALL_API_KEY", fake_api.api_key)
    monkeypatch.setenv("SKIPCALL_BASE_URL", fake_api.url)
    if "SKIPCALL_REDIS_URL" in code:  # a fleet example: a real Redis, as a user's would be
        monkeypatch.setenv("SKIPCALL_REDIS_URL", request.getfixturevalue("redis_server").url)
    before = len(fake_api.requests)
    try:
        exec(compile(code, where, "exec"), {"__name__": "__main__"})
    finally:
        if "opentelemetry" in code:  # an example sets the global providers, once per process: not for the next tests
            reset_globals()
    if "SkipcallClient(" in code:
        assert len(fake_api.requests) > before
        assert capsys.readouterr().out.strip()
        assert all(r.status < 500 for r in fake_api.requests[before:])


TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


def documented_pytest_config() -> str:
    """The pytest configuration docs/testing.md tells users to add (its one ```toml block)."""
    (config,) = TOML_BLOCK.findall((ROOT / "docs" / "testing.md").read_text())
    return str(config)


@pytest.mark.slow
@pytest.mark.parametrize(("where", "code"), PYTEST_EXAMPLES, ids=[where for where, _ in PYTEST_EXAMPLES])
def test_pytest_example_passes_with_the_installed_plugin(where: str, code: str, tmp_path: Path) -> None:
    """The example test module, run by a separate pytest with the configuration the page shows and warnings as
    errors, finds the fixtures through the entry point, and passes with no warning; mypy --strict accepts it."""
    (tmp_path / "test_example.py").write_text(code)
    (tmp_path / "pyproject.toml").write_text(documented_pytest_config())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{code.count('def test_')} passed" in result.stdout
    assert "warning" not in result.stdout.lower()
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "test_example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr


@attrs.frozen
class ShellRun:
    """What a shell example did: its exit code, its output, and the folder it ran in."""

    code: int
    stdout: str
    stderr: str
    folder: Path


@pytest.fixture(scope="module")
def shell_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ShellRun]]:
    """Every shell example run at once (each is a few processes that mostly wait on their start-up), each in a
    folder of its own, against one unthrottled fake server; yields each one's run by its id."""
    pytest.importorskip("click", reason="the shell examples need the cli extra")
    from support.cli import command_env, server_process

    shims = tmp_path_factory.mktemp("bin")
    script = shims / "skipcall"  # the command as its console script runs it, whether or not this venv has it
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m skipcall_async.cli "$@"\n')
    script.chmod(0o755)
    with server_process("--limit", "1000000") as url:
        env = command_env(url, PATH=f"{shims}{os.pathsep}{os.environ.get('PATH', '')}", COLUMNS="120")
        started = {}
        for where, code in SHELL_EXAMPLES:
            folder = tmp_path_factory.mktemp("example")
            process = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", code],
                cwd=folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            started[where] = (process, folder)
        runs = {}
        for where, (process, folder) in started.items():
            stdout, stderr = process.communicate(timeout=300)
            runs[where] = ShellRun(process.returncode, stdout, stderr, folder)
        yield runs


@pytest.mark.slow
@pytest.mark.parametrize(("where", "code"), SHELL_EXAMPLES, ids=[where for where, _ in SHELL_EXAMPLES])
def test_shell_example_runs_against_the_fake_server(where: str, code: str, shell_runs: dict[str, ShellRun]) -> None:
    """Every command of the example succeeds (bash -e, pipefail), and each one printed or wrote something."""
    run = shell_runs[where]
    assert run.code == 0, run.stderr
    assert "skipcall: error" not in run.stderr
    written = [path for path in run.folder.iterdir() if path.stat().st_size]
    assert run.stdout.strip() or written
