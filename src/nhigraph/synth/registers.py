"""The registers an organisation keeps beside its platform exports, as nhigraph inventory CSV tables:

- ``inventory/owners.csv``: the owner register (teams, and people by e-mail address, some of them departed);
- ``inventory/ownership.csv``: who approves, implements, monitors and revokes which NHI (one row per role);
- ``inventory/systems.csv``: the CMDB's list of accounts, projects, tenants, clusters, orgs and SaaS tenants
  (environment and business unit, which the platform exports do not carry);
- ``inventory/connectors.csv``: integrations between platforms, built by business units (duplicates
  included);
- ``inventory/exceptions.csv``: the policy exception register (some expired, some without expiry).

People are ``owner:<email>``, the id AWS ``owner`` tags and Entra ID owner lists give the same person, so a
person named by a tag or an app's owner list and listed in the register is one node.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.vocabulary import RACI_ROLES
from .common import BUSINESS_UNITS, DOMAIN, FIRST, LAST, WORDS, CsvTable, Ctx, Rng, slug

#: probabilities of an NHI's ownership: a team, an active person, only people who left, nobody
MODES = (("team", 0.60), ("person", 0.13), ("departed", 0.05), ("none", 0.22))


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str
    team: str
    active: bool


@dataclass
class Decision:
    mode: str
    roles: list[tuple[str, str]]  # (owner id, RACI role)

    @property
    def accountable(self) -> bool:
        return self.mode in ("team", "person")


class Owners:
    """The owner register (written at once) and the ownership register (written as NHIs are generated)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        plan = ctx.plan
        rng = ctx.rng("owners")
        self.teams: list[tuple[str, str]] = []  # (id, business unit)
        for i in range(plan.n_teams):
            bu = BUSINESS_UNITS[i % len(BUSINESS_UNITS)]
            self.teams.append((f"team:{slug(bu)}-{WORDS[(i * 7) % len(WORDS)]}-{i}", bu))
        self.security_team = next(t for t, bu in self.teams if bu == "Security")
        self.people: list[Person] = []
        for i in range(plan.n_people):
            first, last = FIRST[rng.randrange(len(FIRST))], LAST[rng.randrange(len(LAST))]
            email = f"{first}.{last}{i}@{DOMAIN}"
            team = self.teams[rng.randrange(len(self.teams))][0]
            self.people.append(Person(f"owner:{email}", email, f"{first.title()} {last.title()}", team,
                                      active=i != 2 and not (i > 2 and rng.chance(0.08))))
        self.person = {p.id: p for p in self.people}
        self.active = [p for p in self.people if p.active]
        self.departed = [p for p in self.people if not p.active]
        self.by_bu: dict[str, list[str]] = {}
        for t, bu in self.teams:
            self.by_bu.setdefault(bu, []).append(t)
        owners = CsvTable(ctx, ["id", "kind", "name", "active", "email", "team", "business_unit", "departed_at",
                                "escalation_contact", "member_of"], "inventory", "owners.csv")
        for t, bu in self.teams:
            owners.row(id=t, kind="team", name=t.split(":", 1)[1].replace("-", " ").title(), active=True,
                       email=f"{t.split(':', 1)[1]}@{DOMAIN}", business_unit=bu)
        for i, p in enumerate(self.people):
            owners.row(id=p.id, kind="person", name=p.name, active=p.active, email=p.email, team=p.team,
                       departed_at=None if p.active else ctx.when(rng.uniform(20, 700)), member_of=p.team,
                       escalation_contact=None if p.active else self.security_team)
        owners.close()
        self.table = CsvTable(ctx, ["owner", "subject", "role"], "inventory", "ownership.csv")

    def team_for(self, rng: Rng, bu: str | None) -> str:
        pool = self.by_bu.get(bu or "") or [t for t, _ in self.teams]
        return pool[rng.randrange(len(pool))]

    def decide(self, rng: Rng, bu: str | None = None, mode: str | None = None) -> Decision:
        """Who owns a new NHI, in which RACI roles (``mode`` forces one)."""
        if mode is None:
            r, acc = rng.random(), 0.0
            for mode, p in MODES:
                acc += p
                if r < acc:
                    break
        roles: list[tuple[str, str]] = []
        if mode == "team":
            team = self.team_for(rng, bu)
            roles.append((team, "approve"))
            implementer = team if rng.chance(0.6) else self.active[rng.randrange(len(self.active))].id
            roles.append((implementer, "implement"))
            if rng.chance(0.5):
                roles.append((self.security_team if rng.chance(0.5) else team, "monitor"))
            if rng.chance(0.6):
                roles.append((team, "revoke"))
        elif mode == "person":
            p = self.active[rng.randrange(len(self.active))]
            roles.append((p.id, "implement"))
            if rng.chance(0.5):
                roles.append((p.team, "approve"))
        elif mode == "departed":
            p = self.departed[rng.randrange(len(self.departed))]
            roles.append((p.id, "implement"))
            if rng.chance(0.3):
                roles.append((self.departed[rng.randrange(len(self.departed))].id, "approve"))
        return Decision(mode, roles)

    def write(self, subject: str, roles: list[tuple[str, str]]) -> None:
        seen = set()
        for owner, role in roles:
            assert role in RACI_ROLES
            if (owner, role) not in seen:
                seen.add((owner, role))
                self.table.row(owner=owner, subject=subject, role=role)

    def assign(self, subject: str, rng: Rng, bu: str | None = None, mode: str | None = None) -> Decision:
        """Decide and write to the ownership register; record the planted answers."""
        d = self.decide(rng, bu, mode)
        self.write(subject, d.roles)
        self.record(subject, d)
        return d

    def record(self, subject: str, d: Decision) -> None:
        if d.mode == "departed":
            self.ctx.planted.add("departed_owner_identities", subject)
        elif d.mode in ("none", "typo"):
            self.ctx.planted.add("unowned_identities", subject)

    def close(self) -> None:
        self.table.close()


