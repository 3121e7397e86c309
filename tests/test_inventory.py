"""Inventory ingest of the hand-built estate (tests/fixtures/inventory): the known answers, from CSV and JSON."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nhigraph.ingest import registry
from nhigraph.ingest.inventory import parse_csv, table_for
from nhigraph.model.vocabulary import MODEL
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.stats import snapshot_stats
from nhigraph.workspace.store import Workspace

INVENTORY = Path(__file__).parent / "fixtures" / "inventory"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
UTC = timezone.utc

NODE_COUNTS = {"Connector": 1, "Credential": 3, "Identity": 4, "Owner": 3, "PolicyException": 1,
               "Resource": 3, "SecretStore": 2, "System": 4, "Vendor": 1, "Workflow": 1}
EDGE_COUNTS = {"AUTHENTICATES": 3, "CAN_ASSUME": 3, "CONNECTS_FROM": 1, "CONNECTS_TO": 1, "HAS_ACCESS": 4,
               "HOLDS": 2, "MEMBER_OF": 2, "OWNS": 14, "PART_OF": 10, "STORES": 2, "USES": 3, "WAIVES": 1}

#: every edge of the estate as (type, start, end, role-or-None): the known answer
EDGES = {
    ("PART_OF", "sys:aws-prod-eu", "sys:aws-prod"), ("PART_OF", "id:ci-deployer", "sys:aws-prod"),
    ("PART_OF", "id:deploy-role", "sys:aws-prod"), ("PART_OF", "id:sf-sync", "sys:salesforce"),
    ("PART_OF", "id:acme-bot", "sys:github"), ("PART_OF", "res:prod-db", "sys:aws-prod"),
    ("PART_OF", "res:artifacts", "sys:aws-prod"), ("PART_OF", "res:sf-tenant", "sys:salesforce"),
    ("PART_OF", "store:gh-ci-vars", "sys:github"), ("PART_OF", "wf:deploy", "sys:github"),
    ("OWNS", "team:platform", "sys:aws-prod", "approve"), ("OWNS", "team:platform", "id:ci-deployer", "approve"),
    ("OWNS", "person:alice", "id:ci-deployer", "implement"), ("OWNS", "person:bob", "id:ci-deployer", "revoke"),
    ("OWNS", "person:bob", "id:deploy-role", "approve"), ("OWNS", "team:platform", "id:acme-bot", "monitor"),
    ("OWNS", "person:alice", "id:acme-bot", "monitor"), ("OWNS", "person:bob", "cred:ci-key", "revoke"),
    ("OWNS", "person:alice", "cred:sf-token", "revoke"), ("OWNS", "team:platform", "res:artifacts", "approve"),
    ("OWNS", "team:platform", "wf:deploy", "implement"), ("OWNS", "team:platform", "res:prod-db", "approve"),
    ("OWNS", "person:alice", "res:prod-db", "monitor"), ("OWNS", "person:alice", "conn:sf-sync", "implement"),
    ("MEMBER_OF", "person:alice", "team:platform"), ("MEMBER_OF", "person:bob", "team:platform"),
    ("AUTHENTICATES", "cred:ci-key", "id:ci-deployer"), ("AUTHENTICATES", "cred:sf-token", "id:sf-sync"),
    ("AUTHENTICATES", "cred:bot-key", "id:acme-bot"),
    ("STORES", "store:gh-ci-vars", "cred:ci-key"), ("STORES", "store:vault-sf", "cred:sf-token"),
    ("HOLDS", "vendor:acme", "cred:sf-token"), ("HOLDS", "vendor:acme", "id:sf-sync"),
    ("USES", "wf:deploy", "cred:ci-key"), ("USES", "conn:sf-sync", "cred:sf-token"),
    ("USES", "wf:deploy", "cred:bot-key"),
    ("CAN_ASSUME", "wf:deploy", "id:deploy-role"), ("CAN_ASSUME", "id:ci-deployer", "id:deploy-role"),
    ("CAN_ASSUME", "vendor:acme", "id:deploy-role"),
    ("CONNECTS_FROM", "conn:sf-sync", "sys:salesforce"), ("CONNECTS_TO", "conn:sf-sync", "sys:aws-prod"),
    ("WAIVES", "exc:ci-key-rotation", "cred:ci-key"),
    ("HAS_ACCESS", "id:ci-deployer", "res:artifacts"), ("HAS_ACCESS", "id:deploy-role", "res:prod-db"),
    ("HAS_ACCESS", "id:deploy-role", "sys:aws-prod"), ("HAS_ACCESS", "id:sf-sync", "res:sf-tenant"),
}


def _ingest(tmp_path: Path, source: Path, name: str) -> Workspace:
    ws = Workspace(tmp_path / name)
    result = ingest([source], ws, observed_at=OBSERVED)
    assert result.ok, [str(e) for e in result.errors]
    return ws


@pytest.fixture(scope="module")
def csv_snap(tmp_path_factory):
    return _ingest(tmp_path_factory.mktemp("csv"), INVENTORY / "csv", "ws").load()


@pytest.fixture(scope="module")
def json_snap(tmp_path_factory):
    return _ingest(tmp_path_factory.mktemp("json"), INVENTORY / "inventory.json", "ws").load()


@pytest.fixture(params=["csv", "json"])
def snap(request, csv_snap, json_snap):
    return csv_snap if request.param == "csv" else json_snap


def _edge(snap, type_, start, end, *key):
    return snap.edges[(type_, start, end, *key)]


# -- counts -------------------------------------------------------------------------------------

def test_counts_are_the_known_answer(snap):
    stats = snapshot_stats(snap)
    assert stats["total_nodes"] == 23 and stats["total_edges"] == 46
    assert {label: sum(k.values()) for label, k in stats["nodes"].items()} == NODE_COUNTS
    assert stats["edges"] == EDGE_COUNTS
    assert stats["nodes"]["Identity"] == {"github_app": 1, "iam_role": 1, "iam_user": 1, "service_account": 1}
    assert stats["nodes"]["Owner"] == {"person": 2, "team": 1}


def test_edge_set_is_the_known_answer(snap):
    assert {k if k[0] == "OWNS" else k[:3] for k in snap.edges} == EDGES
    assert snap.manifest["counts"]["total_edges"] == 46


# -- nodes: ids, labels, kinds and typed values ---------------------------------------------------

def test_identity_values_are_typed(snap):
    n = snap.nodes["id:ci-deployer"]
    assert (n["label"], n["kind"], n["name"]) == ("Identity", "iam_user", "ci-deployer")
    assert n["environment"] == "prod" and n["status"] == "active"
    assert n["provider_id"] == "arn:aws:iam::123456789012:user/ci-deployer"
    assert n["external"] is False and n["human_used"] is False
    assert n["created_at"] == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    # CSV says 12:00+02:00, JSON says 10:00Z: the same instant, stored in UTC
    assert n["last_used_at"] == datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    for key in ("created_at", "last_used_at", "first_seen", "last_seen"):
        assert n[key].tzinfo is not None and n[key].utcoffset() == timedelta(0), key
    assert n["first_seen"] == n["last_seen"] == OBSERVED
    assert n["source"] == "inventory:identities" and n["sources"] == ["inventory:identities"]

    role = snap.nodes["id:deploy-role"]
    assert role["created_at"] == datetime(2023, 11, 2, tzinfo=UTC)  # a date alone is midnight UTC
    assert "last_used_at" not in role and "external" not in role  # empty cells are absent, not ""
    assert snap.nodes["id:sf-sync"]["human_used"] is True  # "TRUE" / true
    assert snap.nodes["id:acme-bot"]["external"] is True  # "true" / "yes"
    assert snap.nodes["id:acme-bot"]["status"] == "inactive"


def test_credential_values_are_typed(snap):
    key = snap.nodes["cred:ci-key"]
    assert (key["label"], key["kind"]) == ("Credential", "access_key")
    assert key["key_id"] == "AKIAIOSFODNN7EXAMPLE"
    assert key["leaked"] is True
    assert key["leaked_at"] == datetime(2025, 3, 4, 10, tzinfo=UTC)
    assert key["leak_location"] == "github.com/acme/app@9f2c1e"
    assert "expires_at" not in key and "fingerprint" not in key and "secret" not in key

    token = snap.nodes["cred:sf-token"]
    assert token["scopes"] == ["api", "refresh_token"]
    assert token["leaked"] is False
    assert token["expires_at"] == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert snap.nodes["cred:bot-key"]["fingerprint"] == "sha256:" + "1" * 64


def test_other_labels_values_are_typed(snap):
    bob = snap.nodes["person:bob"]
    assert (bob["label"], bob["kind"], bob["active"]) == ("Owner", "person", False)
    assert bob["departed_at"] == datetime(2025, 6, 30, tzinfo=UTC)
    assert snap.nodes["person:alice"]["active"] is True  # "yes"
    assert snap.nodes["sys:salesforce"]["external"] is True
    assert snap.nodes["sys:salesforce"]["platform"] == "Salesforce"
    assert snap.nodes["res:prod-db"]["sensitivity"] == "restricted"
    wf = snap.nodes["wf:deploy"]
    assert wf["triggers"] == ["push", "workflow_dispatch"]
    assert (wf["has_rollback"], wf["has_telemetry"], wf["requires_approval"]) == (False, True, True)
    assert snap.nodes["vendor:acme"]["external_ids"] == ["111122223333", "444455556666"]  # sorted
    assert snap.nodes["vendor:acme"]["risk_tier"] == "high"
    assert snap.nodes["vendor:acme"]["source"] == "inventory:vendors"  # JSON key "third_parties" is an alias
    exc = snap.nodes["exc:ci-key-rotation"]
    assert (exc["label"], exc["kind"], exc["rule"]) == ("PolicyException", "waiver", "rotate-90d")
    assert exc["expires_at"] == datetime(2026, 3, 31, tzinfo=UTC)
    assert snap.nodes["store:vault-sf"]["location"] == "kv/data/salesforce"
    assert snap.nodes["conn:sf-sync"]["schedule"] == "hourly"


# -- edges: specific ones with their properties -------------------------------------------------

def test_authenticates_stores_uses_edges(snap):
    e = _edge(snap, "AUTHENTICATES", "cred:ci-key", "id:ci-deployer")
    assert e["source"] == "inventory:credentials"
    assert _edge(snap, "STORES", "store:vault-sf", "cred:sf-token")["source"] == "inventory:credentials"
    assert _edge(snap, "USES", "wf:deploy", "cred:ci-key")["source"] == "inventory:workflows"
    assert _edge(snap, "USES", "conn:sf-sync", "cred:sf-token")["source"] == "inventory:connectors"
    # from the generic edges table, whose lower-case "uses" type is normalised
    assert _edge(snap, "USES", "wf:deploy", "cred:bot-key")["source"] == "inventory:edges"


def test_owns_edges_carry_their_role(snap):
    # one owner, one subject, two roles would be two edges; here: RACI columns of node tables
    assert _edge(snap, "OWNS", "person:bob", "id:ci-deployer", "revoke")["role"] == "revoke"
    assert _edge(snap, "OWNS", "person:alice", "id:ci-deployer", "implement")["role"] == "implement"
    assert _edge(snap, "OWNS", "team:platform", "id:ci-deployer", "approve")["source"] == "inventory:identities"
    # "team:platform;person:alice" in the monitor column is two edges
    assert _edge(snap, "OWNS", "team:platform", "id:acme-bot", "monitor")
    assert _edge(snap, "OWNS", "person:alice", "id:acme-bot", "monitor")
    # and the ownership table
    own = _edge(snap, "OWNS", "person:alice", "res:prod-db", "monitor")
    assert own["source"] == "inventory:ownership"
    assert ("OWNS", "person:alice", "res:prod-db", "approve") not in snap.edges


def test_has_access_edges_carry_their_level(snap):
    e = _edge(snap, "HAS_ACCESS", "id:ci-deployer", "res:artifacts")
    assert e["level"] == "write"
    assert e["actions"] == ["s3:GetObject", "s3:PutObject"]
    assert e["source"] == "inventory:grants"
    assert _edge(snap, "HAS_ACCESS", "id:deploy-role", "res:prod-db")["level"] == "admin"
    system = _edge(snap, "HAS_ACCESS", "id:deploy-role", "sys:aws-prod")
    assert system["level"] == "read" and system["human_only"] is False
    assert "human_only" not in e


def test_can_assume_edges(snap):
    oidc = _edge(snap, "CAN_ASSUME", "wf:deploy", "id:deploy-role")
    assert oidc["via"] == "oidc" and oidc["source"] == "inventory:workflows"
    vendor = _edge(snap, "CAN_ASSUME", "vendor:acme", "id:deploy-role")
    assert vendor["via"] == "trust" and vendor["external_id_required"] is True
    assert vendor["condition"] == '{"StringEquals": {"sts:ExternalId": "acme-42"}}'  # CSV "" quoting undone
    assert _edge(snap, "CAN_ASSUME", "id:ci-deployer", "id:deploy-role")["external_id_required"] is False


def test_part_of_waives_member_of_holds_edges(snap):
    assert _edge(snap, "PART_OF", "sys:aws-prod-eu", "sys:aws-prod")["source"] == "inventory:systems"
    assert _edge(snap, "PART_OF", "store:gh-ci-vars", "sys:github")["source"] == "inventory:secret_stores"
    assert _edge(snap, "WAIVES", "exc:ci-key-rotation", "cred:ci-key")["source"] == "inventory:exceptions"
    assert _edge(snap, "MEMBER_OF", "person:bob", "team:platform")
    assert _edge(snap, "HOLDS", "vendor:acme", "cred:sf-token")["source"] == "inventory:credentials"
    assert _edge(snap, "HOLDS", "vendor:acme", "id:sf-sync")["source"] == "inventory:edges"
    assert ("PART_OF", "store:vault-sf", "sys:github") not in snap.edges


# -- CSV and JSON give the same graph -------------------------------------------------------------

def test_csv_and_json_inventories_give_the_same_graph(csv_snap, json_snap):
    assert csv_snap.nodes == json_snap.nodes
    assert csv_snap.edges == json_snap.edges
    assert csv_snap.manifest["counts"] == json_snap.manifest["counts"]


# -- table recognition ----------------------------------------------------------------------------

@pytest.mark.parametrize("filename,table", [
    ("identities.csv", "identities"), ("acme-identities.csv", "identities"), ("Service Accounts.csv", "identities"),
    ("keys.csv", "credentials"), ("prod_grants.csv", "grants"), ("raci.csv", "ownership"),
    ("third_parties.csv", "vendors"), ("secret-stores.csv", "secret_stores"),
])
def test_tables_are_recognised_by_file_name(filename, table):
    assert table_for(Path(filename)).name == table


@pytest.mark.parametrize("header,table", [
    (["identity", "target", "level"], "grants"),
    (["owner", "subject", "role"], "ownership"),
    (["type", "start", "end"], "edges"),
    (["from", "to", "via"], "trusts"),
    (["id", "kind", "name", "key_id", "expires_at"], "credentials"),
    (["id", "kind", "name", "sensitivity"], "resources"),
])
def test_tables_are_recognised_by_header(header, table):
    assert table_for(Path("export.csv"), header).name == table


def test_unnamed_csv_is_parsed_by_its_header(tmp_path):
    f = tmp_path / "export-2026.csv"
    f.write_text("identity,target,level\nid:a,res:b,read\n")
    assert registry.detect(f).name == "inventory-csv"
    [batch] = parse_csv(f)
    assert batch.source == "inventory:export_2026"  # a file named other than its table is its own source
    assert batch.edges == [{"type": "HAS_ACCESS", "start": "id:a", "end": "res:b", "level": "read",
                            "source": "inventory:export_2026"}]


def test_formats_are_detected(tmp_path):
    assert registry.detect(INVENTORY / "csv" / "identities.csv").name == "inventory-csv"
    assert registry.detect(INVENTORY / "inventory.json").name == "inventory-json"


def test_multi_line_quoted_cell_keeps_line_numbers(tmp_path):
    f = tmp_path / "identities.csv"
    f.write_text('id,kind,name,description\nid:a,bot,A,"two\nlines"\nid:b,robot,B,\n')
    [batch] = parse_csv(f)
    assert batch.nodes[0]["description"] == "two\nlines"
    assert [str(e) for e in batch.errors] == [
        f"{f}: line 4: Identity kind 'robot' is not one of {', '.join(MODEL.node('Identity').kinds)}"]


def test_ownership_is_the_known_answer(csv_snap):
    """As the fixture README says: which nodes have an owner, and what the departed Bob owns."""
    owned = {k[2] for k in csv_snap.edges if k[0] == "OWNS"}
    assert owned == {"sys:aws-prod", "id:ci-deployer", "id:deploy-role", "id:acme-bot", "cred:ci-key",
                     "cred:sf-token", "res:artifacts", "res:prod-db", "wf:deploy", "conn:sf-sync"}
    bob = {(k[2], k[3]) for k in csv_snap.edges if k[0] == "OWNS" and k[1] == "person:bob"}
    assert bob == {("id:ci-deployer", "revoke"), ("cred:ci-key", "revoke"), ("id:deploy-role", "approve")}
