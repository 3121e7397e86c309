"""report.html: one self-contained page rendered with Jinja2 (autoescaped) from a :class:`Report`.

Every value from the estate goes through autoescape; the only markup not escaped is the charts' SVG, which
matplotlib writes with its text XML-escaped. The page has no script and loads nothing: its Content Security
Policy forbids both, so even a missed escape could not run.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import __version__
from ..analysis.findings import NIST_CSF, OWASP_NHI
from .build import CONCEPTS, Report

#: rows shown per offender table (every finding is always shown; the CSV and JSON have everything)
#: findings listed one by one in report.html (the rest are in findings.csv and metrics.json), so a
#: large estate's report stays small enough to open and mail
FINDINGS_LIMIT = 1000
TABLE_LIMIT = 200


def _when(value: Any) -> str:
    if value is None or value == "":
        return "unknown"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return str(value)


def _signed(d: float) -> str:
    text = f"{d:g}"
    return ("+" + text) if d > 0 else text.replace("-", "−")


def _pct(r: float | None) -> str:
    return "" if r is None else f"{r:.0%}" if r >= 0.01 or r == 0 else f"{r:.1%}"


def _signed_pct(r: float) -> str:
    pts = r * 100
    return "±0 pts" if round(pts, 1) == 0 else (f"+{pts:.1f} pts" if pts > 0 else f"−{-pts:.1f} pts")


#: items of one evidence list shown in the page (the full evidence is in findings.csv and metrics.json)
EVIDENCE_ITEMS = 25


def _clip(value: Any) -> Any:
    if isinstance(value, list) and len(value) > EVIDENCE_ITEMS:
        return [_clip(v) for v in value[:EVIDENCE_ITEMS]] + [f"... {len(value) - EVIDENCE_ITEMS} more"]
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    return value


def _pretty(value: Any) -> str:
    return json.dumps(_clip(value), indent=1, sort_keys=True, default=str, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment for every nhigraph page: templates from package data, autoescape always on."""
    env = Environment(loader=PackageLoader("nhigraph.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(when=_when, signed=_signed, pct=_pct, signed_pct=_signed_pct, pretty=_pretty,
                       version=__version__, owasp_name=lambda o: OWASP_NHI.get(o.split(":")[0], ""),
                       nist_name=lambda n: NIST_CSF.get(n, ""))
    return env


def concepts(report: Report) -> list[dict[str, Any]]:
    return [{"key": key, "title": title, "text": text, "metrics": report.metrics_of(*cats)}
            for key, title, cats, text in CONCEPTS]


def render_html(report: Report, charts: list | None = None) -> str:
    """The report page. ``charts`` defaults to :func:`~nhigraph.report.charts.report_charts`."""
    if charts is None:
        from .charts import report_charts

        charts = report_charts(report)
    return environment().get_template("report.html.j2").render(
        report=report, charts=charts, concepts=concepts(report), limit=TABLE_LIMIT,
        findings_limit=FINDINGS_LIMIT)
