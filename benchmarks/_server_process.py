"""The fake server of this source tree as a process, for benchmarks that measure the client alone.

It is started from this tree (``cwd``), not from the SDK installed for the interpreter, so an older SDK can be
measured against today's fake server and its faults. Every bearer key is accepted (``--any-key``).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

TREE = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def server_process(*args: str) -> AsyncIterator[str]:
    """``python -m skipcall_async.testing ARGS`` on a free port; yields its base URL, stops it on exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "skipcall_async.testing", "--port", "0", "--any-key", *args,
        stdout=subprocess.PIPE, cwd=TREE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = (await proc.stdout.readline()).decode()
    try:
        yield line.split(" on ")[1].split(" ")[0]
    finally:
        proc.terminate()
        await proc.wait()
