"""Kubernetes: service accounts, their token secrets, other secrets (names only) and RBAC, from
``kubectl get ... -o json``.

One file is one cluster, and the cluster is named by the file: ``prod-eks.json``, or
``prod-eks.rbac.json`` and ``prod-eks.secrets.json`` (or ``prod-eks__rbac.json``) for separate exports: the
name up to the first dot or ``__``.
kubectl's output does not name the cluster, so a file named only after what it holds (``rbac.json``,
``serviceaccounts.json``) is refused rather than guessed at. Ids (see :mod:`nhigraph.model.ids`):
``k8s:<cluster>`` (System ``k8s_cluster``), ``k8s:<cluster>:ns/<ns>`` (Resource ``namespace``),
``k8s:<cluster>:<ns>/sa/<name>`` (Identity ``k8s_service_account``), ``k8s:<cluster>:<ns>/secret/<name>``
(SecretStore ``k8s_secret``) and ``k8s:<cluster>:<ns>/token/<name>`` (Credential ``k8s_token``).

Secrets: a secret's ``data`` and ``stringData`` values are never read (only the names of their keys are
listed), and neither is any annotation but the few named here (``kubectl.kubernetes.io/last-applied-
configuration`` holds a copy of the whole secret). A ``kubernetes.io/service-account-token`` secret is a
long-lived token: a Credential that AUTHENTICATES as the account its ``kubernetes.io/service-account.name``
annotation names, STORED in the secret; its ``kubernetes.io/legacy-token-last-used`` label is its last use,
and a ``kubernetes.io/legacy-token-invalid-since`` label (the API server refuses it) makes it disabled.

RBAC: each RoleBinding gives its service account subjects ``HAS_ACCESS`` to the namespace, each
ClusterRoleBinding to the cluster, at the highest level of the bound role's rules (:func:`rule_level`).
A rule that can read secrets also gives access to each secret it covers, so that reading another account's
token secret leads on to that account. Group subjects ``system:serviceaccounts[:<ns>]`` and
``system:authenticated`` stand for every service account (of the namespace) in the file; users and other
groups are people and are skipped. A binding's role must be in the same file, except the default
``cluster-admin``, ``admin``, ``edit`` and ``view`` roles; a binding to a role that is not is skipped with a
warning.

Workload identity: a service account annotated ``eks.amazonaws.com/role-arn`` CAN_ASSUME that IAM role
(``aws:<account>:role/<name>``), one annotated ``iam.gke.io/gcp-service-account`` that GCP service account
(``gcp:sa:<email>``), one annotated ``azure.workload.identity/client-id`` that Entra app
(``azure:app:<client id>``), all via ``workload_identity``; the cloud identities are stubs that merge with
the cloud exports, so blast radius continues into the cloud.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import ids
from ..model.records import Batch, Origin
from .base import Format, load_json, looks_like_json
from .jsonexport import ExportBatch, obj, opt, opt_list, req, source_name

KINDS = ("ServiceAccount", "Secret", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Namespace")
#: file names that say what a file holds, not which cluster it comes from
GENERIC_NAMES = frozenset({
    "serviceaccounts", "serviceaccount", "sa", "secrets", "secret", "roles", "rolebindings", "clusterroles",
    "clusterrolebindings", "rbac", "namespaces", "k8s", "kubernetes", "kube", "kubectl", "export", "exports",
    "all", "list", "output", "cluster", "dump",
})
CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
EKS_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
GKE_SA_ANNOTATION = "iam.gke.io/gcp-service-account"
AZURE_CLIENT_ANNOTATION = "azure.workload.identity/client-id"
#: labels the API server and the legacy token cleaner put on token secrets (Kubernetes 1.26+ and 1.29+)
LAST_USED_LABEL = "kubernetes.io/legacy-token-last-used"
INVALID_SINCE_LABEL = "kubernetes.io/legacy-token-invalid-since"

READ_VERBS = frozenset({"get", "list", "watch"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
ESCALATION_VERBS = frozenset({"escalate", "bind", "impersonate"})
#: resources whose write access is admin: RBAC itself, minting tokens, running commands in pods
ADMIN_RESOURCES = frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings", "serviceaccounts/token",
                             "pods/exec", "pods/attach", "nodes/proxy", "*"})
#: resources that only ask the API server questions (``kubectl auth can-i``); they grant no access
REVIEW_RESOURCES = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews",
                              "subjectaccessreviews", "localsubjectaccessreviews", "tokenreviews"})
#: the default user-facing cluster roles, for bindings exported without their role
DEFAULT_ROLES = {"cluster-admin": "admin", "admin": "admin", "edit": "write", "view": "read"}
_RANK = {"read": 1, "write": 2, "admin": 3}


def rule_level(verbs: set[str], resources: set[str]) -> str | None:
    """The level a PolicyRule grants (documented in README), or None when it grants nothing:

    - ``*`` verbs, or ``escalate``, ``bind`` or ``impersonate`` -> admin;
    - create, update, patch, delete or deletecollection -> write, or admin on :data:`ADMIN_RESOURCES` (roles,
      role bindings, ``serviceaccounts/token``, ``pods/exec``, ``pods/attach``, ``nodes/proxy``, ``*``);
    - get, list or watch -> read;
    - any other verb (``use``, ``approve``, ``sign``, ``proxy``...) -> write;
    - rules only on review resources (``selfsubjectaccessreviews``...) grant nothing.
    """
    resources = resources - REVIEW_RESOURCES
    if not verbs or not resources:
        return None
    if "*" in verbs or verbs & ESCALATION_VERBS:
        return "admin"
    if verbs & WRITE_VERBS:
        return "admin" if resources & ADMIN_RESOURCES else "write"
    if verbs <= READ_VERBS:
        return "read"
    return "write"


@dataclass
class _Role:
    rules: list[tuple[set[str], set[str], set[str], set[str]]]  # (verbs, groups, resources, resourceNames)


@dataclass
class _Export:
    """The supported objects of one file, by kind, with their origins."""

    objects: dict[str, list[tuple[Origin, dict[str, Any]]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    skipped: dict[str, int] = field(default_factory=dict)


def cluster_name(path: Path) -> str:
    """The cluster a file comes from: its name up to the first dot (``prod-eks.rbac.json`` -> ``prod-eks``),
    or up to the first ``__`` (``prod-eks__rbac.json``, the ``scope__what`` convention of the other exports)."""
    name = path.name.split(".", 1)[0].split("__", 1)[0]
    if not name or name.lower() in GENERIC_NAMES or not CLUSTER_NAME.match(name):
        raise InputError(path, None, "cannot tell which cluster this export comes from: name the file after "
                         "the cluster, e.g. CLUSTER.json or CLUSTER.rbac.json")
    return name


def _collect(path: Path, doc: Any) -> _Export:
    """The supported objects of a ``List`` (or ``*List``) or of a single object; other kinds are counted."""
    export = _Export()
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        raise InputError(path, None, "not a Kubernetes object: expected kubectl's JSON, e.g. "
                         "`kubectl get serviceaccounts,secrets,roles,rolebindings,clusterroles,clusterrolebindings"
                         " -A -o json`")
    if doc["kind"] == "List" or doc["kind"].endswith("List"):
        listed = doc.get("items")
        if listed is None:
            listed = []
        if not isinstance(listed, list):
            raise InputError(path, "items", "expected a list of objects")
        default_kind = doc["kind"][:-4] if doc["kind"] != "List" else None
        records = [(Origin(str(path), f"items[{i}]"), item, default_kind) for i, item in enumerate(listed)]
    else:
        records = [(Origin(str(path), ""), doc, None)]
    for origin, item, default_kind in records:
        if not isinstance(item, dict):
            raise InputError(path, origin.record, "expected a Kubernetes object")
        kind = item.get("kind") or default_kind
        if kind in KINDS:
            export.objects[kind].append((origin, item))
        else:
            export.skipped[str(kind)] = export.skipped.get(str(kind), 0) + 1
    if not any(export.objects.values()) and export.skipped:
        raise InputError(path, None, f"no {', '.join(KINDS)} objects (found {', '.join(sorted(export.skipped))})")
    return export


def _meta(item: dict[str, Any], origin: Origin, namespaced: bool) -> tuple[str | None, str, dict[str, Any]]:
    meta = obj(item.get("metadata"), origin, "metadata")
    name = req(meta, "name", origin)
    namespace = opt(meta, "namespace")
    if namespaced and not namespace:
        raise origin.error("metadata.namespace is missing")
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    return namespace, name, {"uid": opt(meta, "uid"), "created": meta.get("creationTimestamp"),
                             "annotations": annotations, "labels": labels}


class _Cluster:
    """Node records every batch of one cluster names (the cluster, its namespaces, its service accounts)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.id = ids.k8s_cluster(name)

    def system(self, batch: ExportBatch, origin: Origin) -> None:
        batch.stub({"label": "System", "id": self.id, "kind": "k8s_cluster", "name": self.name,
                    "platform": "Kubernetes"}, origin)

    def namespace(self, batch: ExportBatch, ns: str, origin: Origin, stub: bool = True, **props: Any) -> str:
        node_id = ids.k8s_namespace(self.name, ns)
        record = {"label": "Resource", "id": node_id, "kind": "namespace", "name": f"{self.name}/{ns}", **props}
        if stub:
            batch.stub(record, origin)
        else:
            batch.add_node(record, origin)
        self.system(batch, origin)
        batch.link("PART_OF", node_id, self.id, origin)
        return node_id

    def service_account(self, batch: ExportBatch, ns: str, name: str, origin: Origin) -> str:
        node_id = ids.k8s_service_account(self.name, ns, name)
        batch.stub({"label": "Identity", "id": node_id, "kind": "k8s_service_account", "name": f"{ns}/{name}"},
                   origin)
        self.system(batch, origin)
        batch.link("PART_OF", node_id, self.id, origin)
        return node_id


