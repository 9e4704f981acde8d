"""Printing results on stdout as a table, JSON, JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final, TextIO

from ._columns import cell, row

FORMATS: Final = ("table", "json", "jsonl", "csv")
_UNBOUNDED: Final = 10_000  # a width no table reaches: what a table needs when no terminal bounds it


def compact(record: Any) -> str:
    """A JSON value as one line, written as the API and ``Model.to_json`` write it."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def resolve_format(fmt: str | None, stream: TextIO | None = None) -> str:
    """The format asked for, else ``table`` when the output is a terminal and ``jsonl`` when it is not."""
    if fmt is not None:
        return fmt
    out = stream if stream is not None else sys.stdout
    return "table" if out.isatty() else "jsonl"


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects spread into dotted keys, every other value (arrays included) kept as it is."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


class ListWriter:
    """Writes the records of a list as they come (JSON lines, CSV) or all at the end (a JSON array, a table).

    Args:
        fmt: One of `FORMATS`.
        columns: The CSV columns, also the table's unless ``table_columns`` is given.
        table_columns: The columns a table shows, fewer than CSV's so it fits a terminal.
        caption: A line under the table.
    """

    def __init__(
        self,
        fmt: str,
        columns: tuple[str, ...],
        *,
        table_columns: tuple[str, ...] | None = None,
        caption: str | None = None,
    ) -> None:
        self.fmt = fmt
        self.columns = columns
        self.table_columns = table_columns or columns
        self.caption = caption
        self.out = sys.stdout
        self._held: list[Mapping[str, Any]] = []
        self._csv = csv.writer(self.out, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(columns)

    def add(self, record: Mapping[str, Any]) -> None:
        """One record of the list."""
        if self.fmt == "jsonl":
            self.out.write(compact(record) + "\n")
        elif self._csv is not None:
            self._csv.writerow(row(record, self.columns))
        else:
            self._held.append(record)

    def extend(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Several records, in order."""
        for record in records:
            self.add(record)

    def close(self) -> None:
        """Write what was held (a JSON array or the table) and flush."""
        if self.fmt == "json":
            self.out.write(json.dumps(self._held, indent=2, ensure_ascii=False) + "\n")
        elif self.fmt == "table":
            print_table(self.table_columns, [row(record, self.table_columns) for record in self._held], self.caption)
        self.out.flush()


def unbreakable(header: str) -> bool:
    """Whether a column holds ids or timestamps: values to read, copy and paste whole, never split over lines."""
    name = header.rsplit(".", 1)[-1]
    return name in ("id", "date") or name.endswith(("Id", "At", "Date"))


def print_table(headers: Iterable[str], rows: Iterable[list[str]], caption: str | None = None) -> None:
    """A rich table on stdout. Ids and timestamps keep their whole width; the other columns wrap to fit.

    A header is broken only after a dot (``contact.`` over ``firstName``), never inside a word. On a terminal the
    table fits its width; in a pipe or a file it takes the width it needs (``COLUMNS``, if set, bounds it), so no
    column is squeezed to nothing for want of a terminal.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
    )
    for header in headers:
        # Folded only on a terminal too narrow for the unbreakable columns themselves (the tables' column sets
        # fit 120 columns with UUIDs for ids).
        parts = header.replace(".", ".\n").splitlines()
        table.add_column("\n".join(parts), overflow="fold", no_wrap=unbreakable(header), min_width=max(map(len, parts)))
    for cells in rows:
        table.add_row(*cells)
    console = Console(file=sys.stdout)
    if not sys.stdout.isatty() and not os.environ.get("COLUMNS"):
        wide = Console(file=sys.stdout, width=_UNBOUNDED)
        console = Console(file=sys.stdout, width=wide.measure(table).maximum)
    console.print(table)


def write_one(record: Mapping[str, Any], fmt: str) -> None:
    """One object: a field/value table, indented JSON, one JSON line, or a CSV header and row."""
    out = sys.stdout
    if fmt == "json":
        out.write(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "jsonl":
        out.write(compact(record) + "\n")
    else:
        flat = flatten(record)
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(flat)
            writer.writerow([cell(value) for value in flat.values()])
        else:
            print_table(("field", "value"), [[key, cell(value)] for key, value in flat.items()])
    out.flush()
