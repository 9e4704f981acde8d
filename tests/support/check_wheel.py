"""Run by ``nox -s build`` with the wheel's virtualenv: the installed package stands on its own.

Checks that it imports from site-packages (not a source tree), carries ``py.typed``, reports its version, finds its
pytest plugin through the ``pytest11`` entry point, and serves a request from its fake server. Without the ``cli``
extra, the installed ``skipcall`` console script says what to install. The test suite's machinery (``tests/support``:
the fleet workers, the Redis launchers) is not in the wheel.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import subprocess
import sys
from pathlib import Path

import skipcall_async
from skipcall_async import SkipcallClient
from skipcall_async.testing import FakeSkipcall


async def round_trip() -> str:
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        return (await client.health()).status or ""


def check_command_without_the_extra() -> None:
    script = Path(sys.executable).parent / "skipcall"
    assert script.is_file(), "the skipcall console script is missing"
    if importlib.util.find_spec("click") is not None:
        return  # the extra's modules are here: nothing to say
    result = subprocess.run([str(script), "calls", "list"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert 'pip install "skipcall-async[cli]"' in result.stderr, result.stderr


# Fleet and Redis machinery of the tests and benchmarks (tests/support), never part of the package.
NOT_SHIPPED = ("skipcall_async/_fleet_run.py", "skipcall_async/testing/_redis.py")


def check_no_test_machinery() -> None:
    shipped = [str(path) for path in importlib.metadata.files("skipcall-async") or []]
    machinery = [path for path in shipped if path.startswith(("tests/", "support/")) or path in NOT_SHIPPED]
    assert not machinery, f"test machinery in the wheel: {machinery}"
    assert "skipcall_async/_demo/worker.py" in shipped, "the demo's worker is missing"


def main() -> None:
    package = Path(skipcall_async.__file__).parent
    assert "site-packages" in str(package), package
    assert (package / "py.typed").is_file(), "py.typed is missing from the wheel"
    assert skipcall_async.__version__ == importlib.metadata.version("skipcall-async")
    plugins = [ep for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "skipcall_async"]
    assert plugins, "the pytest11 entry point is missing"
    plugin = plugins[0].load()
    assert hasattr(plugin, "skipcall_server")
    assert hasattr(plugin, "skipcall_client")
    assert asyncio.run(round_trip()) == "ok"
    check_command_without_the_extra()
    check_no_test_machinery()
    print(f"wheel OK: skipcall-async {skipcall_async.__version__} from {package}")


if __name__ == "__main__":
    main()