# -- service accounts and secrets ----------------------------------------------------------------------------


def _workload_identity(batch: ExportBatch, sa: str, annotations: dict[str, Any], origin: Origin) -> None:
    role_arn = annotations.get(EKS_ROLE_ANNOTATION)
    if isinstance(role_arn, str) and role_arn.strip():
        role = ids.aws_principal_from_arn(role_arn)
        if role is None:
            batch.fail(origin.error(f"annotation {EKS_ROLE_ANNOTATION} is not an IAM role ARN"))
        else:
            account = role.split(":")[1]
            batch.stub({"label": "Identity", "id": role, "kind": "iam_role", "name": role.rsplit("/", 1)[-1],
                        "provider_id": role_arn.strip()}, origin)
            batch.stub({"label": "System", "id": ids.aws_account(account), "kind": "aws_account",
                        "name": account, "provider_id": account, "platform": "AWS"}, origin)
            batch.link("PART_OF", role, ids.aws_account(account), origin)
            batch.add_edge({"type": "CAN_ASSUME", "start": sa, "end": role, "via": "workload_identity"}, origin)
    email = annotations.get(GKE_SA_ANNOTATION)
    if isinstance(email, str) and email.strip():
        if "@" not in email:
            batch.fail(origin.error(f"annotation {GKE_SA_ANNOTATION} is not a service account email"))
        else:
            gsa = ids.gcp_service_account(email)
            batch.stub({"label": "Identity", "id": gsa, "kind": "service_account", "name": email.strip().lower()},
                       origin)
            batch.add_edge({"type": "CAN_ASSUME", "start": sa, "end": gsa, "via": "workload_identity"}, origin)
    client_id = annotations.get(AZURE_CLIENT_ANNOTATION)
    if isinstance(client_id, str) and client_id.strip():
        app = ids.azure_app(client_id)
        batch.stub({"label": "Identity", "id": app, "kind": "app_registration", "name": client_id.strip(),
                    "provider_id": client_id.strip().lower()}, origin)
        batch.add_edge({"type": "CAN_ASSUME", "start": sa, "end": app, "via": "workload_identity"}, origin)


