"""Docstrings as ``help()`` shows them: a cross-reference of the documentation site reads as the name it links.

The source keeps mkdocstrings' syntax, ``[`RetryPolicy`][skipcall_async.RetryPolicy]``, which the site turns
into a link (the site reads the source, not these objects). At import, the docstrings of the public objects and
of their members are rewritten to ``` `RetryPolicy` ```, so that ``help()``, ``pydoc`` and editors' tooltips
show prose instead of link syntax.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Final

# [text][package.target] and [text][]: a target is a dotted path, so code such as rows[0][1] is left alone.
_REFERENCE: Final = re.compile(r"\[([^\[\]]+)\]\[(?:[A-Za-z_]\w*(?:\.\w+)+)?\]")


def plain(text: str) -> str:
    """``text`` with each ``[text][target]`` cross-reference replaced by its text."""
    return _REFERENCE.sub(r"\1", text)


def plain_docstrings(objects: Iterable[object]) -> None:
    """Rewrite the docstrings of ``objects`` (classes with their own members, and functions) in place."""
    for obj in objects:
        _rewrite(obj)
        if inspect.isclass(obj):
            for member in vars(obj).values():
                _rewrite(member.__func__ if isinstance(member, classmethod | staticmethod) else member)


def _rewrite(obj: object) -> None:
    if not (inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, property)):
        return
    doc = obj.__doc__
    if doc and _REFERENCE.search(doc):
        obj.__doc__ = plain(doc)
