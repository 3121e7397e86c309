"""Google Cloud: service accounts, their keys and IAM policies, from ``gcloud`` JSON exports.

Ids (see :mod:`nhigraph.model.ids`):

- a project is ``gcp:<project id>`` (System ``gcp_project``); a project that an export names only by its
  number (Cloud Asset Inventory exports do) is ``gcp:<number>``, unless the same file also names it by id;
- a service account is ``gcp:sa:<email>``: the email is the one name that IAM policy members, key names and
  GKE ``iam.gke.io/gcp-service-account`` annotations share, so the same account seen in a policy of
  another project, in a key listing and in a Kubernetes export is one node;
- a user-managed key is ``gcp:key:<key id>`` (Credential ``service_account_key``), the key id being the last
  segment of its ``name`` (``projects/P/serviceAccounts/EMAIL/keys/KEY_ID``) and the ``private_key_id`` of
  its key file; the email in the name links the key to its account;
- a resource with its own policy (bucket, dataset, secret...) is ``gcp:<full resource name>``.

System-managed keys are skipped: Google holds and rotates their private half, so they are not credentials
anyone can leak or must rotate, and counting them would flag every account as having several active keys.

Roles become levels (:func:`role_level`). On a service account, roles that let a principal act as it
(``roles/iam.serviceAccountTokenCreator``, ``serviceAccountUser``, ``serviceAccountKeyAdmin``,
``serviceAccountOpenIdTokenCreator``, ``serviceAccountAdmin``, ``workloadIdentityUser``, and the basic
``roles/owner`` and ``roles/editor``) become ``CAN_ASSUME`` edges (via ``impersonation``, or
``workload_identity`` for ``workloadIdentityUser``); other roles on a service account grant nothing beyond it
and are not recorded. Only non-human members are read: ``serviceAccount:`` members (a GKE workload identity
member ``serviceAccount:PROJECT.svc.id.goog[NS/KSA]`` becomes a ``federated_principal``), and workload
identity federation ``principal://`` / ``principalSet://`` members; users, groups, domains and
``allUsers``-style members are people or the public and are skipped.

A bare IAM policy (``gcloud projects get-iam-policy``) does not say whose policy it is, so the file name
does: ``PROJECT_ID.json`` for a project, ``SA_EMAIL.json`` for a service account (an optional
``.iam-policy`` or ``.policy`` before ``.json`` is allowed). Key listings may be named ``SA_EMAIL.json`` too,
which lets an empty listing clear the keys of that account.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model import ids
from ..model.records import Batch, Origin
from .base import Format, load_json, looks_like_json
from .jsonexport import (Batches, ExportBatch, items, json_lines, obj, opt, opt_list, req, source_name,
                         subject_from_name)

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
SA_EMAIL = re.compile(r"[a-z0-9][a-z0-9._-]*@[a-z0-9.-]+\.gserviceaccount\.com", re.I)
KEY_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)/keys/([^/]+)$")
WI_MEMBER = re.compile(r"^([a-z0-9.-]+\.svc\.id\.goog)\[([^/\]]+)/([^\]]+)\]$")
#: ``roles/`` that let a principal act as a service account (on the account, or on everything in a project)
IMPERSONATION_ROLES = {
    "roles/iam.serviceAccountTokenCreator": "impersonation",
    "roles/iam.serviceAccountUser": "impersonation",
    "roles/iam.serviceAccountKeyAdmin": "impersonation",
    "roles/iam.serviceAccountOpenIdTokenCreator": "impersonation",
    "roles/iam.serviceAccountAdmin": "impersonation",
    "roles/iam.workloadIdentityUser": "workload_identity",
    "roles/owner": "impersonation",
    "roles/editor": "impersonation",
}
_READ_WORDS = ("viewer", "reader", "getter", "lister", "browser", "accessor", "subscriber", "auditor", "reviewer")
_WRITE_WORDS = ("editor", "writer", "creator", "developer", "publisher", "invoker", "updater", "deployer",
                "operator", "contributor", "manager", "user", "client")
#: file names that say what a bare policy file holds, not whose policy it is
_GENERIC_NAMES = frozenset({"policy", "policies", "iam-policy", "project", "projects", "bindings", "export",
                            "output", "service-account", "gcloud"})
#: asset type -> (label, kind) of the node a resource-level policy is attached to
ASSET_KINDS: dict[str, tuple[str, str]] = {
    "storage.googleapis.com/Bucket": ("Resource", "bucket"),
    "bigquery.googleapis.com/Dataset": ("Resource", "dataset"),
    "bigquery.googleapis.com/Table": ("Resource", "dataset"),
    "secretmanager.googleapis.com/Secret": ("SecretStore", "secrets_manager"),
    "pubsub.googleapis.com/Topic": ("Resource", "topic"),
    "pubsub.googleapis.com/Subscription": ("Resource", "queue"),
    "cloudtasks.googleapis.com/Queue": ("Resource", "queue"),
    "compute.googleapis.com/Instance": ("Resource", "vm"),
    "cloudfunctions.googleapis.com/CloudFunction": ("Resource", "function"),
    "cloudfunctions.googleapis.com/Function": ("Resource", "function"),
    "run.googleapis.com/Service": ("Resource", "function"),
    "sqladmin.googleapis.com/Instance": ("Resource", "database"),
    "spanner.googleapis.com/Instance": ("Resource", "database"),
    "spanner.googleapis.com/Database": ("Resource", "database"),
    "container.googleapis.com/Cluster": ("Resource", "cluster"),
    "artifactregistry.googleapis.com/Repository": ("Resource", "repo"),
    "sourcerepo.googleapis.com/Repository": ("Resource", "repo"),
}
#: service domain -> (label, kind), for asset types not listed above (and Forseti-era type names)
_DOMAIN_KINDS = {"storage": ("Resource", "bucket"), "bigquery": ("Resource", "dataset"),
                 "secretmanager": ("SecretStore", "secrets_manager"), "pubsub": ("Resource", "topic"),
                 "sqladmin": ("Resource", "database"), "spanner": ("Resource", "database"),
                 "container": ("Resource", "cluster"), "cloudfunctions": ("Resource", "function"),
                 "run": ("Resource", "function"), "artifactregistry": ("Resource", "repo")}


def role_level(role: str) -> str:
    """The level a role grants, from its name (documented in README):

    - ``roles/owner`` and the roles that let a principal act as service accounts (:data:`IMPERSONATION_ROLES`
      but ``roles/editor``) -> admin: holding them on a project means becoming any account in it;
    - ``roles/editor`` -> write (it changes most resources but cannot change IAM policies);
    - ``roles/viewer``, ``roles/browser`` -> read;
    - otherwise by the role's last word (``roles/storage.objectAdmin`` -> ``objectAdmin``): ``admin`` or a
      trailing ``owner`` (``dataOwner``, ``legacyBucketOwner``: they manage access) -> admin; viewer, reader,
      getter, lister, browser, accessor, subscriber, auditor, reviewer -> read; editor, writer, creator,
      developer, publisher, invoker, updater, deployer, operator, contributor, manager, user, client -> write;
    - anything else, custom roles included (their permissions are not in these exports) -> write.
    """
    if role == "roles/owner":
        return "admin"
    if role == "roles/editor":
        return "write"
    if role in IMPERSONATION_ROLES:
        return "admin"
    if role in ("roles/viewer", "roles/browser"):
        return "read"
    word = role.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower()
    if "admin" in word or word.endswith("owner"):
        return "admin"
    if any(w in word for w in _READ_WORDS):
        return "read"
    return "write"


_RANK = {"read": 1, "write": 2, "admin": 3}


# -- nodes every GCP export names ------------------------------------------------------------------------


def _project_node(project: str, number: str | None = None) -> dict[str, Any]:
    node = {"label": "System", "id": ids.gcp_project(project), "kind": "gcp_project", "platform": "GCP",
            "name": project if not project.isdigit() else f"project {project}"}
    if number or project.isdigit():
        node["provider_id"] = number or project
    return node


def _google_managed(email: str) -> bool:
    """A service agent or default account Google creates (``service-123@gcp-sa-pubsub.iam...``,
    ``123@cloudservices.gserviceaccount.com``): its email names Google's project or a project number."""
    local, _, domain = email.lower().partition("@")
    return bool(re.match(r"^(service-)?\d+$", local) or domain.startswith("gcp-sa-")
                or not domain.endswith(".iam.gserviceaccount.com") and domain != "appspot.gserviceaccount.com")


