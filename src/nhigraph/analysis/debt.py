"""Debt metrics. Each is a fact with a denominator: how many of a population offend, and which ones.

Categories: integration, ownership (unowned paths), coordination, orchestration, security technical
debt and third-party exposure. Thresholds live in :class:`Thresholds`; "now" is the snapshot's
observation time, so a report on an old snapshot says what was true then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from ..model.vocabulary import RACI_ROLES
from .estate import Estate
from .reach import ReachIndex

TOKEN_ACTION_HINTS = ("createaccesskey", "createtoken", "generateaccesstoken", "signjwt", "getfederationtoken",
                      "assumerole", "rotatesecret", "putsecretvalue", "updatesecret", "createsecret",
                      "serviceaccountkeys.create", "addpassword", "addkey", "tokens:write")
ACTIVE = (None, "active")


@dataclass(frozen=True)
class Thresholds:
    rotation_days: int = 90
    unused_days: int = 90
    max_teams: int = 2
    max_stores: int = 1


@dataclass
class Metric:
    id: str
    category: str
    title: str
    population: str
    numerator: int = 0
    denominator: int = 0
    offenders: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    #: ownership could not be judged (no owner register): the metric says "unknown", not zero
    unknown: bool = False

    @property
    def ratio(self) -> float:
        return round(self.numerator / self.denominator, 6) if self.denominator else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "title": self.title, "population": self.population,
                "numerator": self.numerator, "denominator": self.denominator, "ratio": self.ratio,
                "unknown": self.unknown, "offenders": self.offenders, **self.extra}


def _active(d: dict[str, Any]) -> bool:
    return d.get("status") in ACTIVE


class DebtAnalysis:
    """Computes every metric over one estate; ``metrics()`` returns them in report order."""

    def __init__(self, estate: Estate, thresholds: Thresholds | None = None,
                 reach: ReachIndex | None = None) -> None:
        self.e = estate
        self.t = thresholds or Thresholds()
        self.reach = reach or ReachIndex(estate)

    def metrics(self) -> list[Metric]:
        builders: list[Callable[[], Metric]] = [
            self.duplicate_connectors, self.point_to_point, self.credential_sprawl,
            self.unowned_paths, self.departed_owners,
            self.coordination, self.orchestration,
            self.long_lived, self.unused, self.multiple_active_keys, self.admin_grants,
            self.shared_credentials, self.environment_mixing, self.leaked, self.exceptions, self.human_use,
            self.third_party, self.external_trust_without_id,
        ]
        return [b() for b in builders]

    # ------------------------------------------------------------------ integration debt
    def _platform(self, system: str) -> str:
        d = self.e.node(system)
        return (d.get("platform") or d.get("name") or system).strip().lower()

    def duplicate_connectors(self) -> Metric:
        m = Metric("integration.duplicate_connectors", "integration", "Duplicate connectors",
                   "connectors")
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        connectors = sorted(self.e.nodes_of("Connector"))
        for c in connectors:
            froms = sorted({self._platform(s) for s, _ in self.e.out(c, "CONNECTS_FROM")})
            tos = sorted({self._platform(s) for s, _ in self.e.out(c, "CONNECTS_TO")})
            for f in froms or ["?"]:
                for t in tos or ["?"]:
                    if f != "?" or t != "?":
                        groups[(f, t)].append(c)
        for (f, t), members in sorted(groups.items()):
            if len(members) < 2:
                continue
            bus = sorted({self.e.node(c).get("business_unit") or "unknown" for c in members})
            creds = sorted({cr for c in members for cr, _ in self.e.out(c, "USES")})
            m.offenders.append({"subject": f"{f} -> {t}", "from_platform": f, "to_platform": t,
                                "connectors": members, "business_units": bus, "credentials": creds,
                                "excess": len(members) - 1})
        m.numerator = sum(o["excess"] for o in m.offenders)
        m.denominator = len(connectors)
        m.extra["groups"] = len(m.offenders)
        return m

    def point_to_point(self) -> Metric:
        m = Metric("integration.point_to_point", "integration",
                   "Agent and tool access with no broker (point-to-point)", "agent connectors and AI agents")
        population = []
        for c in sorted(self.e.nodes_of("Connector")):
            d = self.e.node(c)
            if d["kind"] in ("agent_tool", "api_integration"):
                population.append(c)
                if not d.get("broker"):
                    m.offenders.append({"subject": c, "kind": d["kind"],
                                        "credentials": sorted(x for x, _ in self.e.out(c, "USES"))})
        for w in sorted(self.e.nodes_of("Workflow")):
            d = self.e.node(w)
            if d["kind"] == "ai_agent":
                population.append(w)
                creds = sorted(x for x, _ in self.e.out(w, "USES"))
                if creds:
                    m.offenders.append({"subject": w, "kind": "ai_agent", "credentials": creds})
        m.numerator, m.denominator = len(m.offenders), len(population)
        return m

    def credential_sprawl(self) -> Metric:
        m = Metric("integration.credential_sprawl", "integration", "Credential kept in several places",
                   "credentials")
        creds = sorted(self.e.nodes_of("Credential"))
        for c in creds:
            stores = sorted(s for s, _ in self.e.into(c, "STORES"))
            if len(stores) > self.t.max_stores:
                m.offenders.append({"subject": c, "stores": stores, "copies": len(stores)})
        m.numerator, m.denominator = len(m.offenders), len(creds)
        return m

    # ------------------------------------------------------------------ unowned paths
    def unowned_paths(self) -> Metric:
        """Pairs (credential, resource) the credential reaches only through an NHI with no active owner.

        A path is accountable when the credential and every identity on it have an active owner (a
        credential inherits its identity's owners). A pair is unowned when no accountable path exists.
        Offenders are grouped per credential: the resources it reaches only unaccountably, and the
        unaccountable credentials and identities within its reach (``nhigraph reach`` shows the paths).
        """
        m = Metric("ownership.unowned_paths", "ownership", "Access paths with no accountable owner",
                   "credential-to-resource paths")
        m.unknown = not self.e.has_owner_register
        reached = self.reach.level_sets[1]
        m.denominator = sum(len(reached[c]) for c in self.reach.credentials)
        if m.unknown:
            return m
        prop = self.reach.propagator
        label = self.e.labels
        unaccountable = {n for n in prop.nodes
                         if label[n] in ("Credential", "Identity") and not self.e.accountable(n)}
        cond = prop.condensed("accountable", keep=lambda n: n not in unaccountable)
        contrib = {i: v for i, v in self.reach._level_contrib(1).items() if i not in unaccountable}
        owned = prop.reach(self.reach.credentials, contrib, cond)
        culprits = prop.reach(self.reach.credentials, {n: (n,) for n in unaccountable})
        # credentials reaching through the same components share their sets: sort each distinct one once
        # (the offenders then share those lists; nothing downstream mutates them)
        bad_memo: dict[tuple[int, int], list[str]] = {}
        culprit_memo: dict[int, list[str]] = {}
        for c in self.reach.credentials:
            rc = reached[c]
            oc = None if c in unaccountable else owned[c]
            key = (id(rc), id(oc))
            bad = bad_memo.get(key)
            if bad is None:
                bad = bad_memo[key] = sorted(rc if oc is None else rc - oc)
            if bad:
                cu = culprits[c]
                names = culprit_memo.get(id(cu))
                if names is None:
                    names = culprit_memo[id(cu)] = sorted(cu)
                m.offenders.append({"subject": c, "resources": bad, "paths": len(bad), "unowned": names})
        m.numerator = sum(o["paths"] for o in m.offenders)
        m.extra["credentials"] = len(m.offenders)
        return m

    def departed_owners(self) -> Metric:
        m = Metric("ownership.departed_owner", "ownership", "NHIs whose owners have all left", "identities")
        ids = sorted(self.e.nodes_of("Identity"))
        for i in ids:
            all_owners = set().union(*self.e.owners(i, active_only=False).values())
            departed = sorted(o for o in all_owners if self._departed(o))
            # owners named only by a tag and absent from the register are unknown, not departed
            if departed and not self.e.accountable(i):
                m.offenders.append({"subject": i, "departed": departed})
        m.numerator, m.denominator = len(m.offenders), len(ids)
        m.unknown = not self.e.has_owner_register
        return m

    # ------------------------------------------------------------------ coordination debt
    def _departed(self, owner: str) -> bool:
        d = self.e.node(owner)
        return d.get("active") is False or d.get("departed_at") is not None

    def coordination(self) -> Metric:
        m = Metric("coordination.raci_gaps", "coordination",
                   "Approve, implement, monitor and revoke missing or split across teams",
                   "identities, credentials and connectors")
        subjects = sorted(self.e.nodes_of("Identity", "Credential", "Connector"))
        team_counts = []
        no_revoker = 0
        label = self.e.labels
        # NHIs with the same owners share one owners dict: judge each distinct one once
        memo: dict[int, tuple[list[str], list[str]]] = {}
        for s in subjects:
            owners = self.e.owners(s)
            hit = memo.get(id(owners))
            if hit is None:
                hit = memo[id(owners)] = ([r for r in RACI_ROLES if not owners[r]],
                                          sorted({self.e.team_of(o) for v in owners.values() for o in v}))
            missing, teams = hit
            team_counts.append(len(teams))
            if "revoke" in missing:
                no_revoker += 1
            if missing or len(teams) > self.t.max_teams:
                m.offenders.append({"subject": s, "label": label[s], "missing_roles": list(missing),
                                    "teams": list(teams), "team_count": len(teams)})
        m.numerator, m.denominator = len(m.offenders), len(subjects)
        m.unknown = not self.e.has_owner_register
        m.extra.update(no_revocation_owner=no_revoker,
                       average_teams=round(sum(team_counts) / len(team_counts), 3) if team_counts else 0.0)
        return m

    # ------------------------------------------------------------------ orchestration debt
    def _powers(self, identities: set[str]) -> tuple[bool, bool]:
        """(can write or administer, can issue tokens or rotate secrets) for a set of identities."""
        write = tokens = False
        for i in identities:
            for _, d in self.e.out(i, "HAS_ACCESS"):
                if d["level"] in ("write", "admin"):
                    write = True
                actions = [a.lower() for a in d.get("actions") or []]
                if d["level"] == "admin" or any(h in a for a in actions for h in TOKEN_ACTION_HINTS):
                    tokens = True
        return write, tokens

    def orchestration(self) -> Metric:
        m = Metric("orchestration.ungoverned_automation", "orchestration",
                   "Automation that can act with no approver, monitor or rollback",
                   "workflows, bots and agents")
        actors = sorted(self.e.nodes_of("Workflow"))
        actors += sorted(i for i in self.e.nodes_of("Identity") if self.e.node(i)["kind"] in ("bot", "ai_agent"))
        for a in actors:
            d = self.e.node(a)
            if d["label"] == "Workflow":
                creds = {c for c, _ in self.e.out(a, "USES")}
                ids = {i for c in creds for i, _ in self.e.out(c, "AUTHENTICATES")}
                ids |= {i for i, _ in self.e.out(a, "CAN_ASSUME")}
            else:
                ids = {a}
            reached = set()
            for i in ids:
                reached |= _descendants_identities(self.reach, i)
            write, tokens = self._powers(ids | reached)
            if not (write or tokens):
                continue
            owners = self.e.owners(a)
            gaps = []
            if not owners["approve"] and not d.get("requires_approval"):
                gaps.append("no approver")
            if not owners["monitor"]:
                gaps.append("no monitor owner")
            if d["label"] == "Workflow" and not d.get("has_rollback"):
                gaps.append("no rollback")
            if d["label"] == "Workflow" and not d.get("has_telemetry"):
                gaps.append("no telemetry")
            if gaps:
                m.offenders.append({"subject": a, "kind": d["kind"], "gaps": gaps,
                                    "can_write": write, "can_issue_tokens": tokens})
        m.numerator, m.denominator = len(m.offenders), len(actors)
        return m

    # ------------------------------------------------------------------ security technical debt
    def _credentials(self, active_only: bool = True) -> list[str]:
        return self._credential_lists[active_only]

    @cached_property
    def _credential_lists(self) -> dict[bool, list[str]]:
        every = sorted(self.e.nodes_of("Credential"))
        return {False: every, True: [c for c in every if _active(self.e.node(c))]}

    def long_lived(self) -> Metric:
        m = Metric("security.long_lived", "security", f"Active credentials not rotated in "
                   f"{self.t.rotation_days} days", "active credentials")
        creds = self._credentials()
        for c in creds:
            d = self.e.node(c)
            rotated = d.get("last_rotated_at") or d.get("created_at")
            age = self.e.age_days(rotated)
            if age is not None and age > self.t.rotation_days:
                m.offenders.append({"subject": c, "age_days": int(age), "expires_at": d.get("expires_at")})
        m.numerator, m.denominator = len(m.offenders), len(creds)
        return m

    def unused(self) -> Metric:
        m = Metric("security.unused", "security", f"Active credentials never used or unused for "
                   f"{self.t.unused_days} days", "active credentials")
        creds = self._credentials()
        for c in creds:
            d = self.e.node(c)
            if d.get("usage_tracked") is False:
                continue  # the export never says when it was used: unknown, not unused
            last = d.get("last_used_at")
            if last is None:
                age = self.e.age_days(d.get("created_at"))
                if age is not None and age > 7:
                    m.offenders.append({"subject": c, "never_used": True, "created_days_ago": int(age)})
            elif self.e.age_days(last) > self.t.unused_days:
                m.offenders.append({"subject": c, "never_used": False, "idle_days": int(self.e.age_days(last))})
        m.numerator, m.denominator = len(m.offenders), len(creds)
        return m

    def multiple_active_keys(self) -> Metric:
        m = Metric("security.multiple_active_keys", "security", "Identities with several active keys",
                   "identities with credentials")
        population = 0
        for i in sorted(self.e.nodes_of("Identity")):
            keys = sorted(c for c, _ in self.e.into(i, "AUTHENTICATES") if _active(self.e.node(c)))
            if keys:
                population += 1
            if len(keys) > 1:
                m.offenders.append({"subject": i, "credentials": keys})
        m.numerator, m.denominator = len(m.offenders), population
        return m

    def admin_grants(self) -> Metric:
        m = Metric("security.admin_grants", "security", "Wildcard or admin grants to NHIs", "access grants")
        total = 0
        for u, v, d in sorted(self.e.edges_of("HAS_ACCESS"), key=lambda x: (x[0], x[1])):
            total += 1
            wildcard = any(a.strip() == "*" or a.endswith(":*") for a in d.get("actions") or [])
            if d["level"] == "admin" or wildcard:
                m.offenders.append({"subject": u, "target": v, "level": d["level"], "wildcard": wildcard})
        m.numerator, m.denominator = len(m.offenders), total
        return m

    def _users(self, c: str) -> list[str]:
        return sorted(u for u, _ in self.e.into(c, "USES"))

    def shared_credentials(self) -> Metric:
        m = Metric("security.shared_credentials", "security", "Credentials shared by several workflows or "
                   "connectors", "credentials in use")
        population = 0
        for c in self._credentials(active_only=False):
            users = self._users(c)
            if users:
                population += 1
            if len(users) > 1:
                m.offenders.append({"subject": c, "users": users})
        m.numerator, m.denominator = len(m.offenders), population
        return m

    def environment_mixing(self) -> Metric:
        m = Metric("security.environment_mixing", "security", "Credentials used or kept across prod and "
                   "non-prod", "credentials in use or stored")
        population = 0
        for c in self._credentials(active_only=False):
            places = self._users(c) + sorted(s for s, _ in self.e.into(c, "STORES"))
            if not places:
                continue
            population += 1
            envs = {self.e.environment(p) for p in places} - {None, "unknown", "shared"}
            if "prod" in envs and len(envs) > 1:
                m.offenders.append({"subject": c, "environments": sorted(envs), "places": places})
        m.numerator, m.denominator = len(m.offenders), population
        return m

    def leaked(self) -> Metric:
        m = Metric("security.leaked", "security", "Leaked credentials still active", "active credentials")
        creds = self._credentials()
        for c in creds:
            d = self.e.node(c)
            if d.get("leaked"):
                m.offenders.append({"subject": c, "leak_location": d.get("leak_location"),
                                    "leaked_at": d.get("leaked_at")})
        m.numerator, m.denominator = len(m.offenders), len(creds)
        return m

    def exceptions(self) -> Metric:
        m = Metric("security.exceptions", "security", "Policy exceptions expired or without expiry",
                   "policy exceptions")
        excs = sorted(self.e.nodes_of("PolicyException"))
        for x in excs:
            d = self.e.node(x)
            exp = d.get("expires_at")
            if exp is None or exp < self.e.observed_at:
                m.offenders.append({"subject": x, "expires_at": exp, "expired": exp is not None,
                                    "waives": sorted(v for v, _ in self.e.out(x, "WAIVES"))})
        m.numerator, m.denominator = len(m.offenders), len(excs)
        return m

    def human_use(self) -> Metric:
        m = Metric("security.human_use", "security", "NHIs used by people", "identities")
        ids = sorted(self.e.nodes_of("Identity"))
        for i in ids:
            d = self.e.node(i)
            if d["kind"] == "human_user":
                continue  # a person's own login (e.g. an AWS root user) is not an NHI used by a person
            human_edges = [v for v, ed in self.e.out(i, "HAS_ACCESS") if ed.get("human_only")]
            if d.get("human_used") or human_edges:
                m.offenders.append({"subject": i, "mfa_only_grants": sorted(human_edges)})
        m.numerator, m.denominator = len(m.offenders), len(ids)
        return m

    # ------------------------------------------------------------------ third-party exposure
    def third_party(self) -> Metric:
        m = Metric("third_party.vendor_access", "third_party", "Credentials and identities held by or "
                   "trusting third parties", "identities and credentials")
        population = len(list(self.e.nodes_of("Identity", "Credential")))
        seen: dict[str, dict[str, Any]] = {}
        for v in sorted(self.e.nodes_of("Vendor")):
            if self._own_account_vendor(v):
                continue
            for n, _ in self.e.out(v, "HOLDS"):
                seen.setdefault(n, {"subject": n, "vendors": set(), "how": set()})
                seen[n]["vendors"].add(v)
                seen[n]["how"].add("holds")
        for u, v, d in self.e.edges_of("CAN_ASSUME"):
            if self._external(u):
                seen.setdefault(v, {"subject": v, "vendors": set(), "how": set()})
                seen[v]["vendors"].add(u)
                seen[v]["how"].add("trusted")
        summaries = None
        for n in sorted(seen):
            o = seen[n]
            creds = [n] if self.e.label(n) == "Credential" else [c for c, _ in self.e.into(n, "AUTHENTICATES")]
            reach_total = 0
            if creds:
                summaries = summaries or self.reach.summaries()
                reach_total = max(summaries[c]["counts"]["total"] for c in creds)
            m.offenders.append({"subject": n, "vendors": sorted(o["vendors"]), "how": sorted(o["how"]),
                                "blast_radius": reach_total})
        m.numerator, m.denominator = len(m.offenders), population
        return m

    def _external(self, node: str) -> bool:
        d = self.e.node(node)
        if d["label"] == "Vendor":
            return not self._own_account_vendor(node)
        return bool(d.get("external"))

    @cached_property
    def _own_accounts(self) -> frozenset[str]:
        """Provider ids (account, project, tenant ids) of systems ingested as the organisation's own."""
        return frozenset(self.e.node(s).get("provider_id") for s in self.e.nodes_of("System")
                         if self.e.node(s).get("external") is False and self.e.node(s).get("provider_id"))

    def _own_account_vendor(self, vendor: str) -> bool:
        """An "unknown third party" inferred from a cross-account trust whose every account turned out to be
        one of ours (its own export was ingested): not a third party at all."""
        d = self.e.node(vendor)
        ids = d.get("external_ids") or []
        return d.get("kind") == "unknown_external" and bool(ids) and all(i in self._own_accounts for i in ids)

    def external_trust_without_id(self) -> Metric:
        m = Metric("third_party.no_external_id", "third_party",
                   "External trust without an external-id check", "external trusts")
        total = 0
        for u, v, d in sorted(self.e.edges_of("CAN_ASSUME"), key=lambda x: (x[0], x[1])):
            if self._external(u):
                total += 1
                if not d.get("external_id_required"):
                    m.offenders.append({"subject": v, "trusted": u})
        m.numerator, m.denominator = len(m.offenders), total
        return m


def _descendants_identities(reach: ReachIndex, start: str) -> set[str]:
    succ = reach.succ
    if start not in succ:
        return set()
    out = set()
    stack = [start]
    label = reach.estate.labels
    while stack:
        u = stack.pop()
        for v in succ[u]:
            if v not in out and label[v] == "Identity":
                out.add(v)
                stack.append(v)
    return out


def compute_debt(estate: Estate, thresholds: Thresholds | None = None) -> list[Metric]:
    return DebtAnalysis(estate, thresholds).metrics()
