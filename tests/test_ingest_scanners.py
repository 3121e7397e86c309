"""Secret scanners (tests/fixtures/scanners, see its README): gitleaks JSON and trufflehog JSON lines mark
credentials leaked, matched by key id or fingerprint, as stubs; garbage lines are per-line errors; a secret
value never reaches the workspace, the terminal or a message."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from ingest_support import SCANNERS, SAAS, edge, edges_of, formats, ids_of, link_step, run, scan

from nhigraph.cli import cli
from nhigraph.ingest.scanners import repo_key, scan_date
from nhigraph.workspace.store import Workspace

UTC = timezone.utc
GITLEAKS = SCANNERS / "acme__api__gitleaks.json"
SAMPLE = SCANNERS / "gitleaks" / "report-json-simple.json"
TRUFFLEHOG = SCANNERS / "acme__api__trufflehog.jsonl"
KEY = "aws:key:AKIA2E0A8F3B244C9986"
GENERIC = "secret:sha256:" + hashlib.sha256(b"fixture-generic-key-7c41b2e9d0a3f658").hexdigest()


def sha(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("scan") / "ws")
    run([SCANNERS], ws)
    return ws.load()


def test_detection():
    assert formats([GITLEAKS, SAMPLE, TRUFFLEHOG]) == {GITLEAKS.name: "gitleaks", SAMPLE.name: "gitleaks",
                                                       TRUFFLEHOG.name: "trufflehog"}


def test_the_real_gitleaks_sample(snap):
    cred = "secret:" + sha("a secret")
    node = snap.nodes[cred]
    assert node["leaked"] is True and node["fingerprint"] == sha("a secret")
    assert node["leaked_at"] == datetime(2003, 10, 19, tzinfo=UTC)  # "10-19-2003", month first
    assert node["leak_location"] == "auth.py (line 1)"  # the all-zero commit of an uncommitted scan is left out
    assert ("scan:report-json-simple:file/auth.py", cred) in edges_of(snap, "STORES")
    assert "a secret" not in json.dumps(list(snap.nodes.values()), default=str)


def test_an_aws_key_id_finding_is_that_key(snap):
    node = snap.nodes[KEY]
    assert (node["label"], node["kind"], node["key_id"], node["leaked"]) == ("Credential", "access_key",
                                                                            "AKIA2E0A8F3B244C9986", True)
    assert node["leaked_at"] == datetime(2025, 2, 1, 9, 30, tzinfo=UTC)  # the earliest of its two findings
    assert node["leak_location"] == ("acme/api:.env@9f2c1e4b7a3d (line 3); "
                                     "acme/api:deploy/.env.production@1a2b3c4d5e6f (line 1)")
    stores = {s for s, e in edges_of(snap, "STORES") if e == KEY}
    assert stores == {"github:acme/api:file/.env", "github:acme/api:file/deploy/.env.production"}
    assert snap.nodes["github:acme/api:file/.env"]["kind"] == "env_file"
    assert ("github:acme/api:file/.env", "github:acme") in edges_of(snap, "PART_OF")


def test_gitleaks_and_trufflehog_finding_one_value_is_one_credential(snap):
    node = snap.nodes[GENERIC]
    assert node["leaked"] and node["fingerprint"] == sha("fixture-generic-key-7c41b2e9d0a3f658")
    assert {s for s, e in edges_of(snap, "STORES") if e == GENERIC} == {
        "github:acme/api:file/config/settings.py", "scan:acme/api:file//srv/app/config/settings.py"}


def test_a_redacted_finding_is_kept_unmatched(snap):
    unknown = ids_of(snap, "Credential", "secret:unidentified:")
    assert len(unknown) == 1
    node = snap.nodes[next(iter(unknown))]
    assert node["leaked"] and node["kind"] == "api_token"
    assert node["leaked_at"] == datetime(2024, 11, 2, 8, 15, tzinfo=UTC)  # "2024-11-02 08:15:00"


def test_trufflehog_findings(snap):
    aws = snap.nodes["aws:key:AKIAYVP4CIPPERUVIFXG"]
    assert aws["status"] == "active"  # verified
    assert aws["leaked_at"] == datetime(2022, 6, 16, 17, 17, 40, tzinfo=UTC)  # "2022-06-16 10:17:40 -0700 PDT"
    assert aws["fingerprint"] == sha("fixtureSecretAccessKeyNotReal0000000000000")  # RawV2's secret part
    user = "aws:595918472158:user/canarytokens.com@@mirux23ppyky6hx3l6vclmhnj"
    assert edge(snap, "AUTHENTICATES", "aws:key:AKIAYVP4CIPPERUVIFXG", user) is not None
    uri = "secret:" + sha("https://fixture-user:fixture-pass-9b1d@db.internal.example.com")
    assert snap.nodes[uri]["kind"] == "connection_string"
    assert snap.nodes[uri]["leak_location"] == "acme/api:docker-compose.yml@3c4d5e6f7a8b (line 22)"
    assert ("github:acme/api:file/docker-compose.yml", uri) in edges_of(snap, "STORES")


def test_garbage_lines_are_per_line_errors_and_the_rest_is_ingested(tmp_path):
    ws = Workspace(tmp_path / "ws")
    result = run([TRUFFLEHOG], ws)
    assert [str(e) for e in result.errors] == [
        f"{TRUFFLEHOG}: line 1: not a JSON finding (invalid JSON: Expecting value); line skipped",
        f"{TRUFFLEHOG}: line 5: not a JSON finding (invalid JSON: Expecting value); line skipped",
        f"{TRUFFLEHOG}: line 6: not a JSON finding (invalid JSON: Expecting value); line skipped"]
    assert result.warnings == [f"{TRUFFLEHOG}: line 3: a trufflehog log line, not a finding; skipped"]
    creds = ids_of(ws.load(), "Credential")
    assert creds == {"aws:key:AKIAYVP4CIPPERUVIFXG", GENERIC,
                     "secret:" + sha("https://fixture-user:fixture-pass-9b1d@db.internal.example.com")}
    assert ws.manifest()["sources"]["trufflehog:acme/api"]["partial"] is True  # never stale-cleaned


def test_a_finding_fills_a_known_credential_but_never_overrides_it(tmp_path):
    """Either order: the scanner adds the leak; the name and kind stay the inventory's."""
    inv = tmp_path / "credentials.csv"
    inv.write_text(f"id,kind,name,key_id,status\n{KEY},access_key,ci-bot key,AKIA2E0A8F3B244C9986,active\n")
    for order, paths in (("scanner last", [[inv], [GITLEAKS]]), ("scanner first", [[GITLEAKS], [inv]])):
        ws = Workspace(tmp_path / order.replace(" ", "-"))
        for p in paths:
            assert run(p, ws).ok
        node = ws.load().nodes[KEY]
        assert (node["name"], node["kind"], node["leaked"]) == ("ci-bot key", "access_key", True), order
        assert node["leaked_at"] == datetime(2025, 2, 1, 9, 30, tzinfo=UTC), order


