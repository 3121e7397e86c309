"""HashiCorp Vault (tests/fixtures/vault, see its README): auth methods, AppRole / Kubernetes / JWT roles,
policies in HCL and JSON, KV metadata, and how a blast radius chains through Vault into other credentials."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from ingest_support import VAULT, edge, exports, edges_of, formats, ids_of, link_step, run

from nhigraph.analysis.estate import Estate
from nhigraph.analysis.reach import ReachIndex
from nhigraph.errors import InputError
from nhigraph.ingest import vault
from nhigraph.workspace.store import Workspace

UTC = timezone.utc
CI_ROLE = "vault:prod:auth/approle/role/ci"
WEB_ROLE = "vault:prod:auth/kubernetes/role/web"
GHA_ROLE = "vault:prod:auth/jwt/role/gha"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("vault") / "ws")
    result = run(exports(VAULT), ws)
    assert result.ok and result.warnings == [], (result.errors, result.warnings)
    return ws.load()


@pytest.fixture
def linked(tmp_path, monkeypatch):
    link_step(monkeypatch)
    ws = Workspace(tmp_path / "ws")
    assert run(exports(VAULT), ws).ok
    return ws.load()


def test_every_fixture_is_detected():
    files = sorted(p for p in VAULT.iterdir() if p.suffix in (".json", ".hcl"))
    assert set(formats(files).values()) == {"vault"}


def test_auth_methods(snap):
    assert ids_of(snap, "Resource", "vault:prod:auth/") == {"vault:prod:auth/approle", "vault:prod:auth/jwt",
                                                            "vault:prod:auth/kubernetes", "vault:prod:auth/token"}
    assert snap.nodes["vault:prod:auth/jwt"]["description"] == "Vault jwt auth method: GitHub Actions OIDC"
    assert snap.nodes["vault:prod"]["kind"] == "vault_cluster"


def test_approle_role_and_its_secret_id(snap):
    role = snap.nodes[CI_ROLE]
    assert (role["label"], role["kind"]) == ("Identity", "service_account")
    sid = snap.nodes[f"{CI_ROLE}/secret-id"]
    assert sid["kind"] == "client_secret" and "never expire" in sid["description"]
    assert ("AUTHENTICATES", f"{CI_ROLE}/secret-id", CI_ROLE) in {k[:3] for k in snap.edges}
    assert edge(snap, "CAN_ASSUME", CI_ROLE, "vault:prod:policy/ci-deploy")["via"] == "membership"


def test_kubernetes_role_is_assumed_by_the_service_accounts_it_binds(snap):
    assert snap.nodes[WEB_ROLE]["kind"] == "workload"
    sas = {s for s, e in edges_of(snap, "CAN_ASSUME") if e == WEB_ROLE}
    assert sas == {"k8s:prod:shop/sa/web", "k8s:prod:shop-canary/sa/web"}
    for sa in sas:
        assert edge(snap, "CAN_ASSUME", sa, WEB_ROLE)["via"] == "workload_identity"
        assert snap.nodes[sa]["kind"] == "k8s_service_account"


def test_jwt_role_bound_to_a_github_repository(snap):
    trust = edge(snap, "CAN_ASSUME", "github:acme", GHA_ROLE)
    assert trust["via"] == "oidc"
    assert json.loads(trust["condition"]) == {"bound_audiences": ["https://github.com/acme"],
                                              "bound_claims": {"ref": "refs/heads/main", "repository": "acme/api"}}
    assert snap.nodes[GHA_ROLE]["kind"] == "federated_principal"


def test_policies_keep_their_rules_and_exact_paths_are_linked(snap):
    pol = snap.nodes["vault:prod:policy/ci-deploy"]
    assert pol["rules"] == ["secret/data/app/db read,update", "secret/data/ci/* read",
                            "secret/data/ci/break-glass deny", "secret/metadata/* list"]
    assert snap.nodes["vault:prod:policy/web-read"]["rules"] == ["auth/token/lookup-self read",
                                                                 "secret/data/app/+ read"]
    grant = edge(snap, "HAS_ACCESS", "vault:prod:policy/ci-deploy", "vault:prod:kv/secret/app/db")
    assert (grant["level"], grant["actions"]) == ("write", ["read", "update"])


def test_kv_metadata(snap):
    store = snap.nodes["vault:prod:kv/secret/app/db"]
    assert (store["kind"], store["location"], store["environment"]) == ("vault_path", "secret/app/db", "prod")
    value = snap.nodes["vault:prod:kv/secret/app/db#value"]
    assert value["created_at"] == datetime(2018, 3, 22, 2, 24, 6, 945319, tzinfo=UTC)
    assert value["last_rotated_at"] == datetime(2018, 3, 22, 2, 36, 43, 986212, tzinfo=UTC)
    # custom metadata naming a key id: the path keeps that key
    assert ("vault:prod:kv/secret/ci/aws", "aws:key:AKIAVAULTEXAMPLE0001") in edges_of(snap, "STORES")
    assert snap.nodes["vault:prod:kv/secret/ci/break-glass#value"]["status"] == "deleted"
    # values are never read: no fixture holds one, and the owner metadata is not stored either
    assert not any("payments" in json.dumps(n, default=str) for n in snap.nodes.values())


def test_globs_reach_the_kv_paths_they_match_after_linking(linked):
    access = {(s, e): d["level"] for (t, s, e, *_), d in linked.edges.items() if t == "HAS_ACCESS"}
    assert access == {
        ("vault:prod:policy/ci-deploy", "vault:prod:kv/secret/app/db"): "write",
        ("vault:prod:policy/ci-deploy", "vault:prod:kv/secret/ci/aws"): "read",
        ("vault:prod:policy/web-read", "vault:prod:kv/secret/app/db"): "read",
    }  # ci/break-glass: the more specific deny wins over ci/*


def test_a_blast_radius_chains_through_vault_into_other_credentials(linked):
    reach = ReachIndex(Estate.from_records(linked.nodes, linked.edges.values()))
    br = reach.blast_radius(f"{CI_ROLE}/secret-id")
    assert br.credentials == {f"{CI_ROLE}/secret-id": 0, "aws:key:AKIAVAULTEXAMPLE0001": 1,
                              "vault:prod:kv/secret/app/db#value": 1}
    assert br.targets["vault:prod:kv/secret/ci/aws"].path == [f"{CI_ROLE}/secret-id", CI_ROLE,
                                                              "vault:prod:policy/ci-deploy",
                                                              "vault:prod:kv/secret/ci/aws"]
    assert br.targets["vault:prod:kv/secret/app/db"].level == "write"
    assert "vault:prod:kv/secret/ci/break-glass" not in br.targets


def test_grant_rules():
    rules = vault.parse_rule_strings(["secret/data/* read", "secret/data/app/+ read,update",
                                      "secret/data/app/locked deny", "kv/+/x create"])
    assert vault.grant_on(rules, "secret/app/db") == ("write", ["read", "update"])
    assert vault.grant_on(rules, "secret/app/locked") is None
    assert vault.grant_on(rules, "secret/other/deep/path") == ("read", ["read"])
    assert vault.grant_on(rules, "kv/team/x") == ("write", ["create"])  # a KV v1 path
    assert vault.grant_on(rules, "elsewhere/x") is None


def test_hcl_forms(tmp_path):
    f = tmp_path / "prod__policy__legacy.hcl"
    f.write_text('# old style\npath "secret/*" {\n  policy = "write"\n}\n'
                 'path "sys/mounts/*" { capabilities = ["create", "sudo"] }  // admin\n'
                 'path "secret/data/x" {\n  capabilities = ["read"]\n  allowed_parameters = {\n'
                 '    "key" = ["a", "b"]\n  }\n}\n')
    rules = vault.parse_hcl_rules(f.read_text(), f)
    assert rules == [("secret/*", frozenset({"create", "read", "update", "delete", "list"})),
                     ("sys/mounts/*", frozenset({"create", "sudo"})), ("secret/data/x", frozenset({"read"}))]
    ws = Workspace(tmp_path / "ws")
    assert run([f], ws).ok
    assert edge(ws.load(), "HAS_ACCESS", "vault:prod:policy/legacy", "vault:prod")["level"] == "admin"
    broken = tmp_path / "prod__policy__broken.hcl"
    broken.write_text('path "a/*" {\n  capabilities = ["read"]\n}\n\npath "b/*" {\n  capabilities = ["read"]\n')
    with pytest.raises(InputError) as exc:
        vault.parse(broken)
    assert str(exc.value) == f"{broken}: line 5: policy block for path 'b/*' is not closed"


def test_root_policy_is_admin(tmp_path):
    f = tmp_path / "prod__auth__approle__role__breakglass.json"
    f.write_text(json.dumps({"data": {"bind_secret_id": True, "token_policies": ["root"]}}))
    ws = Workspace(tmp_path / "ws")
    assert run([f], ws).ok
    assert edge(ws.load(), "HAS_ACCESS", "vault:prod:policy/root", "vault:prod")["level"] == "admin"


def test_names_and_shapes_that_cannot_be_read(tmp_path):
    nameless = tmp_path / "role.json"
    shutil.copy(VAULT / "prod__auth__approle__role__ci.json", nameless)
    with pytest.raises(InputError) as exc:
        vault.parse(nameless)
    assert str(exc.value) == (f"{nameless}: cannot tell the Vault cluster and path: name the file "
                              "CLUSTER__<vault path with / written as __>.json, e.g. "
                              "prod__auth__approle__role__ci.json (see `nhigraph formats`)")
    other = tmp_path / "prod__auth__token__role__ops.json"
    other.write_text(json.dumps({"request_id": "x", "data": {"allowed_policies": ["a"], "token_policies": []}}))
    with pytest.raises(InputError) as exc:
        vault.parse(other)
    assert "not an AppRole, Kubernetes or JWT/OIDC role" in str(exc.value)
    assert exc.value.record == "data"


def test_kv_custom_metadata_naming_a_credential(tmp_path):
    f = tmp_path / "prod__kv__secret__sf__token.json"
    f.write_text(json.dumps({"data": {"current_version": 1, "versions": {"1": {"created_time": "2024-01-01T00:00:00Z"}},
                                      "created_time": "2024-01-01T00:00:00Z", "updated_time": "2024-01-01T00:00:00Z",
                                      "custom_metadata": {"credential_id": "cred:sf-token"}}}))
    ws = Workspace(tmp_path / "ws")
    assert run([f], ws).ok
    snap = ws.load()
    assert ("vault:prod:kv/secret/sf/token", "cred:sf-token") in edges_of(snap, "STORES")
    assert "vault:prod:kv/secret/sf/token#value" not in snap.nodes