def _service_accounts(batch: ExportBatch, cluster: _Cluster, export: _Export) -> None:
    for origin, item in export.objects["ServiceAccount"]:
        try:
            ns, name, meta = _meta(item, origin, namespaced=True)
        except InputError as exc:
            batch.fail(exc)
            continue
        node_id = ids.k8s_service_account(cluster.name, ns, name)
        automount = item.get("automountServiceAccountToken")
        if batch.add_node({"label": "Identity", "id": node_id, "kind": "k8s_service_account", "name": f"{ns}/{name}",
                           "provider_id": meta["uid"], "created_at": meta["created"], "external": False,
                           "description": "token not mounted in pods by default" if automount is False else None},
                          origin) is None:
            continue
        cluster.system(batch, origin)
        batch.link("PART_OF", node_id, cluster.id, origin)
        cluster.namespace(batch, ns, origin)
        _workload_identity(batch, node_id, meta["annotations"], origin)


def _secret_keys(item: dict[str, Any]) -> list[str]:
    """The names of a secret's entries. The values are never looked at."""
    names: set[str] = set()
    for section in ("data", "stringData"):
        value = item.get(section)
        if isinstance(value, dict):
            names |= {k for k in value if isinstance(k, str)}
    return sorted(names)


def _secrets(batch: ExportBatch, cluster: _Cluster, export: _Export) -> None:
    for origin, item in export.objects["Secret"]:
        try:
            ns, name, meta = _meta(item, origin, namespaced=True)
        except InputError as exc:
            batch.fail(exc)
            continue
        secret_type = opt(item, "type") or "Opaque"
        store = ids.k8s_secret(cluster.name, ns, name)
        if batch.add_node({"label": "SecretStore", "id": store, "kind": "k8s_secret", "name": f"{ns}/{name}",
                           "location": f"{cluster.name}/{ns}/secrets/{name}", "keys": _secret_keys(item),
                           "description": f"type {secret_type}"}, origin) is None:
            continue
        cluster.system(batch, origin)
        batch.link("PART_OF", store, cluster.id, origin)
        cluster.namespace(batch, ns, origin)
        if secret_type != TOKEN_TYPE:
            continue
        account = meta["annotations"].get(SA_NAME_ANNOTATION)
        if not isinstance(account, str) or not account.strip():
            batch.fail(origin.error(f"service account token secret without the {SA_NAME_ANNOTATION} annotation"))
            continue
        token = ids.k8s_token(cluster.name, ns, name)
        invalid_since = meta["labels"].get(INVALID_SINCE_LABEL)
        if batch.add_node({"label": "Credential", "id": token, "kind": "k8s_token", "name": f"{ns}/{name}",
                           "key_id": meta["uid"], "created_at": meta["created"], "last_rotated_at": meta["created"],
                           "last_used_at": meta["labels"].get(LAST_USED_LABEL),
                           "status": "disabled" if invalid_since else "active",
                           "description": f"long-lived token of service account {ns}/{account.strip()}"
                                          + (f", invalid since {invalid_since}" if invalid_since else "")},
                          origin) is None:
            continue
        sa = cluster.service_account(batch, ns, account.strip(), origin)
        batch.add_edge({"type": "AUTHENTICATES", "start": token, "end": sa}, origin)
        batch.add_edge({"type": "STORES", "start": store, "end": token}, origin)


