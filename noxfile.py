"""Developer and CI sessions: ``nox`` runs tests, lint and typecheck (the README's test command)."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = False


def _install(session: nox.Session, *extras: str) -> None:
    session.install("--upgrade", "pip")
    target = f".[{','.join(extras)}]" if extras else "."
    session.install(target)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite against the installed package."""
    _install(session, "tests")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    _install(session, "lint")
    session.run("mypy")
