"""GCP ingester: `gcloud` service account, key and IAM policy exports and Cloud Asset Inventory IAM policies
(tests/fixtures/gcp/README.md) become service accounts, user-managed keys, access and impersonation edges; the
same account named by several exports is one node; bad input is reported per file and record."""

from __future__ import annotations

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
from nhigraph.ingest import gcp, registry
from nhigraph.workspace.ingest import ingest

GCP = Path(__file__).parent / "fixtures" / "gcp"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
DEPLOYER = "gcp:sa:deployer@acme-prod.iam.gserviceaccount.com"
REPORTING = "gcp:sa:reporting@acme-prod.iam.gserviceaccount.com"
GKE = "gcp:sa:gke-payments@acme-prod.iam.gserviceaccount.com"
ETL = "gcp:sa:etl@acme-data.iam.gserviceaccount.com"
COMPUTE = "gcp:sa:412345678901-compute@developer.gserviceaccount.com"
KEY = "gcp:key:90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c"
EXPOSED_KEY = "gcp:key:b97699f042b8eee6a846f4f96259fbcd13e2682e"
KEYS_FILE = GCP / "deployer@acme-prod.iam.gserviceaccount.com.json"


def edges_of(snapshot, type_: str, end: str | None = None) -> set[tuple]:
    out = set()
    for e in snapshot.edges.values():
        if e["type"] == type_ and (end is None or e["end"] == end):
            extra = e.get("level") or e.get("via")
            out.add((e["start"], e["end"], extra) if extra else (e["start"], e["end"]))
    return out


