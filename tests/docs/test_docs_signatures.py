"""docs/operations.md shows every operation's signature as it is: positional or keyword-only, names, defaults.

Each `name(...)` in a table's first column is checked against ``inspect.signature`` of the real method: the
parameters in order, `*` exactly where the keyword-only ones start, every default shown as its value, and `...`
only for trailing parameters (after `*` when they are keyword-only).
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

from skipcall_async import SkipcallClient

PAGE = Path(__file__).parents[2] / "docs" / "operations.md"
SHOWN = re.compile(r"`(\w+)\(([^`]*)\)`")


def documented() -> list[tuple[str, str]]:
    """(method, parameters as written) for each signature in the first column of the page's tables."""
    found = []
    for line in PAGE.read_text().splitlines():
        if line.startswith("| `"):
            found += SHOWN.findall(line.split(" | ")[0])
    return found


def mismatches(name: str, written: str) -> list[str]:
    """How the written parameters differ from the method's signature (empty when they agree)."""
    params = list(inspect.signature(getattr(SkipcallClient, name)).parameters.values())[1:]  # without self
    tokens = [t.strip() for t in written.split(",")] if written.strip() else []
    problems: list[str] = []
    keyword_only = elided = False
    index = 0
    for token in tokens:
        if elided:
            problems.append(f"'{token}' after '...'")
        elif token == "*":
            keyword_only = True
            if index < len(params) and params[index].kind is not inspect.Parameter.KEYWORD_ONLY:
                problems.append(f"'*' before {params[index].name}, which is not keyword-only")
        elif token == "...":
            elided = True
        elif index >= len(params):
            problems.append(f"{token}: no such parameter")
        else:
            param = params[index]
            index += 1
            shown, _, default = token.partition("=")
            if shown != param.name:
                problems.append(f"{shown} where the signature has {param.name}")
                continue
            is_keyword_only = param.kind is inspect.Parameter.KEYWORD_ONLY
            if is_keyword_only != keyword_only:
                problems.append(f"{shown} is {'keyword-only' if is_keyword_only else 'positional'}")
            if param.default is inspect.Parameter.empty:
                if default:
                    problems.append(f"{shown} has no default, not {default}")
            elif not default:
                problems.append(f"{shown} has a default: {param.default!r}")
            elif default != repr(param.default):
                problems.append(f"{shown} defaults to {param.default!r}, not {default}")
    rest = params[index:]
    if rest and not elided:
        problems.append(f"missing: {', '.join(p.name for p in rest)}")
    if any(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest) and not keyword_only:
        problems.append("keyword-only parameters hidden behind '...' without '*'")
    return problems


def operations() -> set[str]:
    """Every operation of the client: the public methods written in the resource modules."""
    return {
        name
        for klass in SkipcallClient.__mro__
        for name, value in vars(klass).items()
        if not name.startswith("_")
        and inspect.isfunction(value)
        and f"{os.sep}_resources{os.sep}" in value.__code__.co_filename  # (their __module__ is the client's)
    }


@pytest.mark.parametrize(("name", "written"), documented(), ids=[n for n, _ in documented()])
def test_each_documented_signature_is_the_real_one(name: str, written: str) -> None:
    """The page's signature of one operation agrees with the method's."""
    assert hasattr(SkipcallClient, name), f"{name} is not a method of SkipcallClient"
    assert mismatches(name, written) == []


def test_every_operation_is_on_the_page() -> None:
    """No operation is missing from the tables (21 operations and their iterators)."""
    shown = {name for name, _ in documented()}
    assert len(operations()) == 25
    assert operations() <= shown


@pytest.mark.parametrize(
    ("name", "written", "problem"),
    [
        ("list_calls", "workspace_ids=None, page=0, size=100", "workspace_ids is keyword-only"),
        ("list_calls", "*, workspace_ids=None, page=1, size=100", "page defaults to 0, not 1"),
        ("get_call", "*, call_id", "'*' before call_id, which is not keyword-only"),
        ("get_tag_distribution", "...", "keyword-only parameters hidden behind '...' without '*'"),
        ("create_tag", "*, label", "missing: is_success_tag"),
        ("create_tag", "*, label, is_success_tag", "is_success_tag has a default: False"),
    ],
)
def test_a_wrong_signature_is_caught(name: str, written: str, problem: str) -> None:
    """The check itself: each way the page could go wrong is reported."""
    assert problem in mismatches(name, written)
