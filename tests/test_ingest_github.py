"""GitHub REST listings and Actions workflows (tests/fixtures/github, see its README): concrete nodes and
edges, the file-name convention, YAML anchors/aliases, matrix and reusable workflows, and bad input."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from ingest_support import GITHUB, WEB_WORKFLOWS, WORKFLOWS, edge, edges_of, formats, ids_of, link_step, run

from nhigraph.cli import cli
from nhigraph.errors import InputError
from nhigraph.ingest.github import workflows as wf
from nhigraph.ingest.github.ids import permission_level, scope_level
from nhigraph.workspace.store import Workspace

UTC = timezone.utc
API = GITHUB / "api"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    """The REST listings."""
    ws = Workspace(tmp_path_factory.mktemp("gh") / "ws")
    result = run([API], ws)
    assert result.ok, [str(e) for e in result.errors]
    return ws.load()


@pytest.fixture(scope="module")
def flows(tmp_path_factory):
    """The workflows alone: no store is known, so every secret reference stays the stored value it names."""
    ws = Workspace(tmp_path_factory.mktemp("wf") / "ws")
    result = run([WORKFLOWS, WEB_WORKFLOWS], ws)
    assert result.ok, [str(e) for e in result.errors]
    return ws.load()


def test_every_fixture_is_detected():
    assert formats(sorted(API.glob("*.json"))) == {p.name: "github-api" for p in API.glob("*.json")}
    assert set(formats(sorted(WORKFLOWS.glob("*.yml"))).values()) == {"github-actions"}


# ---------------------------------------------------------------------------------------------- REST
def test_app_installations(snap):
    inst = snap.nodes["github:acme:installation/25381"]
    assert (inst["label"], inst["kind"], inst["name"], inst["status"]) == ("Identity", "github_app", "deploy-bot",
                                                                         "active")
    assert inst["created_at"] == datetime(2017, 5, 16, 15, 47, 9, tzinfo=UTC)
    grant = edge(snap, "HAS_ACCESS", "github:acme:installation/25381", "github:acme")
    assert grant["level"] == "write"  # deployments:write
    assert grant["actions"] == ["deployments:write", "metadata:read", "pull_requests:read", "statuses:read"]
    assert json.loads(grant["condition"]) == {"repository_selection": "selected"}
    # administration:write is admin; a suspended installation is disabled
    assert edge(snap, "HAS_ACCESS", "github:acme:installation/25382", "github:acme")["level"] == "admin"
    assert snap.nodes["github:acme:installation/25382"]["status"] == "disabled"
    key = "github:app/deploy-bot:private-key"
    assert snap.nodes[key]["kind"] == "app_private_key"
    assert ("AUTHENTICATES", key, "github:acme:installation/25381") in {k[:3] for k in snap.edges}
    conn = "github:acme:installation/25381/connector"
    assert snap.nodes[conn]["kind"] == "api_integration"
    assert {e for e in edges_of(snap, "CONNECTS_FROM") if e[0] == conn} == {(conn, "github:acme")}
    assert {e for e in edges_of(snap, "CONNECTS_TO") if e[0] == conn} == {(conn, "github-app:deploy-bot"),
                                                                           (conn, "github:acme")}
    assert (conn, key) in edges_of(snap, "USES")


def test_deploy_keys(snap):
    assert edge(snap, "HAS_ACCESS", "github:acme/api:deploy-key/1", "github:acme/api")["level"] == "read"
    assert edge(snap, "HAS_ACCESS", "github:acme/api:deploy-key/2", "github:acme/api")["level"] == "write"
    key = snap.nodes["github:acme/api:deploy-key/1/key"]
    assert (key["kind"], key["name"], key["last_used_at"]) == ("deploy_key", "octocat@octomac",
                                                               datetime(2022, 1, 10, 15, 53, 42, tzinfo=UTC))
    assert snap.nodes["github:acme/api"]["kind"] == "repo"
    # the public key is not kept
    assert not any("ssh-rsa" in json.dumps(n, default=str) for n in snap.nodes.values())


def test_actions_secrets_org_repo_and_environment(snap):
    repo = snap.nodes["github:acme/api:secret/AWS_ACCESS_KEY_ID"]
    assert (repo["label"], repo["kind"]) == ("SecretStore", "ci_variable")
    value = snap.nodes["github:acme/api:secret/AWS_ACCESS_KEY_ID#value"]
    assert value["last_rotated_at"] == datetime(2025, 1, 10, 14, 59, 22, tzinfo=UTC)
    assert ("github:acme/api:secret/AWS_ACCESS_KEY_ID",
            "github:acme/api:secret/AWS_ACCESS_KEY_ID#value") in edges_of(snap, "STORES")
    assert "visibility selected" in snap.nodes["github:acme:secret/NPM_TOKEN"]["description"]
    env = snap.nodes["github:acme/api:env/production/secret/PROD_DB_PASSWORD"]
    assert env["environment"] == "prod"
    assert ids_of(snap, "SecretStore", "github:acme:secret/") == {
        "github:acme:secret/GIST_ID", "github:acme:secret/DEPLOY_TOKEN", "github:acme:secret/NPM_TOKEN"}


def test_a_variable_is_a_store_only_when_it_holds_a_key_id(snap):
    assert ids_of(snap, "SecretStore", "github:acme/api:variable/") == {"github:acme/api:variable/ARTIFACTS_KEY_ID"}
    assert ("github:acme/api:variable/ARTIFACTS_KEY_ID", "aws:key:AKIAIOSFODNN7EXAMPLE") in edges_of(snap, "STORES")
    assert not any("octocat" == n.get("name") for n in snap.nodes.values())  # USERNAME's value is not stored


def test_personal_access_tokens(snap):
    tok = snap.nodes["github:acme:pat/25381/token"]
    assert (tok["kind"], tok["name"], tok["status"]) == ("pat", "Some Token", "active")
    assert tok["expires_at"] == datetime(2023, 11, 16, 15, 47, 9, tzinfo=UTC)
    assert tok["scopes"] == ["members:read", "metadata:read"]
    assert edge(snap, "HAS_ACCESS", "github:acme:pat/25381", "github:acme")["level"] == "read"
    assert edge(snap, "HAS_ACCESS", "github:acme:pat/25390", "github:acme")["level"] == "write"
    # classic PATs authorized for SSO: admin:org is admin; the token's last eight characters are not kept
    assert edge(snap, "HAS_ACCESS", "github:acme:sso-credential/161196", "github:acme")["level"] == "admin"
    assert edge(snap, "HAS_ACCESS", "github:acme:sso-credential/161195", "github:acme")["level"] == "write"
    assert snap.nodes["github:acme:sso-credential/161195/token"]["scopes"] == ["repo", "user"]
    assert not any("71c3fc11" in json.dumps(n, default=str) for n in snap.nodes.values())


def test_webhooks(snap):
    hook = snap.nodes["github:acme/api:hook/12345678"]
    assert (hook["label"], hook["kind"], hook["status"]) == ("Connector", "webhook", "active")
    assert ("github:acme/api:hook/12345678", "web:example.com") in edges_of(snap, "CONNECTS_TO")
    assert ("github:acme/api:hook/12345678", "github:acme/api:hook/12345678/secret") in edges_of(snap, "USES")
    unsigned = snap.nodes["github:acme/api:hook/12345679"]
    assert unsigned["status"] == "inactive" and "insecure_ssl" in unsigned["description"]
    assert "github:acme/api:hook/12345679/secret" not in snap.nodes


def test_levels():
    assert permission_level({"contents": "read"}) == "read"
    assert permission_level({"contents": "write", "metadata": "read"}) == "write"
    assert permission_level({"secrets": "write"}) == "admin"
    assert permission_level({"organization_administration": "read"}) == "read"
    assert scope_level(["read:org"]) == "read" and scope_level(["repo"]) == "write"
    assert scope_level(["workflow"]) == "admin" and scope_level(["admin:repo_hook"]) == "admin"


def test_paginated_output_and_missing_scope(tmp_path):
    page = {"total_count": 3, "secrets": [{"name": "A", "created_at": "2024-01-01T00:00:00Z",
                                           "updated_at": "2024-01-01T00:00:00Z"}]}
    two = {"total_count": 3, "secrets": [{"name": "B", "created_at": "2024-01-01T00:00:00Z",
                                          "updated_at": "2024-01-01T00:00:00Z"}]}
    concatenated = tmp_path / "acme__svc__actions-secrets.json"  # gh api --paginate: pages back to back
    concatenated.write_text(json.dumps(page) + json.dumps(two) + "\n")
    slurped = tmp_path / "acme__lib__actions-secrets.json"  # gh api --paginate --slurp: one array of pages
    slurped.write_text(json.dumps([page, two]))
    ws = Workspace(tmp_path / "ws")
    assert run([concatenated, slurped], ws).ok
    assert ids_of(ws.load(), "SecretStore") == {"github:acme/svc:secret/A", "github:acme/svc:secret/B",
                                                "github:acme/lib:secret/A", "github:acme/lib:secret/B"}
    anonymous = tmp_path / "secrets-export.json"
    anonymous.write_text(json.dumps(page))
    result = run([anonymous], Workspace(tmp_path / "ws2"))
    assert [str(e) for e in result.errors] == [
        f"{anonymous}: cannot tell which org these Actions secrets belong to: name the file ORG__actions-secrets.json "
        "(org), ORG__REPO__actions-secrets.json (repository) or ORG__REPO__ENV__actions-secrets.json (environment)"]


# ---------------------------------------------------------------------------------------------- workflows
def test_workflow_uses_secrets_per_job_and_assumes_a_role_by_oidc(flows):
    wid = "github:acme/api:workflow/deploy.yml"
    w = flows.nodes[wid]
    assert (w["label"], w["kind"], w["name"], w["repo"]) == ("Workflow", "ci_pipeline", "Deploy API", "acme/api")
    assert w["triggers"] == ["push", "workflow_dispatch"]  # `on:` is a key, not YAML 1.1's true
    assert w["environment"] == "prod"
    uses = {end: e.get("jobs") for (t, s, end, *_), e in flows.edges.items() if t == "USES" and s == wid}
    assert uses == {"github:acme/api:secret/AWS_ACCESS_KEY_ID#value": ["build"],
                    "github:acme/api:secret/AWS_SECRET_ACCESS_KEY#value": ["build"],
                    "github:acme/api:env/production/secret/PROD_DB_PASSWORD#value": ["deploy"]}
    trust = edge(flows, "CAN_ASSUME", wid, "aws:123456789012:role/gha-deploy")
    assert trust["via"] == "oidc" and json.loads(trust["condition"]) == {"jobs": ["deploy"]}
    assert flows.nodes["aws:123456789012:role/gha-deploy"]["kind"] == "iam_role"
    # GITHUB_TOKEN is the job's own token, not a stored secret
    assert not any("GITHUB_TOKEN" in n for n in flows.nodes)
    conn = f"{wid}/connector"
    assert ("CONNECTS_TO", conn, "aws:123456789012") in {k[:3] for k in flows.edges}
    assert flows.nodes["aws:123456789012"]["kind"] == "aws_account"


def test_workflows_using_one_secret_share_one_credential_node(flows):
    cred = "github:acme/api:secret/AWS_ACCESS_KEY_ID#value"
    users = {s for s, e in edges_of(flows, "USES") if e == cred and flows.nodes[s]["label"] == "Workflow"}
    assert users == {"github:acme/api:workflow/deploy.yml", "github:acme/api:workflow/release.yml",
                     "github:acme/api:workflow/anchors.yml"}
    assert len([n for n in flows.nodes if "AWS_ACCESS_KEY_ID" in n and flows.nodes[n]["label"] == "Credential"]) == 1


def test_anchors_aliases_and_merge_keys(flows):
    wid = "github:acme/api:workflow/anchors.yml"
    assert flows.nodes[wid]["triggers"] == ["pull_request"]  # "on" quoted
    assert edge(flows, "USES", wid, "github:acme/api:secret/AWS_ACCESS_KEY_ID#value")["jobs"] == ["integration",
                                                                                                 "unit"]


def test_matrix_expands_to_its_exact_combinations(flows):
    wid = "github:acme/api:workflow/matrix.yml"
    assert {e for s, e in edges_of(flows, "USES") if s == wid} == {
        "github:acme/api:env/production/secret/NPM_TOKEN#value",
        "github:acme/api:env/staging/secret/NPM_TOKEN#value",
        "github:acme/api:env/staging/secret/DEPLOY_TOKEN#value"}  # include: adds DEPLOY_TOKEN to staging only
    assert edge(flows, "CAN_ASSUME", wid, "gcp:sa:my-service-account@my-project.iam.gserviceaccount.com")["via"] == "oidc"
    assert flows.nodes[wid]["triggers"] == ["push", "workflow_call"]


def test_matrix_combinations_follow_githubs_rules():
    job = {"strategy": {"matrix": {"os": ["linux", "mac"], "v": [1, 2], "exclude": [{"os": "mac", "v": 1}],
                                   "include": [{"os": "linux", "extra": "x"}, {"os": "windows", "v": 3}]}}}
    assert wf.matrix_combinations(job) == [{"os": "linux", "v": "1", "extra": "x"},
                                           {"os": "linux", "v": "2", "extra": "x"},
                                           {"os": "mac", "v": "2"}, {"os": "windows", "v": "3"}]
    assert wf.matrix_combinations({"strategy": {"matrix": "${{ fromJSON(needs.a.outputs.m) }}"}}) is None


def test_reusable_workflows(flows):
    wid = "github:acme/api:workflow/release.yml"
    desc = flows.nodes[wid]["description"]
    assert "job notify calls acme/shared/.github/workflows/notify.yml@v1 with secrets: inherit" in desc
    assert "job local calls acme/api/.github/workflows/matrix.yml" in desc
    callee = flows.nodes["github:acme/shared:workflow/notify.yml"]
    assert callee["triggers"] == ["workflow_call"]
    # a secret passed to the called workflow is read by the caller; secrets['NAME'] works too
    assert edge(flows, "USES", wid, "github:acme/api:secret/DEPLOY_TOKEN#value")["jobs"] == ["local"]
    assert edge(flows, "USES", wid, "github:acme/api:secret/SLACK_WEBHOOK#value")["jobs"] == ["publish"]
    assert flows.nodes[wid]["kind"] == "ci_pipeline"  # schedule and workflow_dispatch


def test_literal_secret_in_env_is_a_leaked_credential(tmp_path):
    ws = Workspace(tmp_path / "ws")
    result = run([WEB_WORKFLOWS], ws)
    assert result.ok
    assert result.warnings == [
        f"{WEB_WORKFLOWS / 'ci.yml'}: jobs.test.env.ANALYTICS_API_TOKEN: holds a literal value: a secret written in "
        "a workflow file is leaked (use ${{ secrets.NAME }}); recorded as a leaked credential, value not stored"]
    snap = ws.load()
    leaked = [n for n, d in snap.nodes.items() if d["label"] == "Credential" and d.get("leaked")]
    assert len(leaked) == 1 and leaked[0].startswith("secret:sha256:")
    assert snap.nodes[leaked[0]]["leak_location"] == "acme/web:.github/workflows/ci.yml"
    assert ("github:acme/web:workflow/ci.yml", leaked[0]) in edges_of(snap, "USES")
    assert scan_for(tmp_path / "ws", "tok_live_4f9a1c2e8b7d6a5f3e2d1c0b") == []
    # REGION and NODE_ENV are not secret-looking; azure/login with a literal client id federates
    assert ("github:acme/web:workflow/ci.yml", "azure:app:00000000-0000-0000-0000-000000000001") in edges_of(
        snap, "CAN_ASSUME")


def scan_for(folder, needle):
    from ingest_support import scan

    return scan(folder, needle)


def test_a_literal_key_id_in_env_is_that_key(tmp_path):
    f = tmp_path / "acme__tools__keys.yml"
    f.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n"
                 "    steps: [{run: env}]\n")
    ws = Workspace(tmp_path / "ws")
    assert run([f], ws).ok
    snap = ws.load()
    assert ("github:acme/tools:workflow/keys.yml", "aws:key:AKIAIOSFODNN7EXAMPLE") in edges_of(snap, "USES")
    assert not snap.nodes["aws:key:AKIAIOSFODNN7EXAMPLE"].get("leaked")


# ---------------------------------------------------------------------------------------------- bad input
def _repo(tmp_path, files: dict[str, str]):
    folder = tmp_path / "acme" / "svc" / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_invalid_yaml_is_one_clear_error_and_the_rest_is_ingested(tmp_path):
    folder = _repo(tmp_path, {
        "good.yml": "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.TOKEN }}\n",
        "broken.yml": "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n     bad: [\n",
        "alias.yml": "on: push\njobs:\n  a: *nowhere\n"})
    r = CliRunner().invoke(cli, ["ingest", str(folder), "-w", str(tmp_path / "ws"), "--json"])
    assert r.exit_code == 2
    out = json.loads(r.stdout)
    assert sorted(out["errors"]) == sorted([
        f"{folder / 'broken.yml'}: line 7: invalid YAML: expected <block end>, but found '<block mapping start>'",
        f"{folder / 'alias.yml'}: line 3: invalid YAML: found undefined alias 'nowhere'"])
    snap = Workspace(tmp_path / "ws").load()
    assert ("github:acme/svc:workflow/good.yml", "github:acme/svc:secret/TOKEN#value") in edges_of(snap, "USES")


def test_a_bad_job_is_a_record_error_and_the_other_jobs_count(tmp_path):
    folder = _repo(tmp_path, {"mixed.yml": "on: [push]\njobs:\n  broken: just a string\n  fine:\n    runs-on: x\n"
                                           "    steps:\n      - run: echo ${{ secrets.FINE }}\n"})
    ws = Workspace(tmp_path / "ws")
    result = run([folder], ws)
    assert [str(e) for e in result.errors] == [f"{folder / 'mixed.yml'}: jobs.broken: a job must be a mapping"]
    assert ("github:acme/svc:workflow/mixed.yml", "github:acme/svc:secret/FINE#value") in edges_of(ws.load(), "USES")


def test_not_a_workflow_and_unknown_repository(tmp_path):
    folder = _repo(tmp_path, {"notes.yml": "title: not a workflow\nitems: [1, 2]\n"})
    with pytest.raises(InputError) as exc:
        wf.parse(folder / "notes.yml")
    assert str(exc.value) == (f"{folder / 'notes.yml'}: not a GitHub Actions workflow (needs `on:` and `jobs:` "
                              "at the top level)")
    loose = tmp_path / "deploy.yml"
    loose.write_text("on: push\njobs: {a: {runs-on: x}}\n")
    with pytest.raises(InputError) as exc:
        wf.parse(loose)
    assert "cannot tell the repository of this workflow" in str(exc.value)


def test_computed_secret_names_are_warned_about(tmp_path):
    folder = _repo(tmp_path, {"dyn.yml": "on: push\njobs:\n  a:\n    runs-on: x\n    environment: ${{ inputs.env }}\n"
                                         "    steps:\n      - run: echo ${{ secrets[format('{0}_KEY', inputs.env)] }}\n"})
    result = run([folder], Workspace(tmp_path / "ws"))
    assert result.ok
    assert sorted(result.warnings) == sorted([
        f"{folder / 'dyn.yml'}: jobs.a: a secret is read by a computed name (secrets[...]); not resolved",
        f"{folder / 'dyn.yml'}: jobs.a: the job's environment is computed; its secrets are taken as repository "
        "secrets"])


def test_an_alias_bomb_is_walked_once(tmp_path):
    lines = ["on: push", "a0: &a0 ['${{ secrets.BOOM }}']"]
    for i in range(1, 25):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]")
    lines += ["jobs:", "  j:", "    runs-on: x", "    env: {X: *a24}"]
    folder = _repo(tmp_path, {"bomb.yml": "\n".join(lines) + "\n"})
    ws = Workspace(tmp_path / "ws")
    assert run([folder], ws).ok
    assert ("github:acme/svc:workflow/bomb.yml", "github:acme/svc:secret/BOOM#value") in edges_of(ws.load(), "USES")


def test_flat_copies_are_named_org_repo_file(tmp_path):
    shutil.copy(WORKFLOWS / "deploy.yml", tmp_path / "acme__api__deploy.yml")
    ws = Workspace(tmp_path / "ws")
    assert run([tmp_path / "acme__api__deploy.yml"], ws).ok
    assert "github:acme/api:workflow/deploy.yml" in ws.load().nodes


# ---------------------------------------------------------------------------------------------- links
def test_secret_references_fall_back_to_the_stores_that_exist(tmp_path, monkeypatch):
    """With the link step: a job's environment secret that only exists at org level is the org secret."""
    link_step(monkeypatch)
    ws = Workspace(tmp_path / "ws")
    assert run([API, WORKFLOWS], ws).ok
    snap = ws.load()
    wid = "github:acme/api:workflow/matrix.yml"
    assert {e for s, e in edges_of(snap, "USES") if s == wid} == {"github:acme:secret/NPM_TOKEN#value",
                                                                  "github:acme:secret/DEPLOY_TOKEN#value"}
    assert not ids_of(snap, "Credential", "github:acme/api:env/staging/")
    # the environment secret that exists stays the environment's
    assert ("github:acme/api:workflow/deploy.yml",
            "github:acme/api:env/production/secret/PROD_DB_PASSWORD#value") in edges_of(snap, "USES")
