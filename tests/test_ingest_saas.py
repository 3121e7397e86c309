"""Okta and Slack (tests/fixtures/saas, see its README), and the ownership and exceptions registers
(inventory owners/ownership/exceptions tables): concrete nodes and edges, level rules, bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from ingest_support import SAAS, edge, edges_of, exports, formats, run

from nhigraph.analysis.debt import DebtAnalysis
from nhigraph.analysis.estate import Estate
from nhigraph.errors import InputError
from nhigraph.ingest import okta, slack
from nhigraph.workspace.store import Workspace

UTC = timezone.utc
ORG = "okta:acme.okta.com"
SCIM = f"{ORG}:app/0oa1gjh63g214q0Hq0g4"
REPORTING = f"{ORG}:app/0oa2reportsvc0Hq0g5"
TEAM = "slack:T0HFE6EBT"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("saas") / "ws")
    result = run(exports(SAAS), ws)
    assert result.ok and result.warnings == [], (result.errors, result.warnings)
    return ws.load()


def test_detection():
    files = sorted(SAAS.rglob("*.json"))
    assert formats(files) == {p.name: ("slack-apps" if "slack" in p.name else "okta-api") for p in files}


# ---------------------------------------------------------------------------------------------- Okta
def test_okta_api_tokens_act_as_their_admin_user(snap):
    tok = snap.nodes[f"{ORG}:api-token/00Tabcdefg1234567890"]
    assert (tok["label"], tok["kind"], tok["name"]) == ("Credential", "api_token", "My API Token")
    assert tok["expires_at"] == datetime(2021, 12, 11, 20, 38, 10, tzinfo=UTC)
    assert "expires after P30D unused" in tok["description"] and "network ANYWHERE" in tok["description"]
    user = f"{ORG}:user/00uabcdefg1234567890"
    assert {c for c, i in edges_of(snap, "AUTHENTICATES") if i == user} == {
        f"{ORG}:api-token/00Tabcdefg1234567890", f"{ORG}:api-token/00T1234567890abcdefg"}
    assert edge(snap, "HAS_ACCESS", user, ORG)["level"] == "admin"
    assert snap.nodes[ORG]["kind"] == "okta_org"  # the org from the records' links


def test_okta_service_apps_and_their_grants(snap):
    app = snap.nodes[SCIM]
    assert (app["kind"], app["name"], app["status"], app["provider_id"]) == ("oauth_app", "SCIM sync service",
                                                                             "active", "0oa1gjh63g214q0Hq0g4")
    grant = edge(snap, "HAS_ACCESS", SCIM, ORG)
    assert (grant["level"], grant["actions"]) == ("admin", ["okta.groups.manage", "okta.users.read"])
    assert snap.nodes[f"{SCIM}/private-key"]["kind"] == "app_private_key"
    assert snap.nodes[f"{REPORTING}/client-secret"]["kind"] == "client_secret"
    conn = f"{SCIM}/connector"
    assert (conn, f"{SCIM}/private-key") in edges_of(snap, "USES")
    assert {(conn, ORG)} <= edges_of(snap, "CONNECTS_FROM") and (conn, ORG) in edges_of(snap, "CONNECTS_TO")
    assert (f"{REPORTING}/connector", ORG) not in edges_of(snap, "CONNECTS_TO")  # no grant: reads only
    # a browser app (authorization_code) is not a service identity
    assert f"{ORG}:app/0oa3webportal0Hq0g6" not in snap.nodes


def test_okta_client_secrets_are_fingerprinted_and_dropped(snap):
    cred = snap.nodes[f"{REPORTING}/client-secret"]
    assert cred["fingerprint"].startswith("sha256:")
    assert "fixture-okta-client-secret" not in json.dumps(list(snap.nodes.values()), default=str)


def test_okta_scope_levels():
    assert okta.scope_level("okta.users.read") == "read"
    assert okta.scope_level("okta.users.manage") == "admin"
    assert okta.scope_level("okta.myAccount.email.manage") == "admin"
    assert okta.scope_level("custom.write") == "write"


def test_okta_org_from_the_file_name_and_revoked_grants(tmp_path):
    f = tmp_path / "acme.okta.com__okta-grants.json"
    f.write_text(json.dumps([{"id": "g1", "status": "REVOKED", "issuer": "{yourOktaDomain}", "clientId": "0oaX",
                              "scopeId": "okta.apps.manage"},
                             {"id": "g2", "status": "ACTIVE", "issuer": "{yourOktaDomain}", "clientId": "0oaX",
                              "scopeId": "okta.logs.read"}]))
    ws = Workspace(tmp_path / "ws")
    assert run([f], ws).ok
    assert edge(ws.load(), "HAS_ACCESS", f"{ORG}:app/0oaX", ORG)["actions"] == ["okta.logs.read"]
    nameless = tmp_path / "grants.json"
    nameless.write_text(f.read_text())
    with pytest.raises(InputError) as exc:
        okta.parse(nameless)
    assert str(exc.value).startswith(f"{nameless}: cannot tell the Okta org")


# ---------------------------------------------------------------------------------------------- Slack
def test_slack_approved_apps(snap):
    app = snap.nodes[f"{TEAM}:app/A0W7UKG8E"]
    assert (app["kind"], app["name"], app["external"]) == ("bot", "My Test App", True)
    assert "sensitive scopes: bot, channels:history" in app["description"]
    assert edge(snap, "HAS_ACCESS", f"{TEAM}:app/A0W7UKG8E", TEAM)["level"] == "write"  # legacy bot scope
    assert snap.nodes[f"{TEAM}:app/A0W7UKG8E/bot-token"]["scopes"] == ["bot"]
    assert snap.nodes[f"{TEAM}:app/A0W7UKG8E/user-token"]["kind"] == "oauth_grant"
    assert edge(snap, "HAS_ACCESS", f"{TEAM}:app/A0FDLP8M2L", TEAM)["level"] == "read"
    assert edge(snap, "HAS_ACCESS", f"{TEAM}:app/A0ADMINAPP1", TEAM)["level"] == "admin"
    # third-party apps: their developer holds the tokens; internal apps have no vendor
    assert {c for v, c in edges_of(snap, "HOLDS") if v == "vendor:slack-app/A0W7UKG8E"} == {
        f"{TEAM}:app/A0W7UKG8E/bot-token", f"{TEAM}:app/A0W7UKG8E/user-token"}
    assert "vendor:slack-app/A0FDLP8M2L" not in snap.nodes
    conn = f"{TEAM}:app/A0FDLP8M2L/connector"
    assert {e for s, e in edges_of(snap, "CONNECTS_TO") if s == conn} == {"slack-app:A0FDLP8M2L"}
    assert {e for s, e in edges_of(snap, "CONNECTS_FROM") if s == conn} == {TEAM}


def test_slack_scope_levels():
    assert [slack.scope_level(s) for s in ("channels:read", "chat:write", "admin.users:write", "client",
                                           "incoming-webhook", "identify")] == [
        "read", "write", "admin", "admin", "write", "read"]


def test_slack_errors(tmp_path):
    f = tmp_path / "T1__slack-approved-apps.json"
    f.write_text('{"ok": false, "error": "not_allowed_token_type"}')
    with pytest.raises(InputError) as exc:
        slack.parse(f)
    assert str(exc.value) == f"{f}: Slack returned an error (not_allowed_token_type), not an app list"
    g = tmp_path / "approved.json"
    g.write_text('{"ok": true, "approved_apps": [{"app": {"name": "no id"}}]}')
    with pytest.raises(InputError):
        slack.parse(g)
    h = tmp_path / "T1__slack-approved-apps.json"
    h.write_text('{"ok": true, "approved_apps": [{"app": {"name": "no id"}}, {"app": {"id": "A1", "name": "ok"}}]}')
    ws = Workspace(tmp_path / "ws")
    result = run([h], ws)
    assert [str(e) for e in result.errors] == [f"{h}: approved_apps[1]: an approved app needs app.id"]
    assert "slack:T1:app/A1" in ws.load().nodes


# ---------------------------------------------------------------------------------------------- registers
def test_owner_register_status_and_escalation(tmp_path):
    owners = tmp_path / "owners.csv"
    owners.write_text("id,kind,name,status,escalation\nteam:sec,team,Security,active,\n"
                      "person:carol,person,Carol,departed,team:sec\nperson:dan,person,Dan,on leave,\n"
                      "person:erin,person,Erin,departed,\n")
    ws = Workspace(tmp_path / "ws")
    result = run([owners], ws)
    assert [str(e) for e in result.errors] == [
        f"{owners}: line 4: owner status 'on leave' is not one of active, departed"]
    nodes = ws.load().nodes
    assert nodes["team:sec"]["active"] is True
    assert (nodes["person:carol"]["active"], nodes["person:carol"]["escalation_contact"]) == (False, "team:sec")
    assert "person:dan" not in nodes
    both = tmp_path / "staff-owners.csv"
    both.write_text("id,kind,active,status\nperson:x,person,true,departed\n")
    assert [str(e) for e in run([both], Workspace(tmp_path / "ws2")).errors] == [
        f"{both}: line 2: status says departed but active says 'true'"]


def test_ownership_register_unknown_owners_and_duplicate_rows(tmp_path):
    (tmp_path / "owners.csv").write_text("id,kind,name,active\nteam:sec,team,Security,true\n")
    (tmp_path / "systems.csv").write_text("id,kind,name\nsys:okta,okta_org,Okta\n")
    own = tmp_path / "ownership.csv"
    own.write_text("owner,subject,role\nteam:sec,sys:okta,approve\nteam:ghost,sys:okta,revoke\n"
                   "team:sec,sys:okta,approve\nteam:sec,sys:okta,monitor\n")
    ws = Workspace(tmp_path / "ws")
    result = run([tmp_path], ws)
    assert [str(e) for e in result.errors] == [
        f"{own}: line 3: OWNS start 'team:ghost' is not a known node (unknown reference)"]
    assert result.warnings == [
        f"{own}: line 4: duplicate of line 2 (OWNS team:sec -> sys:okta); counted once"]
    roles = {k[3] for k in ws.load().edges if k[0] == "OWNS"}
    assert roles == {"approve", "monitor"}


def test_exceptions_register(tmp_path):
    (tmp_path / "credentials.csv").write_text("id,kind,name\ncred:old,api_token,old token\n")
    exc = tmp_path / "exceptions.csv"
    exc.write_text("id,kind,name,reason,approver,rule,created_at,expires_at,subject\n"
                   "exc:past,waiver,past,legacy,ciso@example.com,rotate-90d,2025-01-01,2025-06-30,cred:old\n"
                   "exc:open,waiver,open,,,,2025-01-01,,cred:old\n"
                   "exc:backwards,waiver,backwards,r,a,x,2025-06-01,2025-01-01,\n")
    ws = Workspace(tmp_path / "ws")
    result = run([tmp_path], ws, observed_at=datetime(2026, 1, 31, tzinfo=UTC))
    assert result.ok
    assert result.warnings == [
        f"{exc}: line 3: exception 'exc:open' has no reason, approver, expires_at",
        f"{exc}: line 4: exception 'exc:backwards' expires (2025-01-01) before it was granted (2025-06-01)",
        f"{exc}: line 4: exception 'exc:backwards' waives nothing (no subject)"]
    # expiry is judged against when the estate was observed, by the exceptions debt metric
    estate = Estate.from_snapshot(ws.load())
    metric = next(m for m in DebtAnalysis(estate).metrics() if m.id == "security.exceptions")
    assert {(o["subject"], o["expired"]) for o in metric.offenders} == {
        ("exc:past", True), ("exc:open", False), ("exc:backwards", True)}