def _sa_home_project(email: str) -> str | None:
    """The project a user-created service account lives in, from its email (None for Google-managed ones:
    ``123-compute@developer.gserviceaccount.com`` names its project by number only)."""
    local, _, domain = email.lower().partition("@")
    if _google_managed(email):
        return None
    if domain.endswith(".iam.gserviceaccount.com"):
        project = domain[: -len(".iam.gserviceaccount.com")]
    elif domain == "appspot.gserviceaccount.com":
        project = local
    else:
        return None
    return project if PROJECT_ID.match(project) else None


def _add_sa_stub(batch: ExportBatch, email: str, origin: Origin, project: str | None = None) -> str:
    node_id = ids.gcp_service_account(email)
    batch.stub({"label": "Identity", "id": node_id, "kind": "service_account", "name": email.lower(),
                "description": "created by Google (a service agent or default account)" if _google_managed(email)
                else None}, origin)
    project = project or _sa_home_project(email)
    if project and project != "-":
        batch.stub(_project_node(project), origin)
        batch.link("PART_OF", node_id, ids.gcp_project(project), origin)
    return node_id


def _member_identity(batch: ExportBatch, member: str, origin: Origin) -> str | None:
    """The identity a policy member names (adding its stub), or None for people, groups and the public."""
    kind, _, value = member.partition(":")
    if member.startswith(("principal://", "principalSet://")):
        node_id = "gcp:" + member
        batch.stub({"label": "Identity", "id": node_id, "kind": "federated_principal", "name": member,
                    "description": "workload identity federation principal"}, origin)
        return node_id
    if kind != "serviceAccount" or not value:
        return None  # user:, group:, domain:, deleted:, allUsers, projectOwner:... are not NHIs here
    wi = WI_MEMBER.match(value)
    if wi:
        pool, namespace, ksa = wi.groups()
        node_id = f"gcp:wi:{pool}[{namespace}/{ksa}]"
        batch.stub({"label": "Identity", "id": node_id, "kind": "federated_principal",
                    "name": f"{namespace}/{ksa} ({pool})",
                    "description": f"GKE workload identity: Kubernetes service account {namespace}/{ksa} "
                                   f"of any cluster in workload pool {pool}"}, origin)
        return node_id
    if "@" not in value:
        raise origin.error(f"member {member!r} is not a service account email")
    return _add_sa_stub(batch, value, origin)


