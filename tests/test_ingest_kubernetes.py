"""Kubernetes ingester: `kubectl get ... -o json` exports (tests/fixtures/kubernetes/README.md) become service
accounts, token credentials, secret stores (names only) and RBAC access; workload identity annotations carry
blast radius into AWS, GCP and Azure; secret values never reach the workspace or the terminal."""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ingest_support import scan
from click.testing import CliRunner

from nhigraph.analysis.estate import Estate
from nhigraph.analysis.reach import ReachIndex
from nhigraph.cli import cli
from nhigraph.errors import InputError
from nhigraph.ingest import kubernetes, registry
from nhigraph.workspace.ingest import ingest

FIXTURES = Path(__file__).parent / "fixtures"
K8S = FIXTURES / "kubernetes"
EKS = K8S / "prod-eks.json"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
C = "k8s:prod-eks"


def sa(name: str, ns: str = "payments", cluster: str = C) -> str:
    return f"{cluster}:{ns}/sa/{name}"


def edges_of(snapshot, type_: str) -> set[tuple]:
    out = set()
    for e in snapshot.edges.values():
        if e["type"] == type_:
            extra = e.get("level") or e.get("via") or e.get("role")
            out.add((e["start"], e["end"], extra) if extra else (e["start"], e["end"]))
    return out


def k8s_list(*items: dict) -> dict:
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def service_account(name: str, ns: str, annotations: dict | None = None) -> dict:
    meta = {"name": name, "namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": "2025-01-01T00:00:00Z"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}


def token_secret(name: str, ns: str, account: str, token: str = "ZmFrZQ==") -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
            "data": {"token": token, "namespace": "c2hvcA==", "ca.crt": "ZmFrZQ=="},
            "metadata": {"name": name, "namespace": ns, "uid": str(uuid.uuid4()),
                         "creationTimestamp": "2025-01-01T00:00:00Z",
                         "annotations": {"kubernetes.io/service-account.name": account}}}


