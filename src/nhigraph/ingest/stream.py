"""Reading export files without holding their whole text: JSON top levels item by item, and text line by line.

A 2 GB ``get-account-authorization-details`` export must not be read as one string and parsed as one document.
:func:`json_entries` walks the top level of a JSON file (an array, or an object whose members may be arrays) and
yields each array item on its own, decoded by the standard library's C decoder from a sliding window of the file
(about a megabyte, or the largest single item). The values and the error messages are exactly those of
:func:`json.loads` on the whole text, line numbers included (``line 239: invalid JSON: Unterminated string
starting at``), because the same decoder reads the same characters; only the top-level punctuation is walked
here, and an error in it is worded by the standard library too (see :meth:`_Reader.structure_error`).

The checks of a whole-file read are kept: an empty (or whitespace-only, or byte-order-mark-only) file, bytes that
are not UTF-8 (``line 2: not UTF-8 text (byte 28)``), nesting too deep to decode. Two differences remain, both
on broken files only: an error is found where the walk reaches it, so of a file with both bad bytes and bad JSON
the first one is reported (not always the bad bytes); and a top-level key given twice is walked twice (a
whole-document read keeps the last; :mod:`.aws.authz` does the same on purpose).

Why not ijson: its C backend (yajl2_c 3.6) took 1.2 s for the items of a 139 MB export where the standard decoder
over a window takes 0.75 s, and it reads untrusted input differently from :func:`json.loads`: lone surrogates
become ``?``, ``NaN`` and ``Infinity`` are rejected, floats are ``Decimal`` unless asked, and its errors carry no
line number.
"""

from __future__ import annotations

import codecs
import json
import re
from json.decoder import scanstring
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from ..errors import InputError

#: bytes read at a time
CHUNK = 1 << 20
#: an error this close to the end of the window may be the window's fault (a literal or escape cut in two)
_MARGIN = 16
_WS = re.compile(r"[ \t\n\r]*")
_BOM = codecs.BOM_UTF8


class _Mark:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: the ``value`` of the entry that opens an array: its items follow as entries with an index
ARRAY = _Mark("ARRAY")
#: the ``value`` of the first entry of a top-level object
OBJECT = _Mark("OBJECT")


class Entry(NamedTuple):
    """One step of a top-level walk.

    - ``(None, None, ARRAY)`` the file is an array; ``(None, i, item)`` for each item;
    - ``(None, None, OBJECT)`` the file is an object; then per member ``(key, None, value)``, or for an array
      value ``(key, None, ARRAY)`` followed by ``(key, i, item)`` for each item;
    - ``(None, None, value)`` the file is a single scalar.
    """

    key: str | None
    index: int | None
    value: Any


class _Text:
    """A file's text, decoded incrementally, with the errors :func:`nhigraph.ingest.base.read_text` gives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._bytes = 0  # bytes read (after a byte-order mark)
        self._newlines = 0  # newlines in them
        self._first = True
        self._seen_text = False
        self.eof = False

    def close(self) -> None:
        self._fh.close()

    def read(self, size: int | None = None) -> str:
        """The next piece of text ('' at the end); raises for empty and non-UTF-8 files."""
        size = size or CHUNK
        while not self.eof:
            try:
                data = self._fh.read(size)
            except OSError as exc:
                raise InputError(self.path, None, f"cannot read: {exc.strerror or exc}") from None
            if self._first:
                self._first = False
                if data.startswith(_BOM):
                    data = data[len(_BOM):]
            final = len(data) < size
            pending = len(self._decoder.getstate()[0])
            try:
                text = self._decoder.decode(data, final)
            except UnicodeDecodeError as exc:
                at = self._bytes - pending + exc.start
                line = self._newlines + data.count(b"\n", 0, max(0, exc.start - pending)) + 1
                raise InputError(self.path, f"line {line}", f"not UTF-8 text (byte {at})") from None
            self._bytes += len(data)
            self._newlines += data.count(b"\n")
            if final:
                self.eof = True
            if not self._seen_text and text.strip():
                self._seen_text = True
            if self.eof and not self._seen_text:
                raise InputError(self.path, None, "file is empty")
            if text:
                return text
        return ""


class _Reader:
    """The top level of one JSON file, walked over a window of its text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = _Text(path)
        self.buf = ""
        self.pos = 0
        self.lines = 0  # newlines before buf
        self.decoder = json.JSONDecoder()

    # -- the window ----------------------------------------------------------------------------------------
    def more(self) -> bool:
        """Drop what was read, add the next piece (at least as much as the window holds); False at the end."""
        if self.text.eof:
            return False
        if self.pos:
            self.lines += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos:]
            self.pos = 0
        piece = self.text.read(max(CHUNK, len(self.buf)))
        self.buf += piece
        return bool(piece) or not self.text.eof

    def skip_ws(self) -> str:
        """The next character after whitespace ('' at the end of the file)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def line_at(self, pos: int) -> int:
        return self.lines + self.buf.count("\n", 0, pos) + 1

    def error(self, exc: json.JSONDecodeError) -> InputError:
        return InputError(self.path, f"line {self.line_at(exc.pos)}", f"invalid JSON: {exc.msg}")

    # -- values --------------------------------------------------------------------------------------------
    def value(self) -> Any:
        """Decode the value at the current position, widening the window until it is whole."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - _MARGIN
                if cut and self.more():
                    continue
                raise self.error(exc) from None
            except RecursionError:
                raise InputError(self.path, None, "invalid JSON: nested too deeply") from None
            if end >= len(self.buf) and self.more():
                continue  # a number may go on in the next piece
            self.pos = end
            return value

    def key(self) -> str:
        """The member name at the current position (a string)."""
        while True:
            try:
                key, end = scanstring(self.buf, self.pos + 1, True)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - _MARGIN
                if cut and self.more():
                    continue
                raise self.error(exc) from None
            self.pos = end
            return key

    def structure_error(self, prefix: str) -> InputError:
        """The standard library's error for the text at the current position, read after ``prefix`` (the
        top-level punctuation so far, values replaced by 0): ``Expecting ',' delimiter`` and the like."""
        while len(self.buf) - self.pos < 4 * _MARGIN and self.more():
            pass
        probe = prefix + self.buf[self.pos:self.pos + 4 * _MARGIN]
        try:
            json.loads(probe)
        except json.JSONDecodeError as exc:
            at = self.pos + max(0, exc.pos - len(prefix))
            return InputError(self.path, f"line {self.line_at(at)}", f"invalid JSON: {exc.msg}")
        return InputError(self.path, f"line {self.line_at(self.pos)}", "invalid JSON")  # pragma: no cover

    def items(self, key: str | None, prefix: str) -> Iterator[Entry]:
        """The items of the array whose ``[`` was just read."""
        self.pos += 1
        prefix += "["
        c = self.skip_ws()
        if c == "]":
            self.pos += 1
            return
        i = 0
        while True:
            if c in ("", "]"):
                raise self.structure_error(prefix + ("0," if i else ""))
            yield Entry(key, i, self.value())
            i += 1
            c = self.skip_ws()
            if c == "]":
                self.pos += 1
                return
            if c != ",":
                raise self.structure_error(prefix + "0")
            self.pos += 1
            c = self.skip_ws()