# -- policies ---------------------------------------------------------------------------------------------


class _Grants:
    """Bindings of one file, aggregated per edge: the highest level and every role."""

    def __init__(self) -> None:
        self.access: dict[tuple[str, str], dict[str, Any]] = {}
        self.assume: dict[tuple[str, str, str], dict[str, Any]] = {}

    def grant(self, start: str, end: str, role: str, level: str, condition: Any, origin: Origin) -> None:
        e = self.access.setdefault((start, end), {"level": level, "actions": set(), "conditions": [],
                                                  "unconditional": False, "origin": origin})
        if _RANK[level] > _RANK[e["level"]]:
            e["level"] = level
        e["actions"].add(role)
        _note_condition(e, condition)

    def assume_(self, start: str, end: str, via: str, condition: Any, origin: Origin) -> None:
        e = self.assume.setdefault((start, end, via), {"conditions": [], "unconditional": False,
                                                       "origin": origin})
        _note_condition(e, condition)

    def emit(self, batch: ExportBatch) -> None:
        for (start, end), e in self.access.items():
            batch.add_edge({"type": "HAS_ACCESS", "start": start, "end": end, "level": e["level"],
                            "actions": sorted(e["actions"]), "condition": _condition(e)}, e["origin"])
        for (start, end, via), e in self.assume.items():
            batch.add_edge({"type": "CAN_ASSUME", "start": start, "end": end, "via": via,
                            "condition": _condition(e)}, e["origin"])


def _note_condition(e: dict[str, Any], condition: Any) -> None:
    if isinstance(condition, dict) and condition.get("expression"):
        e["conditions"].append(condition)
    else:
        e["unconditional"] = True


def _condition(e: dict[str, Any]) -> str | None:
    """IAM conditions, as JSON, when every binding behind the edge is conditional."""
    if e["unconditional"] or not e["conditions"]:
        return None
    return json.dumps(e["conditions"], sort_keys=True, separators=(",", ":"))