def test_a_fingerprint_match_moves_the_finding_onto_the_known_credential(tmp_path, monkeypatch):
    link_step(monkeypatch)
    inv = tmp_path / "credentials.csv"
    inv.write_text("id,kind,name,secret\ncred:settings-key,api_token,settings API key,"
                   "fixture-generic-key-7c41b2e9d0a3f658\n")
    ws = Workspace(tmp_path / "ws")
    assert run([inv], ws).ok
    assert run([GITLEAKS], ws).ok
    snap = ws.load()
    assert GENERIC not in snap.nodes
    node = snap.nodes["cred:settings-key"]
    assert node["leaked"] and node["name"] == "settings API key"
    assert ("github:acme/api:file/config/settings.py", "cred:settings-key") in edges_of(snap, "STORES")


def test_dates_and_repositories():
    assert scan_date("2022-01-30T19:30:49Z") == datetime(2022, 1, 30, 19, 30, 49, tzinfo=UTC)
    assert scan_date("10-19-2003") == datetime(2003, 10, 19, tzinfo=UTC)
    assert scan_date("2006-01-02 15:04:05") == datetime(2006, 1, 2, 15, 4, 5, tzinfo=UTC)
    assert scan_date("2026-07-13 18:16:00 +0000") == datetime(2026, 7, 13, 18, 16, tzinfo=UTC)
    assert scan_date("2022-06-16 10:17:40 -0700 PDT") == datetime(2022, 6, 16, 17, 17, 40, tzinfo=UTC)
    assert scan_date("") is None and scan_date("yesterday") is None
    assert repo_key("https://github.com/acme/api.git") == "github:acme/api"
    assert repo_key("git@github.com:acme/api.git") == "github:acme/api"
    assert repo_key("https://github.com/acme/api/blob/abc/.env#L3") == "github:acme/api"
    assert repo_key("https://gitlab.example.com/group/sub/proj.git") == "git:gitlab.example.com/group/sub/proj"


def test_not_a_report(tmp_path):
    f = tmp_path / "gitleaks.json"
    f.write_text('{"RuleID": "x", "StartLine": 1}')
    ws = Workspace(tmp_path / "ws")
    result = run([f], ws, fmt="gitleaks")
    assert [str(e) for e in result.errors] == [
        f"{f}: not a gitleaks JSON report (expected an array of findings)"]
    empty = tmp_path / "acme__api__gitleaks.json"
    empty.write_text("[]\n")
    assert run([empty], ws).ok  # no leaks: an empty report


# ---------------------------------------------------------------------------------------------- canaries
@pytest.fixture
def canaries() -> dict[str, str]:
    return {n: f"nhigraph-canary-{n}-{uuid.uuid4()}" for n in (
        "gl_secret", "gl_match", "gl_line", "th_raw", "th_rawv2", "th_redacted", "th_garbage", "th_bad_obj",
        "wf_env", "wf_yaml", "okta_secret")}