def json_entries(path: Path) -> Iterator[Entry]:
    """Walk the top level of a JSON file (see :class:`Entry`), holding one item at a time."""
    r = _Reader(path)
    try:
        c = r.skip_ws()
        if c == "[":
            yield Entry(None, None, ARRAY)
            yield from r.items(None, "")
        elif c == "{":
            yield Entry(None, None, OBJECT)
            r.pos += 1
            c = r.skip_ws()
            first = True
            while True:
                if c == "}" and first:
                    r.pos += 1
                    break
                if c != '"':
                    raise r.structure_error("{" if first else '{"k":0,')
                key = r.key()
                if r.skip_ws() != ":":
                    raise r.structure_error('{"k"')
                r.pos += 1
                if r.skip_ws() == "[":
                    yield Entry(key, None, ARRAY)
                    yield from r.items(key, '{"k":')
                else:
                    yield Entry(key, None, r.value())
                first = False
                c = r.skip_ws()
                if c == "}":
                    r.pos += 1
                    break
                if c != ",":
                    raise r.structure_error('{"k":0')
                r.pos += 1
                c = r.skip_ws()
        else:
            yield Entry(None, None, r.value())
        if r.skip_ws():
            raise r.structure_error("0")
    finally:
        r.text.close()


def json_document(path: Path) -> Any:
    """The whole document, as :func:`json.loads` gives it, but read a window at a time (the text is never
    held whole; the document is)."""
    doc: Any = None
    current: list[Any] | None = None
    for key, index, value in json_entries(path):
        if value is OBJECT:
            doc = {}
        elif value is ARRAY:
            current = []
            if key is None:
                doc = current
            else:
                doc[key] = current
        elif index is not None:
            assert current is not None
            current.append(value)
        elif key is None:
            doc = value
        else:
            doc[key] = value
    return doc


def json_values(path: Path) -> Iterator[Any]:
    """Every JSON document of a file of documents written back to back (``{...}{...}``, ``gh api --paginate``),
    one at a time."""
    r = _Reader(path)
    try:
        while r.skip_ws():
            yield r.value()
    finally:
        r.text.close()


def text_lines(path: Path, csv_newlines: bool = False) -> Iterator[str]:
    """The lines of a text file with their line ends, read a piece at a time.

    By default lines end as :meth:`str.splitlines` ends them; with ``csv_newlines`` only at ``\\n``, ``\\r`` and
    ``\\r\\n``, as :class:`io.StringIO` with ``newline=""`` reads them (what :mod:`csv` expects)."""
    text = _Text(path)
    split = _csv_lines if csv_newlines else (lambda s: s.splitlines(True))
    carry = ""
    try:
        while True:
            piece = text.read()
            if not piece:
                break
            lines = split(carry + piece)
            carry = ""
            if lines and not text.eof and (not _ends_line(lines[-1], csv_newlines) or lines[-1].endswith("\r")):
                carry = lines.pop()  # unfinished, or a \r whose \n may come next
            yield from lines
        if carry:
            yield carry
    finally:
        text.close()


_CSV_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _csv_lines(s: str) -> list[str]:
    return _CSV_LINE.findall(s)


def _ends_line(line: str, csv_newlines: bool) -> bool:
    if csv_newlines:
        return line.endswith(("\n", "\r"))
    return len(line.splitlines()[0]) < len(line)