def _apply_policy(batch: ExportBatch, grants: _Grants, target: tuple[str, str], policy: Any, origin: Origin) -> None:
    """Bindings of one policy. ``target`` is ``("sa", email)`` or ``("node", node id)``."""
    if policy is None:
        return
    policy = obj(policy, origin, "an IAM policy")
    bindings = policy.get("bindings") or []
    if not isinstance(bindings, list):
        raise origin.error("'bindings' must be a list")
    for j, binding in enumerate(bindings):
        b_origin = Origin(origin.path, f"{origin.record}: bindings[{j}]" if origin.record else f"bindings[{j}]")
        try:
            binding = obj(binding, b_origin, "a binding")
            role = req(binding, "role", b_origin)
            members = binding.get("members") or []
            if not isinstance(members, list):
                raise b_origin.error("'members' must be a list")
            for member in members:
                if not isinstance(member, str):
                    raise b_origin.error("every member must be text")
                who = _member_identity(batch, member.strip(), b_origin)
                if who is None:
                    continue
                if target[0] == "sa":
                    via = IMPERSONATION_ROLES.get(role)
                    if via:
                        grants.assume_(who, ids.gcp_service_account(target[1]), via, binding.get("condition"),
                                       b_origin)
                else:
                    grants.grant(who, target[1], role, role_level(role), binding.get("condition"), b_origin)
        except InputError as exc:
            batch.fail(exc)


def _policy_subject(path: Path) -> tuple[str, str]:
    """``("project", id)`` or ``("sa", email)`` from a bare policy's file name."""
    stem = subject_from_name(path, (".iam-policy", "-iam-policy", ".policy", "-policy"))
    email = SA_EMAIL.fullmatch(stem.lower())
    if email:
        return "sa", stem.lower()
    if PROJECT_ID.match(stem) and stem not in _GENERIC_NAMES:
        return "project", stem
    raise InputError(path, None, "cannot tell whose IAM policy this is: name the file after the project "
                     "(PROJECT_ID.json) or the service account (SA_EMAIL.json)")


def parse_policy(path: Path, scope: str | None = None) -> list[Batch]:
    """``gcloud projects get-iam-policy`` or ``gcloud iam service-accounts get-iam-policy`` output."""
    doc = load_json(path)
    if not isinstance(doc, dict):
        raise InputError(path, None, "expected an IAM policy object ({\"bindings\": [...], \"etag\": ...})")
    kind, subject = _policy_subject(path)
    origin = Origin(str(path), "")
    if kind == "project":
        batch = ExportBatch(source=source_name("gcp", scope, subject, "iam-policy"))
        batch.stub(_project_node(subject), origin)
        target = ("node", ids.gcp_project(subject))
    else:
        batch = ExportBatch(source=source_name("gcp", scope, subject, "sa-iam-policy"))
        _add_sa_stub(batch, subject, origin)
        target = ("sa", subject)
    grants = _Grants()
    try:
        _apply_policy(batch, grants, target, doc, Origin(str(path), ""))
    except InputError as exc:
        batch.fail(exc)
    grants.emit(batch)
    return [batch]


# -- Cloud Asset Inventory ---------------------------------------------------------------------------------


def _asset_target(batch: ExportBatch, name: str, asset_type: str, project: str | None, parents: list[str],
                  origin: Origin, warn: dict[str, set[str]], numbers: dict[str, str]) -> tuple[str, str] | None:
    """The policy's subject as ``("sa", email)`` or ``("node", id)``, adding its node; None to skip it."""
    m = re.match(r"^//cloudresourcemanager\.googleapis\.com/(projects|folders|organizations)/([^/]+)$", name)
    if m:
        what, ref = m.groups()
        if what == "projects":
            number = ref if ref.isdigit() else next((n for n, i in numbers.items() if i == ref), None)
            ref = numbers.get(ref, ref)
            batch.stub(_project_node(ref, number), origin)
            node_id = ids.gcp_project(ref)
            if ref.isdigit():
                warn["numbers"].add(ref)
        else:
            node_id = f"gcp:{what}/{ref}"
            batch.stub({"label": "System", "id": node_id, "kind": "other", "platform": "GCP",
                        "name": f"{what[:-1]} {ref}", "description": f"Google Cloud {what[:-1]}"}, origin)
        parent = next((p for p in parents if not p.startswith("projects/") and p != f"{what}/{ref}"), None)
        if parent:
            pid = f"gcp:{parent}"
            batch.stub({"label": "System", "id": pid, "kind": "other", "platform": "GCP",
                        "name": parent.replace("s/", " ", 1)}, origin)
            batch.link("PART_OF", node_id, pid, origin)
        return "node", node_id
    m = re.match(r"^//iam\.googleapis\.com/projects/([^/]+)/serviceAccounts/([^/]+)$", name)
    if m:
        account = m.group(2)
        if "@" not in account:
            warn["unique_ids"].add(account)
            return None
        _add_sa_stub(batch, account, origin, m.group(1))
        return "sa", account.lower()
    label, kind = ASSET_KINDS.get(asset_type) or _DOMAIN_KINDS.get(
        name.lstrip("/").split(".", 1)[0], ("Resource", "other"))
    if label == "Resource" and kind == "topic" and "/subscriptions/" in name:
        kind = "queue"
    node_id = ids.gcp_resource(name)
    node = {"label": label, "id": node_id, "kind": kind, "name": name.rstrip("/").rsplit("/", 1)[-1]}
    if label == "Resource":
        node["provider_id"] = name
    else:
        node["location"] = name
    batch.stub(node, origin)
    if project:
        batch.stub(_project_node(project), origin)
        batch.link("PART_OF", node_id, ids.gcp_project(project), origin)
        if project.isdigit():
            warn["numbers"].add(project)
    return "node", node_id