def _namespaces(batch: ExportBatch, cluster: _Cluster, export: _Export) -> None:
    for origin, item in export.objects["Namespace"]:
        try:
            _, name, meta = _meta(item, origin, namespaced=False)
        except InputError as exc:
            batch.fail(exc)
            continue
        cluster.namespace(batch, name, origin, stub=False, provider_id=meta["uid"])


# -- RBAC -------------------------------------------------------------------------------------------------------


def _str_set(value: Any) -> set[str]:
    return {v.strip() for v in value if isinstance(v, str) and v.strip()} if isinstance(value, list) else set()


def _roles(batch: ExportBatch, export: _Export) -> dict[tuple[str, str | None, str], _Role]:
    """``("Role", ns, name)`` / ``("ClusterRole", None, name)`` -> rules (non-resource URL rules dropped)."""
    roles: dict[tuple[str, str | None, str], _Role] = {}
    for kind in ("Role", "ClusterRole"):
        for origin, item in export.objects[kind]:
            try:
                ns, name, _ = _meta(item, origin, namespaced=kind == "Role")
                rules = []
                for j, rule in enumerate(opt_list(item, "rules")):
                    rule = obj(rule, Origin(origin.path, f"{origin.record}.rules[{j}]"), "a policy rule")
                    resources = _str_set(rule.get("resources"))
                    if resources:
                        rules.append((_str_set(rule.get("verbs")), _str_set(rule.get("apiGroups")) or {""},
                                      resources, _str_set(rule.get("resourceNames"))))
            except InputError as exc:
                batch.fail(exc)
                continue
            roles[(kind, ns if kind == "Role" else None, name)] = _Role(rules)
    return roles


