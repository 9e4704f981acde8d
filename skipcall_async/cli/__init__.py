"""The ``skipcall`` command: every operation, resumable exports and the key's quota, from a shell.

It needs the ``cli`` extra (click and rich): ``pip install "skipcall-async[cli]"``. The library never imports
this package, so a plain install stays without them; without the extra, the command says what to install.
"""

from __future__ import annotations

import importlib.util
import sys

INSTALL_HINT = 'the skipcall command needs the cli extra: pip install "skipcall-async[cli]"'
EXTRA_MODULES = ("click", "rich")


def missing_modules() -> list[str]:
    """The modules of the ``cli`` extra that cannot be imported here."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def main(argv: list[str] | None = None) -> None:
    """Run the ``skipcall`` command with ``argv`` (default: the process's arguments) and exit with its code."""
    missing = missing_modules()
    if missing:
        sys.stderr.write(f"skipcall: {INSTALL_HINT} ({', '.join(missing)} not installed)\n")
        raise SystemExit(2)
    from ._app import cli

    cli.main(args=argv, prog_name="skipcall")
