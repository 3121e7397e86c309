"""`nhigraph debt` and `nhigraph findings`: the metrics and what offends them."""

from __future__ import annotations

from pathlib import Path

import click

from .options import backend_options, console, emit, json_option, open_backend_from, workspace_option
from .render import table

CATEGORY_TITLES = {
    "integration": "Integration debt",
    "ownership": "Unowned paths and departed owners",
    "coordination": "Coordination debt",
    "orchestration": "Orchestration debt",
    "security": "Security technical debt",
    "third_party": "Third-party exposure",
}


def threshold_options(f):
    f = click.option("--unused-days", type=click.IntRange(1), default=90, show_default=True,
                     help="A credential unused this long is unused.")(f)
    f = click.option("--rotation-days", type=click.IntRange(1), default=90, show_default=True,
                     help="A credential not rotated this long is long-lived.")(f)
    return f


def _analysis(workspace, snapshot, backend, neo4j_uri, neo4j_user, neo4j_database, rotation_days, unused_days):
    from ..analysis import analyze_backend
    from ..analysis.debt import Thresholds

    be = open_backend_from(backend, workspace, snapshot, neo4j_uri, neo4j_user, neo4j_database)
    try:
        return analyze_backend(be, Thresholds(rotation_days=rotation_days, unused_days=unused_days))
    finally:
        be.close()


@click.command()
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
@backend_options
@threshold_options
@json_option
def debt(workspace: Path, snapshot: str | None, backend: str, neo4j_uri: str, neo4j_user: str,
         neo4j_database: str | None, rotation_days: int, unused_days: int, as_json: bool) -> None:
    """Measure integration, ownership, coordination, orchestration, security and third-party debt.

    Each metric is a count of offenders over the population it measures (e.g. credentials kept in
    several stores / all credentials), with the offending subjects listed in --json. Without an owner
    register, ownership metrics say "unknown" instead of counting everything as unowned.
    """
    a = _analysis(workspace, snapshot, backend, neo4j_uri, neo4j_user, neo4j_database, rotation_days, unused_days)
    data = {"metrics": [m.to_json() for m in a.metrics], "integration_scores": a.integration_scores}

    def render() -> None:
        out = console()
        for cat, metrics in a.categories().items():
            rows = []
            for m in metrics:
                value = "unknown" if m.unknown else f"{m.numerator} / {m.denominator}"
                ratio = "" if m.unknown else f"{m.ratio:.0%}"
                top = ", ".join(str(o["subject"]) for o in m.offenders[:3])
                more = f" (+{len(m.offenders) - 3})" if len(m.offenders) > 3 else ""
                rows.append((m.title, m.population, value, ratio, top + more))
            out.print(table(CATEGORY_TITLES.get(cat, cat), ["metric", "of", "offenders", "ratio", "examples"], rows))
        scored = [r for r in a.integration_scores if r["score"] > 0][:10]
        out.print(table("Integration-debt score (100 × (3·duplicates + 2·sprawl + 2·shared + 1·point-to-point) "
                        "/ connectors+credentials; worst 10)",
                        ["scope", "name", "score", "dup", "sprawl", "shared", "p2p", "population"],
                        [(r["scope"], r["name"], r["score"], r["duplicate_excess"], r["sprawl"], r["shared"],
                          r["point_to_point"], r["population"]) for r in scored] or [("-", "no integration debt", 0)
                                                                                      + ("",) * 5]))

    emit(data, as_json, render)


@click.command()
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
@backend_options
@threshold_options
@click.option("--severity", type=click.Choice(["low", "medium", "high", "critical"]), default="low",
              show_default=True, help="Show findings of this severity and above.")
@click.option("--limit", type=click.IntRange(0), default=0, help="Show at most this many (0: all).")
@json_option
def findings(workspace: Path, snapshot: str | None, backend: str, neo4j_uri: str, neo4j_user: str,
             neo4j_database: str | None, rotation_days: int, unused_days: int, severity: str, limit: int,
             as_json: bool) -> None:
    """List findings, most severe first, with rule ids and OWASP NHI Top 10 / NIST CSF 2.0 mappings.

    Severity starts from the rule and rises a band when the subject's blast radius can write to prod
    or reaches 10% or more of the estate. Finding ids are stable across runs.
    """
    from ..analysis.findings import SEVERITIES

    a = _analysis(workspace, snapshot, backend, neo4j_uri, neo4j_user, neo4j_database, rotation_days, unused_days)
    floor = SEVERITIES.index(severity)
    rows = [f for f in a.findings if SEVERITIES.index(f.severity) >= floor]
    if limit:
        rows = rows[:limit]

    def render() -> None:
        console().print(table(f"{len(rows)} finding(s)", ["severity", "rule", "subject", "finding", "OWASP", "NIST"],
                              [(f.severity.upper(), f.rule, f.subject, f.title, " ".join(f.owasp), " ".join(f.nist))
                               for f in rows]))

    emit({"findings": [f.to_json() for f in rows]}, as_json, render)
