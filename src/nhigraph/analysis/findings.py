"""Findings: every metric offender as a finding with a stable rule id, severity and framework mapping.

Severity starts at the rule's base and rises one band when the subject's blast radius touches prod with
write or admin, or reaches 10% or more of the estate (BloodHound-style impact: a share of the whole).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .debt import Metric

SEVERITIES = ("low", "medium", "high", "critical")

OWASP_NHI = {
    "NHI1": "Improper Offboarding",
    "NHI2": "Secret Leakage",
    "NHI3": "Vulnerable Third-Party NHI",
    "NHI4": "Insecure Authentication",
    "NHI5": "Overprivileged NHI",
    "NHI6": "Insecure Cloud Deployment Configurations",
    "NHI7": "Long-Lived Secrets",
    "NHI8": "Environment Isolation",
    "NHI9": "NHI Reuse",
    "NHI10": "Human Use of NHI",
}

NIST_CSF = {
    "GV.RR-02": "Roles, responsibilities and authorities are established, communicated, understood, enforced",
    "GV.PO-02": "Cybersecurity policy is reviewed, updated, communicated and enforced",
    "GV.SC-07": "Supplier risks are identified, recorded, prioritised, assessed, responded to and monitored",
    "ID.AM-03": "Authorised network communication and internal and external data flows are represented",
    "PR.AA-01": "Identities and credentials for users, services and hardware are managed",
    "PR.AA-05": "Access permissions are managed with least privilege and separation of duties",
    "PR.DS-01": "Data at rest is protected",
    "PR.IR-01": "Networks and environments are protected from unauthorised logical access",
    "DE.CM-09": "Computing hardware, software, runtime environments and their data are monitored",
}


@dataclass(frozen=True)
class Rule:
    id: str
    metric: str
    title: str
    base: str
    owasp: tuple[str, ...]
    nist: tuple[str, ...]
    remediation: str


RULES: tuple[Rule, ...] = (
    Rule("NHIG-INT-001", "integration.duplicate_connectors", "Duplicate connectors between the same platforms",
         "medium", ("NHI9",), ("ID.AM-03", "GV.RR-02"),
         "Consolidate onto one owned connector; retire the others and their credentials."),
    Rule("NHIG-INT-002", "integration.point_to_point", "Agent or tool with direct credentials and no broker",
         "medium", ("NHI5", "NHI9"), ("PR.AA-05",),
         "Route agent and tool access through a broker or gateway issuing short-lived, scoped tokens."),
    Rule("NHIG-INT-003", "integration.credential_sprawl", "Credential copied into several stores",
         "medium", ("NHI2",), ("PR.AA-01", "PR.DS-01"),
         "Keep one authoritative copy in a vault; have consumers fetch it at run time."),
    Rule("NHIG-OWN-001", "ownership.unowned_paths", "Access path with no accountable owner", "high",
         ("NHI1",), ("GV.RR-02", "PR.AA-01"),
         "Assign an active owner to every credential and identity on the path, or remove the access."),
    Rule("NHIG-OWN-002", "ownership.departed_owner", "NHI whose owners have all left", "high",
         ("NHI1",), ("PR.AA-01", "GV.RR-02"),
         "Reassign ownership to an active team, or decommission the identity and its credentials."),
    Rule("NHIG-COO-001", "coordination.raci_gaps", "Approve/implement/monitor/revoke missing or split",
         "low", ("NHI1",), ("GV.RR-02",),
         "Record one accountable team per role; a revocation owner first."),
    Rule("NHIG-ORC-001", "orchestration.ungoverned_automation", "Automation that can act ungoverned",
         "high", ("NHI5",), ("PR.AA-05", "DE.CM-09"),
         "Add an approval gate, a monitoring owner, telemetry and a rollback procedure."),
    Rule("NHIG-SEC-001", "security.long_lived", "Long-lived credential", "medium", ("NHI7",), ("PR.AA-01",),
         "Rotate now and automate rotation, or replace with short-lived federated credentials."),
    Rule("NHIG-SEC-002", "security.unused", "Unused active credential", "medium", ("NHI1",), ("PR.AA-01",),
         "Disable, then delete after a grace period."),
    Rule("NHIG-SEC-003", "security.multiple_active_keys", "Several active keys on one identity", "low",
         ("NHI7",), ("PR.AA-01",), "Keep one active key; deactivate the rest after rotation."),
    Rule("NHIG-SEC-004", "security.admin_grants", "Wildcard or admin grant", "high", ("NHI5",), ("PR.AA-05",),
         "Replace with least-privilege grants scoped to the resources actually used."),
    Rule("NHIG-SEC-005", "security.shared_credentials", "Credential shared by several consumers", "medium",
         ("NHI9",), ("PR.AA-05",), "Issue one credential per consumer so each can be revoked alone."),
    Rule("NHIG-SEC-006", "security.environment_mixing", "Credential crosses prod and non-prod", "high",
         ("NHI8",), ("PR.IR-01",), "Separate prod and non-prod credentials and stores."),
    Rule("NHIG-SEC-007", "security.leaked", "Leaked credential still active", "critical", ("NHI2",),
         ("PR.DS-01", "PR.AA-01"), "Revoke and rotate immediately; review use since the leak."),
    Rule("NHIG-SEC-008", "security.exceptions", "Expired or open-ended policy exception", "medium",
         ("NHI7",), ("GV.PO-02",), "Renew with an expiry and approver, or remediate and close."),
    Rule("NHIG-SEC-009", "security.human_use", "NHI used by a person", "medium", ("NHI10",), ("PR.AA-01",),
         "Give the person their own identity; restrict the NHI to workload authentication."),
    Rule("NHIG-TPA-001", "third_party.vendor_access", "Held by or trusting a third party", "medium",
         ("NHI3",), ("GV.SC-07",), "Review vendor access; scope it down and set an expiry."),
    Rule("NHIG-TPA-002", "third_party.no_external_id", "External trust without an external-id check",
         "high", ("NHI3", "NHI4"), ("GV.SC-07", "PR.AA-05"),
         "Require an sts:ExternalId (or equivalent) condition on every third-party trust."),
)
RULE_BY_METRIC = {r.metric: r for r in RULES}


@dataclass
class Finding:
    id: str
    rule: str
    title: str
    severity: str
    category: str
    subject: str
    subjects: list[str]
    evidence: dict[str, Any]
    owasp: list[str]
    nist: list[str]
    remediation: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


_SUBJECT_KEYS = ("connectors", "credentials", "users", "resource", "target", "trusted")


def _subjects(offender: dict[str, Any]) -> list[str]:
    out = [offender["subject"]]
    for key in _SUBJECT_KEYS:
        v = offender.get(key)
        if v is None:
            continue
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out += v
    return list(dict.fromkeys(out)) if len(out) > 1 else out


def build_findings(metrics: list[Metric], reach_summaries: dict[str, dict[str, Any]] | None = None,
                   credentials_of: dict[str, list[str]] | None = None) -> list[Finding]:
    """Turn metric offenders into findings, most severe first."""
    findings: list[Finding] = []
    summaries, creds_of = reach_summaries or {}, credentials_of or {}
    sha256 = hashlib.sha256
    top = len(SEVERITIES) - 1
    for metric in metrics:
        rule = RULE_BY_METRIC.get(metric.id)
        if rule is None or metric.unknown:
            continue
        base = SEVERITIES.index(rule.base)
        owasp = [f"{o}:2025" for o in rule.owasp]
        prefix = rule.id + "|"
        for off in metric.offenders:
            subject = off["subject"]
            subjects = _subjects(off)
            impact = _impact(subjects, summaries, creds_of)
            evidence = {k: v for k, v in off.items() if k != "subject"}
            sev = base
            if impact:
                sev = min(sev + 1, top)
                evidence["impact"] = impact
            key = f"{prefix}{subject}|{off.get('resource') or off.get('target') or ''}"
            fid = rule.id + "-" + sha256(key.encode()).hexdigest()[:12]
            findings.append(Finding(fid, rule.id, rule.title, SEVERITIES[sev], metric.category, subject,
                                    subjects, evidence, list(owasp), list(rule.nist), rule.remediation))
    rank = {s: -i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (rank[f.severity], f.rule, f.subject, f.id))
    return findings


def _impact(subjects: list[str], summaries: dict[str, dict[str, Any]],
            credentials_of: dict[str, list[str]]) -> str | None:
    """Why the blast radius raises severity, or None."""
    creds = [s for s in subjects if s in summaries]
    for s in subjects:
        creds += credentials_of.get(s, [])
    for c in creds:
        s = summaries.get(c)
        if not s:
            continue
        if s["counts"]["prod_write"]:
            return f"{c} can write to {s['counts']['prod_write']} prod resource(s)"
        if s["share"] >= 0.10:
            return f"{c} reaches {s['share']:.0%} of the estate"
    return None
