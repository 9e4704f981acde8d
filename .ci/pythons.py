"""Find a working interpreter of each Python version the project supports: ``python .ci/pythons.py 3.12`` prints
its path (exit 1: none here). The noxfile and ``.ci/run`` both ask this script, so they agree.

Where it looks, in order: pyenv's versions (``$PYENV_ROOT``, else ``~/.pyenv``), where this project's machines
keep 3.11, 3.12 and 3.13; then every ``pythonX.Y`` on ``PATH`` (the distribution's ``/usr/bin/python3.13``, a
deadsnakes or a hand-built one). Each candidate is run once: a pyenv shim for a version that is installed but not
selected answers "command not found", and is passed over.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VERSIONS = ("3.11", "3.12", "3.13")  # pyproject.toml's classifiers; tests/docs/test_pythons.py holds them equal


def candidates(version: str) -> list[Path]:
    """Places a ``python{version}`` may be, best first."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted(root.glob(f"versions/{version}.*/bin/python{version}"), key=_patch, reverse=True)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder:
            found.append(Path(folder) / f"python{version}")
    return found


def _patch(path: Path) -> tuple[int, ...]:
    """The version of a pyenv folder (``3.12.10`` after ``3.12.9``); a folder named otherwise sorts first."""
    name = path.parent.parent.name
    return tuple(int(part) for part in name.split(".")) if name.replace(".", "").isdigit() else (0,)


def interpreter(version: str) -> Path | None:
    """The first candidate that runs and is ``version``; None when there is none."""
    for path in candidates(version):
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        try:
            ran = subprocess.run(
                [str(path), "-c", "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ran.returncode == 0 and ran.stdout.strip() == version:
            return path
    return None


if __name__ == "__main__":
    (wanted,) = sys.argv[1:] or ("",)
    if wanted not in VERSIONS:
        sys.exit(f"usage: python .ci/pythons.py {{{','.join(VERSIONS)}}}")
    path = interpreter(wanted)
    if path is None:
        sys.exit(1)
    print(path)
