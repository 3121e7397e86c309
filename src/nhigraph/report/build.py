"""The report's data model: everything the quarterly debt report says, computed once.

:func:`build_report` takes the current side (an analysed snapshot, see :mod:`.diff`), optionally a previous
one, and the reporting period; the HTML, Markdown, CSV and JSON writers only format what it holds, so all
four say the same thing. Nothing here imports the CLI.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ..analysis import Analysis
from ..analysis.debt import Metric, Thresholds
from ..analysis.findings import NIST_CSF, OWASP_NHI, RULES, SEVERITIES, Finding
from .diff import ACTIVE_STATUS, Diff, Side, SnapshotInfo, compare, parse_time

CATEGORIES = ("integration", "ownership", "coordination", "orchestration", "security", "third_party")
CATEGORY_TITLES = {
    "integration": "Integration debt",
    "ownership": "Ownership: unowned paths and departed owners",
    "coordination": "Coordination debt",
    "orchestration": "Orchestration debt",
    "security": "Security technical debt",
    "third_party": "Third-party exposure",
}
#: the four debt concepts, each a section of the report, with the metric categories it covers
CONCEPTS = (
    ("integration", "Integration debt", ("integration",),
     "Connections between systems built more than once, point-to-point agent and tool access with no broker, "
     "and credentials copied into several places. Every duplicate is another credential to rotate and another "
     "path to monitor."),
    ("coordination", "Coordination debt", ("coordination", "ownership"),
     "Who approves, implements, monitors and revokes each NHI. Roles that are missing, held by people who left, "
     "or split across too many teams mean nobody acts when a key leaks; unowned access paths are the result."),
    ("orchestration", "Orchestration debt", ("orchestration",),
     "Automation (pipelines, jobs, bots, AI agents) that can write, administer or issue tokens with no approval "
     "gate, no monitoring owner, no telemetry or no rollback."),
    ("security", "Security technical debt", ("security",),
     "Credential hygiene: long-lived, unused, leaked, shared and over-privileged credentials, keys that cross "
     "prod and non-prod, policy exceptions that expired, NHIs used by people."),
)
AGE_BUCKETS = ((30, "≤ 30 d"), (90, "31–90 d"), (180, "91–180 d"), (365, "181–365 d"), (None, "> 1 year"))
OWNER_BUCKETS = ("0", "1", "2", "3", "4+")


# ------------------------------------------------------------------------------------------------
# Reporting period
# ------------------------------------------------------------------------------------------------

PERIOD_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)


@dataclass(frozen=True)
class Period:
    """A calendar quarter, e.g. ``2026-Q4``."""

    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        m = PERIOD_RE.match(text.strip())
        if not m:
            raise ValueError(f"{text!r} is not a quarter like 2026-Q4")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, when: datetime) -> "Period":
        return cls(when.year, (when.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.quarter - 2, 1, tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:
        """Exclusive end: the start of the next quarter."""
        return self.next().start

    def next(self) -> "Period":
        return Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)

    def previous(self) -> "Period":
        return Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"


# ------------------------------------------------------------------------------------------------
# Facts about the estate the metrics do not carry (ages, owner counts, display names)
# ------------------------------------------------------------------------------------------------

@dataclass
class Facts:
    #: node id -> display name (systems, credentials, identities ...)
    names: dict[str, str] = field(default_factory=dict)
    #: active credential -> days since its last rotation (creation if never rotated); None when unknown
    credential_ages: dict[str, float | None] = field(default_factory=dict)
    #: NHI (identity or credential) -> number of distinct active owners, any RACI role
    owners_per_nhi: dict[str, int] = field(default_factory=dict)
    ownership_known: bool = True

    def name(self, node_id: str) -> str:
        return self.names.get(node_id) or node_id

    def age_histogram(self) -> dict[str, int]:
        out = {label: 0 for _, label in AGE_BUCKETS}
        out["unknown"] = 0
        for age in self.credential_ages.values():
            if age is None:
                out["unknown"] += 1
                continue
            days = int(age)  # whole days: a key made 30 days ago to the second is 30 days old
            for limit, label in AGE_BUCKETS:
                if limit is None or days <= limit:
                    out[label] += 1
                    break
        return out

    def owner_histogram(self) -> dict[str, int]:
        out = {b: 0 for b in OWNER_BUCKETS}
        for n in self.owners_per_nhi.values():
            out[OWNER_BUCKETS[min(n, 4)]] += 1
        return out


def facts_of(backend, analysis: Analysis, info: SnapshotInfo) -> Facts:
    """Facts from the embedded estate, or, on a server backend, from each credential's context."""
    if backend.name == "embedded":
        return facts_from_estate(backend.estate)
    return _facts_from_contexts(backend, sorted(analysis.blast_radii), info.observed_at)


