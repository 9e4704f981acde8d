"""Every Python example of the documentation runs against the fake server; an example that breaks fails here."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from skipcall_async.testing import PLANS, FakeSkipcall, RateLimitRule

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[tuple[str, str]]:
    """(id, code) of each fenced Python block; the id is page:line."""
    text = page.read_text()
    return [(f"{page.name}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1)) for m in BLOCK.finditer(text)]


SCRIPTS = [block for page in PAGES for block in python_blocks(page) if "def test_" not in block[1]]
PYTEST_EXAMPLES = [block for page in PAGES for block in python_blocks(page) if "def test_" in block[1]]


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeSkipcall]:
    """A fake server on its own loop in a thread, so each example can call asyncio.run itself."""
    loop = asyncio.new_event_loop()
    server = FakeSkipcall(rate_limit=RateLimitRule(plan=PLANS["expert"]))
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield server
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_the_documentation_has_examples() -> None:
    """The extraction finds the examples (an empty list would make the tests below pass vacuously)."""
    assert len(SCRIPTS) >= 15
    assert PYTEST_EXAMPLES


@pytest.mark.parametrize(("where", "code"), SCRIPTS, ids=[where for where, _ in SCRIPTS])
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
    exec(compile(code, where, "exec"), {"__name__": "__main__"})
    if "SkipcallClient(" in code:
        assert len(fake_api.requests) > before
        assert capsys.readouterr().out.strip()
        assert all(r.status < 500 for r in fake_api.requests[before:])


@pytest.mark.parametrize(("where", "code"), PYTEST_EXAMPLES, ids=[where for where, _ in PYTEST_EXAMPLES])
def test_pytest_example_passes_with_the_installed_plugin(where: str, code: str, tmp_path: Path) -> None:
    """The example test module, run by a separate pytest, finds the fixtures through the entry point."""
    (tmp_path / "test_example.py").write_text(code)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{code.count('def test_')} passed" in result.stdout
