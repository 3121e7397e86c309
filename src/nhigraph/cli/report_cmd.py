"""`nhigraph report` (the quarterly debt report) and `nhigraph diff` (what changed between two snapshots)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .debt_cmd import threshold_options
from .options import backend_options, console, emit, json_option, open_backend_from, workspace_option
from .render import table


def _period(ctx, param, value):
    if value is None:
        return None
    from ..report.build import Period

    try:
        return Period.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default="nhigraph-report",
              show_default=True, help="Folder for report.html, report.md, findings.csv and metrics.json (created; "
                                      "the four files are replaced).")
@click.option("--previous", metavar="SNAPSHOT|WORKSPACE",
              help="Compare with this snapshot: a name (or unique prefix) in the workspace, a path to another "
                   "workspace (its current snapshot) or to a snapshot folder. Default: the newest snapshot observed "
                   "before the period starts, if any.")
@click.option("--period", metavar="YYYY-Qn", callback=_period,
              help="Reporting quarter, e.g. 2026-Q4. Default: the quarter the snapshot was observed in. Without "
                   "--snapshot it also picks the snapshot: the newest one observed before the quarter ends.")
@workspace_option
@click.option("--snapshot", metavar="NAME", help="Report on this snapshot instead of the current one.")
@backend_options
@threshold_options
@click.option("--title", default="NHI debt report", show_default=True, help="Title of the report.")
@json_option
def report(out: Path, previous: str | None, period, workspace: Path, snapshot: str | None, backend: str,
           neo4j_uri: str, neo4j_user: str, neo4j_database: str | None, rotation_days: int, unused_days: int,
           title: str, as_json: bool) -> None:
    """Write the quarterly NHI debt report: HTML for people, Markdown, CSV and JSON for tools.

    OUT/report.html is one self-contained page (inline CSS and SVG charts, no script, no network) with an
    executive summary of the headline debt numbers and their change since the previous period; charts of
    findings by category, integration-debt score per business unit and system, credential age, active owners
    per NHI and the top 10 credentials by blast radius; what changed (new, resolved and persisting findings,
    credentials that reach further, owners who left with NHIs still active); a section per debt concept
    (integration, coordination, orchestration, security technical debt) with the RACI gap table, the
    duplicate-connector groups and the third-party exposure table; and every finding with its OWASP NHI Top 10
    and NIST CSF 2.0 mapping.

    OUT/report.md is the same for a wiki page or a ticket, OUT/findings.csv has one row per finding (safe to
    open in a spreadsheet: formula-like cells are quoted) and OUT/metrics.json has every metric (as
    `nhigraph debt --json`), the headline numbers and the changes. Names from the exports are shown as text,
    never interpreted.

    With --backend neo4j the analysis runs on the server; the comparison always reads workspace snapshots.
    """
    from ..analysis.debt import Thresholds
    from ..analysis.estate import paused_gc
    from ..errors import WorkspaceError
    from ..report import build_report, write_report
    from ..report.diff import SnapshotInfo, latest_before, load_side, side_from_backend
    from ..workspace.store import Workspace

    started = time.perf_counter()
    with paused_gc():  # millions of long-lived objects, no cyclic garbage: see paused_gc
        thresholds = Thresholds(rotation_days=rotation_days, unused_days=unused_days)
        ws = Workspace(workspace)
        if backend == "embedded":
            name = snapshot
            if name is None and period is not None:
                name = latest_before(ws, period.end)
                if name is None:
                    raise WorkspaceError(f"{workspace}: no snapshot observed before the end of {period}")
            current = load_side(name, ws, thresholds)
        else:
            from datetime import datetime, timezone

            info = (SnapshotInfo.from_manifest(ws.manifest(snapshot), ws.path) if ws.exists()
                    else SnapshotInfo(f"neo4j {neo4j_uri}", datetime.now(timezone.utc)))
            be = open_backend_from(backend, workspace, snapshot, neo4j_uri, neo4j_user, neo4j_database)
            try:
                current = side_from_backend(be, info, thresholds)
            finally:
                be.close()
        from ..report.build import Period

        if period is None and current.info.observed_at is not None:
            period = Period.of(current.info.observed_at)
        prev = None
        if previous:
            prev = load_side(previous, ws, thresholds)
        elif ws.exists() and period is not None:
            earlier = latest_before(ws, period.start, exclude=current.info.name)
            if earlier:
                prev = load_side(earlier, ws, thresholds)
        rep = build_report(current, prev, period, thresholds, backend, title)
        paths = write_report(rep, out)
    elapsed = round(time.perf_counter() - started, 3)
    data = {"out": str(out), "files": {k: str(v) for k, v in paths.items()}, "period": str(rep.period),
            "snapshot": rep.snapshot.name, "previous": prev.info.name if prev else None,
            "findings": len(rep.findings), "by_severity": rep.severity_counts(),
            "headline": [h.to_json() for h in rep.headlines()],
            "changes": rep.diff.summary() if rep.diff else None, "seconds": elapsed}

    def render() -> None:
        c = console()
        c.print(f"NHI debt report for {rep.period}: snapshot {rep.snapshot.name}"
                + (f", compared with {prev.info.name}" if prev else ", no earlier period to compare with")
                + f" ({elapsed:.1f} s).", markup=False)
        c.print(table(None, ["file", "path"], [(k, str(v)) for k, v in paths.items()]))
        c.print(table("Headline", ["measure", "now", "last period", "change"],
                      [(h.label, "unknown" if h.unknown else h.value, "" if h.previous is None else h.previous,
                        "" if h.delta is None else f"{h.delta:+g}") for h in rep.headlines()]))
        c.print(f"Open {paths['report.html']} in a browser.", markup=False)

    emit(data, as_json, render)


@click.command()
@click.argument("old")
@click.argument("new", required=False)
@workspace_option
@threshold_options
@click.option("--limit", type=click.IntRange(0), default=30, show_default=True,
              help="Rows per table in the printed tables (0: all); --json always has everything.")
@json_option
def diff(old: str, new: str | None, workspace: Path, rotation_days: int, unused_days: int, limit: int,
         as_json: bool) -> None:
    """Compare two snapshots: new, resolved and persisting findings, metric changes, blast-radius growth.

    OLD and NEW are snapshot names (or unique prefixes, see `nhigraph snapshots`) in the workspace, or paths to
    another workspace (its current snapshot) or to a snapshot folder. NEW defaults to the current snapshot.
    Findings are matched by their stable id (rule, subject and target), so a finding is "persisting" when the
    same problem is still there. Also lists every metric's change, the credentials whose blast radius grew
    (more resources, more prod write or admin) and the owners who left (active in OLD, inactive in NEW) while
    identities or credentials they own are still active.
    """
    from ..analysis.debt import Thresholds
    from ..report.diff import diff_snapshots

    d = diff_snapshots(old, new, workspace, Thresholds(rotation_days=rotation_days, unused_days=unused_days))
    data = d.to_json()

    def cut(rows):
        return rows if not limit else rows[:limit]

    def render() -> None:
        c = console()
        s = d.summary()
        c.print(f"{d.old.label} -> {d.new.label}: {s['new']} new, {s['resolved']} resolved, {s['persisting']} "
                f"persisting finding(s); {s['severity_changed']} changed severity; {s['blast_radius_grew']} "
                f"credential(s) reach further; "
                + ("owners who left: unknown." if s["owners_left"] is None else f"{s['owners_left']} owner(s) left "
                   "with NHIs still active."), markup=False)
        for title, rows in (("New findings", d.new_findings), ("Resolved findings", d.resolved_findings)):
            c.print(table(f"{title} ({len(rows)})", ["severity", "rule", "subject", "finding", "id"],
                          [(f.severity.upper(), f.rule, f.subject, f.title, f.id) for f in cut(rows)]
                          or [("-", "none", "", "", "")]))
        if d.severity_changed:
            c.print(table("Severity changed", ["now", "before", "rule", "subject"],
                          [(f.severity.upper(), old_sev.upper(), f.rule, f.subject)
                           for f, old_sev in cut(d.severity_changed)]))
        c.print(table(f"Blast radius grew ({len(d.blast_radius_growth)})",
                      ["credential", "resources before", "now", "prod write/admin", "share"],
                      [(g["credential"], g["old_total"], g["new_total"], f"{g['old_prod_write']} -> {g['new_prod_write']}",
                        f"{g['old_share']:.0%} -> {g['new_share']:.0%}") for g in cut(d.blast_radius_growth)]
                      or [("-", "none", "", "", "")]))
        if d.owners_left is not None:
            c.print(table(f"Owners who left with NHIs still active ({len(d.owners_left)})",
                          ["owner", "name", "departed", "active NHIs they own", "now unowned"],
                          [(o["owner"], o["name"], o["departed_at"], ", ".join(n["id"] for n in o["nhis"]), o["orphaned"])
                           for o in cut(d.owners_left)] or [("-", "none", "", "", "")]))
        moved = [m for m in d.metric_deltas if m["delta"] or m["old"]["unknown"] != m["new"]["unknown"]]
        c.print(table(f"Metrics that moved ({len(moved)} of {len(d.metric_deltas)})",
                      ["metric", "before", "now", "change"],
                      [(m["title"], "unknown" if m["old"]["unknown"] else f"{m['old']['numerator']} / {m['old']['denominator']}",
                        "unknown" if m["new"]["unknown"] else f"{m['new']['numerator']} / {m['new']['denominator']}",
                        "" if m["delta"] is None else f"{m['delta']:+d}") for m in moved] or [("-", "", "", "")]))

    emit(data, as_json, render)
