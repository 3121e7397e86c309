"""The quarterly NHI debt report, quarter-over-quarter comparison and interactive graph views.

Library use, no CLI needed::

    from nhigraph.report import load_side, build_report, write_report
    current = load_side(None, "nhigraph-workspace")            # current snapshot, analysed
    report = build_report(current, previous=load_side("20260901T000000Z", "nhigraph-workspace"))
    write_report(report, "out/")     # report.html, report.md, findings.csv, metrics.json
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO

from .build import Facts, Period, Report, build_report
from .diff import Diff, Side, SnapshotInfo, compare, diff_snapshots, load_side, resolve_ref

REPORT_FILES = ("report.html", "report.md", "findings.csv", "metrics.json")


def write_report(report: Report, out: str | Path) -> dict[str, Path]:
    """Write the four report files into ``out`` (created) atomically, one by one; return their paths."""
    from ..analysis.estate import paused_gc
    from ..util.files import atomic_write_text
    from .csv import write_findings_csv
    from .html import render_html
    from .markdown import markdown_chunks

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in REPORT_FILES}
    with paused_gc():
        status = {f.id: report.status(f) for f in report.findings} if report.diff else None
        with _atomic_file(paths["metrics.json"], binary=True) as fh:
            write_json(fh, report.to_json())
            fh.write(b"\n")
        with _atomic_file(paths["findings.csv"]) as fh:
            write_findings_csv(fh, report.findings, status)
        with _atomic_file(paths["report.md"]) as fh:
            fh.writelines(markdown_chunks(report))
        atomic_write_text(paths["report.html"], render_html(report))
    for p in paths.values():
        readable(p)
    return paths


def _atomic_file(path: Path, binary: bool = False):
    """A report file written in place of ``path`` only when complete (see :func:`nhigraph.util.files.atomic_file`)."""
    from ..util.files import atomic_file

    return atomic_file(path, binary)


def readable(path: Path) -> None:
    """Reports are for sharing: readable by all (atomic writes create private files)."""
    import os

    os.chmod(path, 0o644)


def _default(v):
    from datetime import date, datetime

    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    if isinstance(v, (Path, tuple)):
        return str(v) if isinstance(v, Path) else list(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def dumps(data) -> str:
    """``data`` as indented JSON text with sorted keys (metrics.json)."""
    try:
        return dumps_bytes(data).decode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: text, but not UTF-8
        return dumps_naive(data)


def dumps_naive(data) -> str:
    """The same with the standard library (its pure-Python indenting encoder): the reference
    :func:`dumps_bytes` is tested and benchmarked against."""
    return json.dumps(data, indent=2, sort_keys=True, default=_default, ensure_ascii=False)


def dumps_bytes(data) -> bytes:
    """:func:`dumps_naive`'s exact bytes (UTF-8), written by orjson when it can, ~10× faster on a large
    estate's metrics. Floats are passed through as Python writes them (orjson writes ``5e-6`` for ``5e-06``
    and ``null`` for NaN); anything orjson refuses (a non-string key, an integer past 64 bits, a lone
    surrogate) falls back to the standard library, so the output never depends on which one ran."""
    buf = io.BytesIO()
    write_json(buf, data)
    return buf.getvalue()


#: list items serialised per orjson call when streaming a long list
JSON_BATCH = 1_000


def write_json(fh: BinaryIO, data) -> None:
    """Write :func:`dumps_bytes` ``(data)`` into a seekable binary file at its current position, streamed:
    long lists are serialised :data:`JSON_BATCH` items at a time and indented to their depth, so a large
    estate's ~1 GB of metrics never sits in memory as one buffer."""
    start = fh.tell()
    try:
        import orjson
    except ImportError:  # pragma: no cover - a declared dependency
        orjson = None
    if orjson is not None:
        opts = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME \
            | orjson.OPT_PASSTHROUGH_DATACLASS
        try:
            _stream_json(fh, _python_floats(data, orjson.Fragment),
                         lambda v: orjson.dumps(v, default=_default, option=opts), 0)
            return
        except (orjson.JSONEncodeError, TypeError, ValueError, RecursionError):
            fh.seek(start)
            fh.truncate()
    fh.write(dumps_naive(data).encode("utf-8"))


def _stream_json(fh: BinaryIO, value, encode, depth: int) -> None:
    """``value`` as indented JSON at ``depth`` (the caller has written the indentation of its first line)."""
    t = type(value)
    if t is dict and value and depth < 3 or t in (list, tuple) and len(value) > JSON_BATCH:
        pad = b"  " * (depth + 1)
        if t is dict:
            keys = sorted(value)  # raises TypeError on mixed key types, as json.dumps(sort_keys=True) does
            if not all(type(k) is str for k in keys):
                raise TypeError("non-string keys: leave them to the standard library")
            fh.write(b"{\n")
            for i, k in enumerate(keys):
                fh.write(pad + encode(k) + b": ")
                _stream_json(fh, value[k], encode, depth + 1)
                fh.write(b",\n" if i < len(keys) - 1 else b"\n")
            fh.write(b"  " * depth + b"}")
        else:
            fh.write(b"[\n")
            inner = b"\n" + b"  " * depth
            for i in range(0, len(value), JSON_BATCH):
                text = encode(list(value[i:i + JSON_BATCH]))  # b'[\n  item,\n  item\n]'
                body = text[2:-2]
                fh.write(b"  " * depth + (body.replace(b"\n", inner) if depth else body))
                fh.write(b",\n" if i + JSON_BATCH < len(value) else b"\n")
            fh.write(b"  " * depth + b"]")
        return
    text = encode(value)
    fh.write(text.replace(b"\n", b"\n" + b"  " * depth) if depth else text)


_ATOMS = frozenset({str, int, bool, type(None)})


def _python_floats(data, fragment):
    """``data`` with every float replaced by its standard-library JSON text as an orjson fragment.
    Containers without floats are returned as they are (not copied); a long list seen twice is walked once."""
    seen: dict[int, Any] = {}
    float_text = json.encoder.JSONEncoder(allow_nan=True).encode  # repr, NaN, Infinity, -Infinity
    atoms = _ATOMS

    def walk(o):
        t = type(o)
        if t is dict:
            new = None
            for k, v in o.items():
                if type(v) in atoms:
                    continue
                w = walk(v)
                if w is not v:
                    if new is None:
                        new = dict(o)
                    new[k] = w
            return o if new is None else new
        if t is list or t is tuple:
            long = len(o) > 16
            if long:
                hit = seen.get(id(o))
                if hit is not None:
                    return hit[1]
            if atoms.issuperset(map(type, o)):
                res = o
            else:
                items = [walk(v) for v in o]
                res = o if all(a is b for a, b in zip(items, o)) else items
            if long:
                seen[id(o)] = (o, res)  # keeps o alive, so its id is not reused during the walk
            return res
        if t in atoms:
            return o
        if t is float or isinstance(o, float):
            return fragment(float_text(o))
        if isinstance(o, dict):  # subclasses: as plain containers (how both encoders write them)
            return walk(dict(o))
        if isinstance(o, (list, tuple)):
            return walk(list(o))
        if isinstance(o, (set, frozenset)):
            return walk(sorted(o))  # as _default writes it, floats included
        return o

    return walk(data)


__all__ = ["Diff", "Facts", "Period", "Report", "Side", "SnapshotInfo", "build_report", "compare", "diff_snapshots",
           "load_side", "resolve_ref", "write_report", "REPORT_FILES"]