@pytest.fixture
def eks_ws(ws):
    result = ingest([K8S], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    return ws


# -- the format ------------------------------------------------------------------------------------------------


def test_format_is_registered_and_detected():
    assert kubernetes.FORMAT in registry.FORMATS
    assert kubernetes.FORMAT.produced_by.startswith("`kubectl get serviceaccounts,secrets,roles,rolebindings,")
    assert "|" not in kubernetes.FORMAT.produced_by
    for f in K8S.glob("*.json"):
        assert registry.detect(f) is kubernetes.FORMAT, f


@pytest.mark.parametrize("name,cluster", [("prod-eks.json", "prod-eks"), ("prod-eks.rbac.json", "prod-eks"),
                                          ("eu_west.1.json", "eu_west"), ("prod-eks__rbac.json", "prod-eks")])
def test_the_file_names_the_cluster(name, cluster):
    assert kubernetes.cluster_name(Path(name)) == cluster


@pytest.mark.parametrize("name", ["rbac.json", "serviceaccounts.json", "export.json", "k8s.rbac.json"])
def test_a_file_named_only_after_its_content_is_refused(name):
    with pytest.raises(InputError, match="cannot tell which cluster"):
        kubernetes.cluster_name(Path(name))


@pytest.mark.parametrize("verbs,resources,level", [
    ({"*"}, {"*"}, "admin"),
    ({"bind"}, {"clusterroles"}, "admin"),
    ({"impersonate"}, {"serviceaccounts"}, "admin"),
    ({"create"}, {"rolebindings"}, "admin"),
    ({"create"}, {"serviceaccounts/token"}, "admin"),
    ({"create", "get"}, {"pods/exec"}, "admin"),
    ({"create", "update", "patch"}, {"deployments"}, "write"),
    ({"delete"}, {"secrets"}, "write"),
    ({"get", "list", "watch"}, {"secrets"}, "read"),
    ({"use"}, {"podsecuritypolicies"}, "write"),
    ({"create"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, None),
    (set(), {"pods"}, None),
])
def test_rule_levels(verbs, resources, level):
    assert kubernetes.rule_level(verbs, resources) == level


# -- the export as a graph ----------------------------------------------------------------------------------------


def test_service_accounts_tokens_and_secrets(eks_ws):
    snap = eks_ws.load()
    n = snap.nodes
    assert n[sa("api")]["kind"] == "k8s_service_account" and n[sa("api")]["name"] == "payments/api"
    assert n[sa("api")]["provider_id"] == "5c1f2b7e-8d0a-4f6e-9b3c-2a1d4e5f6a70"
    assert n[sa("default")]["description"] == "token not mounted in pods by default"
    assert n[C]["kind"] == "k8s_cluster" and n[f"{C}:ns/payments"]["kind"] == "namespace"
    token = n[f"{C}:payments/token/legacy-ci-token"]
    assert (token["label"], token["kind"], token["key_id"]) == ("Credential", "k8s_token",
                                                               "3d2c1b0a-9f8e-4d7c-6b5a-4f3e2d1c0b90")
    assert token["created_at"] == datetime(2022, 6, 1, 8, 0, 1, tzinfo=timezone.utc)
    assert (token["last_used_at"], token["status"]) == (datetime(2025, 6, 14, tzinfo=timezone.utc), "active")
    db = n[f"{C}:payments/secret/db-credentials"]
    assert (db["label"], db["kind"], db["keys"]) == ("SecretStore", "k8s_secret", ["password", "username"])
    assert n[f"{C}:web/secret/ingress-tls"]["description"] == "type kubernetes.io/tls"
    assert edges_of(snap, "AUTHENTICATES") == {
        (f"{C}:payments/token/legacy-ci-token", sa("legacy-ci")), (f"{C}:payments/token/api-token", sa("api"))}
    assert edges_of(snap, "STORES") == {
        (f"{C}:payments/secret/legacy-ci-token", f"{C}:payments/token/legacy-ci-token"),
        (f"{C}:payments/secret/api-token", f"{C}:payments/token/api-token")}
    # nothing but the token secrets is a credential; the Opaque secret's values are nowhere
    assert sorted(i for i, d in n.items() if d["label"] == "Credential") == [
        f"{C}:payments/token/api-token", f"{C}:payments/token/legacy-ci-token"]


def test_rbac_becomes_access_to_namespaces_the_cluster_and_readable_secrets(eks_ws):
    snap = eks_ws.load()
    access = {e for e in edges_of(snap, "HAS_ACCESS") if e[0].startswith(C)}
    assert access == {
        (sa("legacy-ci"), C, "admin"),  # cluster-admin, a default role not in the export
        (sa("api"), C, "write"),  # the deployer ClusterRole; its non-resource URL rule is ignored
        (sa("api"), f"{C}:ns/payments", "write"),  # secret-reader (read) and edit (write, via the group)
        (sa("legacy-ci"), f"{C}:ns/payments", "write"),
        (sa("default"), f"{C}:ns/payments", "write"),
        # secret-reader lets api read every secret of its namespace, token secrets included
        (sa("api"), f"{C}:payments/secret/legacy-ci-token", "read"),
        (sa("api"), f"{C}:payments/secret/api-token", "read"),
        (sa("api"), f"{C}:payments/secret/db-credentials", "read"),
    }
    by_pair = {(e["start"], e["end"]): e for e in snap.edges.values() if e["type"] == "HAS_ACCESS"}
    assert by_pair[(sa("api"), C)]["actions"] == ["create apps/deployments", "get apps/deployments",
                                                  "list apps/deployments", "patch apps/deployments",
                                                  "update apps/deployments"]
    assert by_pair[(sa("api"), f"{C}:ns/payments")]["actions"] == ["clusterrole:edit", "get secrets",
                                                                  "list secrets"]
    # the review-only system:basic-user role bound to system:authenticated grants nothing; the user alice is
    # a person and is not a node
    assert not any("alice" in i for i in snap.nodes)


def test_workload_identity_annotations_point_at_the_cloud_ids(eks_ws):
    snap = eks_ws.load()
    assert edges_of(snap, "CAN_ASSUME") == {
        (sa("api"), "aws:111122223333:role/payments-api", "workload_identity"),
        (sa("api", cluster="k8s:prod-gke"), "gcp:sa:gke-payments@acme-prod.iam.gserviceaccount.com",
         "workload_identity"),
        (sa("billing-sync", "billing", "k8s:prod-gke"), "azure:app:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
         "workload_identity")}
    role = snap.nodes["aws:111122223333:role/payments-api"]
    assert (role["kind"], role["provider_id"]) == ("iam_role", "arn:aws:iam::111122223333:role/payments-api")
    assert ("aws:111122223333:role/payments-api", "aws:111122223333") in edges_of(snap, "PART_OF")


def test_sources_are_per_cluster_and_part(eks_ws):
    sources = set(eks_ws.load().manifest["sources"])
    assert {"k8s:prod-eks:serviceaccounts", "k8s:prod-eks:secrets", "k8s:prod-eks:rbac",
            "k8s:prod-gke:serviceaccounts"} <= sources


# -- blast radius into the cloud --------------------------------------------------------------------------------


def test_blast_radius_continues_into_aws_through_an_inventory_role(ws, tmp_path):
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "identities.csv").write_text("id,kind,name,system\n"
                                        "aws:111122223333:role/payments-api,iam_role,payments-api,aws:111122223333\n")
    (inv / "systems.csv").write_text("id,kind,name,environment\naws:111122223333,aws_account,payments prod,prod\n")
    (inv / "resources.csv").write_text("id,kind,name,system\nres:payments-bucket,bucket,payments bucket,"
                                       "aws:111122223333\n")
    (inv / "grants.csv").write_text("identity,target,level\naws:111122223333:role/payments-api,res:payments-bucket,"
                                    "admin\n")
    result = ingest([EKS, inv], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    snap = ws.load()
    role = snap.nodes["aws:111122223333:role/payments-api"]
    assert role["name"] == "payments-api" and len(role["sources"]) == 2  # the inventory's role and the k8s stub
    br = ReachIndex(Estate.load(ws)).blast_radius(f"{C}:payments/token/api-token")
    bucket = br.targets["res:payments-bucket"]
    assert (bucket.level, bucket.order, bucket.environment) == ("admin", 0, "prod")
    assert bucket.path == [f"{C}:payments/token/api-token", sa("api"), "aws:111122223333:role/payments-api",
                           "res:payments-bucket"]
    # the legacy CI token reaches the api token through cluster-admin, and the bucket second-hand
    legacy = ReachIndex(Estate.load(ws)).blast_radius(f"{C}:payments/token/legacy-ci-token")
    assert legacy.targets["res:payments-bucket"].order == 1
    assert legacy.credentials[f"{C}:payments/token/api-token"] == 1


def test_blast_radius_continues_into_the_aws_ingesters_role(ws, tmp_path):
    """The EKS role of the hand-built AWS account (tests/fixtures/aws): the stub merges with the real role."""
    export = tmp_path / "shop-eks.json"
    export.write_text(json.dumps(k8s_list(
        service_account("orders-worker", "shop",
                        {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/eks-workload"}),
        token_secret("orders-worker-token", "shop", "orders-worker"))))
    result = ingest([FIXTURES / "aws" / "111122223333", export], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    role = ws.load().nodes["aws:111122223333:role/eks-workload"]
    assert role["environment"] == "staging"  # from the AWS export, not the stub
    br = ReachIndex(Estate.load(ws)).blast_radius("k8s:shop-eks:shop/token/orders-worker-token")
    queue = br.targets["arn:aws:sqs:eu-west-1:111122223333:orders"]
    assert queue.level == "write"
    assert queue.path[:3] == ["k8s:shop-eks:shop/token/orders-worker-token", "k8s:shop-eks:shop/sa/orders-worker",
                              "aws:111122223333:role/eks-workload"]


def test_blast_radius_continues_into_gcp_and_the_service_account_is_one_node(ws, tmp_path):
    secrets = tmp_path / "prod-gke.secrets.json"
    secrets.write_text(json.dumps(k8s_list(token_secret("api-token", "payments", "api"))))
    result = ingest([K8S / "prod-gke.serviceaccounts.json", secrets, FIXTURES / "gcp"], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    gsa = ws.load().nodes["gcp:sa:gke-payments@acme-prod.iam.gserviceaccount.com"]
    assert gsa["provider_id"] == "103897546930383781490"  # the service account list's, merged into the stub
    assert {"k8s:prod-gke:serviceaccounts", "gcp:acme-prod:service-accounts"} <= set(gsa["sources"])
    br = ReachIndex(Estate.load(ws)).blast_radius("k8s:prod-gke:payments/token/api-token")
    assert br.targets["gcp:acme-prod"].level == "read"  # roles/secretmanager.secretAccessor on the project
    assert "gcp:sa:gke-payments@acme-prod.iam.gserviceaccount.com" in br.identities


# -- re-ingest ----------------------------------------------------------------------------------------------------


def test_a_secret_deleted_from_the_cluster_leaves_on_re_ingest(ws, tmp_path):
    export = tmp_path / "prod-eks.json"
    shutil.copy(EKS, export)
    assert ingest([export], ws, observed_at=OBSERVED).ok
    doc = json.loads(export.read_text())
    doc["items"] = [i for i in doc["items"] if i["metadata"]["name"] != "api-token"]
    export.write_text(json.dumps(doc))
    assert ingest([export], ws, observed_at=OBSERVED).ok
    nodes = ws.load().nodes
    assert f"{C}:payments/token/api-token" not in nodes and f"{C}:payments/secret/api-token" not in nodes
    assert sa("api") in nodes and f"{C}:payments/token/legacy-ci-token" in nodes


def test_an_rbac_only_file_of_the_same_cluster_keeps_the_secrets(ws, tmp_path):
    assert ingest([EKS], ws, observed_at=OBSERVED).ok
    doc = json.loads(EKS.read_text())
    rbac = tmp_path / "prod-eks.rbac.json"
    rbac.write_text(json.dumps(k8s_list(*[i for i in doc["items"] if i["kind"] in ("Role", "RoleBinding")])))
    result = ingest([rbac], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    snap = ws.load()
    assert f"{C}:payments/token/legacy-ci-token" in snap.nodes  # another part of the cluster: untouched
    access = {e for e in edges_of(snap, "HAS_ACCESS") if e[0].startswith(C)}
    assert (sa("api"), f"{C}:ns/payments", "read") in access  # RBAC re-reported: only secret-reader is left
    assert (sa("legacy-ci"), C, "admin") not in access


# -- bad input ----------------------------------------------------------------------------------------------------


def _parse(tmp_path: Path, doc, name: str = "prod-eks.json"):
    f = tmp_path / name
    f.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return f, kubernetes.parse(f)


def test_truncated_json_is_a_file_error(tmp_path):
    f = tmp_path / "prod-eks.json"
    f.write_text(EKS.read_text()[:900])
    with pytest.raises(InputError) as exc:
        kubernetes.parse(f)
    assert str(exc.value).startswith(f"{f}: line ") and "invalid JSON" in str(exc.value)


def test_an_empty_list_reports_nothing(tmp_path):
    _, batches = _parse(tmp_path, k8s_list())
    assert batches == []


def test_a_single_object_and_unknown_fields_are_read(tmp_path):
    obj = service_account("api", "payments")
    obj["metadata"]["somethingNew"] = {"x": 1}
    obj["status"] = {"unexpected": True}
    _, batches = _parse(tmp_path, obj)
    assert [b.source for b in batches] == ["k8s:prod-eks:serviceaccounts"] and not batches[0].errors
    assert sa("api") in {n["id"] for n in batches[0].nodes}


def test_only_other_kinds_is_a_file_error_and_mixed_kinds_a_warning(tmp_path):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "payments"}}
    with pytest.raises(InputError, match=r"no ServiceAccount, Secret, .* objects \(found Pod\)"):
        _parse(tmp_path, k8s_list(pod))
    _, batches = _parse(tmp_path, k8s_list(pod, service_account("api", "payments")))
    assert batches[0].warnings == [f"{tmp_path / 'prod-eks.json'}: skipped objects of kinds nhigraph does not read "
                                   "(1 Pod)"]


def test_bad_records_are_reported_by_record_and_the_rest_is_kept(tmp_path):
    no_namespace = service_account("lost", "x")
    del no_namespace["metadata"]["namespace"]
    orphan_token = token_secret("t", "payments", "api")
    del orphan_token["metadata"]["annotations"]
    bad_arn = service_account("bad", "payments", {"eks.amazonaws.com/role-arn": "not-an-arn"})
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "b", "namespace": "payments"}, "subjects": []}
    f, batches = _parse(tmp_path, k8s_list(no_namespace, service_account("api", "payments"), orphan_token, bad_arn,
                                           binding))
    errors = sorted(str(e) for b in batches for e in b.errors)
    assert errors == [
        f"{f}: items[0]: metadata.namespace is missing",
        f"{f}: items[2]: service account token secret without the kubernetes.io/service-account.name annotation",
        f"{f}: items[3]: annotation eks.amazonaws.com/role-arn is not an IAM role ARN",
        f"{f}: items[4]: expected roleRef (a JSON object), got NoneType",
    ]
    assert all(b.partial for b in batches)
    ids = {n["id"] for b in batches for n in b.nodes}
    assert sa("api") in ids and sa("bad") in ids


def test_a_token_the_cleaner_invalidated_is_disabled(tmp_path):
    secret = token_secret("old-token", "payments", "api")
    secret["metadata"]["labels"] = {"kubernetes.io/legacy-token-last-used": "2024-01-02",
                                    "kubernetes.io/legacy-token-invalid-since": "2025-01-03"}
    _, [batch] = _parse(tmp_path, k8s_list(secret))
    token = next(n for n in batch.nodes if n["label"] == "Credential")
    assert (token["status"], token["description"]) == (
        "disabled", "long-lived token of service account payments/api, invalid since 2025-01-03")


def test_a_binding_to_a_role_outside_the_export_is_skipped_with_a_warning(tmp_path):
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "b", "namespace": "payments"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "custom"},
               "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "payments"}]}
    f, batches = _parse(tmp_path, k8s_list(binding))
    assert not batches[0].edges and not batches[0].errors
    assert batches[0].warnings == [f"{f}: bindings to 1 role(s) not in the export were skipped (Role payments/custom)"
                                   "; export roles and bindings together"]


def test_the_cli_reports_a_bad_file_in_one_line(ws, tmp_path):
    bad = tmp_path / "rbac.json"
    bad.write_text(json.dumps(k8s_list(service_account("api", "payments"))))
    r = CliRunner().invoke(cli, ["ingest", str(bad), "-w", str(ws.path)])
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"Error: {bad}: cannot tell which cluster this export comes from: name the file after "
                                "the cluster, e.g. CLUSTER.json or CLUSTER.rbac.json")


# -- secrets never stored -----------------------------------------------------------------------------------------


def test_secret_values_never_reach_the_workspace_or_the_terminal(ws, tmp_path):
    canary = f"nhigraph-canary-k8s-{uuid.uuid4()}"
    doc = json.loads(EKS.read_text())
    items = copy.deepcopy(doc["items"])
    for item in items:
        if item["kind"] == "Secret":
            item["data"] = {k: canary for k in item.get("data", {})}
            item["stringData"] = {"extra": canary}
            item["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = (
                json.dumps({"kind": "Secret", "stringData": {"extra": canary}}))
    broken = token_secret("broken", "payments", "api", token=canary)
    del broken["metadata"]["annotations"]  # a bad record: its error must not echo the secret either
    export = tmp_path / "prod-eks.json"
    export.write_text(json.dumps(k8s_list(*items, broken)))
    outputs = []
    for extra in ([], ["--json"]):
        r = CliRunner().invoke(cli, ["ingest", str(export), "-w", str(ws.path), *extra])
        assert r.exit_code == 2  # the broken record
        outputs.append(r.stdout + r.stderr)
    for args in (["stats"], ["reach", f"{C}:payments/token/api-token"]):
        r = CliRunner().invoke(cli, args + ["-w", str(ws.path)])
        outputs.append(r.output)
    assert all(canary not in out for out in outputs)
    assert scan(ws.path, canary) == []
    assert ws.load().nodes[f"{C}:payments/secret/db-credentials"]["keys"] == ["extra", "password", "username"]