@pytest.fixture
def gcp_ws(ws):
    result = ingest([GCP], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    return ws


def test_formats_are_registered_and_detected():
    expected = {"service-accounts.json": "gcp-service-accounts", KEYS_FILE.name: "gcp-service-account-keys",
                "acme-prod.json": "gcp-iam-policy",
                "gke-payments@acme-prod.iam.gserviceaccount.com.iam-policy.json": "gcp-iam-policy",
                "iam-search.json": "gcp-asset-iam-search", "iam-export.json": "gcp-asset-iam-export"}
    assert {f.name: registry.detect(f).name for f in GCP.glob("*.json")} == expected
    for fmt in gcp.FORMATS:
        assert fmt in registry.FORMATS
        assert fmt.produced_by.startswith("`gcloud ") and "|" not in fmt.produced_by


@pytest.mark.parametrize("role,level", [
    ("roles/owner", "admin"), ("roles/editor", "write"), ("roles/viewer", "read"), ("roles/browser", "read"),
    ("roles/iam.serviceAccountTokenCreator", "admin"), ("roles/iam.serviceAccountUser", "admin"),
    ("roles/iam.workloadIdentityUser", "admin"), ("roles/storage.admin", "admin"),
    ("roles/storage.objectAdmin", "admin"), ("roles/bigquery.dataOwner", "admin"),
    ("roles/storage.legacyBucketOwner", "admin"), ("roles/bigquery.dataEditor", "write"),
    ("roles/logging.logWriter", "write"), ("roles/pubsub.publisher", "write"), ("roles/run.invoker", "write"),
    ("roles/cloudbuild.builds.builder", "write"), ("roles/storage.objectViewer", "read"),
    ("roles/secretmanager.secretAccessor", "read"), ("roles/pubsub.subscriber", "read"),
    ("roles/iam.securityReviewer", "read"), ("projects/acme-prod/roles/customDeployer", "write"),
    ("organizations/1234567890/roles/auditReader", "read"),
])
def test_role_levels(role, level):
    assert gcp.role_level(role) == level


def test_service_accounts_and_keys(gcp_ws):
    n = gcp_ws.load().nodes
    deployer = n[DEPLOYER]
    assert (deployer["kind"], deployer["name"], deployer["provider_id"], deployer["status"], deployer["description"]) \
        == ("service_account", "deployer@acme-prod.iam.gserviceaccount.com", "104617829837452795642", "active",
            "Deploys from CI")
    assert n[REPORTING]["status"] == "disabled"
    assert n["gcp:acme-prod"]["kind"] == "gcp_project"
    key = n[KEY]
    assert (key["kind"], key["key_id"], key["status"], key.get("expires_at")) == (
        "service_account_key", "90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c", "active", None)
    assert key["created_at"] == key["last_rotated_at"] == datetime(2024, 3, 4, 17, 39, 47, tzinfo=timezone.utc)
    exposed = n[EXPOSED_KEY]
    assert (exposed["status"], exposed["leaked"], exposed["leak_location"]) == (
        "disabled", True, "exposed at: https://github.com/acme/app")
    assert exposed["expires_at"] == datetime(2026, 5, 17, 18, 58, 13, tzinfo=timezone.utc)
    # the system-managed key is Google's: not a credential
    assert "gcp:key:e5e3800831ac1adc8a5849da7d827b4724b1fce8" not in n
    assert edges_of(gcp_ws.load(), "AUTHENTICATES") == {(KEY, DEPLOYER), (EXPOSED_KEY, DEPLOYER)}


def test_project_policy(gcp_ws):
    snap = gcp_ws.load()
    assert edges_of(snap, "HAS_ACCESS", "gcp:acme-prod") == {
        (DEPLOYER, "gcp:acme-prod", "admin"),  # roles/owner
        (COMPUTE, "gcp:acme-prod", "write"),  # roles/editor
        ("gcp:sa:412345678901@cloudservices.gserviceaccount.com", "gcp:acme-prod", "write"),
        (ETL, "gcp:acme-prod", "admin"),  # token creator on the whole project, from another project
        (REPORTING, "gcp:acme-prod", "read"),
        (GKE, "gcp:acme-prod", "read"),
    }
    conditional = next(e for e in snap.edges.values() if e["type"] == "HAS_ACCESS" and e["start"] == REPORTING)
    assert json.loads(conditional["condition"])[0]["title"] == "exports only"
    # people, groups and deleted accounts are not nodes; Google's service agents name no project of yours
    assert not [i for i in snap.nodes if "alice" in i or "auditors" in i or "old-etl" in i]
    assert sorted(i for i, d in snap.nodes.items() if d["kind"] == "gcp_project") == [
        "gcp:acme-data", "gcp:acme-prod", "gcp:acme-sec"]


def test_service_account_policy_is_impersonation(gcp_ws):
    snap = gcp_ws.load()
    wi = "gcp:wi:acme-prod.svc.id.goog[payments/api]"
    assert edges_of(snap, "CAN_ASSUME") == {(DEPLOYER, GKE, "impersonation"), (wi, GKE, "workload_identity")}
    assert snap.nodes[wi]["kind"] == "federated_principal"


def test_an_account_of_another_project_is_one_node_in_its_own_project(gcp_ws):
    snap = gcp_ws.load()
    etl = snap.nodes[ETL]
    assert {"gcp:acme-prod:iam-policy", "gcp:asset-iam-search:iam-search"} <= set(etl["sources"])
    assert (ETL, "gcp:acme-data") in edges_of(snap, "PART_OF")
    deployer = snap.nodes[DEPLOYER]
    assert {"gcp:acme-prod:service-accounts", "gcp:deployer@acme-prod.iam.gserviceaccount.com:keys",
            "gcp:acme-prod:iam-policy", "gcp:asset-iam-export:iam-export"} <= set(deployer["sources"])


def test_asset_inventory_policies(gcp_ws):
    snap = gcp_ws.load()
    n = snap.nodes
    bucket, secret = "gcp:storage.googleapis.com/acme-data-exports", \
        "gcp:secretmanager.googleapis.com/projects/598765432109/secrets/warehouse-password"
    assert (n[bucket]["label"], n[bucket]["kind"]) == ("Resource", "bucket")
    assert (n[secret]["label"], n[secret]["kind"]) == ("SecretStore", "secrets_manager")
    assert n["gcp:acme-data"]["provider_id"] == "598765432109"  # the number, mapped to the id in the same file
    assert {(bucket, "gcp:acme-data"), (secret, "gcp:acme-data"), ("gcp:acme-data", "gcp:folders/311112222333"),
            ("gcp:pubsub.googleapis.com/projects/acme-data/topics/orders", "gcp:acme-data")} \
        <= edges_of(snap, "PART_OF")
    access = edges_of(snap, "HAS_ACCESS")
    assert {(ETL, "gcp:acme-data", "admin"), (ETL, bucket, "admin"), (ETL, secret, "read"),
            ("gcp:sa:auditor@acme-sec.iam.gserviceaccount.com", "gcp:organizations/1234567890", "read"),
            (DEPLOYER, "gcp:pubsub.googleapis.com/projects/acme-data/topics/orders", "write"),
            ("gcp:sa:598765432109-compute@developer.gserviceaccount.com", "gcp:acme-data", "write")} <= access
    principal_set = ("gcp:principalSet://iam.googleapis.com/projects/598765432109/locations/global/"
                     "workloadIdentityPools/github/attribute.repository/acme/etl")
    assert n[principal_set]["kind"] == "federated_principal"
    assert "gcp:598765432109" not in n  # resolved to gcp:acme-data


def test_asset_export_warns_about_accounts_named_by_unique_id(ws):
    result = ingest([GCP / "iam-export.json"], ws, observed_at=OBSERVED)
    assert result.ok
    assert any("1 service account polic(ies) name the account by unique id" in w for w in result.warnings)


def test_a_key_reaches_the_project_and_what_impersonation_adds(gcp_ws):
    br = ReachIndex(Estate.load(gcp_ws)).blast_radius(KEY)
    assert br.targets["gcp:acme-prod"].level == "admin"
    assert br.targets["gcp:pubsub.googleapis.com/projects/acme-data/topics/orders"].level == "write"
    assert GKE in br.identities  # the deployer can mint tokens for the GKE workload's account


def test_an_empty_key_listing_named_after_the_account_removes_its_keys(ws, tmp_path):
    keys = tmp_path / KEYS_FILE.name
    shutil.copy(KEYS_FILE, keys)
    assert ingest([keys], ws, observed_at=OBSERVED).ok
    keys.write_text("[]\n")
    assert registry.detect(keys) is gcp.KEYS_FORMAT
    assert ingest([keys], ws, observed_at=OBSERVED).ok
    assert KEY not in ws.load().nodes and EXPOSED_KEY not in ws.load().nodes


# -- bad input ----------------------------------------------------------------------------------------------------


def test_truncated_json_is_a_file_error(tmp_path):
    f = tmp_path / "service-accounts.json"
    f.write_text((GCP / "service-accounts.json").read_text()[:400])
    with pytest.raises(InputError) as exc:
        gcp.parse_service_accounts(f)
    assert str(exc.value).startswith(f"{f}: line ") and "invalid JSON" in str(exc.value)


def test_a_truncated_export_line_is_a_record_error(tmp_path):
    f = tmp_path / "iam-export.json"
    lines = (GCP / "iam-export.json").read_text().splitlines()
    f.write_text("\n".join(lines[:2] + [lines[2][:60]]) + "\n")
    [batch] = gcp.parse_asset_export(f)
    assert [str(e) for e in batch.errors] == [f"{f}: line 3: invalid JSON: Unterminated string starting at"]
    assert batch.partial and any(e["type"] == "HAS_ACCESS" for e in batch.edges)


def test_unknown_fields_and_missing_optional_sections_are_fine(tmp_path):
    accounts = json.loads((GCP / "service-accounts.json").read_text())
    accounts[0]["brandNewField"] = {"nested": [1, 2]}
    for key in ("description", "displayName", "etag", "oauth2ClientId", "uniqueId"):
        accounts[1].pop(key, None)
    f = tmp_path / "service-accounts.json"
    f.write_text(json.dumps(accounts))
    [batch] = gcp.parse_service_accounts(f)
    assert not batch.errors and len([n for n in batch.nodes if n["label"] == "Identity"]) == 4
    empty_policy = tmp_path / "gke-payments@acme-prod.iam.gserviceaccount.com.json"
    empty_policy.write_text('{"etag": "ACAB"}')
    assert registry.detect(empty_policy) is gcp.POLICY_FORMAT
    [batch] = gcp.parse_policy(empty_policy)
    assert not batch.errors and not [e for e in batch.edges if e["type"] != "PART_OF"]


def test_an_empty_list_reports_nothing(tmp_path):
    f = tmp_path / "accounts.json"
    f.write_text("[]")
    assert gcp.parse_service_accounts(f) == []


def test_wrong_records_are_errors_naming_the_record(tmp_path):
    accounts = json.loads((GCP / "service-accounts.json").read_text())
    accounts[1] = "reporting@acme-prod.iam.gserviceaccount.com"
    del accounts[2]["email"]
    f = tmp_path / "service-accounts.json"
    f.write_text(json.dumps(accounts))
    batches = gcp.parse_service_accounts(f)
    assert sorted(str(e) for b in batches for e in b.errors) == [
        f"{f}: [1]: expected a service account (a JSON object), got str",
        f"{f}: [2]: required field 'email' is missing"]
    ids = {n["id"] for b in batches for n in b.nodes}
    assert DEPLOYER in ids and GKE in ids
    assert all(b.partial for b in batches)  # the bad records' accounts must not be cleaned up
    keys = json.loads(KEYS_FILE.read_text())
    keys[0]["name"] = "keys/90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c"
    kf = tmp_path / KEYS_FILE.name
    kf.write_text(json.dumps(keys))
    [batch] = gcp.parse_keys(kf)
    assert [str(e) for e in batch.errors] == [
        f"{kf}: [0]: 'name' is not projects/PROJECT/serviceAccounts/EMAIL/keys/KEY_ID"]
    policy = json.loads((GCP / "acme-prod.json").read_text())
    policy["bindings"][0]["members"] = "serviceAccount:etl@acme-data.iam.gserviceaccount.com"
    policy["bindings"][1].pop("role")
    pf = tmp_path / "acme-prod.json"
    pf.write_text(json.dumps(policy))
    [batch] = gcp.parse_policy(pf)
    assert [str(e) for e in batch.errors] == [f"{pf}: bindings[0]: 'members' must be a list",
                                              f"{pf}: bindings[1]: required field 'role' is missing"]
    assert (DEPLOYER, "gcp:acme-prod") in {(e["start"], e["end"]) for e in batch.edges}


@pytest.mark.parametrize("name,subject", [
    ("acme-prod.json", ("project", "acme-prod")), ("acme-prod.iam-policy.json", ("project", "acme-prod")),
    ("acme-prod__iam-policy.json", ("project", "acme-prod")),
    ("Deployer@acme-prod.iam.gserviceaccount.com.json", ("sa", "deployer@acme-prod.iam.gserviceaccount.com")),
])
def test_a_bare_policy_is_named_by_its_file(name, subject):
    assert gcp._policy_subject(Path(name)) == subject


def test_a_policy_named_after_nothing_is_a_file_error(tmp_path):
    f = tmp_path / "policy.json"
    shutil.copy(GCP / "acme-prod.json", f)
    with pytest.raises(InputError, match="cannot tell whose IAM policy this is"):
        gcp.parse_policy(f)


def test_the_private_key_is_never_stored(ws, tmp_path):
    canary = f"nhigraph-canary-gcp-{uuid.uuid4()}"
    keys = json.loads(KEYS_FILE.read_text())
    keys[0]["privateKeyData"] = canary  # only in a key creation response, but never read
    f = tmp_path / KEYS_FILE.name
    f.write_text(json.dumps(keys))
    r = CliRunner().invoke(cli, ["ingest", str(f), "-w", str(ws.path)])
    assert r.exit_code == 0 and canary not in r.output
    assert scan(ws.path, canary) == []