def facts_from_estate(estate) -> Facts:
    f = Facts(ownership_known=estate.has_owner_register)
    counted: dict[int, int] = {}  # NHIs with the same owners share one owners dict: count each once
    for n, d in estate.g.nodes(data=True):
        label = d["label"]
        if label not in ("Identity", "Credential", "System", "Connector", "Workflow", "Vendor", "Owner"):
            continue
        f.names[n] = d.get("name") or n
        if label == "Credential" and d.get("status") in ACTIVE_STATUS:
            f.credential_ages[n] = estate.age_days(d.get("last_rotated_at") or d.get("created_at"))
        if label in ("Identity", "Credential") and f.ownership_known:
            owners = estate.owners(n)
            k = counted.get(id(owners))
            if k is None:
                k = counted[id(owners)] = len(set().union(*owners.values()))
            f.owners_per_nhi[n] = k
    return f


def _facts_from_contexts(backend, credentials: list[str], now: datetime | None) -> Facts:
    f = Facts()
    now = now or datetime.now(timezone.utc)
    for c in credentials:
        ctx = backend.credential_context(c)
        cred = ctx["credential"]
        f.ownership_known = bool(ctx.get("owner_register", True))
        f.names[c] = cred.get("name") or c
        if cred.get("status") in ACTIVE_STATUS:
            when = parse_time(cred.get("last_rotated_at") or cred.get("created_at"))
            f.credential_ages[c] = (now - when).total_seconds() / 86400 if when else None
        if f.ownership_known:
            f.owners_per_nhi[c] = len({o["id"] for v in ctx["owners"].values() for o in v if o.get("active")})
        for i in ctx.get("identities", []):
            f.names.setdefault(i["id"], i.get("name") or i["id"])
    return f


# ------------------------------------------------------------------------------------------------
# Headline numbers
# ------------------------------------------------------------------------------------------------

@dataclass
class Headline:
    key: str
    label: str
    value: int | float | None
    previous: int | float | None = None
    of: int | None = None
    note: str = ""
    unknown: bool = False
    lower_is_better: bool = True

    @property
    def delta(self) -> int | float | None:
        if self.value is None or self.previous is None or self.unknown:
            return None
        return round(self.value - self.previous, 3)

    @property
    def trend(self) -> str:
        """better, worse, same or none (no previous value)."""
        d = self.delta
        if d is None:
            return "none"
        if d == 0:
            return "same"
        return "better" if (d < 0) == self.lower_is_better else "worse"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "delta": self.delta, "trend": self.trend}


def _metric_getter(metric_id: str) -> Callable[[Analysis], tuple[int | None, int | None, bool]]:
    def get(a: Analysis):
        m = next((m for m in a.metrics if m.id == metric_id), None)
        if m is None:
            return None, None, True
        return m.numerator, m.denominator, m.unknown
    return get


def _count(pred: Callable[[Finding], bool]):
    return lambda a: (sum(1 for f in a.findings if pred(f)), None, False)