def _subjects(binding: dict[str, Any], ns: str | None, accounts: list[tuple[str, str]],
              origin: Origin) -> list[tuple[str, str]]:
    """The service accounts a binding's subjects stand for, as ``(namespace, name)``."""
    out: list[tuple[str, str]] = []
    for j, subject in enumerate(opt_list(binding, "subjects")):
        s_origin = Origin(origin.path, f"{origin.record}.subjects[{j}]")
        subject = obj(subject, s_origin, "a subject")
        kind, name = opt(subject, "kind"), req(subject, "name", s_origin)
        if kind == "ServiceAccount":
            sa_ns = opt(subject, "namespace") or ns
            if not sa_ns:
                raise s_origin.error("a ServiceAccount subject of a ClusterRoleBinding needs a namespace")
            out.append((sa_ns, name))
        elif kind == "User" and name.startswith("system:serviceaccount:") and name.count(":") == 3:
            _, _, sa_ns, sa_name = name.split(":")
            out.append((sa_ns, sa_name))
        elif kind == "Group" and name in ("system:serviceaccounts", "system:authenticated"):
            out += accounts
        elif kind == "Group" and name.startswith("system:serviceaccounts:"):
            group_ns = name.split(":", 2)[2]
            out += [a for a in accounts if a[0] == group_ns]
    return out


def _rbac(batch: ExportBatch, cluster: _Cluster, export: _Export) -> None:
    roles = _roles(batch, export)
    accounts = []
    for origin, item in export.objects["ServiceAccount"]:
        meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        if isinstance(meta.get("namespace"), str) and isinstance(meta.get("name"), str):
            accounts.append((meta["namespace"], meta["name"]))
    secrets: dict[str, list[tuple[str, str]]] = {}
    for origin, item in export.objects["Secret"]:
        meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        if isinstance(meta.get("namespace"), str) and isinstance(meta.get("name"), str):
            secrets.setdefault(meta["namespace"], []).append((meta["namespace"], meta["name"]))
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    missing: set[str] = set()
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for origin, item in export.objects[kind]:
            try:
                ns, name, _ = _meta(item, origin, namespaced=kind == "RoleBinding")
                ref = obj(item.get("roleRef"), origin, "roleRef")
                ref_kind, ref_name = req(ref, "kind", origin), req(ref, "name", origin)
                subjects = _subjects(item, ns, accounts, origin)
            except InputError as exc:
                batch.fail(exc)
                continue
            role = roles.get((ref_kind, ns if ref_kind == "Role" else None, ref_name))
            if role is None and ref_kind == "ClusterRole" and ref_name in DEFAULT_ROLES:
                grants = [(DEFAULT_ROLES[ref_name], [f"clusterrole:{ref_name}"], None)]
            elif role is None:
                missing.add(f"{ref_kind} {ns + '/' if ref_kind == 'Role' else ''}{ref_name}")
                continue
            else:
                grants = _role_grants(role, ns, secrets)
            if not subjects or not grants:
                continue
            scope_target = (cluster.namespace(batch, ns, origin) if kind == "RoleBinding" else cluster.id)
            cluster.system(batch, origin)
            for sa_ns, sa_name in subjects:
                sa = cluster.service_account(batch, sa_ns, sa_name, origin)
                for level, actions, secret in grants:
                    target = scope_target
                    if secret is not None:
                        target = ids.k8s_secret(cluster.name, *secret)
                        batch.stub({"label": "SecretStore", "id": target, "kind": "k8s_secret",
                                    "name": f"{secret[0]}/{secret[1]}"}, origin)
                    e = edges.setdefault((sa, target), {"level": level, "actions": set(), "origin": origin})
                    if _RANK[level] > _RANK[e["level"]]:
                        e["level"] = level
                    e["actions"] |= set(actions)
    for (sa, target), e in edges.items():
        batch.add_edge({"type": "HAS_ACCESS", "start": sa, "end": target, "level": e["level"],
                        "actions": sorted(e["actions"])}, e["origin"])
    if missing:
        batch.warnings.append(f"bindings to {len(missing)} role(s) not in the export were skipped "
                              f"({', '.join(sorted(missing)[:5])}{', ...' if len(missing) > 5 else ''}); export "
                              "roles and bindings together")


