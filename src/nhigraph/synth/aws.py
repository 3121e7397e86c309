"""AWS, one folder per account as ``tests/fixtures/aws/README.md`` lays it out::

    aws/<account>/authz.json                    aws iam get-account-authorization-details --output json
    aws/<account>/credential-report.csv         aws iam get-credential-report, Content base64-decoded
    aws/<account>/list-access-keys-<user>.json  aws iam list-access-keys --user-name <user>

What an account holds: service, CI and integration users with zero to two access keys (a long tail of old,
unused and inactive ones); application roles trusted by AWS services; operations roles trusting other users
and roles of the account (chains, some of them cycles); a few admin roles; roles for GitHub Actions OIDC
deploys and EKS service accounts (IRSA) of the clusters the account hosts; roles trusted by third-party
vendors' accounts, most with an ``sts:ExternalId`` condition; ``OrganizationAccountAccessRole`` trusting the
management account. Owners are tags (``owner``, ``team``) or rows of the ownership register.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from .common import WORDS, Ctx, Rng, plus00, slug, z
from .plan import Account, cluster_accounts, repo
from .registers import Decision

ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
SERVICES = ("lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "glue.amazonaws.com")
REPORT_COLUMNS = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
                  "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
                  "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
                  "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
                  "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
                  "cert_2_active,cert_2_last_rotated").split(",")


@dataclass
class Resource:
    service: str
    arns: list[str]
    read: list[str]
    write: list[str]


@dataclass
class Key:
    id: str
    created: Any
    active: bool
    last_used: Any
    service: str


@dataclass
class Principal:
    kind: str  # user / role
    name: str
    created: Any
    statements: list[dict[str, Any]] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    trust: list[dict[str, Any]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    reserved: bool = False  # part of a planted chain: random trusts never pick it
    human: bool = False
    last_used: Any = None
    role: str = "svc"
    owner_mode: str | None = None


def _resource(rng: Rng, acc: Account, k: int) -> Resource:
    word = WORDS[rng.randrange(len(WORDS))]
    a, r = acc.id, acc.region
    kind = rng.choices(("s3", "dynamodb", "sqs", "lambda", "secretsmanager", "kms"), (30, 20, 15, 20, 10, 5))[0]
    if kind == "s3":
        b = f"{acc.alias}-{word}-{k}"
        return Resource("s3", [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"], ["s3:GetObject", "s3:ListBucket"],
                        ["s3:PutObject", "s3:DeleteObject"])
    if kind == "dynamodb":
        return Resource("dynamodb", [f"arn:aws:dynamodb:{r}:{a}:table/{word}-{k}"],
                        ["dynamodb:GetItem", "dynamodb:Query"], ["dynamodb:PutItem", "dynamodb:UpdateItem"])
    if kind == "sqs":
        return Resource("sqs", [f"arn:aws:sqs:{r}:{a}:{word}-{k}"], ["sqs:ReceiveMessage"], ["sqs:SendMessage"])
    if kind == "lambda":
        return Resource("lambda", [f"arn:aws:lambda:{r}:{a}:function:{word}-{k}"], ["lambda:GetFunction"],
                        ["lambda:InvokeFunction", "lambda:UpdateFunctionCode"])
    if kind == "secretsmanager":
        suffix = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") for _ in range(6))
        return Resource("secretsmanager", [f"arn:aws:secretsmanager:{r}:{a}:secret:{word}-{k}-{suffix}"],
                        ["secretsmanager:GetSecretValue"], ["secretsmanager:PutSecretValue"])
    return Resource("kms", [f"arn:aws:kms:{r}:{a}:key/{rng.guid()}"], ["kms:Decrypt"],
                    ["kms:Encrypt", "kms:GenerateDataKey"])


def _grant(res: Resource, level: str) -> dict[str, Any]:
    actions = res.read if level == "read" else res.read + res.write if level == "write" else [f"{res.service}:*"]
    return {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
            "Resource": res.arns if len(res.arns) > 1 else res.arns[0]}


class _Account:
    """One account being generated: its principals, then written as the three exports."""

    def __init__(self, ctx: Ctx, acc: Account) -> None:
        self.ctx, self.acc = ctx, acc
        self.rng = ctx.rng("aws", acc.index)
        self.a = acc.id
        self.users: list[Principal] = []
        self.roles: list[Principal] = []
        self.by_name: dict[str, Principal] = {}
        n = acc.n_users + acc.n_roles
        self.resources = [_resource(self.rng, acc, k) for k in range(max(4, n // 2))]
        self.policies: list[dict[str, Any]] = []
        self.owner_tags: dict[str, Any] = {}

    # -- helpers ------------------------------------------------------------------------------------------
    def arn(self, p: Principal) -> str:
        return f"arn:aws:iam::{self.a}:{p.kind}/{p.name}"

    def node_id(self, p: Principal) -> str:
        return f"aws:{self.a}:{p.kind}/{p.name}"

    def add(self, kind: str, name: str, role: str, created_days: float | None = None, **kw: Any) -> Principal:
        rng = self.rng
        p = Principal(kind, name, self.ctx.when(created_days if created_days is not None else
                                                rng.uniform(10, 2400)), role=role, **kw)
        (self.users if kind == "user" else self.roles).append(p)
        self.by_name[f"{kind}/{name}"] = p
        return p

    def grants(self, p: Principal, n: int | None = None) -> None:
        rng = self.rng
        for _ in range(n if n is not None else rng.choice((1, 1, 2, 2, 3))):
            res = self.resources[rng.randrange(len(self.resources))]
            r = rng.random()
            p.statements.append(_grant(res, "read" if r < 0.55 else "write" if r < 0.95 else "admin"))

    def key(self, created_days: float, active: bool, used_days: float | None) -> Key:
        return Key(self.rng.aws_key_id(), self.ctx.when(created_days), active,
                   self.ctx.when(used_days) if used_days is not None else None,
                   self.rng.choice(("s3", "sts", "dynamodb", "sqs", "lambda")))

    def random_keys(self, p: Principal) -> None:
        rng = self.rng
        count = rng.choices((0, 1, 2), (15, 60, 25))[0]
        age = (self.ctx.as_of - p.created).total_seconds() / 86400
        for slot in range(count):
            r = rng.random()
            created = rng.uniform(5, 90) if r < 0.35 else rng.uniform(90, 400) if r < 0.65 else rng.uniform(400, 2200)
            created = min(created, max(1.0, age - 1))  # a key is younger than its user
            active = (rng.chance(0.7) if slot == 0 and count == 2 else rng.chance(0.9))
            used = None
            if not rng.chance(0.18):
                used = rng.uniform(0, min(created, 30)) if rng.chance(0.6) else rng.uniform(0, created)
            p.keys.append(self.key(created, active, used))
        p.keys.sort(key=lambda k: k.created)

    def owner(self, p: Principal, mode: str | None = None, bu: str | None = None) -> None:
        """Ownership by tags (half the time, for the implement role) and the ownership register."""
        owners, rng = self.ctx.owners, self.rng
        subject = self.node_id(p)
        if mode is None and rng.chance(0.02):  # a tag naming a team no register lists: no owner in effect
            team = owners.team_for(rng, bu or self.acc.bu)
            p.tags.append(("team", team.replace("team:", "team:x", 1)))
            p.owner_mode = "typo"
            owners.record(subject, Decision("typo", []))
            self.ctx.planted.add("tag_only_owner_identities", subject)
            return
        d = owners.decide(rng, bu or self.acc.bu, mode)
        rows = list(d.roles)
        implement = next((i for i, (_, role) in enumerate(rows) if role == "implement"), None)
        if implement is not None and rng.chance(0.5):
            owner, _ = rows.pop(implement)
            p.tags.append(("owner", owner.split(":", 1)[1]) if owner.startswith("owner:") else ("team", owner))
        owners.write(subject, rows)
        owners.record(subject, d)
        p.owner_mode = d.mode

    # -- the account ----------------------------------------------------------------------------------------
    def build(self) -> None:
        ctx, acc, rng, plan = self.ctx, self.acc, self.rng, self.ctx.plan
        self.policies.append({"PolicyName": "AdministratorAccess", "PolicyId": "ANPAIWMBCKSKIEE64ZLYK",
                              "Arn": ADMIN_POLICY_ARN, "Path": "/", "DefaultVersionId": "v1",
                              "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                              "CreateDate": "2015-02-06T18:39:46+00:00", "UpdateDate": "2015-02-06T18:39:46+00:00",
                              "PolicyVersionList": [{"Document": ADMIN_DOC, "VersionId": "v1",
                                                     "IsDefaultVersion": True,
                                                     "CreateDate": "2015-02-06T18:39:46+00:00"}]})
        shared = []
        for name, level in (("data-read", "read"), ("app-write", "write"), ("ops-full", "admin")):
            arn = f"arn:aws:iam::{self.a}:policy/{acc.alias}-{name}"
            picks = rng.pick(self.resources, 3)
            doc = {"Version": "2012-10-17", "Statement": [_grant(r, level) for r in picks]}
            created = plus00(ctx.when(rng.uniform(200, 2000)))
            self.policies.append({"PolicyName": f"{acc.alias}-{name}", "PolicyId": "ANPA" + rng.hex(16).upper(),
                                  "Arn": arn, "Path": "/", "DefaultVersionId": "v2", "AttachmentCount": 1,
                                  "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": created,
                                  "UpdateDate": created,
                                  "PolicyVersionList": [
                                      {"Document": doc, "VersionId": "v2", "IsDefaultVersion": True,
                                       "CreateDate": created},
                                      {"Document": {"Version": "2012-10-17", "Statement": [
                                          {"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                                       "VersionId": "v1", "IsDefaultVersion": False, "CreateDate": created}]})
            shared.append(arn)
        self.shared = shared

        if acc.index == 0:
            self.plant_chain()
        if acc.index != 0:
            mgmt = plan.accounts[0].id
            r = self.add("role", "OrganizationAccountAccessRole", "org", reserved=True)
            r.trust.append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"},
                            "Action": "sts:AssumeRole"})
            r.attached.append(ADMIN_POLICY_ARN)
            self.owner(r, mode="team", bu="Platform")
        for org in plan.orgs:
            if org.index % len(plan.accounts) == acc.index:
                self.org_ci_user(org)
        for g in range(acc.index, plan.n_repos, len(plan.accounts)):
            rp = repo(ctx, g)
            if rp.key_mode == "own":
                self.repo_ci_user(rp)
            if rp.oidc:
                self.gha_role(rp)
        for c in plan.clusters:
            if c.kind == "eks" and c.home == acc.index:
                self.irsa_roles(c)
        for v in plan.vendors:
            if rng.chance(0.3) or (acc.index == 0 and v.index < 2):
                self.vendor_role(v, force_external_id=None if acc.index else v.index == 0)

        # the rest: service, integration and legacy users; application, operations and admin roles
        i = 0
        while len(self.users) < acc.n_users:
            i += 1
            r = rng.random()
            word = WORDS[rng.randrange(len(WORDS))]
            if r < 0.12:
                p = self.add("user", f"int-{word}-{i}", "integration")
            elif r < 0.25:
                p = self.add("user", f"legacy-{word}-{i}", "legacy", created_days=rng.uniform(900, 3000))
            else:
                p = self.add("user", f"svc-{word}-{i}", "svc")
            self.grants(p)
            if rng.chance(0.15):
                p.attached.append(rng.choice(shared))
            if rng.chance(0.2):
                p.groups.append(rng.choice(("developers", "ops")))
            if rng.chance(0.01):
                p.statements.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
            if p.role == "legacy" and rng.chance(0.2):
                p.statements.append({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
            p.human = rng.chance(0.03)
            self.random_keys(p)
            self.owner(p)
        i = 0
        while len(self.roles) < acc.n_roles:
            i += 1
            word = WORDS[rng.randrange(len(WORDS))]
            r = rng.random()
            if r < 0.45:
                p = self.add("role", f"{word}-app-{i}", "app")
                p.trust.append({"Effect": "Allow", "Principal": {"Service": rng.choice(SERVICES)},
                                "Action": "sts:AssumeRole"})
            elif r < 0.97:
                p = self.add("role", f"{word}-ops-{i}", "ops")
            else:
                p = self.add("role", f"{word}-admin-{i}", "admin")
                p.attached.append(ADMIN_POLICY_ARN)
            if p.role != "admin":
                self.grants(p)
                if rng.chance(0.15):
                    p.attached.append(rng.choice(shared))
            if rng.chance(0.03):
                p.statements += [{"Effect": "Allow", "Action": "iam:PassRole",
                                  "Resource": f"arn:aws:iam::{self.a}:role/*"},
                                 {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}]
            if rng.chance(0.7):
                p.last_used = ctx.when(rng.uniform(0, 400))
            self.owner(p)
        self.trusts()

    def trusts(self) -> None:
        """Operations and admin roles trust one or two users or roles of the account: chains, some cycles."""
        rng = self.rng
        pool = [p for p in self.users + self.roles if not p.reserved]
        for r in self.roles:
            if r.reserved or r.role not in ("ops", "admin"):
                continue
            if rng.chance(0.05):
                r.trust.append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.a}:root"},
                                "Action": "sts:AssumeRole"})
                continue
            for q in rng.pick(pool, rng.choice((1, 1, 2))):
                if q is r:
                    continue
                r.trust.append({"Effect": "Allow", "Principal": {"AWS": self.arn(q)}, "Action": "sts:AssumeRole"})
                if q.kind == "role" and q.role in ("ops", "admin") and rng.chance(0.08):  # a cycle
                    q.trust.append({"Effect": "Allow", "Principal": {"AWS": self.arn(r)},
                                    "Action": "sts:AssumeRole"})
            if not r.trust:
                r.trust.append({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole"})

    # -- special principals ------------------------------------------------------------------------------------
    def plant_chain(self) -> None:
        """key -> user release-bot -> release-deployer -> ops-a <-> ops-b -> break-glass-admin (admin on the
        account). ops-b is owned only by a person who left; the key is old, in use and leaked."""
        rng, owners, ctx = self.rng, self.ctx.owners, self.ctx
        user = self.add("user", "release-bot", "chain", created_days=900, reserved=True)
        user.keys.append(self.key(420, True, 1))
        user.statements.append({"Effect": "Allow", "Action": "sts:AssumeRole",
                                "Resource": f"arn:aws:iam::{self.a}:role/release-deployer"})
        user.statements.append(_grant(self.resources[0], "read"))
        names = ("release-deployer", "ops-a", "ops-b", "break-glass-admin")
        roles = [self.add("role", n, "chain", created_days=800, reserved=True) for n in names]
        prev = [user, roles[0], roles[1], roles[2]]
        for r, q in zip(roles, prev):
            r.trust.append({"Effect": "Allow", "Principal": {"AWS": self.arn(q)}, "Action": "sts:AssumeRole"})
        roles[1].trust.append({"Effect": "Allow", "Principal": {"AWS": self.arn(roles[2])},
                               "Action": "sts:AssumeRole"})  # ops-a <-> ops-b
        roles[0].statements.append(_grant(self.resources[1], "write"))
        roles[3].attached.append(ADMIN_POLICY_ARN)
        for p, mode, bu in ((user, "team", "Platform"), (roles[0], "team", "Platform"), (roles[1], "team", "Platform"),
                            (roles[2], "departed", None), (roles[3], "team", "Security")):
            d = owners.decide(rng, bu, mode)
            owners.write(self.node_id(p), d.roles)
            owners.record(self.node_id(p), d)
        cred = f"aws:key:{user.keys[0].id}"
        path = [cred, self.node_id(user)] + [self.node_id(r) for r in roles] + [f"aws:{self.a}"]
        ctx.planted.extra["role_chain_to_admin"] = {
            "credential": cred, "key_id": user.keys[0].id, "target": f"aws:{self.a}", "level": "admin",
            "path": path, "cycle": [self.node_id(roles[1]), self.node_id(roles[2])],
            "departed_owner_on_path": self.node_id(roles[2])}
        ctx.catalog.leaks.append((user.keys[0].id, True, 0))
        ctx.planted.add("leaked_keys", cred)

    def org_ci_user(self, org) -> None:
        p = self.add("user", f"github-actions-{org.name}", "ci", created_days=1100)
        p.keys.append(self.key(700, True, 0.2))
        self.grants(p, 3)
        p.statements.append({"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "s3:PutObject"],
                             "Resource": "*"})
        self.owner(p, mode="team", bu="Platform")
        self.ctx.catalog.org_ci_key[org.index] = p.keys[0].id
        self.ctx.catalog.vault_keys.append(p.keys[0].id)

    def repo_ci_user(self, rp) -> None:
        rng = self.rng
        p = self.add("user", f"ci-{rp.name}"[:64], "ci")
        if rng.chance(0.4):
            p.keys.append(self.key(rng.uniform(400, 1200), False, rng.uniform(300, 400)))
        p.keys.append(self.key(rng.uniform(30, 900), True, rng.uniform(0, 5)))
        self.grants(p, 2)
        self.owner(p, bu=rp.bu)
        self.ctx.catalog.repo_ci_key[rp.g] = p.keys[-1].id
        if rng.chance(0.5):
            self.ctx.catalog.vault_keys.append(p.keys[-1].id)
        if rng.chance(0.1):  # committed to its own repository
            self.ctx.catalog.leaks.append((p.keys[-1].id, True, rp.g))
            self.ctx.planted.add("leaked_keys", f"aws:key:{p.keys[-1].id}")

    def gha_role(self, rp) -> None:
        rng, planted = self.rng, self.ctx.planted
        p = self.add("role", f"gha-deploy-{rp.name}"[:64], "gha")
        host = "token.actions.githubusercontent.com"
        cond: dict[str, Any] = {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}}
        checked = not (rng.chance(0.1) or not planted.counts.get("oidc_trust_without_subject"))
        if checked:
            cond["StringLike"] = {f"{host}:sub": f"repo:{rp.org}/{rp.name}:ref:refs/heads/main"
                                  if rng.chance(0.7) else f"repo:{rp.org}/{rp.name}:*"}
        p.trust.append({"Effect": "Allow",
                        "Principal": {"Federated": f"arn:aws:iam::{self.a}:oidc-provider/{host}"},
                        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond})
        self.grants(p, 2)
        if rng.chance(0.1):
            p.attached.append(ADMIN_POLICY_ARN)
        p.last_used = self.ctx.when(rng.uniform(0, 10))
        self.owner(p, bu=rp.bu)
        if not checked:
            planted.add("oidc_trust_without_subject", {"role": self.node_id(p),
                                                       "trusted": f"aws:{self.a}:oidc-provider/{host}"})

    def irsa_roles(self, c) -> None:
        rng = self.rng
        provider = f"oidc.eks.{c.region}.amazonaws.com/id/{c.oidc_id}"
        for sa in cluster_accounts(self.ctx, c):
            if not sa.irsa_role:
                continue
            p = self.add("role", sa.irsa_role, "irsa")
            p.trust.append({"Effect": "Allow",
                            "Principal": {"Federated": f"arn:aws:iam::{self.a}:oidc-provider/{provider}"},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {"StringEquals": {
                                f"{provider}:sub": f"system:serviceaccount:{sa.namespace}:{sa.name}",
                                f"{provider}:aud": "sts.amazonaws.com"}}})
            self.grants(p)
            p.last_used = self.ctx.when(rng.uniform(0, 3))
            self.owner(p, bu=c.bu)

    def vendor_role(self, v, force_external_id: bool | None) -> None:
        rng, planted = self.rng, self.ctx.planted
        p = self.add("role", f"{slug(v.name)}-integration", "vendor")
        stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{v.account}:root"},
                                "Action": "sts:AssumeRole"}
        ext = force_external_id if force_external_id is not None else (v.uses_external_id and not rng.chance(0.15))
        if ext:
            stmt["Condition"] = {"StringEquals": {"sts:ExternalId": rng.hex(24)}}
        p.trust.append(stmt)
        p.statements.append({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "cloudwatch:GetMetricData",
                                                           "ec2:DescribeInstances"], "Resource": "*"})
        self.grants(p, 1)
        p.tags.append(("vendor", v.name))
        p.last_used = self.ctx.when(rng.uniform(0, 2))
        self.owner(p, mode="team", bu="Security")
        item = {"role": self.node_id(p), "trusted": f"aws:{v.account}", "vendor": v.name}
        planted.add("vendor_trust_with_external_id" if ext else "vendor_trust_without_external_id", item)

    # -- planted answers from keys ---------------------------------------------------------------------------
    def record_keys(self) -> None:
        ctx, rng, planted, cat = self.ctx, self.rng, self.ctx.planted, self.ctx.catalog
        for p in self.users:
            mode = p.owner_mode
            for k in p.keys:
                cred = f"aws:key:{k.id}"
                age = (ctx.as_of - k.created).days
                if p.role == "chain":
                    continue
                if k.active and k.last_used is None and age > 120:
                    planted.add("stale_keys", cred)
                if mode in ("none", "departed", "typo"):
                    planted.add("unowned_credentials", cred)
                if k.active and p.role in ("svc", "legacy") and rng.chance(0.004):
                    cat.leaks.append((k.id, True, rng.randrange(ctx.plan.n_repos)))
                    planted.add("leaked_keys", cred)
                elif not k.active and (rng.chance(0.02) or not planted.counts.get("leaked_inactive_keys")):
                    cat.leaks.append((k.id, False, rng.randrange(ctx.plan.n_repos)))
                    planted.add("leaked_inactive_keys", cred)
                if k.active and p.role in ("svc", "integration") and rng.chance(0.02):
                    cat.vault_keys.append(k.id)
                if k.active and p.role == "integration":
                    cat.integration_creds.add((cred, f"aws:{self.a}", self.acc.bu))
                if age > 365:
                    cat.exception_subjects.add((cred, "credential"))

    # -- writing -----------------------------------------------------------------------------------------------
    def record(self, p: Principal) -> dict[str, Any]:
        rng = self.rng
        tags = [{"Key": k, "Value": v} for k, v in p.tags]
        if rng.chance(0.6):
            tags.append({"Key": "env", "Value": {"prod": "production"}.get(self.acc.env, self.acc.env)})
        if rng.chance(0.3):
            tags.append({"Key": "cost-center", "Value": f"cc-{rng.randrange(100, 999)}"})
        doc = {"Version": "2012-10-17", "Statement": p.statements}
        inline = [{"PolicyName": f"{p.name}-inline"[:128], "PolicyDocument": doc}] if p.statements else []
        attached = [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in p.attached]
        if p.kind == "user":
            return {"Path": "/", "UserName": p.name, "UserId": "AIDA" + rng.aws_key_id()[4:20],
                    "Arn": self.arn(p), "CreateDate": plus00(p.created), "UserPolicyList": inline,
                    "GroupList": p.groups, "AttachedManagedPolicies": attached, "Tags": tags}
        rec = {"Path": "/", "RoleName": p.name, "RoleId": "AROA" + rng.aws_key_id()[4:20], "Arn": self.arn(p),
               "CreateDate": plus00(p.created),
               "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": p.trust},
               "InstanceProfileList": [], "RolePolicyList": inline, "AttachedManagedPolicies": attached,
               "Tags": tags, "RoleLastUsed": {}}
        if p.last_used is not None:
            rec["RoleLastUsed"] = {"LastUsedDate": plus00(p.last_used), "Region": self.acc.region}
        return rec

    def write(self) -> None:
        ctx, a = self.ctx, self.a
        groups = []
        for g in ("developers", "ops"):
            groups.append({"Path": "/", "GroupName": g, "GroupId": "AGPA" + self.rng.aws_key_id()[4:20],
                           "Arn": f"arn:aws:iam::{a}:group/{g}", "CreateDate": plus00(ctx.when(2500)),
                           "GroupPolicyList": [], "AttachedManagedPolicies": [
                               {"PolicyName": self.shared[0 if g == "developers" else 1].rsplit("/", 1)[-1],
                                "PolicyArn": self.shared[0 if g == "developers" else 1]}]})
        doc = {"UserDetailList": [self.record(p) for p in self.users], "GroupDetailList": groups,
               "RoleDetailList": [self.record(p) for p in self.roles], "Policies": self.policies}
        ctx.write_json(doc, "aws", a, "authz.json", indent=4)

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(REPORT_COLUMNS)
        root_created = plus00(ctx.when(3000))
        w.writerow(["<root_account>", f"arn:aws:iam::{a}:root", root_created, "not_supported",
                    plus00(ctx.when(self.rng.uniform(30, 900))), "not_supported", "not_supported", "true",
                    "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A",
                    "false", "N/A"])
        for p in self.users:
            row = [p.name, self.arn(p), plus00(p.created)]
            if p.human:
                row += ["true", plus00(ctx.when(self.rng.uniform(0, 60))), plus00(ctx.when(200)), "N/A", "false"]
            else:
                row += ["false", "N/A", "N/A", "N/A", "false"]
            for slot in range(2):
                if slot < len(p.keys):
                    k = p.keys[slot]
                    row += ["true" if k.active else "false", plus00(k.created)]
                    row += [plus00(k.last_used), self.acc.region, k.service] if k.last_used else ["N/A"] * 3
                else:
                    row += ["false", "N/A", "N/A", "N/A", "N/A"]
            row += ["false", "N/A", "false", "N/A"]
            w.writerow(row)
        ctx.write_text(buf.getvalue(), "aws", a, "credential-report.csv")

        for p in self.users:
            if p.keys:
                ctx.write_json({"AccessKeyMetadata": [
                    {"UserName": p.name, "AccessKeyId": k.id, "Status": "Active" if k.active else "Inactive",
                     "CreateDate": z(k.created)} for k in p.keys]},
                    "aws", a, f"list-access-keys-{p.name}.json", indent=4)
            if p.human:
                ctx.planted.add("human_used_identities", self.node_id(p))
        for p in self.users + self.roles:
            ctx.catalog.exception_subjects.add((self.node_id(p), "identity"))
        ctx.count("aws", len(self.users) + len(self.roles))


def write(ctx: Ctx) -> None:
    for acc in ctx.plan.accounts:
        account = _Account(ctx, acc)
        account.build()
        account.record_keys()
        account.write()
