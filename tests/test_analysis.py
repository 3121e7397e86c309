"""Analyses on estates with known answers, written as export files and ingested like a user would."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from nhigraph.analysis import analyze
from nhigraph.analysis.estate import Estate
from nhigraph.analysis.incident import report, to_markdown
from nhigraph.analysis.reach import ReachIndex, all_blast_radii_naive
from nhigraph.backends.embedded import EmbeddedBackend
from nhigraph.demo.estate import P111, write_inventory
from nhigraph.errors import NotFoundError
from nhigraph.secrets import fingerprint
from nhigraph.workspace.ingest import ingest

FIXTURES = Path(__file__).parent / "fixtures" / "estates"
AS_OF = datetime(2026, 10, 1, tzinfo=timezone.utc)


def _estate(tmp_path: Path, source: Path) -> Estate:
    result = ingest([source], tmp_path / "ws", observed_at=AS_OF)
    assert result.ok, result.errors
    return Estate.load(tmp_path / "ws")


@pytest.fixture
def chain(tmp_path: Path) -> Estate:
    return _estate(tmp_path, FIXTURES / "chain")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Estate:
    tmp = tmp_path_factory.mktemp("demo")
    write_inventory(tmp / "exports", as_of=AS_OF)
    return _estate(tmp, tmp / "exports")


def _metrics(estate: Estate) -> dict:
    return {m.id: m for m in analyze(estate).metrics}


# ------------------------------------------------------------------------------------------ chain estate
def test_blast_radius_follows_cycles_and_chains_through_vault(chain: Estate) -> None:
    br = ReachIndex(chain).blast_radius("cred:k1")
    got = {t: (x.level, x.order, x.path) for t, x in br.targets.items()}
    assert got == {
        "res:logs": ("read", 0, ["cred:k1", "id:u1", "res:logs"]),
        "res:db": ("admin", 0, ["cred:k1", "id:u1", "id:r1", "id:r2", "id:r3", "res:db"]),
        "store:kv-payments": ("read", 0, ["cred:k1", "id:u1", "id:r1", "store:kv-payments"]),
        "res:ledger": ("write", 1, ["cred:k1", "id:u1", "id:r1", "store:kv-payments", "cred:k2", "id:pay",
                                    "res:ledger"]),
    }
    assert br.identities == {"id:u1": 1, "id:r1": 2, "id:r2": 3, "id:r3": 4, "id:pay": 5}
    assert br.credentials == {"cred:k1": 0, "cred:k2": 1}
    counts = br.counts()
    assert (counts["total"], counts["admin"], counts["write"], counts["read"], counts["second_order"]) == (4, 1, 1, 2, 1)
    assert br.share == 1.0
    assert br.systems == {"sys:cloud", "sys:vault"}


def test_all_credentials_match_one_search_per_credential(chain: Estate, demo: Estate) -> None:
    for estate in (chain, demo):
        assert ReachIndex(estate).summaries() == all_blast_radii_naive(estate)


def test_departed_owner_in_the_middle_of_a_path_makes_it_unowned(chain: Estate) -> None:
    m = _metrics(chain)
    unowned = m["ownership.unowned_paths"]
    assert (unowned.numerator, unowned.denominator) == (2, 6)
    got = {o["subject"]: (o["resources"], o["unowned"]) for o in unowned.offenders}
    assert got == {"cred:k1": (["res:db"], ["id:r2"]), "cred:k3": (["res:logs"], ["cred:k3", "id:lonely"])}
    assert [o["subject"] for o in m["ownership.departed_owner"].offenders] == ["id:r2"]


def test_security_metrics_on_chain(chain: Estate) -> None:
    m = _metrics(chain)
    assert [o["subject"] for o in m["security.long_lived"].offenders] == ["cred:k2"]
    assert [o["subject"] for o in m["security.unused"].offenders] == ["cred:k2"]
    assert [(o["subject"], o["target"]) for o in m["security.admin_grants"].offenders] == [("id:r3", "res:db")]


def test_no_owner_register_means_unknown_not_unowned(tmp_path: Path) -> None:
    src = tmp_path / "noowners"
    src.mkdir()
    for f in (FIXTURES / "chain").glob("*.csv"):
        if f.name in ("owners.csv",):
            continue
        text = f.read_text()
        if f.name == "identities.csv":  # drop the RACI columns that name owners
            text = "\n".join(",".join(line.split(",")[:5]) for line in text.splitlines()) + "\n"
        (src / f.name).write_text(text)
    estate = _estate(tmp_path, src)
    m = _metrics(estate)
    for metric_id in ("ownership.unowned_paths", "ownership.departed_owner", "coordination.raci_gaps"):
        assert m[metric_id].unknown, metric_id
        assert m[metric_id].to_json()["unknown"] is True
    assert m["ownership.unowned_paths"].offenders == []
    rep = report(EmbeddedBackend(estate=estate), "cred:k1")
    assert rep["ownership_known"] is False
    assert "Ownership unknown" in to_markdown(rep)


# ------------------------------------------------------------------------------------------- demo estate
def test_demo_metrics_have_the_planted_answers(demo: Estate) -> None:
    m = _metrics(demo)
    dup = m["integration.duplicate_connectors"]
    assert (dup.numerator, dup.denominator) == (1, 4)
    assert dup.offenders[0]["connectors"] == ["connector:sfdc-snowflake-finance", "connector:sfdc-snowflake-sales"]
    assert dup.offenders[0]["business_units"] == ["Finance", "Sales"]
    ci = "aws:key:AKIAACMECIDEPLOY0001"
    assert [o["subject"] for o in m["integration.credential_sprawl"].offenders] == [ci]
    assert [o["subject"] for o in m["security.leaked"].offenders] == [ci]
    assert [o["subject"] for o in m["security.environment_mixing"].offenders] == [ci]
    shared = {o["subject"]: o["users"] for o in m["security.shared_credentials"].offenders}
    assert shared[ci] == ["github:acme:repo/api/workflow/deploy.yml",
                          "github:acme:repo/api/workflow/integration-test.yml"]
    assert [o["subject"] for o in m["security.unused"].offenders] == ["aws:key:AKIAACMELEGACYBKP001"]
    assert {o["subject"] for o in m["security.exceptions"].offenders} == {"exception:EXC-2024-002",
                                                                          "exception:EXC-2025-014"}
    assert [(o["subject"], o["trusted"]) for o in m["third_party.no_external_id"].offenders] == [
        (f"{P111}:role/datadog-audit", "aws:464622532012")]
    unowned = {(o["subject"], r) for o in m["ownership.unowned_paths"].offenders for r in o["resources"]}
    assert (ci, f"{P111}:rds/payments-db") in unowned  # only reachable through ops-b, owned by a leaver
    assert (ci, f"{P111}:s3/acme-logs") not in unowned
    assert ("aws:key:AKIAACMELEGACYBKP001", f"{P111}:s3/acme-customer-data") in unowned
    orch = {o["subject"]: o["gaps"] for o in m["orchestration.ungoverned_automation"].offenders}
    assert "github:acme:repo/api/workflow/deploy.yml" in orch
    assert "github:acme:repo/infra/workflow/release.yml" not in orch  # approver, monitor, rollback, telemetry
    assert orch["github:acme:repo/api/workflow/deploy.yml"] == ["no approver", "no monitor owner", "no rollback",
                                                                "no telemetry"]


def test_every_category_has_a_finding_with_mappings(demo: Estate) -> None:
    a = analyze(demo)
    cats = {f.category for f in a.findings}
    assert cats == {"integration", "ownership", "coordination", "orchestration", "security", "third_party"}
    leaked = [f for f in a.findings if f.rule == "NHIG-SEC-007"]
    assert len(leaked) == 1 and leaked[0].severity == "critical"
    assert leaked[0].owasp == ["NHI2:2025"] and "PR.DS-01" in leaked[0].nist
    ids = [f.id for f in a.findings]
    assert len(ids) == len(set(ids))
    assert ids == [f.id for f in analyze(demo).findings]  # stable


def test_reach_report_for_the_leaked_key(demo: Estate) -> None:
    be = EmbeddedBackend(estate=demo)
    rep = report(be, "AKIAACMECIDEPLOY0001")
    assert rep["credential"]["id"] == "aws:key:AKIAACMECIDEPLOY0001"
    assert rep["contacts"][0]["role"] == "revoke" and rep["contacts"][0]["id"] == "team:security"
    assert [s["id"] for s in rep["stores"]] == ["github:acme:repo/api/actions-secret/AWS_ACCESS_KEY_ID",
                                                "github:acme:repo/api/file/.env"]
    br = rep["blast_radius"]
    assert br["counts"]["admin"] == 4 and br["prod"] is True
    assert rep["checklist"][0].startswith("Revoke now")
    assert any("deploy.yml" in s and "breaks" in s for s in rep["checklist"])


def test_reach_by_fingerprint_and_unknown_key(chain: Estate, tmp_path: Path) -> None:
    be = EmbeddedBackend(estate=chain)
    with pytest.raises(NotFoundError, match=r"closest: .*cred:k1"):
        be.resolve_key("cred:k")
    with pytest.raises(NotFoundError, match="fingerprint"):
        be.resolve_key(fingerprint("not-a-known-secret"))


def test_integration_score_formula_on_demo(demo: Estate) -> None:
    scores = {(r["scope"], r["name"]): r for r in analyze(demo).integration_scores}
    sf = scores[("system", "saas:salesforce")]
    # both duplicate connectors read from Salesforce (1 excess), the copilot token is shared (1) and
    # point-to-point (1): 100 * (3*1 + 2*0 + 2*1 + 1*1) / 6
    assert (sf["duplicate_excess"], sf["sprawl"], sf["shared"], sf["point_to_point"], sf["population"]) == (1.0, 0, 1, 1, 6)
    assert sf["score"] == 100.0
    sales = scores[("bu", "Sales")]
    assert sales["duplicate_excess"] == 0.5 and sales["score"] == 137.5
    assert sum(r["duplicate_excess"] for r in scores.values() if r["scope"] == "bu") == 1.0


def test_fast_graph_build_is_networkx_add_edges_from(demo: Estate) -> None:
    """Estate builds its graph straight into networkx's dicts: the same graph, in the same order, as
    add_nodes_from + add_edges_from (which the analyses' tie-breaks depend on)."""
    import networkx as nx

    from nhigraph.analysis.estate import edge_graph_key

    nodes = {n: dict(d) for n, d in demo.g.nodes(data=True)}
    edges = [dict(d) for _, _, d in demo.g.edges(data=True)]
    edges.append(dict(edges[0], extra="updated"))  # a repeated key updates the earlier data
    edges.append({"start": "dangling:a", "end": "dangling:b", "type": "STORES"})  # endpoints become bare nodes
    ref = nx.MultiDiGraph()
    ref.add_nodes_from(nodes.items())
    ref.add_edges_from((e["start"], e["end"], edge_graph_key(e), e) for e in edges)
    fast = Estate.from_records(nodes, edges).g
    assert list(fast.nodes(data=True)) == list(ref.nodes(data=True))
    assert list(fast.edges(keys=True, data=True)) == list(ref.edges(keys=True, data=True))
    assert list(fast.in_edges(keys=True, data=True)) == list(ref.in_edges(keys=True, data=True))
    assert fast.edges[edges[0]["start"], edges[0]["end"], edge_graph_key(edges[0])]["extra"] == "updated"
    assert edges[0] is not fast.edges[edges[0]["start"], edges[0]["end"], edge_graph_key(edges[0])]  # copied


def test_propagation_matches_a_search_from_every_node() -> None:
    """Condensation order (scipy's own numbering when it is topological, Kahn's otherwise), sink pruning and
    node and edge filters against a plain search, on random graphs with cycles and self-loops."""
    import random

    from nhigraph.analysis.propagate import Propagator

    rnd = random.Random(11)
    for _ in range(150):
        n = rnd.randrange(1, 60)
        names = [f"n{i}" for i in range(n)]
        edges = list({(rnd.choice(names), rnd.choice(names)) for _ in range(rnd.randrange(3 * n))})
        keep = {x for x in names if rnd.random() < 0.8}
        skip = {x for x in names if rnd.random() < 0.2}
        contrib = {x: {x.upper()} for x in names if rnd.random() < 0.4}
        prop = Propagator(names, edges)
        for key, kw, allowed in (
                ("all", {}, lambda u, v: True),
                ("keep", {"keep": keep.__contains__}, lambda u, v: u in keep and v in keep),
                ("into", {"skip_into": skip.__contains__}, lambda u, v: v not in skip),
                ("edge", {"skip_edge": lambda u, v: v in skip}, lambda u, v: v not in skip)):
            got = prop.reach(names, contrib, prop.condensed(key, **kw))
            adj = {x: [v for u, v in edges if u == x and allowed(u, v)] for x in names}
            for start in names:
                seen, stack = {start}, [start]
                while stack:
                    for v in adj[stack.pop()]:
                        if v not in seen:
                            seen.add(v)
                            stack.append(v)
                assert got[start] == frozenset().union(*(contrib.get(x, ()) for x in seen))


def test_owners_are_shared_read_only_and_match_a_direct_count(demo: Estate) -> None:
    from nhigraph.model.vocabulary import RACI_ROLES

    for n in list(demo.nodes_of("Identity", "Credential", "Connector")):
        direct = {r: {u for u, d in demo.into(n, "OWNS") if d["role"] == r} for r in RACI_ROLES}
        if demo.label(n) == "Credential":
            for ident, _ in demo.out(n, "AUTHENTICATES"):
                for r in RACI_ROLES:
                    direct[r] |= {u for u, d in demo.into(ident, "OWNS") if d["role"] == r}
        assert {r: set(v) for r, v in demo.owners(n, active_only=False).items()} == direct
        active = {r: {o for o in v if demo.owner_active(o)} for r, v in direct.items()}
        assert {r: set(v) for r, v in demo.owners(n).items()} == active
        assert demo.accountable(n) == any(active.values())
