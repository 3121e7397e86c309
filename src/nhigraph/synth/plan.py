"""The shape of a synthetic estate: how many accounts, projects, tenants, clusters, Vault clusters, GitHub orgs
and vendors, and how many identities each holds, decided up front from the size and the seed.

The plan is small (one entry per container, never per identity). What lives inside a container is derived on
demand from deterministic functions (:func:`cluster_accounts`, :func:`repo`, :func:`gcp_sa_email`...), so the
family that writes a cluster and the family that annotates a role for it agree without sharing state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .common import BUSINESS_UNITS, WORDS, Ctx, Rng, slug

ENVS = ("prod", "prod", "staging", "dev", "sandbox")
AWS_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2")
GCP_REGIONS = ("europe-west1", "us-central1", "us-east4", "asia-northeast1")
#: share of the requested identities each family gets (the rest goes to AWS)
SHARES = {"gcp": 0.15, "azure": 0.10, "kubernetes": 0.15, "vault": 0.04}


def _clamp(x: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, x))


@dataclass(frozen=True)
class Account:
    index: int
    id: str
    alias: str
    env: str
    bu: str
    region: str
    n_users: int
    n_roles: int


@dataclass(frozen=True)
class Project:
    index: int
    id: str
    number: str
    env: str
    bu: str
    n_sas: int


@dataclass(frozen=True)
class Tenant:
    index: int
    id: str
    name: str
    n_apps: int
    n_managed: int
    n_third_party: int
    graph_sp: str


@dataclass(frozen=True)
class Cluster:
    index: int
    name: str
    kind: str  # eks, gke, aks
    home: int  # account, project or tenant index
    env: str
    bu: str
    region: str
    n_sas: int
    oidc_id: str


@dataclass(frozen=True)
class VaultCluster:
    index: int
    name: str
    env: str
    n_approles: int
    n_k8s_roles: int
    n_jwt_roles: int
    n_kv: int
    k8s_clusters: tuple[int, ...]


@dataclass(frozen=True)
class Org:
    index: int
    name: str
    first_repo: int
    n_repos: int


@dataclass(frozen=True)
class Vendor:
    index: int
    name: str
    account: str
    uses_external_id: bool
    risk: str


@dataclass
class Plan:
    identities: int
    accounts: list[Account]
    projects: list[Project]
    tenants: list[Tenant]
    clusters: list[Cluster]
    vaults: list[VaultCluster]
    orgs: list[Org]
    vendors: list[Vendor]
    n_teams: int
    n_people: int

    @property
    def n_repos(self) -> int:
        return sum(o.n_repos for o in self.orgs)

    def org_of(self, g: int) -> Org:
        for o in self.orgs:
            if o.first_repo <= g < o.first_repo + o.n_repos:
                return o
        raise IndexError(g)

    def summary(self) -> dict[str, int]:
        return {"aws_accounts": len(self.accounts), "gcp_projects": len(self.projects),
                "azure_tenants": len(self.tenants), "kubernetes_clusters": len(self.clusters),
                "vault_clusters": len(self.vaults), "github_orgs": len(self.orgs), "github_repos": self.n_repos,
                "vendors": len(self.vendors), "teams": self.n_teams, "people": self.n_people}


_VENDORS = ("Datadog", "Snyk", "Wiz", "PagerDuty", "Fivetran", "Okta Workflows", "CloudHealth", "Lacework",
            "New Relic", "Sumo Logic", "Orca", "Vanta", "Drata", "Spot", "Harness", "CircleCI", "Rubrik",
            "Splunk", "Sentry", "Segment")


def make_plan(ctx: Ctx, n: int) -> Plan:
    rng = ctx.rng("plan")
    n = max(50, n)
    budget = {k: int(n * v) for k, v in SHARES.items()}
    budget["aws"] = n - sum(budget.values())

    n_acc = _clamp(n // 200, 2, 400)
    sizes = rng.sizes(budget["aws"], n_acc, minimum=6)
    accounts = []
    used: set[str] = set()
    for i, size in enumerate(sizes):
        acct = _unique(lambda: "3" + rng.digits(11), used)
        env = "prod" if i == 0 else ENVS[rng.randrange(len(ENVS))]
        bu = BUSINESS_UNITS[rng.randrange(len(BUSINESS_UNITS))] if i else "Platform"
        users = max(3, round(size * rng.uniform(0.3, 0.5)))
        accounts.append(Account(i, acct, f"{slug(bu)}-{env}-{i:03d}", env, bu, AWS_REGIONS[i % len(AWS_REGIONS)],
                                users, max(3, size - users)))

    n_proj = _clamp(n // 700, 2, 300)
    projects = []
    for i, size in enumerate(rng.sizes(budget["gcp"], n_proj, minimum=4)):
        env = ENVS[rng.randrange(len(ENVS))]
        bu = BUSINESS_UNITS[rng.randrange(len(BUSINESS_UNITS))]
        pid = f"{slug(bu)[:10]}-{WORDS[rng.randrange(len(WORDS))]}-{env[:4]}-{i:03d}"
        projects.append(Project(i, pid, _unique(lambda: "5" + rng.digits(11), used), env, bu, size))

    n_ten = _clamp(n // 250_000 + 1, 1, 4)
    tenants = []
    for i, size in enumerate(rng.sizes(budget["azure"], n_ten, minimum=10)):
        managed = max(1, size // 10)
        third = max(1, size // 25)
        apps = max(2, (size - managed - third) // 2)
        tenants.append(Tenant(i, rng.guid(), f"corp-{i}" if i else "corp", apps, managed, third, rng.guid()))

    n_clu = _clamp(n // 700, 1, 150)
    clusters = []
    for i, size in enumerate(rng.sizes(budget["kubernetes"], n_clu, minimum=5)):
        r = rng.random()
        kind = "eks" if (r < 0.6 or i == 0) else "gke" if r < 0.85 else "aks"
        home = rng.randrange(len(accounts) if kind == "eks" else len(projects) if kind == "gke" else len(tenants))
        env = accounts[home].env if kind == "eks" else projects[home].env if kind == "gke" else ENVS[i % 4]
        bu = BUSINESS_UNITS[rng.randrange(len(BUSINESS_UNITS))]
        region = accounts[home].region if kind == "eks" else GCP_REGIONS[i % len(GCP_REGIONS)]
        clusters.append(Cluster(i, f"{env}-{kind}-{i:03d}", kind, home, env, bu, region, size, rng.hex(32).upper()))

    n_vault = _clamp(n // 60_000 + 1, 1, 12)
    vaults = []
    for i, size in enumerate(rng.sizes(budget["vault"], n_vault, minimum=6)):
        k8s = tuple(c for c in range(len(clusters)) if c % n_vault == i)
        approles = max(2, int(size * 0.45))
        k8s_roles = max(1, int(size * 0.25)) if k8s else 0
        jwt = max(1, int(size * 0.08))
        vaults.append(VaultCluster(i, "vault-prod" if i == 0 else f"vault-{i:02d}", "prod" if i == 0 else
                                   ENVS[i % len(ENVS)], approles, k8s_roles, jwt, max(4, size // 2), k8s))

    n_orgs = _clamp(n // 200_000 + 1, 1, 6)
    orgs, first = [], 0
    for i, repos in enumerate(rng.sizes(max(4, n // 25), n_orgs, minimum=4)):
        orgs.append(Org(i, "corp" if i == 0 else f"corp-{slug(BUSINESS_UNITS[i % len(BUSINESS_UNITS)])}", first,
                        repos))
        first += repos

    n_vend = _clamp(n // 2500, 3, len(_VENDORS))
    vendors = [Vendor(i, _VENDORS[i], _unique(lambda: "9" + rng.digits(11), used), rng.chance(0.75),
                      ("low", "medium", "high")[rng.randrange(3)]) for i in range(n_vend)]
    return Plan(n, accounts, projects, tenants, clusters, vaults, orgs, vendors,
                n_teams=max(len(BUSINESS_UNITS), n // 150), n_people=max(12, n // 40))


def _unique(draw, used: set[str]) -> str:
    while True:
        v = draw()
        if v not in used:
            used.add(v)
            return v


# -- what lives inside a container, derived on demand ---------------------------------------------------------


def gcp_sa_email(plan: Plan, p: int, i: int) -> str:
    proj = plan.projects[p]
    word = WORDS[(i * 7 + p * 3) % len(WORDS)]
    return f"{word}-{i:03d}@{proj.id}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class K8sAccount:
    namespace: str
    name: str
    #: IAM role name (EKS), GCP service account index (GKE) or Azure app index (AKS) it is annotated with
    irsa_role: str | None
    gsa: int | None
    aks_app: int | None
    token: bool


def cluster_accounts(ctx: Ctx, c: Cluster) -> list[K8sAccount]:
    """The service accounts of a cluster: namespaces named after apps, a ``default`` and a few app accounts
    in each, some with a legacy long-lived token secret and some federated into the cloud."""
    return list(_cluster_accounts(ctx.seed, c, ctx.plan.projects[c.home].n_sas if c.kind == "gke" else 0,
                                  ctx.plan.tenants[c.home].n_apps if c.kind == "aks" else 0))


@lru_cache(maxsize=8)
def _cluster_accounts(seed: int, c: Cluster, n_gsa: int, n_apps: int) -> tuple[K8sAccount, ...]:
    rng = Rng(f"{seed}:k8s-accounts:{c.index}")
    out: list[K8sAccount] = []
    n_ns = max(1, round(c.n_sas ** 0.5 / 1.5))
    namespaces = ["kube-system"] + [f"{WORDS[(j * 5 + c.index) % len(WORDS)]}-{j}" for j in range(n_ns)]
    i = 0
    while len(out) < c.n_sas:
        ns = namespaces[i % len(namespaces)]
        k = i // len(namespaces)
        i += 1
        if ns == "kube-system":
            name = ("default", "coredns", "aws-node", "cluster-autoscaler", "external-dns", "cert-manager",
                    "metrics-server", "ingress-nginx")[k] if k < 8 else f"system-{k}"
        else:
            name = "default" if k == 0 else ("api", "worker", "cron", "migrate", "deployer", "reader")[(k - 1) % 6] + (
                "" if k <= 6 else f"-{k}")
        federated = name not in ("default",) and rng.chance(0.35)
        out.append(K8sAccount(ns, name,
                              f"irsa-{c.name}-{ns}-{name}"[:64] if federated and c.kind == "eks" else None,
                              rng.randrange(n_gsa) if federated and c.kind == "gke" and n_gsa else None,
                              rng.randrange(n_apps) if federated and c.kind == "aks" and n_apps else None,
                              token=name != "default" and rng.chance(0.15)))
    return tuple(out)


@dataclass(frozen=True)
class Repo:
    g: int
    org: str
    org_index: int
    name: str
    bu: str
    account: int  # the AWS account it deploys to
    oidc: bool  # deploys with aws-actions/configure-aws-credentials role-to-assume (a gha-deploy role)
    key_mode: str  # "org": the org's shared CI key, "own": its own CI user's key, "none"
    gcp_project: int | None  # google-github-actions/auth into a service account of this project
    workflows: tuple[str, ...]


def repo(ctx: Ctx, g: int) -> Repo:
    plan = ctx.plan
    org = plan.org_of(g)
    rng = ctx.rng("repo", g)
    name = f"{WORDS[g % len(WORDS)]}-{WORDS[(g // len(WORDS) + 3 * g) % len(WORDS)]}"
    if g >= len(WORDS):
        name += f"-{g}"
    r = rng.random()
    key_mode = "org" if r < 0.30 else "own" if r < 0.42 else "none"
    oidc = rng.chance(0.35)
    gcp = rng.randrange(len(plan.projects)) if rng.chance(0.12) else None
    wfs = ["ci.yml"]
    if oidc or key_mode != "none":
        wfs.append("deploy.yml")
    if rng.chance(0.3) or gcp is not None:
        wfs.append("nightly.yml")
    if key_mode != "none" and rng.chance(0.4):
        wfs.append("integration.yml")
    return Repo(g, org.name, org.index, name, BUSINESS_UNITS[rng.randrange(len(BUSINESS_UNITS))],
                g % len(plan.accounts), oidc, key_mode, gcp, tuple(wfs))
