"""Where an export writes: a file it can resume, or stdout, which it cannot.

The file is its own resume state. On opening, its complete records are read back for their ids and a
half-written last record is cut off (the file is truncated to the end of the last complete one); new records are
then appended, each written whole and flushed before the next. Nothing already written is ever rewritten. A file
that does not look like an export of the same kind (another format, other ``--include`` parts) is refused before
anything in it changes, and so is a file another export is writing: its lock is taken before it is read.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ._columns import row
from ._lock import lock_exclusively
from ._render import compact

JSON_START = b'{"id":'  # every exported record is an object whose first key is its id
CSV_START = b"id,"  # every CSV export's header: its first column is the id


class ResumeError(Exception):
    """The output file cannot be resumed: it is not an export made with these options (a usage error)."""


class Sink(Protocol):
    """What the export pipeline writes records to.

    Attributes:
        resumable: Whether a later run can continue from what was written.
        name: The output's name in messages.
        ids: The ids of the records found in the output before this run, in order.
        repaired: Bytes of a half-written last record cut off when the output was opened.
    """

    resumable: bool
    name: str
    ids: list[str]
    repaired: int

    def write(self, record: Mapping[str, Any]) -> None:
        """Write one record whole and flush it."""

    def close(self) -> None:
        """Flush and close."""


def encode_csv(cells: list[str]) -> bytes:
    """One CSV record as written to the file: minimal quoting, ``\\n`` after it, UTF-8."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(cells)
    return text.getvalue().encode("utf-8")


