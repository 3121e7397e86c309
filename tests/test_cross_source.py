"""The cross-source target: an AWS key id in a gitleaks report, the GitHub Actions secret two workflows read,
and the credential register end as ONE credential node with its leak, its two users and its stores.

Fixture: tests/fixtures/cross_source (see its README). The link from the Actions secrets to the key is what
a user really has: the inventory's ``secret_stores`` row (``stores`` column) for ``AWS_ACCESS_KEY_ID`` and the
``credentials`` row's ``stored_in`` column for ``AWS_SECRET_ACCESS_KEY``. That credentials row, with id
``aws:key:<key id>``, stands in for the AWS credential report / ``aws iam list-access-keys`` export.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner
from ingest_support import CROSS, edges_of, ids_of, link_step, run

from nhigraph.analysis.debt import DebtAnalysis
from nhigraph.analysis.estate import Estate
from nhigraph.cli import cli
from nhigraph.workspace.store import Workspace

UTC = timezone.utc
KEY = "aws:key:AKIA2E0A8F3B244C9986"
WORKFLOWS = CROSS / "repos" / "acme" / "api" / ".github" / "workflows"
BUILD, NIGHTLY = "github:acme/api:workflow/build.yml", "github:acme/api:workflow/nightly.yml"
STORES = {"github:acme/api:secret/AWS_ACCESS_KEY_ID", "github:acme/api:secret/AWS_SECRET_ACCESS_KEY",
          "github:acme/api:file/.env"}
ALL = [CROSS / "scans", CROSS / "github", CROSS / "inventory", WORKFLOWS]


def assert_one_credential(snap) -> None:
    creds = ids_of(snap, "Credential")
    assert creds == {KEY}, creds  # no stand-in for the secrets' values is left
    node = snap.nodes[KEY]
    assert (node["kind"], node["name"], node["key_id"], node["status"]) == (
        "access_key", "ci-bot access key", "AKIA2E0A8F3B244C9986", "active")  # the register's, not the scanner's
    assert node["leaked"] is True
    assert node["leaked_at"] == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
    assert node["leak_location"] == "acme/api:.env@9f2c1e4b7a3d (line 3)"
    assert {s for s, c in edges_of(snap, "USES") if c == KEY} == {BUILD, NIGHTLY}
    assert [e["jobs"] for k, e in sorted(snap.edges.items()) if k[0] == "USES"] == [["upload"], ["export"]]
    assert {s for s, c in edges_of(snap, "STORES") if c == KEY} == STORES
    assert edges_of(snap, "AUTHENTICATES") == {(KEY, "aws:123456789012:user/ci-bot")}
    assert set(snap.nodes[KEY]["sources"]) == {"gitleaks:acme/api", "inventory:credentials"}
    assert set(snap.edges[("USES", BUILD, KEY)]["sources"]) == {"github-actions:acme/api:build.yml"}


def test_one_credential_node_from_four_sources(tmp_path, monkeypatch):
    link_step(monkeypatch)
    ws = Workspace(tmp_path / "ws")
    result = run(ALL, ws)
    assert result.ok and result.warnings == [], (result.errors, result.warnings)
    assert_one_credential(ws.load())


def test_the_debt_report_sees_one_leaked_shared_and_sprawled_key(tmp_path, monkeypatch):
    link_step(monkeypatch)
    ws = Workspace(tmp_path / "ws")
    assert run(ALL, ws).ok
    metrics = {m.id: m for m in DebtAnalysis(Estate.from_snapshot(ws.load())).metrics()}
    assert [o["subject"] for o in metrics["security.leaked"].offenders] == [KEY]
    assert metrics["security.shared_credentials"].offenders == [{"subject": KEY, "users": [BUILD, NIGHTLY]}]
    sprawl = metrics["integration.credential_sprawl"].offenders
    assert [(o["subject"], o["copies"]) for o in sprawl] == [(KEY, 3)]


def test_through_the_command_line(tmp_path, monkeypatch):
    link_step(monkeypatch)
    ws = tmp_path / "ws"
    r = CliRunner().invoke(cli, ["ingest", *map(str, ALL), "-w", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ok"] is True
    assert_one_credential(Workspace(ws).load())


def test_the_link_holds_across_runs(tmp_path, monkeypatch):
    """The register and the secrets list first, the workflows and the scan later: the link step reads the
    stores already in the workspace."""
    link_step(monkeypatch)
    ws = Workspace(tmp_path / "ws")
    assert run([CROSS / "inventory", CROSS / "github"], ws).ok
    assert run([WORKFLOWS, CROSS / "scans"], ws, observed_at=datetime(2026, 2, 1, tzinfo=UTC)).ok
    assert_one_credential(ws.load())


def test_a_link_that_arrives_later_applies_when_the_referring_exports_are_ingested_again(tmp_path, monkeypatch):
    link_step(monkeypatch)
    ws = Workspace(tmp_path / "ws")
    assert run([WORKFLOWS, CROSS / "github", CROSS / "scans"], ws).ok
    before = ws.load()
    assert {c for s, c in edges_of(before, "USES") if s == BUILD} == {
        "github:acme/api:secret/AWS_ACCESS_KEY_ID#value", "github:acme/api:secret/AWS_SECRET_ACCESS_KEY#value"}
    assert before.nodes[KEY]["leaked"] and before.nodes[KEY]["name"] != "ci-bot access key"
    assert run([CROSS / "inventory"], ws).ok
    assert run([WORKFLOWS, CROSS / "github"], ws).ok
    assert_one_credential(ws.load())


def test_nhigraph_ingest_links_without_help(tmp_path):
    ws = Workspace(tmp_path / "ws")
    assert run(ALL, ws).ok
    assert_one_credential(ws.load())
