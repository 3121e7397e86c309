"""findings.csv: one row per finding, safe to open in a spreadsheet.

Spreadsheet formula injection is neutralised: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets a leading ``'`` so Excel, LibreOffice and Google Sheets show it as text.
"""

from __future__ import annotations

import csv as _csv
import io
import json
from typing import Any, Iterable

from ..analysis.findings import Finding

COLUMNS = ("id", "severity", "rule", "category", "title", "subject", "subjects", "owasp_nhi", "nist_csf",
           "remediation", "status", "evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def findings_csv(findings: Iterable[Finding], status: dict[str, str] | None = None) -> str:
    """The findings as CSV text (``status``: finding id -> new/persisting, when compared)."""
    buf = io.StringIO()
    w = _csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for f in findings:
        row = (f.id, f.severity, f.rule, f.category, f.title, f.subject, ";".join(f.subjects), " ".join(f.owasp),
               " ".join(f.nist), f.remediation, (status or {}).get(f.id, ""),
               json.dumps(f.evidence, sort_keys=True, default=str, ensure_ascii=False))
        w.writerow([safe_cell(v) for v in row])
    return buf.getvalue()
