"""Azure / Entra ID ingester: `az ad` and Microsoft Graph exports (tests/fixtures/azure/README.md) become app
registrations, service principals, client secrets and certificates, owners, permissions and third parties;
password hints and secret texts never reach the workspace or the terminal."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ingest_support import scan
from click.testing import CliRunner

from nhigraph.analysis.debt import DebtAnalysis
from nhigraph.analysis.estate import Estate
from nhigraph.analysis.reach import ReachIndex
from nhigraph.cli import cli
from nhigraph.errors import InputError
from nhigraph.ingest import azure, registry
from nhigraph.secrets import fingerprint
from nhigraph.workspace.ingest import ingest

AZURE = Path(__file__).parent / "fixtures" / "azure"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
TENANT = "3f2a9c1e-7b4d-4e8a-9c2b-1d5e6f7a8b9c"
APPS = AZURE / f"{TENANT}.applications.json"
SPS = AZURE / f"{TENANT}.service-principals.json"
APP = "azure:app:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
SP = "azure:sp:5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
CONTOSO = "azure:sp:6a7b8c9d-0e1f-4a2b-b3c4-d5e6f7a8b9c0"
EXCHANGE = "azure:sp:4d5c6b7a-8e9f-4a0b-b1c2-d3e4f5a6b7c8"
MI = "azure:sp:8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f"
GRAPH = "azure:api:2f3e4d5c-6b7a-4988-a7b6-c5d4e3f2a1b0"
SECRET = "azure:cred:c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f"
CERT = "azure:cred:b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e"
VENDOR = "vendor:azure:7c6d5e4f-3a2b-4c1d-9e0f-a1b2c3d4e5f6"


def edges_of(snapshot, type_: str) -> set[tuple]:
    out = set()
    for e in snapshot.edges.values():
        if e["type"] == type_:
            extra = e.get("level") or e.get("via") or e.get("role")
            out.add((e["start"], e["end"], extra) if extra else (e["start"], e["end"]))
    return out


@pytest.fixture
def azure_ws(ws):
    result = ingest([AZURE], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    return ws


def test_formats_are_registered_and_detected():
    expected = {APPS.name: "azure-applications", SPS.name: "azure-service-principals",
                "billing-sync.app-role-assignments.json": "azure-app-role-assignments",
                "oauth2-grants.json": "azure-oauth2-grants",
                "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.owners.json": "azure-owners"}
    assert {f.name: registry.detect(f).name for f in AZURE.glob("*.json")} == expected
    for fmt in azure.FORMATS:
        assert fmt in registry.FORMATS
        assert fmt.produced_by.startswith("`az ") and "|" not in fmt.produced_by


@pytest.mark.parametrize("permission,level", [
    ("Directory.ReadWrite.All", "admin"), ("RoleManagement.ReadWrite.Directory", "admin"),
    ("AppRoleAssignment.ReadWrite.All", "admin"), ("Application.ReadWrite.All", "admin"),
    ("Sites.FullControl.All", "admin"), ("Directory.AccessAsUser.All", "admin"),
    ("Application.ReadWrite.OwnedBy", "write"), ("User.ReadWrite.All", "write"), ("Mail.Send", "write"),
    ("Group.Create", "write"), ("User.Invite.All", "write"),
    ("User.Read.All", "read"), ("Directory.Read.All", "read"), ("User.Read", "read"), ("openid", "read"),
    ("offline_access", "read"), ("Tasks.Approve", "write"), ("access_as_user", "write"),
])
def test_permission_levels(permission, level):
    assert azure.permission_level(permission) == level


def test_apps_service_principals_and_credentials(azure_ws):
    snap = azure_ws.load()
    n = snap.nodes
    app = n[APP]
    assert (app["kind"], app["name"], app["provider_id"], app["external"]) == (
        "app_registration", "billing-sync", "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", False)
    assert (n[SP]["kind"], n[SP]["status"], n[SP]["external"]) == ("service_principal", "active", False)
    assert n[f"azure:{TENANT}"]["kind"] == "azure_tenant"
    secret = n[SECRET]
    assert (secret["kind"], secret["key_id"], secret["name"]) == (
        "client_secret", "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f", "billing-sync: prod")
    assert secret["expires_at"] == datetime(2026, 8, 12, 9, 30, tzinfo=timezone.utc)
    assert secret["created_at"] == secret["last_rotated_at"] == datetime(2024, 2, 12, 9, 30, tzinfo=timezone.utc)
    assert "fingerprint" not in secret  # no secretText in a listing; the hint is never read
    assert (n[CERT]["kind"], n[CERT]["description"]) == ("certificate", "AsymmetricX509Cert key, usage Verify")
    assert {(SECRET, APP), (CERT, APP)} <= edges_of(snap, "AUTHENTICATES")
    assert (APP, SP, "other") in edges_of(snap, "CAN_ASSUME")
    assert {(APP, f"azure:{TENANT}"), (SP, f"azure:{TENANT}")} <= edges_of(snap, "PART_OF")


def test_third_parties_first_parties_and_managed_identities(azure_ws):
    snap = azure_ws.load()
    n = snap.nodes
    assert (n[CONTOSO]["external"], n[CONTOSO]["description"]) == (
        True, "third-party app of tenant 7c6d5e4f-3a2b-4c1d-9e0f-a1b2c3d4e5f6")
    assert (n[VENDOR]["kind"], n[VENDOR]["name"], n[VENDOR]["external_ids"]) == (
        "vendor", "Contoso Ltd", ["7c6d5e4f-3a2b-4c1d-9e0f-a1b2c3d4e5f6"])
    assert edges_of(snap, "HOLDS") == {(VENDOR, CONTOSO)}
    # Microsoft Graph's own service principal is plumbing; the first-party app someone added a secret to is not
    assert "azure:sp:2f3e4d5c-6b7a-4988-a7b6-c5d4e3f2a1b0" not in n
    assert n[EXCHANGE]["external"] is True
    assert ("azure:cred:e6f7a8b9-c0d1-4e2f-8a3b-4c5d6e7f8a9b", EXCHANGE) in edges_of(snap, "AUTHENTICATES")
    # a managed identity: its certificate is Azure's to rotate, not a credential
    assert (n[MI]["kind"], n[MI]["description"]) == (
        "managed_identity", "managed identity /subscriptions/11111111-2222-4333-8444-555555555555/resourcegroups/"
                            "rg-payments/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-payments")
    assert "azure:cred:f7a8b9c0-d1e2-4f3a-9b4c-5d6e7f8a9b0c" not in n
    third = next(m for m in DebtAnalysis(Estate.load(azure_ws)).metrics() if m.id == "third_party.vendor_access")
    assert [o["subject"] for o in third.offenders] == [CONTOSO]


def test_permissions(azure_ws):
    snap = azure_ws.load()
    assert {e for e in edges_of(snap, "HAS_ACCESS")} == {
        (SP, GRAPH, "admin"),
        (SP, "azure:api:9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "write"),  # an app role nhigraph cannot resolve
        (CONTOSO, GRAPH + "/delegated", "write"),
        (SP, GRAPH + "/delegated", "read"),
    }
    by_pair = {(e["start"], e["end"]): e for e in snap.edges.values() if e["type"] == "HAS_ACCESS"}
    assert by_pair[(SP, GRAPH)]["actions"] == ["Directory.ReadWrite.All", "User.Read.All"]
    assert by_pair[(CONTOSO, GRAPH + "/delegated")]["actions"] == ["Mail.Send", "User.Read", "offline_access",
                                                                   "openid", "profile"]
    assert json.loads(by_pair[(CONTOSO, GRAPH + "/delegated")]["condition"]) == {
        "consentType": "AllPrincipals", "delegated": True}
    assert json.loads(by_pair[(SP, GRAPH + "/delegated")]["condition"]) == {
        "consentType": "Principal", "delegated": True, "users": 1}
    assert snap.nodes[GRAPH]["name"] == "Microsoft Graph"


def test_owners(azure_ws):
    snap = azure_ws.load()
    owner = snap.nodes["owner:alice@acme.example"]
    assert (owner["label"], owner["kind"], owner["name"], owner["email"]) == (
        "Owner", "person", "Alice Ng", "Alice@acme.example")
    assert edges_of(snap, "OWNS") == {("owner:alice@acme.example", APP, "implement"),
                                      ("owner:alice@acme.example", APP, "revoke")}
    assert (MI, APP, "impersonation") in edges_of(snap, "CAN_ASSUME")  # an owning identity can add a secret
    assert not [i for i in snap.nodes if "1e2d3c4b" in i]  # the owning group is skipped
    estate = Estate.load(azure_ws)
    assert estate.accountable(SECRET)  # the secret inherits its app's owner


def test_the_client_secret_reaches_graph_through_the_service_principal(azure_ws):
    br = ReachIndex(Estate.load(azure_ws)).blast_radius(SECRET)
    graph = br.targets[GRAPH]
    assert (graph.level, graph.path) == ("admin", [SECRET, APP, SP, GRAPH])


def test_the_same_app_across_exports_and_kubernetes_is_one_node(ws):
    result = ingest([AZURE, AZURE.parent / "kubernetes" / "prod-gke.serviceaccounts.json"], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    app = ws.load().nodes[APP]
    assert app["name"] == "billing-sync"
    assert {f"azure:{TENANT}:applications", f"azure:{TENANT}:service-principals",
            "azure:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f:app-owners", "k8s:prod-gke:serviceaccounts"} <= set(
        app["sources"])


def test_the_tenant_is_inferred_from_single_tenant_apps(tmp_path):
    f = tmp_path / "sps.json"
    shutil.copy(SPS, f)
    [batch] = azure.parse_service_principals(f)
    assert batch.source == f"azure:{TENANT}:service-principals"
    assert not [w for w in batch.warnings if "home tenant" in w]
    contoso = next(x for x in batch.nodes if x["id"] == CONTOSO)
    assert contoso["external"] is True
    # without a single-tenant app nothing says which tenant is home: third parties stay unidentified
    doc = [sp for sp in json.loads(SPS.read_text()) if sp["displayName"] != "billing-sync"]
    f.write_text(json.dumps(doc))
    [batch] = azure.parse_service_principals(f)
    assert any("home tenant unknown" in w for w in batch.warnings)
    assert next(x for x in batch.nodes if x["id"] == CONTOSO)["external"] is False
    assert not any(x["label"] == "Vendor" for x in batch.nodes)


# -- bad input ----------------------------------------------------------------------------------------------------


def test_truncated_json_is_a_file_error(tmp_path):
    f = tmp_path / APPS.name
    f.write_text(APPS.read_text()[:700])
    with pytest.raises(InputError) as exc:
        azure.parse_applications(f)
    assert str(exc.value).startswith(f"{f}: line ") and "invalid JSON" in str(exc.value)


def test_graph_responses_unknown_fields_and_missing_sections_are_read(tmp_path):
    apps = json.loads(APPS.read_text())
    apps[0]["somethingNew"] = {"a": [1]}
    for key in ("keyCredentials", "passwordCredentials", "requiredResourceAccess", "api", "web"):
        apps[1].pop(key, None)
    f = tmp_path / APPS.name
    f.write_text(json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
                             "value": apps}))
    [batch] = azure.parse_applications(f)
    assert not batch.errors and {APP, "azure:app:7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a"} <= {
        x["id"] for x in batch.nodes}


def test_an_empty_list_reports_nothing_but_is_a_complete_export(tmp_path):
    f = tmp_path / APPS.name
    f.write_text("[]")
    [batch] = azure.parse_applications(f)
    assert not batch.nodes and not batch.errors and not batch.partial


def test_wrong_records_are_errors_naming_the_record(tmp_path):
    apps = json.loads(APPS.read_text())
    del apps[0]["passwordCredentials"][0]["keyId"]
    apps[1] = ["not", "an", "object"]
    apps.append({"displayName": "no app id"})
    f = tmp_path / APPS.name
    f.write_text(json.dumps(apps))
    [batch] = azure.parse_applications(f)
    assert [str(e) for e in batch.errors] == [
        f"{f}: [0].passwordCredentials[0]: required field 'keyId' is missing",
        f"{f}: [1]: expected an application (a JSON object), got list",
        f"{f}: [2]: required field 'appId' is missing"]
    assert CERT in {x["id"] for x in batch.nodes}  # the rest of the record is kept
    grants = tmp_path / "grants.json"
    grants.write_text(json.dumps({"value": {"clientId": "x"}}))
    with pytest.raises(InputError, match=f"^{grants}: value: expected a list of records$"):
        azure.parse_oauth2_grants(grants)


def test_owners_need_a_file_named_after_their_app(tmp_path):
    f = tmp_path / "owners.json"
    shutil.copy(AZURE / "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.owners.json", f)
    with pytest.raises(InputError, match="cannot tell whose owners these are"):
        azure.parse_owners(f)


# -- secrets never stored -----------------------------------------------------------------------------------------


def test_hints_and_secret_texts_never_reach_the_workspace_or_the_terminal(ws, tmp_path):
    hint, secret_text = (f"nhigraph-canary-{what}-{uuid.uuid4()}" for what in ("hint", "secret-text"))
    src = tmp_path / "exports"
    src.mkdir()
    apps = json.loads(APPS.read_text())
    apps[0]["passwordCredentials"][0].update(hint=hint, secretText=secret_text)
    bad = dict(apps[0]["passwordCredentials"][0], keyId=None)  # a bad record: its error must not echo them
    apps[0]["passwordCredentials"].append(bad)
    (src / APPS.name).write_text(json.dumps(apps))
    sps = json.loads(SPS.read_text())
    for sp in sps:
        for cred in sp.get("passwordCredentials", []):
            cred["hint"] = hint
    (src / SPS.name).write_text(json.dumps(sps))
    outputs = []
    for extra in ([], ["--json"]):
        r = CliRunner().invoke(cli, ["ingest", str(src), "-w", str(ws.path), *extra])
        assert r.exit_code == 2
        outputs.append(r.stdout + r.stderr)
    for args in (["stats"], ["reach", SECRET], ["reach", SECRET, "--json"]):
        r = CliRunner().invoke(cli, args + ["-w", str(ws.path)])
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
    for canary in (hint, secret_text):
        assert scan(ws.path, canary) == []
        assert all(canary not in out for out in outputs)
    assert ws.load().nodes[SECRET]["fingerprint"] == fingerprint(secret_text)