def _parse_assets(path: Path, records: Iterable[tuple[Origin, Any]], scope: str | None, export: bool,
                  source_kind: str) -> list[Batch]:
    batch = ExportBatch(source=source_name("gcp", scope, source_kind, subject_from_name(path)))
    rows: list[tuple[Origin, dict[str, Any]]] = []
    for origin, item in records:
        if isinstance(item, InputError):
            batch.fail(item)
            continue
        try:
            rows.append((origin, obj(item, origin, "an IAM policy record")))
        except InputError as exc:
            batch.fail(exc)
    # project number -> id, from records that name a project both ways: a search result's `project` is a
    # number and its `resource` often has the id; an exported asset's first ancestor is the project number
    numbers: dict[str, str] = {}
    for _, row in rows:
        num = _project_number(row.get("project")) if not export else next(
            (_project_number(p) for p in opt_list(row, "ancestors") if str(p).startswith("projects/")), None)
        m = re.match(r"^//[^/]+/projects/([^/]+)(/|$)", str(row.get("resource") or row.get("name") or ""))
        if num and m and not m.group(1).isdigit():
            numbers[num] = m.group(1)
    warn: dict[str, set[str]] = {"numbers": set(), "unique_ids": set()}
    grants = _Grants()
    for origin, row in rows:
        try:
            if export:
                name = req(row, "name", origin)
                asset_type = opt(row, "asset_type") or opt(row, "assetType") or ""
                policy = row.get("iam_policy", row.get("iamPolicy"))
                parents = [p for p in opt_list(row, "ancestors") if isinstance(p, str)]
                project = next((p.split("/", 1)[1] for p in parents if p.startswith("projects/")), None)
                parents = parents[1:] if parents and name.endswith("/" + parents[0]) else parents
            else:
                name = req(row, "resource", origin)
                asset_type = opt(row, "assetType") or ""
                policy = row.get("policy")
                project = _project_number(row.get("project"))
                parents = [p for p in opt_list(row, "folders") if isinstance(p, str)][:1]
                if opt(row, "organization"):
                    parents.append(opt(row, "organization"))
            if project:
                project = numbers.get(project, project)
            if policy is None:
                continue
            if name.startswith("//cloudresourcemanager.googleapis.com/projects/"):
                project = None  # a project's own policy: its parents are folders and organizations
            target = _asset_target(batch, name, asset_type, project, parents, origin, warn, numbers)
            if target is not None:
                _apply_policy(batch, grants, target, policy, origin)
        except InputError as exc:
            batch.fail(exc)
    grants.emit(batch)
    unresolved = sorted(n for n in warn["numbers"] if n not in numbers)
    if unresolved:
        batch.warnings.append(f"{path}: project(s) {', '.join(unresolved)} are named only by number here, so "
                              "their nodes are gcp:<number>, apart from gcp:<project id> named by other "
                              "exports; `gcloud asset search-all-iam-policies` names projects by id")
    if warn["unique_ids"]:
        batch.warnings.append(f"{path}: {len(warn['unique_ids'])} service account polic(ies) name the account "
                              "by unique id, not email, and were skipped; export them with `gcloud iam "
                              "service-accounts get-iam-policy SA_EMAIL --format=json > SA_EMAIL.json`")
    return [batch]


