"""The documentation's examples run: the user-facing pytest example of docs/testing.md passes as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)


def test_the_testing_guide_example_passes_with_the_installed_plugin(tmp_path: Path) -> None:
    """The example test module, run by a separate pytest, finds the fixtures through the entry point."""
    example = next(block for block in python_blocks(DOCS / "testing.md") if "def test_" in block)
    (tmp_path / "test_example.py").write_text(example)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_every_python_block_of_the_testing_guide_compiles() -> None:
    """Configuration snippets are at least valid Python that imports what it uses."""
    for block in python_blocks(DOCS / "testing.md"):
        compile(block, "docs/testing.md", "exec")
        namespace: dict[str, object] = {}
        if "def test_" not in block:
            exec(block, namespace)
