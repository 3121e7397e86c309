"""Quarter over quarter: what changed between two snapshots.

A *side* is one snapshot analysed: its findings, metrics and blast radii, plus the estate when it was
loaded from a workspace (owner status needs it). :func:`compare` says which findings are new, resolved
and persisting (by their stable finding id), how every metric moved, which credentials' blast radius grew,
and which owners left (active, then inactive) while NHIs they own are still active.

A snapshot is named by a reference: a snapshot name (or unique prefix) in the workspace, a path to
another workspace (its current snapshot), or a path to a snapshot folder (``WS/snapshots/NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..analysis import Analysis, analyze_backend
from ..analysis.debt import Thresholds
from ..analysis.estate import NHI_LABELS, Estate, paused_gc
from ..analysis.findings import SEVERITIES, Finding
from ..errors import WorkspaceError
from ..workspace.store import Workspace

ACTIVE_STATUS = (None, "active")


# ------------------------------------------------------------------------------------------------
# Snapshots and sides
# ------------------------------------------------------------------------------------------------

def parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class SnapshotInfo:
    """What the report says about a snapshot: its name, when it was observed, what it holds."""

    name: str
    observed_at: datetime | None = None
    created_at: datetime | None = None
    workspace: str | None = None
    total_nodes: int = 0
    total_edges: int = 0
    nodes: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], workspace: str | Path | None = None) -> "SnapshotInfo":
        counts = manifest.get("counts") or {}
        return cls(name=manifest.get("snapshot", ""),
                   observed_at=parse_time(manifest.get("observed_at") or manifest.get("created_at")),
                   created_at=parse_time(manifest.get("created_at")),
                   workspace=str(workspace) if workspace is not None else None,
                   total_nodes=counts.get("total_nodes", 0), total_edges=counts.get("total_edges", 0),
                   nodes={k: v for k, v in (counts.get("nodes") or {}).items() if v},
                   sources=sorted(manifest.get("sources") or {}))

    @property
    def label(self) -> str:
        when = self.observed_at.strftime("%Y-%m-%d") if self.observed_at else "time unknown"
        return f"{self.name} (observed {when})"

    def to_json(self) -> dict[str, Any]:
        return {"snapshot": self.name, "observed_at": self.observed_at, "created_at": self.created_at,
                "workspace": self.workspace, "total_nodes": self.total_nodes, "total_edges": self.total_edges,
                "nodes": self.nodes, "sources": self.sources}


@dataclass
class Side:
    """One analysed snapshot. ``estate`` is None when the analysis came from a server backend."""

    info: SnapshotInfo
    analysis: Analysis
    estate: Estate | None = None
    facts: Any = None  # report.build.Facts, filled by side_from_backend


def resolve_ref(ref: str | Path, workspace: str | Path | Workspace | None = None) -> tuple[Workspace, str]:
    """(workspace, snapshot name) for a snapshot name or prefix, a workspace path or a snapshot folder path."""
    p = Path(ref)
    if p.is_dir():
        if (p / "CURRENT").is_file():
            ws = Workspace(p)
            return ws, ws.manifest(None)["snapshot"]
        if (p / "manifest.json").is_file() and p.parent.name == "snapshots":
            return Workspace(p.parent.parent), p.name
        raise WorkspaceError(f"{p}: neither a workspace (no CURRENT) nor a snapshot folder (no manifest.json)")
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    return ws, ws.manifest(str(ref))["snapshot"]


def side_from_backend(backend, info: SnapshotInfo, thresholds: Thresholds | None = None) -> Side:
    """Analyse what a backend holds (embedded or Neo4j) as one side, with the report's facts."""
    from .build import facts_of

    with paused_gc():
        analysis = analyze_backend(backend, thresholds)
        estate = getattr(backend, "estate", None) if backend.name == "embedded" else None
        return Side(info, analysis, estate, facts_of(backend, analysis, info))


def load_side(ref: str | Path | None, workspace: str | Path | Workspace | None = None,
              thresholds: Thresholds | None = None) -> Side:
    """Load and analyse a snapshot on the embedded backend (``ref`` None: the workspace's current one)."""
    from ..backends.embedded import EmbeddedBackend

    if ref is None:
        ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        name = ws.manifest(None)["snapshot"]
    else:
        ws, name = resolve_ref(ref, workspace)
    info = SnapshotInfo.from_manifest(ws.manifest(name), ws.path)
    estate = Estate.load(ws, name)
    return side_from_backend(EmbeddedBackend(estate=estate), info, thresholds)


def snapshot_times(ws: Workspace) -> list[tuple[datetime, str]]:
    """(observed time, name) of every snapshot, oldest first."""
    out = []
    for name in ws.snapshot_names():
        m = ws.manifest(name)
        when = parse_time(m.get("observed_at") or m.get("created_at"))
        if when is not None:
            out.append((when, name))
    return sorted(out)


def latest_before(ws: Workspace, when: datetime, exclude: str | None = None) -> str | None:
    """The newest snapshot observed strictly before ``when`` (``exclude`` skipped), or None."""
    best = None
    for obs, name in snapshot_times(ws):
        if obs < when and name != exclude:
            best = name
    return best


# ------------------------------------------------------------------------------------------------
# The comparison
# ------------------------------------------------------------------------------------------------

def finding_brief(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "rule": f.rule, "severity": f.severity, "category": f.category, "subject": f.subject,
            "title": f.title}


def _metric_values(m) -> dict[str, Any]:
    if m is None:
        return {"numerator": None, "denominator": None, "ratio": None, "unknown": True}
    return {"numerator": m.numerator, "denominator": m.denominator, "ratio": m.ratio, "unknown": m.unknown}


