"""What every ingester declares, and the helpers they share for reading files safely.

An ingester is a pure function from export files to a :class:`~nhigraph.model.records.Batch`: it never
touches a workspace or a database. Each module declares one or more :class:`Format` objects; the
registry in :mod:`nhigraph.ingest.registry` lists them in detection order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import InputError
from ..model.records import Batch
from . import stream

#: how many bytes of a file detection looks at
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Format:
    """One supported export format."""

    name: str
    title: str
    #: the command that produces the export, for README and --help
    produced_by: str
    #: does this file (path and its first bytes) look like this format?
    detect: Callable[[Path, bytes], bool]
    #: parse the file into batches (one per source scope it reports)
    parse: Callable[[Path, str | None], list[Batch]]


def read_text(path: Path) -> str:
    """The whole file as text, with a clear error for empty or non-UTF-8 files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(path, None, "file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(path, f"line {line}", f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():  # a byte-order mark and nothing else
        raise InputError(path, None, "file is empty")
    return text


def load_json(path: Path) -> Any:
    """The file's JSON document, as :func:`json.loads` gives it; the text is read a window at a time, never held
    whole (exports that can be large walk their top level with :func:`nhigraph.ingest.stream.json_entries`
    instead of holding the document too)."""
    return stream.json_document(path)


def first_char(path: Path) -> str:
    """The first character of the file's text that is not whitespace ('' for none)."""
    for line in stream.text_lines(path):
        if line.strip():
            return line.lstrip()[0]
    return ""


def csv_rows(path: Path, key: Callable[[str], str] | None = None) -> tuple[list[str],
                                                                          Iterator[tuple[int, dict[str, str]]]]:
    """Header and ``(line number, row)`` pairs of a CSV file, read a line at a time; ragged rows raise naming
    the line. With ``key``, each row's columns are named ``key(header name)``."""
    reader = csv.reader(stream.text_lines(path, csv_newlines=True), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputError(path, "line 1", f"malformed CSV: {exc}") from None
    except StopIteration:
        raise InputError(path, "line 1", "empty CSV header") from None
    if not any(header):
        raise InputError(path, "line 1", "empty CSV header")
    dupes = sorted({h for h in header if header.count(h) > 1 and h})
    if dupes:
        raise InputError(path, "line 1", f"duplicate column {dupes[0]!r}")

    names = [key(h) for h in header] if key else header

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(path, f"line {line}", f"malformed CSV: {exc}") from None
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(path, f"line {line}",
                                 f"has {len(row)} fields but the header has {len(header)}")
            yield line, dict(zip(names, row))

    return header, rows()


def looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")
