"""The CREATE fast path of a push into a real Neo4j: taken only for labels and relationship types with nothing
in the database, retried batches MERGE (a commit whose acknowledgement was lost duplicates nothing), and
interrupted or partial loads converge to the graph a clean push gives."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j.exceptions import SessionExpired

from nhigraph.model.vocabulary import MODEL
from nhigraph.neo4j import loader
from nhigraph.neo4j import querybuilder as qb
from nhigraph.neo4j.loader import PushError
from nhigraph.workspace.store import Snapshot

from neo4j_support import hand_estate, random_estate, to_workspace
from test_neo4j_push import as_tuples, graph

pytestmark = pytest.mark.neo4j

DB = os.environ.get("NEO4J_DATABASE")


def counts(driver) -> tuple[int, int]:
    """(model nodes, relationships) in the database: duplicates would not show in :func:`graph`'s sets."""
    with driver.session(database=DB) as s:
        nodes = s.run("MATCH (n) WHERE NOT n:NhigraphMeta RETURN count(n) AS n").single()["n"]
        rels = s.run("MATCH ()-[r]->() RETURN count(r) AS n").single()["n"]
    return nodes, rels


def names(snap: Snapshot) -> set[str]:
    return {n["label"] for n in snap.nodes.values()} | {e["type"] for e in snap.edges.values()}


def assert_clean(driver, snap: Snapshot) -> None:
    assert graph(driver) == as_tuples(snap.nodes, snap.edges)
    assert counts(driver) == (len(snap.nodes), len(snap.edges))


@pytest.fixture
def snap(tmp_path: Path) -> Snapshot:
    return to_workspace(tmp_path / "ws", hand_estate()).load()


@pytest.fixture
def hook():
    """Sets loader._ATTEMPT_HOOK for one test."""
    def set_hook(fn) -> None:
        loader._ATTEMPT_HOOK = fn

    yield set_hook
    loader._ATTEMPT_HOOK = None


def test_first_push_creates_and_a_repush_merges(neo4j_db, snap: Snapshot) -> None:
    first = loader.push(snap, neo4j_db, DB, batch_size=8)  # many batches, grouped and split edge groups
    assert set(first.created) == names(snap)
    assert_clean(neo4j_db, snap)
    second = loader.push(snap, neo4j_db, DB, batch_size=8)
    assert second.created == [] and (second.deleted_nodes, second.deleted_edges) == (0, 0)
    assert_clean(neo4j_db, snap)
    with neo4j_db.session(database=DB) as s:
        assert s.run("MATCH (n) WHERE n._run IS NOT NULL AND n._run <> $run RETURN count(n) AS n",
                     run=second.run).single()["n"] == 0
        assert s.run("MATCH ()-[r]->() WHERE r._run <> $run RETURN count(r) AS n", run=second.run).single()["n"] == 0


def test_fast_path_equals_merge_path(neo4j_db, tmp_path: Path) -> None:
    """A random estate with cycles and dense grants: the CREATE load reads back exactly as the MERGE one."""
    snap = to_workspace(tmp_path / "ws", random_estate(3)).load()
    loader.push(snap, neo4j_db, DB, batch_size=16)
    created = graph(neo4j_db)
    assert created == as_tuples(snap.nodes, snap.edges) and counts(neo4j_db) == (len(snap.nodes), len(snap.edges))
    with neo4j_db.session(database=DB) as s:
        s.run("MATCH ()-[r]->() SET r._run = 0").consume()
        s.run("MATCH (n) WHERE NOT n:NhigraphMeta SET n._run = 0, n.name = 'changed'").consume()
    res = loader.push(snap, neo4j_db, DB, batch_size=16)
    assert res.created == []
    assert graph(neo4j_db) == created and counts(neo4j_db) == (len(snap.nodes), len(snap.edges))


def test_a_database_holding_some_labels_merges_those(neo4j_db, snap: Snapshot) -> None:
    owners = {k: v for k, v in snap.nodes.items() if v["label"] == "Owner"}
    members = {k: v for k, v in snap.edges.items() if v["type"] == "MEMBER_OF"}
    # what is already there differs from the snapshot: a changed name, a property the snapshot lacks
    stale = {k: {**v, "name": "old " + v["name"], "description": "gone"} for k, v in owners.items()}
    loader.push(replace(snap, nodes=stale, edges=members), neo4j_db, DB)
    res = loader.push(snap, neo4j_db, DB, batch_size=8)
    assert "Owner" not in res.created and "MEMBER_OF" not in res.created
    assert set(res.created) == names(snap) - {"Owner", "MEMBER_OF"}
    assert_clean(neo4j_db, snap)