HEADLINES: tuple[tuple[str, str, Callable[[Analysis], tuple], str], ...] = (
    ("findings", "Findings", lambda a: (len(a.findings), None, False), "all severities"),
    ("critical_high", "Critical and high findings", _count(lambda f: f.severity in ("critical", "high")), ""),
    ("leaked", "Leaked credentials still active", _metric_getter("security.leaked"), "active credentials"),
    ("unowned_paths", "Access paths with no accountable owner", _metric_getter("ownership.unowned_paths"),
     "credential-to-resource paths"),
    ("long_lived", "Credentials not rotated in time", _metric_getter("security.long_lived"), "active credentials"),
    ("duplicate_connectors", "Excess duplicate connectors", _metric_getter("integration.duplicate_connectors"),
     "connectors"),
    ("raci_gaps", "NHIs with RACI gaps", _metric_getter("coordination.raci_gaps"), "identities, credentials, connectors"),
    ("ungoverned_automation", "Ungoverned automation", _metric_getter("orchestration.ungoverned_automation"),
     "workflows, bots, agents"),
    ("third_party", "Third-party exposures", _metric_getter("third_party.vendor_access"), "identities and credentials"),
)


# ------------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------------

@dataclass
class Report:
    period: Period
    current: Side
    thresholds: Thresholds
    backend: str = "embedded"
    previous: Side | None = None
    diff: Diff | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0))
    title: str = "NHI debt report"

    # -- shortcuts ------------------------------------------------------------------------------
    @property
    def analysis(self) -> Analysis:
        return self.current.analysis

    @property
    def snapshot(self) -> SnapshotInfo:
        return self.current.info

    @property
    def facts(self) -> Facts:
        return self.current.facts or Facts()

    @property
    def findings(self) -> list[Finding]:
        return self.analysis.findings

    def metric(self, metric_id: str) -> Metric:
        return next(m for m in self.analysis.metrics if m.id == metric_id)

    def metrics_of(self, *categories: str) -> list[Metric]:
        return [m for m in self.analysis.metrics if m.category in categories]

    def metric_delta(self, metric_id: str) -> dict[str, Any] | None:
        if not self.diff:
            return None
        return next((d for d in self.diff.metric_deltas if d["id"] == metric_id), None)

    def status(self, f: Finding) -> str:
        """new or persisting against the previous snapshot; empty without one."""
        if not self.diff:
            return ""
        return "new" if f.id in self.diff.new_ids else "persisting"

    # -- aggregates -----------------------------------------------------------------------------
    def headlines(self) -> list[Headline]:
        out = []
        for key, label, get, note in HEADLINES:
            value, of, unknown = get(self.analysis)
            prev = None
            if self.previous is not None:
                pv, _, punknown = get(self.previous.analysis)
                prev = None if punknown else pv
            out.append(Headline(key, label, None if unknown else value, prev, of, note, unknown))
        return out

    def severity_counts(self, findings: list[Finding] | None = None) -> dict[str, int]:
        findings = self.findings if findings is None else findings
        return {s: sum(1 for f in findings if f.severity == s) for s in reversed(SEVERITIES)}

    def category_severity(self, findings: list[Finding] | None = None) -> dict[str, dict[str, int]]:
        findings = self.findings if findings is None else findings
        out = {c: {s: 0 for s in SEVERITIES} for c in CATEGORIES}
        for f in findings:
            out.setdefault(f.category, {s: 0 for s in SEVERITIES})[f.severity] += 1
        return out

    def rule_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.rule] = out.get(f.rule, 0) + 1
        return dict(sorted(out.items()))

    def top_blast_radius(self, n: int = 10) -> list[dict[str, Any]]:
        rows = [{"credential": c, "name": self.facts.name(c), **s["counts"], "share": s["share"]}
                for c, s in self.analysis.blast_radii.items()]
        rows.sort(key=lambda r: (-r["total"], -r["prod_write"], -r["admin"], r["credential"]))
        return [r for r in rows if r["total"] > 0][:n]

    def scores(self, n: int | None = None, nonzero: bool = True) -> list[dict[str, Any]]:
        rows = [dict(r, display=(self.facts.name(r["name"]) if r["scope"] == "system" else r["name"]))
                for r in self.analysis.integration_scores if r["score"] > 0 or not nonzero]
        return rows[:n] if n else rows

    def owasp_used(self) -> list[tuple[str, str]]:
        used = {o.split(":")[0] for f in self.findings for o in f.owasp}
        return [(k, v) for k, v in OWASP_NHI.items() if k in used]

    def nist_used(self) -> list[tuple[str, str]]:
        used = {n for f in self.findings for n in f.nist}
        return [(k, v) for k, v in NIST_CSF.items() if k in used]

    @property
    def rules(self):
        return RULES

    def summary_lines(self) -> list[str]:
        """The executive summary in a few plain sentences (text, not markup: escape where rendered)."""
        a, sev = self.analysis, self.severity_counts()
        lines = [f"{len(a.findings)} findings in {self.period}: {sev['critical']} critical, {sev['high']} high, "
                 f"{sev['medium']} medium, {sev['low']} low."]
        if self.diff:
            s = self.diff.summary()
            lines.append(f"Since {self.diff.old.label}: {s['new']} new, {s['resolved']} resolved, "
                         f"{s['persisting']} persisting; {s['blast_radius_grew']} credential(s) reach further"
                         + (f"; {s['owners_left']} owner(s) left with NHIs still active." if s['owners_left']
                            is not None else "."))
        else:
            lines.append("No snapshot from an earlier period to compare with: changes are not shown "
                         "(use --previous SNAPSHOT or another workspace).")
        leaked = self.metric("security.leaked")
        if leaked.numerator:
            subj = ", ".join(o["subject"] for o in leaked.offenders[:3])
            lines.append(f"{leaked.numerator} leaked credential(s) still active: {subj}. Revoke first.")
        top = self.top_blast_radius(1)
        if top:
            t = top[0]
            lines.append(f"Largest blast radius: {t['credential']} reaches {t['total']} resource(s) "
                         f"({t['share']:.0%} of the estate), {t['prod_write']} prod with write or admin.")
        worst = self.scores(1)
        if worst:
            w = worst[0]
            scope = "business unit" if w["scope"] == "bu" else w["scope"]
            lines.append(f"Worst integration-debt score: {scope} {w['display']} at {w['score']:g}.")
        return lines

    # -- metrics.json ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        a = self.analysis
        return {
            "schema": "nhigraph.report/1",
            "title": self.title,
            "period": str(self.period),
            "period_start": self.period.start,
            "period_end": self.period.end,
            "generated_at": self.generated_at,
            "backend": self.backend,
            "thresholds": asdict(self.thresholds),
            "snapshot": self.snapshot.to_json(),
            "previous": self.previous.info.to_json() if self.previous else None,
            "headline": [h.to_json() for h in self.headlines()],
            "findings": {"total": len(a.findings), "by_severity": self.severity_counts(),
                         "by_category": {c: sum(v.values()) for c, v in self.category_severity().items()},
                         "by_rule": self.rule_counts()},
            "metrics": [m.to_json() for m in a.metrics],
            "integration_scores": a.integration_scores,
            "distributions": {"credential_age_days": self.facts.age_histogram(),
                              "active_owners_per_nhi": self.facts.owner_histogram()
                              if self.facts.ownership_known else None},
            "top_blast_radius": self.top_blast_radius(10),
            "changes": self.diff.to_json() if self.diff else None,
        }


def build_report(current: Side, previous: Side | None = None, period: Period | str | None = None,
                 thresholds: Thresholds | None = None, backend: str = "embedded",
                 title: str = "NHI debt report") -> Report:
    """The report for ``current`` (compared with ``previous`` when given) in ``period`` (default: the
    quarter the snapshot was observed in)."""
    if isinstance(period, str):
        period = Period.parse(period)
    if period is None:
        period = Period.of(current.info.observed_at or datetime.now(timezone.utc))
    diff = compare(previous, current) if previous is not None else None
    return Report(period, current, thresholds or Thresholds(), backend, previous, diff, title=title)
