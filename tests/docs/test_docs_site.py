"""The built documentation site: API signatures are formatted, no line longer than 120 characters.

``check_site.py`` is what ``nox -s docs`` runs on the site it builds; here it is checked on pages made for the
purpose, and on a real build when mkdocs is installed (the docs dependency group).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.check_site import LIMIT, long_lines, main, signatures

ROOT = Path(__file__).parents[2]
LONG = "SkipcallClient(" + ", ".join(f"option_{n}: int | None = None" for n in range(12)) + ")"
FORMATTED = "SkipcallClient(\n" + "".join(f"    option_{n}: int | None = None,\n" for n in range(12)) + ")"


def page(signature: str) -> str:
    """An HTML page holding ``signature`` (HTML) as mkdocstrings renders one: spans inside a code block."""
    spans = "".join(f'<span class="n">{part}</span>' for part in signature.split(" "))
    return (
        '<html><body><div class="doc doc-object"><h2>x</h2>'
        f'<div class="doc-signature highlight"><pre><span></span><code>{spans}</code></pre></div>'
        "<p>prose that is long " + "x" * 300 + "</p></div></body></html>"
    )


def test_a_signature_is_read_whole_from_its_spans() -> None:
    """Nested tags are skipped, entities decoded, and text outside the signature is not read."""
    assert signatures(page("f(a:&nbsp;int)")) == ["f(a:\xa0int)"]


def test_a_signature_on_one_long_line_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The unformatted signature is reported with its page and length; the command exits 1."""
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "index.html").write_text(page(LONG.replace(" ", "_")))
    found, problems = long_lines(tmp_path)
    assert found == 1
    assert len(problems) == 1
    assert problems[0].startswith(f"reference/index.html: {len(LONG)} characters: ")
    assert main(["check_site.py", str(tmp_path)]) == 1
    assert "longer than 120 characters" in capsys.readouterr().err


def test_a_formatted_signature_passes_and_an_empty_site_does_not(tmp_path: Path) -> None:
    """Lines within the limit pass; a site without any signature is an error (nothing was checked)."""
    assert main(["check_site.py", str(tmp_path)]) == 1
    (tmp_path / "index.html").write_text(page(FORMATTED.replace(" ", "\xa0")))
    assert long_lines(tmp_path) == (1, [])
    assert main(["check_site.py", str(tmp_path)]) == 0


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="the docs dependency group is not installed")
def test_the_built_reference_has_no_signature_line_over_the_limit(tmp_path: Path) -> None:
    """A strict build of this tree: every signature formatted, none with a line over 120 characters."""
    site = tmp_path / "site"
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    found, problems = long_lines(site)
    assert found > 50
    assert problems == [], f"lines over {LIMIT}: {problems}"