def _shape(stmt: str) -> str:
    """Node write, one edge per row, or edges grouped by a shared endpoint."""
    if "UNWIND $rows AS g" in stmt:
        return "grouped edges"
    return "edges" if "-[r:" in stmt else "nodes"


def test_a_retried_fast_path_batch_duplicates_nothing(neo4j_db, snap: Snapshot, hook) -> None:
    """The first batch of each shape (nodes, one edge per row, grouped edges) commits and then fails as if the
    acknowledgement were lost (the commit runs in a session of its own, then a retryable error is raised): the
    driver retries, the retry MERGEs. (One batch per shape: every retry waits the driver's back-off, ~1 s.)"""
    seen: list[tuple[int, str]] = []
    failed: list[str] = []

    def ack_lost(tx, attempt: int, stmt: str, params: dict) -> None:
        seen.append((attempt, stmt))
        if attempt == 1 and _shape(stmt) not in {_shape(f) for f in failed}:
            with neo4j_db.session(database=DB) as s:
                s.execute_write(lambda t: t.run(stmt, params).consume())
            failed.append(stmt)
            raise SessionExpired("test: the commit's acknowledgement was lost")

    hook(ack_lost)
    res = loader.push(snap, neo4j_db, DB, batch_size=8)
    assert set(res.created) == names(snap)
    first = [stmt for attempt, stmt in seen if attempt == 1]
    retries = [stmt for attempt, stmt in seen if attempt == 2]
    assert {_shape(f) for f in failed} == {"nodes", "edges", "grouped edges"}  # every row shape exercised
    assert [_shape(r) for r in retries] == [_shape(f) for f in failed]
    assert all("CREATE" in stmt and "MERGE" not in stmt for stmt in first)
    assert all("MERGE" in stmt and "CREATE" not in stmt for stmt in retries)
    assert_clean(neo4j_db, snap)


def test_a_transient_error_on_the_fast_path_is_retried(neo4j_db, snap: Snapshot, hook) -> None:
    """A first attempt that fails before writing anything: the retry MERGEs into an empty label."""
    retried: list[str] = []

    def flaky(tx, attempt: int, stmt: str, params: dict) -> None:
        if attempt == 1 and not retried:
            retried.append(stmt)
            raise SessionExpired("test: connection dropped")

    hook(flaky)
    loader.push(snap, neo4j_db, DB, batch_size=8)
    assert retried
    assert_clean(neo4j_db, snap)


def test_an_interrupted_fast_path_push_then_a_new_push_converges(neo4j_db, snap: Snapshot) -> None:
    total = len(snap.nodes) + len(snap.edges)
    seen = []

    def stop(done: int, total_: int, what: str) -> None:
        seen.append(done)
        if done > len(snap.nodes) + 10:  # in the middle of the edges
            raise RuntimeError("interrupted")

    with pytest.raises(PushError):
        loader.push(snap, neo4j_db, DB, batch_size=8, progress=stop)
    assert seen[-1] < total
    res = loader.push(snap, neo4j_db, DB, batch_size=8)
    assert not set(res.created) & {n["label"] for n in snap.nodes.values()}  # every label was written
    assert res.created and set(res.created) < names(snap)  # some edge types were not reached
    assert_clean(neo4j_db, snap)


def test_create_statements_name_only_model_labels_and_take_values_as_parameters() -> None:
    labels, types = set(MODEL.labels), set(MODEL.edge_types)
    stmts = [qb.node_create(label) for label in MODEL.labels]
    stmts += [f(*g, by=by) for g in qb.edge_groups() for by in (None, "start", "end")
              for f in (qb.edge_create, qb.edge_merge)]
    for stmt in stmts:
        for name in re.findall(r"\(\w*:`?(\w+)`?", stmt):
            assert name in labels, (name, stmt)
        for name in re.findall(r"\[\w*:`?(\w+)`?", stmt):
            assert name in types, (name, stmt)
        assert "'" not in stmt and '"' not in stmt, stmt
    owns = qb.edge_create("OWNS", "Owner", "Identity", by="start")
    assert "MATCH (a:`Owner` {id: g.id})" in owns and "CREATE (a)-[r:`OWNS` {`role`: row.key.`role`}]->(b)" in owns
    with pytest.raises(ValueError):
        qb.edge_create("OWNS", "Identity", "Owner")
    with pytest.raises(ValueError):
        qb.edge_merge("OWNS", "Owner", "Identity", by="middle")