@dataclass
class Diff:
    old: SnapshotInfo
    new: SnapshotInfo
    new_findings: list[Finding]
    resolved_findings: list[Finding]
    persisting_findings: list[Finding]
    #: persisting findings whose severity changed: (finding now, severity before)
    severity_changed: list[tuple[Finding, str]]
    metric_deltas: list[dict[str, Any]]
    blast_radius_growth: list[dict[str, Any]]
    #: None when an estate was not available on one side (owner status unknown)
    owners_left: list[dict[str, Any]] | None

    @property
    def new_ids(self) -> set[str]:
        return {f.id for f in self.new_findings}

    def summary(self) -> dict[str, Any]:
        return {"new": len(self.new_findings), "resolved": len(self.resolved_findings),
                "persisting": len(self.persisting_findings), "severity_changed": len(self.severity_changed),
                "blast_radius_grew": len(self.blast_radius_growth),
                "owners_left": None if self.owners_left is None else len(self.owners_left)}

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old.to_json(), "new": self.new.to_json(), "summary": self.summary(),
            "new_findings": [finding_brief(f) for f in self.new_findings],
            "resolved_findings": [finding_brief(f) for f in self.resolved_findings],
            "persisting_findings": [finding_brief(f) for f in self.persisting_findings],
            "severity_changed": [{**finding_brief(f), "previous_severity": old} for f, old in self.severity_changed],
            "metric_deltas": self.metric_deltas,
            "blast_radius_growth": self.blast_radius_growth,
            "owners_left": self.owners_left,
        }


def _order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.rule, f.subject, f.id))


def compare(old: Side, new: Side) -> Diff:
    """Everything that changed from ``old`` to ``new``."""
    of = {f.id: f for f in old.analysis.findings}
    nf = {f.id: f for f in new.analysis.findings}
    persisting = _order([nf[i] for i in nf.keys() & of.keys()])
    changed = [(f, of[f.id].severity) for f in persisting if of[f.id].severity != f.severity]

    old_metrics = {m.id: m for m in old.analysis.metrics}
    deltas = []
    for m in new.analysis.metrics:
        o = old_metrics.get(m.id)
        before, after = _metric_values(o), _metric_values(m)
        comparable = not before["unknown"] and not after["unknown"]
        deltas.append({"id": m.id, "category": m.category, "title": m.title, "population": m.population,
                       "old": before, "new": after,
                       "delta": after["numerator"] - before["numerator"] if comparable else None,
                       "delta_ratio": round(after["ratio"] - before["ratio"], 6) if comparable else None})

    growth = []
    for cred, now in new.analysis.blast_radii.items():
        then = old.analysis.blast_radii.get(cred)
        if then is None:
            continue
        a, b = then["counts"], now["counts"]
        if b["total"] > a["total"] or b["prod_write"] > a["prod_write"] or b["admin"] > a["admin"]:
            growth.append({"credential": cred, "old_total": a["total"], "new_total": b["total"],
                           "delta": b["total"] - a["total"], "old_prod_write": a["prod_write"],
                           "new_prod_write": b["prod_write"], "old_admin": a["admin"], "new_admin": b["admin"],
                           "old_share": then["share"], "new_share": now["share"]})
    growth.sort(key=lambda g: (-g["delta"], -(g["new_prod_write"] - g["old_prod_write"]), g["credential"]))

    owners_left = None
    if old.estate is not None and new.estate is not None:
        owners_left = departed_owners(old.estate, new.estate)
    return Diff(old.info, new.info, _order([nf[i] for i in nf.keys() - of.keys()]),
                _order([of[i] for i in of.keys() - nf.keys()]), persisting, changed, deltas, growth, owners_left)


def departed_owners(old: Estate, new: Estate) -> list[dict[str, Any]]:
    """Owners active in ``old`` and inactive in ``new`` who still own active NHIs in ``new``."""
    out = []
    for owner in sorted(new.nodes_of("Owner")):
        if owner not in old.g or old.label(owner) != "Owner":
            continue
        if not old.owner_active(owner) or new.owner_active(owner):
            continue
        nhis = _owned_active_nhis(new, owner)
        if not nhis:
            continue
        d = new.node(owner)
        out.append({"owner": owner, "name": d.get("name", owner), "kind": d.get("kind"),
                    "departed_at": d.get("departed_at"), "team": new.team_of(owner), "nhis": nhis,
                    "orphaned": sum(1 for n in nhis if not n["still_accountable"])})
    return out


def _owned_active_nhis(estate: Estate, owner: str) -> list[dict[str, Any]]:
    roles: dict[str, set[str]] = {}
    for _, v, d in estate.g.out_edges(owner, data=True):
        if d["type"] != "OWNS" or estate.label(v) not in NHI_LABELS:
            continue
        if estate.node(v).get("status") not in ACTIVE_STATUS:
            continue
        roles.setdefault(v, set()).add(d["role"])
        if estate.label(v) == "Identity":
            for c, _ in estate.into(v, "AUTHENTICATES"):
                if estate.node(c).get("status") in ACTIVE_STATUS:
                    roles.setdefault(c, set()).add("inherited")
    return [{"id": n, "label": estate.label(n), "roles": sorted(r), "still_accountable": estate.accountable(n)}
            for n, r in sorted(roles.items())]


def diff_snapshots(old_ref: str | Path, new_ref: str | Path | None = None,
                   workspace: str | Path | Workspace | None = None,
                   thresholds: Thresholds | None = None) -> Diff:
    """Compare two snapshots (``new_ref`` None: the workspace's current one) on the embedded backend."""
    return compare(load_side(old_ref, workspace, thresholds), load_side(new_ref, workspace, thresholds))