# -- the CMDB: systems, connectors, exceptions ------------------------------------------------------------------

SAAS = ("Salesforce", "Snowflake", "Workday", "Zendesk", "HubSpot", "NetSuite", "ServiceNow", "Jira", "Marketo",
        "Slack")
#: (from platform, to platform, kind, weight): the integrations organisations build, often more than once
SAAS_FLOWS = (("Salesforce", "Snowflake", "etl", 12), ("HubSpot", "Salesforce", "sync", 8),
              ("Zendesk", "Salesforce", "sync", 6), ("Workday", "NetSuite", "sync", 5),
              ("Salesforce", "NetSuite", "sync", 5), ("Jira", "ServiceNow", "sync", 4),
              ("Marketo", "Salesforce", "sync", 4), ("NetSuite", "Snowflake", "etl", 4),
              ("Workday", "ServiceNow", "scim", 2), ("Zendesk", "Jira", "webhook", 2))
CLOUD_TARGETS = ("Snowflake", "Snowflake", "Salesforce", "NetSuite", "Zendesk")
AGENT_TARGETS = ("Salesforce", "Zendesk", "Jira", "ServiceNow")
BROKERS = ("Workato", "MuleSoft", "Fivetran", "Zapier")


def model_env(env: str) -> str:
    return {"sandbox": "dev"}.get(env, env)


def _platform_of(system: str) -> str:
    """The platform the duplicate-connector metric groups by (lower case), for systems this generator writes."""
    if system.startswith("aws:"):
        return "aws"
    if system.startswith("gcp:"):
        return "gcp"
    if system.startswith("azure:"):
        return "microsoft entra id"
    if system.startswith("github:"):
        return "github"
    return system.split(":", 1)[1].rsplit("-", 1)[0].replace("-", " ")


def _display(system: str) -> str:
    p = _platform_of(system)
    return {"aws": "AWS", "gcp": "GCP", "microsoft entra id": "Entra ID", "github": "GitHub"}.get(p) or next(
        (s for s in SAAS if s.lower() == p), p)


