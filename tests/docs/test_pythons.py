"""The Python versions the project claims are the ones CI finds and tests; development tools are not extras."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
FINDER = runpy.run_path(str(ROOT / ".ci" / "pythons.py"))


def test_the_versions_ci_tests_are_the_classifiers() -> None:
    """.ci/pythons.py (which the noxfile and .ci/run read) lists exactly the versions pyproject.toml claims, the
    oldest being requires-python's floor."""
    prefix = "Programming Language :: Python :: "
    claimed = [c.removeprefix(prefix) for c in PROJECT["project"]["classifiers"] if c.count(".") == 1 and prefix in c]
    assert tuple(claimed) == FINDER["VERSIONS"] == ("3.11", "3.12", "3.13")
    assert PROJECT["project"]["requires-python"] == f">={FINDER['VERSIONS'][0]}"


def test_only_user_facing_extras_are_published() -> None:
    """Extras are what users install; what developing the SDK needs is in dependency groups (PEP 735)."""
    assert set(PROJECT["project"]["optional-dependencies"]) == {"redis", "cli", "otel", "testing"}
    assert set(PROJECT["dependency-groups"]) == {"tests", "lint", "docs", "bench"}


def fake_python(path: Path, *, says: str, code: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {says}\nexit {code}\n")
    path.chmod(0o755)
    return path


def test_a_working_interpreter_is_found_past_a_failing_shim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyenv shim for a version that is installed but not selected fails: the version's own binary under
    pyenv's versions is found instead, the newest patch release first; with neither, a working one on PATH."""
    shims, usr = tmp_path / "shims", tmp_path / "usr" / "bin"
    fake_python(shims / "python3.12", says="pyenv: python3.12: command not found", code=127)
    old = fake_python(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", says="3.12")
    new = fake_python(tmp_path / "pyenv" / "versions" / "3.12.10" / "bin" / "python3.12", says="3.12")
    system = fake_python(usr / "python3.13", says="3.13")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("PATH", f"{shims}:{usr}")
    assert FINDER["interpreter"]("3.12") == new
    new.unlink()
    assert FINDER["interpreter"]("3.12") == old
    assert FINDER["interpreter"]("3.13") == system
    assert FINDER["interpreter"]("3.11") is None


def test_an_interpreter_of_another_version_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A python3.13 that is in fact another version (a stray link) is passed over."""
    fake_python(tmp_path / "bin" / "python3.13", says="3.11")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "none"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert FINDER["interpreter"]("3.13") is None