def _canary_exports(tmp_path, c: dict[str, str]):
    src = tmp_path / "exports"
    (src / "acme" / "svc" / ".github" / "workflows").mkdir(parents=True)
    (src / "acme__svc__gitleaks.json").write_text(json.dumps([
        {"RuleID": "generic-api-key", "Description": "x", "StartLine": 2, "EndLine": 2, "StartColumn": 1,
         "EndColumn": 9, "Match": f"key = {c['gl_match']}", "Secret": c["gl_secret"], "Line": c["gl_line"],
         "Context": c["gl_line"], "File": "app.py", "SymlinkFile": "", "Commit": "abc", "Entropy": 4,
         "Author": "a", "Email": "a@example.com", "Date": "not a date", "Message": "m", "Tags": [],
         "Fingerprint": "abc:app.py:generic-api-key:2"},
        {"RuleID": "generic-api-key", "File": "", "Secret": c["gl_secret"]}]))
    (src / "acme__svc__trufflehog.jsonl").write_text("\n".join([
        json.dumps({"SourceMetadata": {"Data": {"Git": {"file": "x.env", "commit": "abc", "line": 1}}},
                    "DetectorName": "AWS", "Verified": False, "Raw": "AKIAIOSFODNN7EXAMPLE",
                    "RawV2": f"AKIAIOSFODNN7EXAMPLE:{c['th_rawv2']}", "Redacted": c["th_redacted"]}),
        json.dumps({"SourceMetadata": {"Data": {"Filesystem": {"file": "y.txt"}}}, "DetectorName": "Generic",
                    "Raw": c["th_raw"], "Redacted": c["th_redacted"]}),
        f"garbage {c['th_garbage']} here",
        '{"Raw": "' + c["th_bad_obj"] + '", "Verified": true',
        json.dumps({"Raw": c["th_bad_obj"], "note": "no source"})]) + "\n")
    (src / "acme" / "svc" / ".github" / "workflows" / "ci.yml").write_text(
        f"on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      DEPLOY_TOKEN: {c['wf_env']}\n"
        "    steps: [{run: make}]\n")
    (src / "acme" / "svc" / ".github" / "workflows" / "broken.yml").write_text(
        f"on: push\njobs:\n  a:\n    env: {{TOKEN: \"{c['wf_yaml']}\"\n   x: [\n")
    okta = json.loads((SAAS / "okta" / "acme.okta.com__okta-apps.json").read_text())
    okta[1]["credentials"]["oauthClient"]["client_secret"] = c["okta_secret"]
    (src / "acme.okta.com__okta-apps.json").write_text(json.dumps(okta))
    return src


def test_no_scanned_secret_reaches_the_workspace_the_terminal_or_a_message(tmp_path, canaries, monkeypatch):
    link_step(monkeypatch)
    src = _canary_exports(tmp_path, canaries)
    workflows = src / "acme" / "svc" / ".github" / "workflows"
    ws = tmp_path / "ws"
    outputs = []
    for extra in ([], ["--json"]):
        r = CliRunner().invoke(cli, ["ingest", str(src), str(workflows), "-w", str(ws), *extra])
        assert r.exit_code == 2, r.output
        assert "Traceback" not in r.output
        outputs.append(r.stdout + r.stderr)
    errors = json.loads(CliRunner().invoke(cli, ["ingest", str(src), str(workflows), "-w", str(ws),
                                                 "--json"]).stdout)["errors"]
    th, gl = src / "acme__svc__trufflehog.jsonl", src / "acme__svc__gitleaks.json"
    assert sorted(errors) == sorted([
        f"{workflows / 'broken.yml'}: line 5: invalid YAML: expected ',' or '}}', but got '<scalar>'",
        f"{gl}: finding 2: a gitleaks finding needs RuleID and File",
        f"{th}: line 3: not a JSON finding (invalid JSON: Expecting value); line skipped",
        f"{th}: line 4: not a JSON finding (invalid JSON: Expecting ',' delimiter); line skipped",
        f"{th}: line 5: not a trufflehog finding (no SourceMetadata or DetectorName); line skipped"])
    for name, canary in canaries.items():
        assert scan(ws, canary) == [], name
        for out in outputs + errors:
            assert canary not in out, name
    snap = Workspace(ws).load()
    assert snap.nodes["secret:" + sha(canaries["gl_secret"])]["leaked"]
    assert snap.nodes["secret:" + sha(canaries["th_raw"])]["leaked"]
    assert snap.nodes["aws:key:AKIAIOSFODNN7EXAMPLE"]["fingerprint"] == sha(canaries["th_rawv2"])
    assert snap.nodes["secret:" + sha(canaries["wf_env"])]["leaked"]
    assert snap.nodes["okta:acme.okta.com:app/0oa2reportsvc0Hq0g5/client-secret"]["fingerprint"] == sha(
        canaries["okta_secret"])
    # the scan finds what is stored: a control value in a stored field is found by the same scan
    control = f"nhigraph-control-{uuid.uuid4()}"
    (src / "acme__svc__trufflehog.jsonl").write_text(json.dumps(
        {"SourceMetadata": {"Data": {"Filesystem": {"file": control}}}, "DetectorName": "Generic",
         "Raw": canaries["th_raw"]}) + "\n")
    assert CliRunner().invoke(cli, ["ingest", str(src / "acme__svc__trufflehog.jsonl"), "-w", str(ws)]).exit_code == 0
    assert scan(ws, control)