def _project_number(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("projects/"):
        return value.split("/", 1)[1] or None
    return None


def parse_asset_search(path: Path, scope: str | None = None) -> list[Batch]:
    """``gcloud asset search-all-iam-policies --format=json``: a list of IamPolicySearchResult."""
    doc = load_json(path)
    return _parse_assets(path, items(path, doc, ("results",)), scope, export=False, source_kind="asset-iam-search")


def parse_asset_export(path: Path, scope: str | None = None) -> list[Batch]:
    """``gcloud asset export --content-type=iam-policy`` (newline-delimited Asset records, snake_case) or
    ``gcloud asset list --content-type=iam-policy --format=json`` (a JSON list, camelCase)."""
    return _parse_assets(path, json_lines(path), scope, export=True, source_kind="asset-iam-export")


# -- service accounts and keys ------------------------------------------------------------------------------


def parse_service_accounts(path: Path, scope: str | None = None) -> list[Batch]:
    """``gcloud iam service-accounts list --format=json`` (or the REST ``{"accounts": [...]}`` response)."""
    doc = load_json(path)
    batches = Batches()
    for origin, item in items(path, doc, ("accounts",)):
        try:
            item = obj(item, origin, "a service account")
            email = req(item, "email", origin).lower()
            name = opt(item, "name") or ""
            project = opt(item, "projectId") or (name.split("/")[1] if name.startswith("projects/") else None)
            if not project:
                raise origin.error("required field 'projectId' is missing")
        except InputError as exc:
            batches.get(source_name("gcp", scope, "service-accounts")).fail(exc)
            continue
        batch = batches.get(source_name("gcp", scope, project, "service-accounts"))
        node_id = ids.gcp_service_account(email)
        disabled = item.get("disabled") is True
        batch.add_node({"label": "Identity", "id": node_id, "kind": "service_account", "name": email,
                        "provider_id": opt(item, "uniqueId"),
                        "description": opt(item, "description") or opt(item, "displayName"),
                        "status": "disabled" if disabled else "active", "external": False}, origin)
        batch.stub(_project_node(project), origin)
        batch.link("PART_OF", node_id, ids.gcp_project(project), origin)
    return batches.all()


def _key_status(item: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"status": "disabled" if item.get("disabled") is True else "active"}
    exposed = item.get("disableReason") == "SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED"
    for status in opt_list(item, "extendedStatus"):
        if isinstance(status, dict) and status.get("key") in (
                "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED",
                "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_COMPROMISE_DETECTED"):
            exposed = True
            if opt(status, "value"):
                props["leak_location"] = opt(status, "value")
    if exposed:
        props["leaked"] = True
    return props


def parse_keys(path: Path, scope: str | None = None) -> list[Batch]:
    """``gcloud iam service-accounts keys list --iam-account=SA --format=json`` (or REST ``{"keys": [...]}``).

    Only metadata is read; ``privateKeyData`` (present only in a key creation response) is never looked at."""
    doc = load_json(path)
    named = SA_EMAIL.fullmatch(subject_from_name(path).lower())
    file_sa = named.group(0) if named else None
    batches = Batches()
    if file_sa:
        batches.get(source_name("gcp", scope, file_sa, "keys"))
    for origin, item in items(path, doc, ("keys",)):
        try:
            item = obj(item, origin, "a service account key")
            m = KEY_NAME.match(req(item, "name", origin))
            if not m:
                raise origin.error("'name' is not projects/PROJECT/serviceAccounts/EMAIL/keys/KEY_ID")
            project, account, key_id = m.groups()
            if "@" not in account:
                raise origin.error("the key's name gives the service account by unique id; list keys with "
                                   "--iam-account=EMAIL so that the name carries the email")
            account = account.lower()
            if file_sa and account != file_sa:
                raise origin.error(f"key of {account} in a file named after {file_sa}")
        except InputError as exc:
            batches.get(source_name("gcp", scope, file_sa or "", "keys")).fail(exc)
            continue
        batch = batches.get(source_name("gcp", scope, account, "keys"))
        if item.get("keyType") == "SYSTEM_MANAGED":
            continue
        created = item.get("validAfterTime")
        expires = item.get("validBeforeTime")
        if isinstance(expires, str) and expires.startswith("9999-"):
            expires = None  # a user-managed key with no expiry
        algorithm, origin_kind = opt(item, "keyAlgorithm"), opt(item, "keyOrigin")
        node = {"label": "Credential", "id": ids.gcp_sa_key(key_id), "kind": "service_account_key",
                "name": f"{account} key {key_id[:8]}", "key_id": key_id, "created_at": created,
                "last_rotated_at": created, "expires_at": expires, "usage_tracked": False,
                "description": "user-managed service account key"
                               + (f", {algorithm}" if algorithm else "")
                               + (", uploaded public key" if origin_kind == "USER_PROVIDED" else ""),
                **_key_status(item)}
        if batch.add_node(node, origin) is None:
            continue
        sa = _add_sa_stub(batch, account, origin, project)
        batch.add_edge({"type": "AUTHENTICATES", "start": node["id"], "end": sa}, origin)
    return batches.all()


# -- detection ----------------------------------------------------------------------------------------------


def _small_json(head: bytes) -> Any:
    if len(head) >= 64 * 1024:
        return None
    try:
        return json.loads(head.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None


def _detect_service_accounts(path: Path, head: bytes) -> bool:
    return (looks_like_json(head) and b'"uniqueId"' in head and b'"email"' in head
            and b"/serviceAccounts/" in head and b'"keyType"' not in head)


def _detect_keys(path: Path, head: bytes) -> bool:
    if head.strip() == b"[]":  # an account with no key left, named after the account
        return SA_EMAIL.fullmatch(subject_from_name(path).lower()) is not None
    return looks_like_json(head) and b"/keys/" in head and (b'"keyType"' in head or b'"validAfterTime"' in head)


def _detect_asset_export(path: Path, head: bytes) -> bool:
    return (looks_like_json(head) and (b'"iam_policy"' in head or b'"iamPolicy"' in head)
            and b'"name"' in head)


def _detect_asset_search(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and b'"resource"' in head and b'"policy"' in head and b'"//' in head


def _detect_policy(path: Path, head: bytes) -> bool:
    if not looks_like_json(head) or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    doc = _small_json(head)
    if isinstance(doc, dict):
        return bool(doc) and set(doc) <= {"bindings", "etag", "version", "auditConfigs"} and (
            "bindings" in doc or "etag" in doc)
    return b'"bindings"' in head and b'"members"' in head and b'"role"' in head and b'"resource"' not in head


SERVICE_ACCOUNTS_FORMAT = Format(
    "gcp-service-accounts", "GCP service accounts",
    "`gcloud iam service-accounts list --project=PROJECT_ID --format=json`",
    _detect_service_accounts, parse_service_accounts)
KEYS_FORMAT = Format(
    "gcp-service-account-keys", "GCP service account keys (metadata; user-managed keys become credentials)",
    "`gcloud iam service-accounts keys list --iam-account=SA_EMAIL --format=json > SA_EMAIL.json`",
    _detect_keys, parse_keys)
ASSET_EXPORT_FORMAT = Format(
    "gcp-asset-iam-export", "GCP Cloud Asset Inventory IAM policy export (newline-delimited JSON)",
    "`gcloud asset export --content-type=iam-policy --organization=ORG_ID --output-path=gs://BUCKET/iam.json`"
    " (then `gcloud storage cp gs://BUCKET/iam.json .`)",
    _detect_asset_export, parse_asset_export)
ASSET_SEARCH_FORMAT = Format(
    "gcp-asset-iam-search", "GCP IAM policies of every resource in a scope (Cloud Asset Inventory search)",
    "`gcloud asset search-all-iam-policies --scope=organizations/ORG_ID --format=json`",
    _detect_asset_search, parse_asset_search)
POLICY_FORMAT = Format(
    "gcp-iam-policy", "GCP IAM policy of one project or service account (named by the file)",
    "`gcloud projects get-iam-policy PROJECT_ID --format=json > PROJECT_ID.json`, or "
    "`gcloud iam service-accounts get-iam-policy SA_EMAIL --format=json > SA_EMAIL.json`",
    _detect_policy, parse_policy)

FORMATS = (SERVICE_ACCOUNTS_FORMAT, KEYS_FORMAT, ASSET_EXPORT_FORMAT, ASSET_SEARCH_FORMAT, POLICY_FORMAT)
