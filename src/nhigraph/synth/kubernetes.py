"""Kubernetes, one file per cluster named after it, as ``tests/fixtures/kubernetes/README.md`` says::

    kubernetes/<cluster>.json
        kubectl get serviceaccounts,secrets,roles,rolebindings,clusterroles,clusterrolebindings -A -o json

Service accounts per namespace (some federated into the cloud: EKS ``eks.amazonaws.com/role-arn`` annotations
naming the IRSA roles of the account hosting the cluster, GKE ``iam.gke.io/gcp-service-account`` and Azure
workload identity ``azure.workload.identity/client-id``), legacy long-lived token secrets, opaque and TLS
secrets (values are fake base64), namespace roles that read secrets, deployers, the default ``edit`` role
bound to whole namespaces and a few ``cluster-admin`` bindings.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .azure import app_id
from .common import Ctx, Rng, z
from .plan import Cluster, K8sAccount, cluster_accounts, gcp_sa_email


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _meta(ctx: Ctx, rng: Rng, name: str, ns: str | None, days: float, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"creationTimestamp": z(ctx.when(days)), "name": name}
    if ns:
        meta["namespace"] = ns
    meta.update({"resourceVersion": str(rng.randrange(1000, 9_999_999)), "uid": rng.guid()})
    meta.update(extra)
    return dict(sorted(meta.items()))


class _Writer:
    """kubectl's ``List``, written item by item."""

    def __init__(self, ctx: Ctx, c: Cluster) -> None:
        self.fh = open(ctx.path("kubernetes", f"{c.name}.json"), "w", encoding="utf-8")
        self.fh.write('{\n    "apiVersion": "v1",\n    "items": [')
        self.n = 0

    def add(self, item: dict[str, Any]) -> None:
        text = json.dumps(item, indent=4)
        self.fh.write(("," if self.n else "") + "\n" + "\n".join("        " + line for line in text.split("\n")))
        self.n += 1

    def close(self) -> None:
        self.fh.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
        self.fh.close()


