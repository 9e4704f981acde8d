"""``import _support`` makes the test suite's helpers importable as ``support`` (``tests/support``) in a benchmark.

Benchmarks are scripts run by path (``python benchmarks/x.py``), possibly with another interpreter whose SDK is an
older release (``--baseline``). So this puts ``tests`` on ``sys.path``, never the repository's root, which would
hand the script this checkout's ``skipcall_async`` instead of the interpreter's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
