"""Parity: the Neo4j backend (queries/*.cypher) answers exactly what the embedded backend (networkx) does.

Every metric (numerator, denominator, offenders in order, extras), every credential's blast radius
(targets with level, order, environment; identities with depth; credentials with order; systems,
vendors; paths of the same length, each step a real reach step), every credential's context, blast-radius
summaries, credentials per identity, integration-score scopes and key resolution."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nhigraph.analysis import analyze_backend
from nhigraph.backends.embedded import EmbeddedBackend
from nhigraph.errors import NotFoundError
from nhigraph.neo4j import loader
from nhigraph.neo4j.backend import Neo4jBackend

from neo4j_support import assert_parity, hand_estate, random_estate, to_workspace, tricky_estate

pytestmark = pytest.mark.neo4j

DB = os.environ.get("NEO4J_DATABASE")


def backends(ws, driver):
    loader.push(ws, driver, DB)
    return EmbeddedBackend(ws), Neo4jBackend(driver=driver, database=DB)


def test_demo_estate(neo4j_db, demo_ws) -> None:
    emb, neo = backends(demo_ws, neo4j_db)
    seen = assert_parity(emb, neo, demo_ws.load())
    assert seen["credentials"] == 12 and seen["paths"] >= 19
    # the whole analysis, findings and integration scores included, reads the same
    a, b = analyze_backend(emb), analyze_backend(neo)
    assert [f.to_json() for f in a.findings] == [f.to_json() for f in b.findings]
    assert a.integration_scores == b.integration_scores
    # planted answers hold on Neo4j too
    metrics = {m.id: m for m in neo.metrics()}
    assert metrics["security.leaked"].offenders[0]["subject"] == "aws:key:AKIAACMECIDEPLOY0001"
    assert metrics["ownership.departed_owner"].numerator >= 1
    br = neo.blast_radius("vault:acme:approle/payments/secret-id")
    assert br.credentials["aws:key:AKIAACMEPAYMENTS0001"] == 1  # second order through the KV path


def test_hand_estate_with_cycles_chains_and_a_departed_owner_mid_path(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", hand_estate())
    emb, neo = backends(ws, neo4j_db)
    assert_parity(emb, neo, ws.load())
    br = neo.blast_radius("cred:ci")
    # three orders of chaining: ci -> (kv1) vault -> (kv2 via the vault system grant) pay -> (kv3) orphan
    assert br.credentials == {"cred:ci": 0, "cred:vault": 1, "cred:pay": 2, "cred:orphan": 2}
    assert br.identities["id:admin"] == 5  # ci -> deploy -> a -> b -> admin through the a <-> b cycle
    assert br.targets["res:db"].level == "admin" and br.targets["res:db"].path[-2] == "sys:prod"
    assert br.targets["store:kv3"].order == 1  # reader is reachable at order 1, through vaultrole
    unowned = next(m for m in neo.metrics() if m.id == "ownership.unowned_paths")
    ci = next(o for o in unowned.offenders if o["subject"] == "cred:ci")
    assert "id:b" in ci["unowned"]  # owned only by departed Bob, in the middle of the path to admin
    assert "store:ci" in ci["resources"]  # only admin, past id:b, reaches it (through the prod system)
    assert "res:db" not in ci["resources"]  # deploy reaches it on an accountable path too


def test_names_that_break_naive_cypher(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", tricky_estate())
    emb, neo = backends(ws, neo4j_db)
    seen = assert_parity(emb, neo, ws.load())
    assert seen["paths"] > 30
    cred = next(n for n in ws.load().nodes if n.startswith("cred:ci::"))
    assert neo.resolve_key(cred) == cred
    with pytest.raises(NotFoundError, match="closest"):
        neo.resolve_key(cred[:-1])


def test_no_owner_register(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", random_estate(11, 25, owners="none"))
    emb, neo = backends(ws, neo4j_db)
    assert_parity(emb, neo, ws.load())
    assert all(m.unknown for m in neo.metrics() if m.category in ("ownership", "coordination"))


def test_tag_only_owners(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", random_estate(12, 25, owners="tags"))
    emb, neo = backends(ws, neo4j_db)
    assert_parity(emb, neo, ws.load())


@pytest.mark.parametrize("seed,size", [(1, 30), (2, 30), (3, 60), (4, 10), (5, 120)])
def test_random_estates(neo4j_db, tmp_path: Path, seed: int, size: int) -> None:
    ws = to_workspace(tmp_path / "ws", random_estate(seed, size))
    emb, neo = backends(ws, neo4j_db)
    assert_parity(emb, neo, ws.load())


def test_thresholds_reach_the_queries(neo4j_db, demo_ws) -> None:
    from nhigraph.analysis.debt import Thresholds

    emb, neo = backends(demo_ws, neo4j_db)
    t = Thresholds(rotation_days=10, unused_days=1, max_teams=1, max_stores=0)
    assert [m.to_json() for m in emb.metrics(t)] == [m.to_json() for m in neo.metrics(t)]


def test_secret_on_stdin(neo4j_db, tmp_path: Path, monkeypatch) -> None:
    import io

    ws = to_workspace(tmp_path / "ws", hand_estate())
    _, neo = backends(ws, neo4j_db)
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cr3t-value\n"))
    assert neo.resolve_key("-") == "cred:pay"
    monkeypatch.setattr("sys.stdin", io.StringIO("not-a-known-secret"))
    with pytest.raises(NotFoundError, match="fingerprint"):
        neo.resolve_key("-")
