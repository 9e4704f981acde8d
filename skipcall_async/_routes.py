"""What names an operation for observers: its SDK method, HTTP method and route template (``/v1/calls/{id}``).

Each resource module declares one ``Route`` per operation and builds the operation's path from it, so the
template that hooks, logs, spans and metrics report is the one the request was made from: a low-cardinality
label, where the path itself (``/v1/calls/123e...``) is one value per resource.
"""

from __future__ import annotations

import re
from typing import Final

_PLACEHOLDER: Final = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


class Route:
    """One operation: ``operation`` (the client method), ``method`` and ``template`` as the API describes it."""

    __slots__ = ("_pattern", "method", "operation", "template")

    def __init__(self, operation: str, method: str, template: str) -> None:
        self.operation = operation
        self.method = method
        self.template = template
        # printf-style, so that filling it in costs what the f-string it replaces did
        self._pattern = _PLACEHOLDER.sub("%s", template.replace("%", "%%"))

    def path(self, *segments: str) -> str:
        """The path with ``segments`` (already percent-encoded, see ``_urls.segment``) in its placeholders."""
        return self._pattern % segments

    def __repr__(self) -> str:
        return f"Route({self.operation!r}, {self.method!r}, {self.template!r})"


__all__ = ["Route"]