def write_registers(ctx: Ctx) -> None:
    """systems.csv, connectors.csv and exceptions.csv (after every family, whose ids they name)."""
    plan, owners, planted = ctx.plan, ctx.owners, ctx.planted
    rng = ctx.rng("registers")
    systems = CsvTable(ctx, ["id", "kind", "name", "environment", "business_unit", "platform", "provider_id",
                             "description", "part_of"], "inventory", "systems.csv")
    for a in plan.accounts:
        systems.row(id=f"aws:{a.id}", kind="aws_account", name=a.alias, environment=model_env(a.env),
                    business_unit=a.bu, platform="AWS", provider_id=a.id)
    for p in plan.projects:
        systems.row(id=f"gcp:{p.id}", kind="gcp_project", name=p.id, environment=model_env(p.env),
                    business_unit=p.bu, platform="GCP", provider_id=p.number)
    for t in plan.tenants:
        systems.row(id=f"azure:{t.id}", kind="azure_tenant", name=f"Entra ID ({t.name})", environment="shared",
                    platform="Microsoft Entra ID", provider_id=t.id)
    for c in plan.clusters:
        parent = (f"aws:{plan.accounts[c.home].id}" if c.kind == "eks" else
                  f"gcp:{plan.projects[c.home].id}" if c.kind == "gke" else None)
        systems.row(id=f"k8s:{c.name}", kind="k8s_cluster", name=c.name, environment=model_env(c.env),
                    business_unit=c.bu, platform="Kubernetes", description=f"{c.kind.upper()} cluster in {c.region}",
                    part_of=parent)
    for v in plan.vaults:
        systems.row(id=f"vault:{v.name}", kind="vault_cluster", name=f"Vault {v.name}",
                    environment=model_env(v.env), business_unit="Security", platform="Vault")
    for o in plan.orgs:
        systems.row(id=f"github:{o.name}", kind="github_org", name=o.name, environment="shared", platform="GitHub")
    tenants: dict[str, list[tuple[str, str]]] = {}
    for i, platform in enumerate(SAAS):
        bus = sorted(set(rng.pick(BUSINESS_UNITS, rng.choice((1, 2, 2, 3)))))
        for bu in bus:
            sid = f"saas:{slug(platform)}-{slug(bu)}"
            tenants.setdefault(platform, []).append((sid, bu))
            systems.row(id=sid, kind="saas", name=f"{platform} ({bu})", environment="prod", business_unit=bu,
                        platform=platform)
    systems.close()

    connectors = CsvTable(ctx, ["id", "kind", "name", "business_unit", "environment", "description", "status",
                                "broker", "schedule", "from_system", "to_system", "credentials", "approver",
                                "implementer", "monitor", "revoker"], "inventory", "connectors.csv")
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    creds = ctx.catalog.integration_creds.items
    n = max(6, plan.identities // 100)
    for i in range(n):
        r = rng.random() if i else 0.99  # the first is an AI agent's tool calling a SaaS API directly
        cred = None
        broker = rng.choice(BROKERS) if rng.chance(0.3) else None
        if r < 0.55 or not creds:
            frm, to, kind, _ = rng.choices(SAAS_FLOWS, [w for *_, w in SAAS_FLOWS])[0]
            src, bu = tenants[frm][rng.randrange(len(tenants[frm]))]
            dst = tenants[to][rng.randrange(len(tenants[to]))][0]
        elif r < 0.88:
            cred, src, bu = creds[rng.randrange(len(creds))]
            to = "Workday" if src.startswith("azure:") and rng.chance(0.5) else CLOUD_TARGETS[rng.randrange(5)]
            dst = tenants[to][rng.randrange(len(tenants[to]))][0]
            kind = "scim" if to == "Workday" else "etl"
        else:
            src, bu = tenants["Slack"][rng.randrange(len(tenants["Slack"]))]
            to = AGENT_TARGETS[rng.randrange(len(AGENT_TARGETS))]
            dst = tenants[to][rng.randrange(len(tenants[to]))][0]
            kind = "agent_tool"
            broker = "mcp-gateway" if rng.chance(0.3) and i else None
            if creds and rng.chance(0.5):
                cred = creds[rng.randrange(len(creds))][0]
        cid = f"connector:{_platform_of(src).replace(' ', '-')}-{_platform_of(dst).replace(' ', '-')}-{i}"
        d = owners.decide(rng, bu)
        raci = {role: ";".join(sorted({o for o, r in d.roles if r == role})) or None for role in RACI_ROLES}
        connectors.row(id=cid, kind=kind, name=f"{_display(src)} -> {_display(dst)} ({bu})",
                       business_unit=bu, environment="prod", status="active", broker=broker,
                       schedule=rng.choice(("hourly", "nightly", "every 15 minutes", "on change")),
                       from_system=src, to_system=dst, credentials=cred, approver=raci["approve"],
                       implementer=raci["implement"], monitor=raci["monitor"], revoker=raci["revoke"])
        groups.setdefault((_platform_of(src), _platform_of(dst)), []).append((cid, bu))
        if kind == "agent_tool" and not broker:
            planted.add("agent_tools_without_broker", cid)
    connectors.close()
    for cid, frm, to, bu in ctx.connectors:
        groups.setdefault((frm, to), []).append((cid, bu))
    for (frm, to), members in sorted(groups.items()):
        if len(members) > 1:
            planted.add("duplicate_connector_groups", {
                "from_platform": frm, "to_platform": to, "connectors": sorted(c for c, _ in members)[:planted.cap],
                "size": len(members), "business_units": sorted({bu or "unknown" for _, bu in members})})

    exceptions = CsvTable(ctx, ["id", "kind", "name", "reason", "approver", "rule", "created_at", "expires_at",
                                "subject"], "inventory", "exceptions.csv")
    subjects = ctx.catalog.exception_subjects.items
    for i in range(max(4, plan.identities // 150)):
        subject, what = subjects[rng.randrange(len(subjects))]
        created = rng.uniform(30, 900)
        r = rng.random()
        if i == 0 or (i > 2 and r < 0.45):
            expires, key = ctx.when(rng.uniform(1, min(created - 1, 400))), "expired_exceptions"
        elif i == 1 or (i > 2 and r < 0.65):
            expires, key = None, "exceptions_without_expiry"
        else:
            expires, key = ctx.when(-rng.uniform(10, 300)), "valid_exceptions"
        xid = f"exception:EXC-{ctx.when(created).year}-{i:04d}"
        approver = owners.people[rng.randrange(len(owners.people))]
        exceptions.row(id=xid, kind=rng.choice(("waiver", "risk_acceptance")),
                       name=("key rotation waiver" if what == "credential" else "access review deferred"),
                       reason=rng.choice(("legacy tool cannot use OIDC", "vendor appliance", "migration in progress",
                                          "business critical, owner on leave")),
                       approver=approver.email, rule=rng.choice(("NHIG-SEC-001", "NHIG-SEC-002", "NHIG-SEC-003")),
                       created_at=ctx.when(created), expires_at=expires, subject=subject)
        planted.add(key, xid)
    exceptions.close()