class FileSink:
    """Appends JSON lines or CSV records to a file, after reading back and repairing what it holds.

    Args:
        path: The file; created when absent.
        fmt: ``jsonl`` or ``csv``.
        columns: The CSV columns (the header row); unused for JSON lines.
        parts: For JSON lines, the keys that ``--include`` adds to each record, and ``optional``: every key it
            could add. A file whose first record has other added keys was made with other options.

    Attributes:
        ids: The ids of the records already in the file, in file order.
        repaired: How many bytes of a half-written last record were cut off.

    Raises:
        OutputLocked: Another export holds the file's lock; nothing in the file was read or changed.
        ResumeError: The file is not an export made with these options.
    """

    resumable = True

    def __init__(
        self,
        path: Path,
        fmt: str,
        *,
        columns: tuple[str, ...] = (),
        parts: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.name = str(path)
        self.fmt = fmt
        self.columns = columns
        self.ids: list[str] = []
        self.repaired = 0
        # Opened first (creating the file) and held until close(): its lock keeps every other export out.
        self._held: BinaryIO = open(path, "a+b")  # noqa: SIM115  # closed by close()
        try:
            lock_exclusively(self._held, self.name)
            self._held.seek(0)
            end = self._read_back(self._held, parts, optional)
            size = self._held.seek(0, os.SEEK_END)
            if size > end:
                os.truncate(path, end)
                self.repaired = size - end
            self._file: BinaryIO = open(path, "ab")  # noqa: SIM115  # closed by close()
        except BaseException:
            self._held.close()
            raise
        if fmt == "csv" and end == 0:
            self._append(encode_csv(list(columns)))

    def _read_back(self, file: BinaryIO, parts: tuple[str, ...], optional: tuple[str, ...]) -> int:
        """Collect the ids of the complete records; return the offset where the complete records end."""
        records = _csv_records(file, self.columns) if self.fmt == "csv" else _jsonl_records(file)
        end = 0
        for number, (record, record_end) in enumerate(records):
            end = record_end
            if record is None:  # the CSV header
                continue
            if self.fmt == "jsonl" and number == 0:
                found = tuple(key for key in optional if key in record)
                if set(found) != set(parts):
                    was = f"--include {','.join(found)}" if found else "no --include"
                    raise ResumeError(f"{self.name} was written with {was}: run it with the same options")
            self.ids.append(record["id"])
        return end

    def _append(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record and flush it to the operating system (it then survives the process being killed)."""
        if self.fmt == "csv":
            self._append(encode_csv(row(record, self.columns)))
        else:
            self._append((compact(record) + "\n").encode("utf-8"))

    def close(self) -> None:
        """Flush, sync to disk and close; then let the lock go."""
        try:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
        finally:
            self._held.close()


def _jsonl_records(file: BinaryIO) -> Iterator[tuple[dict[str, Any] | None, int]]:
    """(record, offset after its line) of each complete line; a torn last line ends the iteration."""
    offset = 0
    for number, line in enumerate(iter(file.readline, b""), 1):
        if number == 1 and line.startswith(CSV_START):
            raise ResumeError(f"{file.name} holds a CSV export: run it with --format csv, or choose another --out")
        if not line.endswith(b"\n"):
            if not (line.startswith(JSON_START) or JSON_START.startswith(line)):
                raise ResumeError(f"{file.name}: line {number} is not a record of an export: choose another --out")
            return  # the half-written last line, cut off by the caller
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ResumeError(f"{file.name}: line {number} is not a record of an export: choose another --out")
        offset += len(line)
        yield record, offset


def _csv_records(file: BinaryIO, columns: tuple[str, ...]) -> Iterator[tuple[dict[str, Any] | None, int]]:
    """(record, offset after it) of each complete CSV record; the header, which must be ``columns``, comes as None.

    A record is complete when writing its cells again gives back its bytes exactly: a record cut anywhere,
    inside a quoted field spanning lines too, does not.
    """
    consumed = [0]  # bytes handed to the csv reader so far: it asks for lines one at a time, reading no further

    def lines() -> Iterator[str]:
        for line in iter(file.readline, b""):
            consumed[0] += len(line)
            yield line.decode("utf-8", "replace")

    reader = csv.reader(lines())
    start = 0
    header = True
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:  # the file ends inside a quoted field: a torn last record
            return
        end = consumed[0]
        file.seek(start)
        exact = file.read(end - start) == encode_csv(cells)
        file.seek(end)
        if header:
            if not (exact and cells == list(columns)):
                file.seek(0)
                if file.read(len(JSON_START)) == JSON_START:
                    raise ResumeError(
                        f"{file.name} holds a JSON lines export: run it with --format jsonl, or choose another --out"
                    )
                if exact or not _is_prefix(file, columns):
                    raise ResumeError(
                        f"{file.name} does not start with the CSV header of this export (other columns, or not "
                        f"a CSV export): run it with the same options, or choose another --out"
                    )
                return  # a half-written header
            header = False
            yield None, end
        elif not exact:
            if file.read(1):
                raise ResumeError(f"{file.name}: a CSV record at byte {start} is damaged: choose another --out")
            return  # the half-written last record
        else:
            yield dict(zip(columns, cells, strict=True)), end
        start = end


def _is_prefix(file: BinaryIO, columns: tuple[str, ...]) -> bool:
    """True when the whole file is the start of the header row (a header cut while it was written)."""
    file.seek(0)
    return encode_csv(list(columns)).startswith(file.read())


class StdoutSink:
    """Writes to stdout (``--out -``): every record flushed, nothing to resume from."""

    resumable = False
    name = "stdout"

    def __init__(self, fmt: str, columns: tuple[str, ...] = ()) -> None:
        self.fmt = fmt
        self.columns = columns
        self.ids: list[str] = []
        self.repaired = 0
        self._out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        if fmt == "csv":
            self._emit(encode_csv(list(columns)))

    def _emit(self, data: bytes) -> None:
        if self._out is not None:
            self._out.write(data)
            self._out.flush()
        else:
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()

    def write(self, record: Mapping[str, Any]) -> None:
        """Write one record and flush stdout."""
        if self.fmt == "csv":
            self._emit(encode_csv(row(record, self.columns)))
        else:
            self._emit((compact(record) + "\n").encode("utf-8"))

    def close(self) -> None:
        """Flush stdout (it stays open)."""
        sys.stdout.flush()
