"""The pytest plugin as its users meet it: a separate pytest run, with and without pytest-asyncio.

pytest loads the plugin in every run of anyone who installed the package, so a run that never uses its fixtures
must pass untouched, even without pytest-asyncio; a test that uses them without it fails saying what to install.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

INSTALL = 'pip install "skipcall-async[testing]"'
PLAIN = "def test_plain():\n    assert 1 + 1 == 2\n"


def docs_example() -> str:
    """The complete example of docs/testing.md, as a user would copy it."""
    text = (Path(__file__).parents[2] / "docs" / "testing.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)[0]


def run_pytest(tmp_path: Path, code: str, *, asyncio: bool) -> subprocess.CompletedProcess[str]:
    """``pytest test_user.py`` in ``tmp_path``, its own project; without ``asyncio``, pytest-asyncio cannot load."""
    (tmp_path / "test_user.py").write_text(code)
    # pytest-asyncio warns without a loop scope set: a user's own configuration, as its docs ask.
    ini = "[pytest]\nasyncio_default_fixture_loop_scope = function\n" if asyncio else "[pytest]\n"
    (tmp_path / "pytest.ini").write_text(ini)
    args = [sys.executable, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", "test_user.py"]
    env = {"PATH": "/usr/bin:/bin"}
    if not asyncio:
        hidden = tmp_path / "hidden"
        (hidden / "pytest_asyncio").mkdir(parents=True)
        (hidden / "pytest_asyncio" / "__init__.py").write_text("raise ImportError('not installed (test)')\n")
        args[3:3] = ["-p", "no:asyncio"]  # its entry point is not loaded, and an import of it fails
        env["PYTHONPATH"] = str(hidden)
    return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("asyncio", [True, False], ids=["with-pytest-asyncio", "without"])
def test_a_run_that_never_uses_the_fixtures_is_untouched(tmp_path: Path, asyncio: bool) -> None:
    """Installed but unused, the plugin adds no warning (warnings are errors here) and no failure."""
    result = run_pytest(tmp_path, PLAIN, asyncio=asyncio)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "warning" not in result.stdout.lower()


def test_the_documented_example_passes_with_pytest_asyncio(tmp_path: Path) -> None:
    """docs/testing.md's example, in pytest-asyncio's default (strict) mode: the fixtures serve it."""
    result = run_pytest(tmp_path, docs_example(), asyncio=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_without_pytest_asyncio_a_test_using_the_fixtures_fails_naming_the_extra(tmp_path: Path) -> None:
    """Each test that asks for a fixture errors with one line naming the extra; other tests still pass."""
    code = (
        "def test_uses_the_client(skipcall_client):\n    pass\n\n"
        "def test_uses_the_server(skipcall_server):\n    pass\n\n" + PLAIN
    )
    result = run_pytest(tmp_path, code, asyncio=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 2 errors" in result.stdout
    assert result.stdout.count(INSTALL) >= 2
    assert "need pytest-asyncio, which is not installed" in result.stdout
    assert "Traceback" not in result.stdout
