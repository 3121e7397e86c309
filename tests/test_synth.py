"""The synthetic estate in real export formats (nhigraph.synth): it ingests without errors, every problem it
plants is found by the metric that measures it (generator and analyses agree, id for id), it is
deterministic, and `nhigraph synth` works."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.analysis import analyze
from nhigraph.analysis.estate import Estate
from nhigraph.analysis.reach import ReachIndex
from nhigraph.cli import cli
from nhigraph.synth.estate import PLANTED_KEYS, write_estate
from nhigraph.workspace.ingest import ingest

N = 1000

#: top folder under exports/ -> the formats its files must be detected as
FOLDER_FORMATS = {
    "aws": {"aws-iam-authorization-details", "aws-credential-report", "aws-list-access-keys"},
    "gcp": {"gcp-service-accounts", "gcp-service-account-keys", "gcp-iam-policy", "gcp-asset-iam-search"},
    "azure": {"azure-applications", "azure-service-principals", "azure-owners", "azure-app-role-assignments"},
    "kubernetes": {"kubernetes"},
    "vault": {"vault"},
    "github": {"github-api", "github-actions"},
    "scans": {"gitleaks"},
    "inventory": {"inventory-csv"},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "estate"
    result = write_estate(out, N, seed=11)
    ingested = ingest([result.exports], out.parent / "ws", observed_at=result.as_of)
    estate = Estate.load(out.parent / "ws")
    analysis = analyze(estate)
    planted = json.loads((out / "planted.json").read_text())
    metrics = {m.id: m for m in analysis.metrics}
    return result, ingested, estate, metrics, planted


def offenders(metrics, metric_id: str) -> dict[str, dict]:
    return {o["subject"]: o for o in metrics[metric_id].offenders}


def test_ingests_without_errors_in_the_documented_formats(run):
    result, ingested, _, _, planted = run
    assert ingested.ok, [str(e) for e in ingested.errors[:5]]
    assert not [w for w in ingested.warnings if "not a recognised export" in w]
    by_folder: dict[str, set[str]] = {}
    for path, fmt in ingested.files.items():
        by_folder.setdefault(Path(path).relative_to(result.exports).parts[0], set()).add(fmt)
    assert by_folder == FOLDER_FORMATS
    assert sum(result.written.values()) == pytest.approx(N, rel=0.05)
    assert set(planted["identities_written"]) == {"aws", "gcp", "azure", "kubernetes", "vault"}


def test_every_kind_of_problem_is_planted(run):
    planted = run[4]
    assert {k for k in PLANTED_KEYS if planted["counts"][k] == 0} == set()
    assert planted["truncated"] == []
    assert {"role_chain_to_admin", "vault_second_order"} <= set(planted)


def test_leaked_keys(run):
    _, _, _, metrics, planted = run
    leaked = offenders(metrics, "security.leaked")
    assert set(leaked) == set(planted["leaked_keys"]) | set(planted["leaked_unknown_secrets"])
    assert not set(planted["leaked_inactive_keys"]) & set(leaked)  # rotated after the leak
    assert not set(planted["gcp_exposed_keys_disabled"]) & set(leaked)
    chain = planted["role_chain_to_admin"]["credential"]
    assert leaked[chain]["leak_location"].startswith("corp/")


def test_stale_keys(run):
    _, _, _, metrics, planted = run
    unused = offenders(metrics, "security.unused")
    assert planted["stale_keys"] and all(unused[k]["never_used"] for k in planted["stale_keys"])


def test_ownership(run):
    _, _, estate, metrics, planted = run
    assert set(planted["unowned_credentials"]) <= set(offenders(metrics, "ownership.unowned_paths"))
    departed = offenders(metrics, "ownership.departed_owner")
    assert set(planted["departed_owner_identities"]) <= set(departed)
    for i in planted["departed_owner_identities"]:
        assert all(o.startswith("owner:") for o in departed[i]["departed"])
    # an owner tag naming a team no register lists is no owner
    assert planted["tag_only_owner_identities"]
    assert not any(estate.accountable(i) for i in planted["tag_only_owner_identities"])
    assert not any(estate.accountable(i) for i in planted["unowned_identities"])


def test_human_use(run):
    _, _, _, metrics, planted = run
    assert set(offenders(metrics, "security.human_use")) == set(planted["human_used_identities"])


def test_shared_ci_credentials(run):
    _, _, _, metrics, planted = run
    shared = offenders(metrics, "security.shared_credentials")
    assert planted["shared_ci_credentials"]
    for item in planted["shared_ci_credentials"]:
        assert shared[item["credential"]]["users"] == item["users"]


def test_duplicate_connectors(run):
    _, _, _, metrics, planted = run
    found = {(o["from_platform"], o["to_platform"]): o for o in metrics["integration.duplicate_connectors"].offenders}
    expected = {(g["from_platform"], g["to_platform"]): g for g in planted["duplicate_connector_groups"]}
    assert set(found) == set(expected)
    for pair, g in expected.items():
        assert sorted(found[pair]["connectors"]) == g["connectors"]
        assert found[pair]["business_units"] == g["business_units"]
    assert set(planted["agent_tools_without_broker"]) <= set(offenders(metrics, "integration.point_to_point"))


def test_third_party_trust(run):
    _, _, _, metrics, planted = run
    no_id = {(o["subject"], o["trusted"]) for o in metrics["third_party.no_external_id"].offenders}
    expected = {(x["role"], x["trusted"]) for x in planted["vendor_trust_without_external_id"]}
    expected |= {(x["role"], x["trusted"]) for x in planted["oidc_trust_without_subject"]}
    assert no_id == expected
    assert not {(x["role"], x["trusted"]) for x in planted["vendor_trust_with_external_id"]} & no_id
    vendor_access = offenders(metrics, "third_party.vendor_access")
    for x in planted["azure_third_party_apps"]:
        assert x["vendor"] in vendor_access[x["service_principal"]]["vendors"]
    for x in planted["vendor_trust_without_external_id"]:
        assert x["trusted"] in vendor_access[x["role"]]["vendors"]


def test_exceptions(run):
    _, _, _, metrics, planted = run
    found = offenders(metrics, "security.exceptions")
    assert set(found) == set(planted["expired_exceptions"]) | set(planted["exceptions_without_expiry"])
    assert all(found[x]["expired"] for x in planted["expired_exceptions"])
    assert not set(planted["valid_exceptions"]) & set(found)


def test_role_chain_to_admin(run):
    _, _, estate, metrics, planted = run
    chain = planted["role_chain_to_admin"]
    target = ReachIndex(estate).blast_radius(chain["credential"]).targets[chain["target"]]
    assert (target.level, target.path) == ("admin", chain["path"])
    a, b = chain["cycle"]
    assert estate.g.has_edge(a, b) and estate.g.has_edge(b, a)
    unowned = offenders(metrics, "ownership.unowned_paths")[chain["credential"]]
    assert chain["departed_owner_on_path"] in unowned["unowned"]


def test_vault_second_order(run):
    _, _, estate, _, planted = run
    v = planted["vault_second_order"]
    br = ReachIndex(estate).blast_radius(v["credential"])
    assert br.credentials[v["reaches_credential"]] == 1
    assert v["via_store"] in br.targets and br.counts()["second_order"] > 0


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def test_deterministic(tmp_path):
    a = write_estate(tmp_path / "a", 300, seed=5)
    b = write_estate(tmp_path / "b", 300, seed=5)
    c = write_estate(tmp_path / "c", 300, seed=6)
    assert _digest(a.out) == _digest(b.out)
    assert _digest(a.out) != _digest(c.out)
    assert a.planted == b.planted


def test_cli(tmp_path):
    runner = CliRunner()
    out = tmp_path / "estate"
    res = runner.invoke(cli, ["synth", "--identities", "200", "--out", str(out), "--seed", "3", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["format"] == "real" and data["files"] > 50 and data["identities_total"] > 150
    assert data["planted_counts"]["leaked_keys"] >= 1 and (out / "planted.json").exists()
    # a folder synth made is replaced; anything else is refused
    assert runner.invoke(cli, ["synth", "-n", "200", "--out", str(out), "--seed", "3", "--json"]).exit_code == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    res = runner.invoke(cli, ["synth", "-n", "200", "--out", str(tmp_path / "mine")])
    assert res.exit_code == 2 and (tmp_path / "mine" / "notes.txt").exists()
    res = runner.invoke(cli, ["synth", "-n", "200", "--out", str(tmp_path / "inv"), "--format", "inventory",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["rows"]["identities"] == 200
    assert (tmp_path / "inv" / "exports" / "identities.csv").exists()