def _cluster(ctx: Ctx, c: Cluster) -> None:
    rng = ctx.rng("k8s", c.index)
    plan, owners = ctx.plan, ctx.owners
    accounts = cluster_accounts(ctx, c)
    out = _Writer(ctx, c)
    by_ns: dict[str, list[K8sAccount]] = {}
    for sa in accounts:
        by_ns.setdefault(sa.namespace, []).append(sa)
    uids: dict[tuple[str, str], tuple[str, float]] = {}
    for sa in accounts:
        annotations: dict[str, str] = {}
        labels: dict[str, str] = {}
        if sa.irsa_role:
            annotations["eks.amazonaws.com/role-arn"] = f"arn:aws:iam::{plan.accounts[c.home].id}:role/{sa.irsa_role}"
        if sa.gsa is not None:
            annotations["iam.gke.io/gcp-service-account"] = gcp_sa_email(plan, c.home, sa.gsa)
        if sa.aks_app is not None:
            annotations["azure.workload.identity/client-id"] = app_id(ctx, c.home, sa.aks_app)
            labels["azure.workload.identity/use"] = "true"
        extra: dict[str, Any] = {}
        if annotations:
            extra["annotations"] = annotations
        if labels:
            extra["labels"] = labels
        age = rng.uniform(1, 1500)
        meta = _meta(ctx, rng, sa.name, sa.namespace, age, **extra)
        uids[(sa.namespace, sa.name)] = (meta["uid"], age)
        item: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
        if sa.token:
            item["secrets"] = [{"name": f"{sa.name}-token"}]
        if sa.name == "default" and rng.chance(0.3):
            item["automountServiceAccountToken"] = False
        out.add(item)
        sid = f"k8s:{c.name}:{sa.namespace}/sa/{sa.name}"
        owners.assign(sid, rng, c.bu)
    ctx.count("kubernetes", len(accounts))

    for sa in accounts:
        if not sa.token:
            continue
        labels = {}
        if rng.chance(0.7):
            labels["kubernetes.io/legacy-token-last-used"] = ctx.when(rng.uniform(0, 500)).strftime("%Y-%m-%d")
        if rng.chance(0.05):
            labels["kubernetes.io/legacy-token-invalid-since"] = ctx.when(rng.uniform(0, 100)).strftime("%Y-%m-%d")
        extra = {"annotations": {"kubernetes.io/service-account.name": sa.name,
                                 "kubernetes.io/service-account.uid": uids[(sa.namespace, sa.name)][0]}}
        if labels:
            extra["labels"] = labels
        out.add({"apiVersion": "v1", "data": {"ca.crt": _b64("synthetic-not-a-real-certificate"),
                                              "namespace": _b64(sa.namespace),
                                              "token": _b64("synthetic-not-a-real-token-" + rng.hex(8))},
                 "kind": "Secret", "metadata": _meta(ctx, rng, f"{sa.name}-token", sa.namespace,
                                                      min(rng.uniform(100, 1500), uids[(sa.namespace, sa.name)][1]),
                                                      **extra),
                 "type": "kubernetes.io/service-account-token"})
    for ns in by_ns:
        if ns == "kube-system":
            continue
        for k in range(rng.choice((1, 1, 2, 3))):
            keys = rng.pick(["DATABASE_URL", "API_KEY", "REDIS_PASSWORD", "SMTP_PASSWORD", "STRIPE_KEY",
                             "JWT_SIGNING_KEY"], rng.choice((1, 2, 3)))
            out.add({"apiVersion": "v1", "data": {key: _b64("synthetic-" + rng.hex(12)) for key in sorted(keys)},
                     "kind": "Secret", "metadata": _meta(ctx, rng, f"{ns}-config-{k}", ns, rng.uniform(1, 900)),
                     "type": "Opaque"})
        if rng.chance(0.3):
            out.add({"apiVersion": "v1", "data": {"tls.crt": _b64("synthetic-cert"), "tls.key": _b64("synthetic-key")},
                     "kind": "Secret", "metadata": _meta(ctx, rng, f"{ns}-tls", ns, rng.uniform(1, 300)),
                     "type": "kubernetes.io/tls"})

    bindings: list[dict[str, Any]] = []
    for ns, members in by_ns.items():
        if ns == "kube-system":
            continue
        out.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                 "metadata": _meta(ctx, rng, "deployer", ns, rng.uniform(100, 900)),
                 "rules": [{"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"],
                            "verbs": ["get", "list", "create", "update", "patch"]},
                           {"apiGroups": [""], "resources": ["configmaps", "services"],
                            "verbs": ["get", "list", "create", "update"]}]})
        out.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                 "metadata": _meta(ctx, rng, "secret-reader", ns, rng.uniform(100, 900)),
                 "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]})
        for sa in members:
            if sa.name.startswith("deployer"):
                bindings.append(_binding(ctx, rng, "RoleBinding", f"{sa.name}-deployer", ns, "Role", "deployer",
                                         [_subject(sa)]))
            elif sa.name != "default" and rng.chance(0.4):
                bindings.append(_binding(ctx, rng, "RoleBinding", f"{sa.name}-view", ns, "ClusterRole", "view",
                                         [_subject(sa)]))
            if sa.name.startswith(("worker", "cron")) and rng.chance(0.25):
                bindings.append(_binding(ctx, rng, "RoleBinding", f"{sa.name}-secrets", ns, "Role",
                                         "secret-reader", [_subject(sa)]))
        if rng.chance(0.1):
            bindings.append(_binding(ctx, rng, "RoleBinding", "all-edit", ns, "ClusterRole", "edit",
                                     [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                       "name": f"system:serviceaccounts:{ns}"}]))
    out.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": _meta(ctx, rng, "metrics-reader", None, 1200),
             "rules": [{"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
                       {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]})
    system = by_ns.get("kube-system", [])
    admins = [sa for sa in system if sa.name in ("cluster-autoscaler", "external-dns")]
    admins += [sa for sa in accounts if sa.name.startswith("deployer") and rng.chance(0.1)]
    for sa in admins:
        bindings.append(_binding(ctx, rng, "ClusterRoleBinding", f"{sa.namespace}-{sa.name}-admin", None,
                                 "ClusterRole", "cluster-admin", [_subject(sa)]))
    monitors = [sa for sa in system if sa.name == "metrics-server"]
    if monitors:
        bindings.append(_binding(ctx, rng, "ClusterRoleBinding", "metrics-reader", None, "ClusterRole",
                                 "metrics-reader", [_subject(sa) for sa in monitors]))
    for b in bindings:
        out.add(b)
    out.close()


def _subject(sa: K8sAccount) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": sa.name, "namespace": sa.namespace}


def _binding(ctx: Ctx, rng: Rng, kind: str, name: str, ns: str | None, ref_kind: str, ref: str,
             subjects: list[dict[str, str]]) -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": _meta(ctx, rng, name, ns, rng.uniform(10, 900)),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref},
            "subjects": subjects}


def write(ctx: Ctx) -> None:
    for c in ctx.plan.clusters:
        _cluster(ctx, c)
