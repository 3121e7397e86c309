"""The quarterly NHI debt report, quarter-over-quarter comparison and interactive graph views.

Library use, no CLI needed::

    from nhigraph.report import load_side, build_report, write_report
    current = load_side(None, "nhigraph-workspace")            # current snapshot, analysed
    report = build_report(current, previous=load_side("20260901T000000Z", "nhigraph-workspace"))
    write_report(report, "out/")     # report.html, report.md, findings.csv, metrics.json
"""

from __future__ import annotations

import json
from pathlib import Path

from .build import Facts, Period, Report, build_report
from .diff import Diff, Side, SnapshotInfo, compare, diff_snapshots, load_side, resolve_ref

REPORT_FILES = ("report.html", "report.md", "findings.csv", "metrics.json")


def write_report(report: Report, out: str | Path) -> dict[str, Path]:
    """Write the four report files into ``out`` (created) atomically, one by one; return their paths."""
    from ..util.files import atomic_write_text
    from .csv import findings_csv
    from .html import render_html
    from .markdown import render_markdown

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in REPORT_FILES}
    status = {f.id: report.status(f) for f in report.findings} if report.diff else None
    atomic_write_text(paths["metrics.json"], dumps(report.to_json()) + "\n")
    atomic_write_text(paths["findings.csv"], findings_csv(report.findings, status))
    atomic_write_text(paths["report.md"], render_markdown(report))
    atomic_write_text(paths["report.html"], render_html(report))
    for p in paths.values():
        readable(p)
    return paths


def readable(path: Path) -> None:
    """Reports are for sharing: readable by all (atomic writes create private files)."""
    import os

    os.chmod(path, 0o644)


def dumps(data) -> str:
    from datetime import date, datetime

    def default(v):
        if isinstance(v, (datetime, date)):
            return v.isoformat()
        if isinstance(v, (set, frozenset)):
            return sorted(v)
        if isinstance(v, (Path, tuple)):
            return str(v) if isinstance(v, Path) else list(v)
        raise TypeError(f"not JSON serialisable: {type(v).__name__}")

    return json.dumps(data, indent=2, sort_keys=True, default=default, ensure_ascii=False)


__all__ = ["Diff", "Facts", "Period", "Report", "Side", "SnapshotInfo", "build_report", "compare", "diff_snapshots",
           "load_side", "resolve_ref", "write_report", "REPORT_FILES"]