def _role_grants(role: _Role, ns: str | None,
                 secrets: dict[str, list[tuple[str, str]]]) -> list[tuple[str, list[str], tuple[str, str] | None]]:
    """``(level, actions, secret)`` grants of a role bound in ``ns`` (None: cluster-wide): one for the
    namespace or cluster as a whole (``secret`` None) and one per secret a rule lets the subject read."""
    out = []
    best, actions = None, set()
    for verbs, groups, resources, names in role.rules:
        level = rule_level(verbs, resources)
        if level is None:
            continue
        if best is None or _RANK[level] > _RANK[best]:
            best = level
        prefix = "" if groups <= {""} else "/".join(sorted(groups)) + "/"
        suffix = f" ({','.join(sorted(names))})" if names else ""
        actions |= {f"{verb} {prefix}{res}{suffix}" for verb in sorted(verbs) for res in sorted(resources)
                    if res not in REVIEW_RESOURCES}
        # a cluster-wide grant already reaches every secret of the cluster through the cluster itself
        if ns and (groups & {"", "*"}) and (resources & {"secrets", "*"}) and (verbs & (READ_VERBS | {"*"})):
            for secret in secrets.get(ns, []):
                if not names or secret[1] in names:
                    out.append((level, [f"{verb} secrets" for verb in sorted(verbs)], secret))
    if best is not None:
        out.insert(0, (best, sorted(actions), None))
    return out


# -- the format --------------------------------------------------------------------------------------------------


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    """``kubectl get serviceaccounts,secrets,roles,rolebindings,clusterroles,clusterrolebindings -A -o json``.

    One batch per part of the cluster the file reports (service accounts, secrets, RBAC, namespaces), so that
    a file holding only RBAC never cleans up the secrets another file reported."""
    doc = load_json(path)
    cluster = _Cluster(cluster_name(path))
    export = _collect(path, doc)
    groups = (("serviceaccounts", ("ServiceAccount",), _service_accounts), ("secrets", ("Secret",), _secrets),
              ("rbac", ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"), _rbac),
              ("namespaces", ("Namespace",), _namespaces))
    batches = []
    for group, kinds, build in groups:
        if not any(export.objects[k] for k in kinds):
            continue
        batch = ExportBatch(source=source_name("k8s", scope, cluster.name, group))
        build(batch, cluster, export)
        batch.warnings = [w if w.startswith(str(path)) else f"{path}: {w}" for w in batch.warnings]
        batches.append(batch)
    if export.skipped and batches:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(export.skipped.items()))
        batches[0].warnings.append(f"{path}: skipped objects of kinds nhigraph does not read ({kinds})")
    return batches


def _detect(path: Path, head: bytes) -> bool:
    if not looks_like_json(head) or b'"apiVersion"' not in head:
        return False
    return any(f'"kind": "{k}"'.encode() in head or f'"kind":"{k}"'.encode() in head
               for k in KINDS + ("List",))


FORMAT = Format(
    "kubernetes", "Kubernetes service accounts, token secrets, secret names and RBAC (one file per cluster, "
    "named CLUSTER.json)",
    "`kubectl get serviceaccounts,secrets,roles,rolebindings,clusterroles,clusterrolebindings -A -o json "
    "> CLUSTER.json`", _detect, parse)
