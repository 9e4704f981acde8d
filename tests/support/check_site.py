"""Run by ``nox -s docs`` after the build: no API signature in the site has a line longer than ``LIMIT``.

mkdocstrings formats signatures only when Black or Ruff is installed (the docs extra installs Ruff); without
one, each signature is a single line, up to 638 characters on the client's constructor. Usage:
``python tests/support/check_site.py site``.
"""

from __future__ import annotations

import html.parser
import sys
from pathlib import Path

LIMIT = 120


class _Signatures(html.parser.HTMLParser):
    """Collects the text of every element whose class names ``doc-signature``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.signatures: list[str] = []
        self._depth = 0  # open elements inside the current signature; 0 outside one
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += 1
        elif "doc-signature" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if not self._depth:
                self.signatures.append("".join(self._text))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def signatures(page: str) -> list[str]:
    """The text of each rendered signature in one HTML page."""
    parser = _Signatures()
    parser.feed(page)
    parser.close()
    return parser.signatures


def long_lines(site: Path, limit: int = LIMIT) -> tuple[int, list[str]]:
    """(signatures found, ``page: line`` for each signature line longer than ``limit``) over the built ``site``."""
    found, problems = 0, []
    for page in sorted(site.rglob("*.html")):
        for signature in signatures(page.read_text(encoding="utf-8")):
            found += 1
            problems += [
                f"{page.relative_to(site)}: {len(line)} characters: {line[:80]}..."
                for line in signature.splitlines()
                if len(line) > limit
            ]
    return found, problems


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "site")
    found, problems = long_lines(site)
    if not found:
        print(f"no API signature found under {site}: was the site built?", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} signature lines longer than {LIMIT} characters (is Ruff installed?)", file=sys.stderr)
        return 1
    print(f"{found} signatures, none with a line longer than {LIMIT} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
