"""Run by ``nox -s build`` with the wheel's virtualenv: the installed package stands on its own.

Checks that it imports from site-packages (not a source tree), carries ``py.typed``, reports its version, finds its
pytest plugin through the ``pytest11`` entry point, and serves a request from its fake server.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from pathlib import Path

import skipcall_async
from skipcall_async import SkipcallClient
from skipcall_async.testing import FakeSkipcall


async def round_trip() -> str:
    async with FakeSkipcall() as server, SkipcallClient(server.api_key, base_url=server.url) as client:
        return (await client.health()).status or ""


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
    print(f"wheel OK: skipcall-async {skipcall_async.__version__} from {package}")


if __name__ == "__main__":
    main()
