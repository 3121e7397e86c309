"""findings.csv: one row per finding, safe to open in a spreadsheet.

Spreadsheet formula injection is neutralised: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets a leading ``'`` so Excel, LibreOffice and Google Sheets show it as text.

The rows are written column by column, in chunks, with the standard library's ``csv`` rules (minimal
quoting, doubled quotes, CRLF line ends): byte for byte what ``csv.writer`` writes, without its per-character
pass over every cell, which was most of the cost for a large estate's evidence.
"""

from __future__ import annotations

import csv as _csv
import io
import json
import re
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, TextIO

from ..analysis.findings import Finding

COLUMNS = ("id", "severity", "rule", "category", "title", "subject", "subjects", "owasp_nhi", "nist_csf",
           "remediation", "status", "evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: findings formatted per chunk: small enough that the memory of one chunk is reused by the next (larger chunks
#: cost page faults that outweigh their fewer calls)
CHUNK = 1_000
#: csv.QUOTE_MINIMAL with the excel dialect and a CRLF line end quotes a field holding any of these
_needs_quotes = re.compile('[,"\r\n]').search


def safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet will not evaluate."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_field(value: Any) -> str:
    """``safe_cell(value)`` as ``csv.writer`` writes it (quoted when it holds a separator, quote or line end)."""
    if type(value) is str:
        text = "'" + value if value.startswith(FORMULA_START) else value
    else:
        text = safe_cell(value)
        if type(text) is not str:
            text = str(text)
    if _needs_quotes(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _column(values: list[Any], repeated: bool = False) -> list[str]:
    """Every value of a column as a CSV field; ``repeated``: few distinct values, format each once."""
    if repeated:
        memo = {v: csv_field(v) for v in set(values)}
        return [memo[v] for v in values]
    return list(map(csv_field, values))


def _evidence_fields() -> Callable[[Any], str]:
    """Evidence -> its CSV field: ``csv_field(json.dumps(evidence, sort_keys=True, default=str,
    ensure_ascii=False))``. The long lists findings share (credentials of one identity reach the same
    resources) are encoded and quote-doubled once per list, not once per finding."""
    from json import encoder as _enc

    if _enc.c_make_encoder is not None:  # the C encoder json.dumps builds per call, built once
        c_encode = _enc.c_make_encoder(None, str, _enc.encode_basestring, None, ": ", ", ", True, False, True)

        def enc(value: Any) -> str:
            return _enc.encode_basestring(value) if type(value) is str else "".join(c_encode(value, 0))
    else:  # pragma: no cover - CPython always has it
        enc = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False).encode
    key = _enc.encode_basestring
    shared: dict[int, tuple[list, str]] = {}  # id -> (the list, kept alive so its id stays its own; its field text)

    def field(ev: Any) -> str:
        if type(ev) is not dict:
            return csv_field(enc(ev))
        for v in ev.values():
            if type(v) is list and len(v) > 8:
                break
        else:
            return csv_field(enc(ev))
        try:
            keys = sorted(ev)
        except TypeError:
            return csv_field(enc(ev))  # raises as json.dumps does
        parts = []
        for k in keys:
            if type(k) is not str:
                return csv_field(enc(ev))
            v = ev[k]
            if type(v) is list and len(v) > 8:
                hit = shared.get(id(v))
                if hit is None:
                    hit = shared[id(v)] = (v, enc(v).replace('"', '""'))
                parts.append(key(k).replace('"', '""') + ": " + hit[1])
            else:
                parts.append((key(k) + ": " + enc(v)).replace('"', '""'))
        # a JSON object starts with "{" (never a formula) and holds quotes (so it is always quoted)
        return '"{' + ", ".join(parts) + '}"'

    return field


def csv_chunks(findings: Iterable[Finding], status: dict[str, str] | None = None) -> Iterator[str]:
    """findings.csv as text chunks: the header, then up to :data:`CHUNK` rows at a time."""
    yield ",".join(csv_field(c) for c in COLUMNS) + "\r\n"
    status = status or {}
    evidence = _evidence_fields()
    it = iter(findings)
    while True:
        chunk = list(islice(it, CHUNK))
        if not chunk:
            return
        cols = (
            _column([f.id for f in chunk]),
            _column([f.severity for f in chunk], True),
            _column([f.rule for f in chunk], True),
            _column([f.category for f in chunk], True),
            _column([f.title for f in chunk], True),
            _column([f.subject for f in chunk]),
            _column([";".join(f.subjects) for f in chunk]),
            _column([" ".join(f.owasp) for f in chunk], True),
            _column([" ".join(f.nist) for f in chunk], True),
            _column([f.remediation for f in chunk], True),
            _column([status.get(f.id, "") for f in chunk], True),
            [evidence(f.evidence) for f in chunk],
        )
        yield "\r\n".join(map(",".join, zip(*cols))) + "\r\n"


def write_findings_csv(fh: TextIO, findings: Iterable[Finding], status: dict[str, str] | None = None) -> None:
    """Stream findings.csv into an open text file (``newline=""``, UTF-8)."""
    for text in csv_chunks(findings, status):
        fh.write(text)


def findings_csv(findings: Iterable[Finding], status: dict[str, str] | None = None) -> str:
    """The findings as CSV text (``status``: finding id -> new/persisting, when compared)."""
    return "".join(csv_chunks(findings, status))


def findings_csv_naive(findings: Iterable[Finding], status: dict[str, str] | None = None) -> str:
    """The same through ``csv.writer``, one row at a time: the reference the fast writer is tested and
    benchmarked against."""
    buf = io.StringIO()
    w = _csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for f in findings:
        row = (f.id, f.severity, f.rule, f.category, f.title, f.subject, ";".join(f.subjects), " ".join(f.owasp),
               " ".join(f.nist), f.remediation, (status or {}).get(f.id, ""),
               json.dumps(f.evidence, sort_keys=True, default=str, ensure_ascii=False))
        w.writerow([safe_cell(v) for v in row])
    return buf.getvalue()
