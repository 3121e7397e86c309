"""Pushing workspace snapshots into a real Neo4j: read-back, idempotence, stale cleanup, partial sources,
failed pushes, the push lease, and a server killed mid-push."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from nhigraph.neo4j import devserver, loader
from nhigraph.neo4j.connect import connect
from nhigraph.neo4j.loader import PushError
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.store import Snapshot

from neo4j_support import OBSERVED, hand_estate, to_workspace, tricky_estate

pytestmark = pytest.mark.neo4j

DB = os.environ.get("NEO4J_DATABASE")


def as_tuples(nodes: dict, edges: dict) -> tuple[set, set]:
    """Nodes and edges as sets of hashable tuples (lists as tuples), for set comparison."""
    def freeze(rec: dict) -> tuple:
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in rec.items()))

    return {freeze(n) for n in nodes.values()}, {freeze(e) for e in edges.values()}


def graph(driver) -> tuple[set, set]:
    return as_tuples(*loader.read_graph(driver, DB))


def test_push_reads_back_as_the_workspace(neo4j_db, demo_ws) -> None:
    snap = demo_ws.load()
    res = loader.push(demo_ws, neo4j_db, DB)
    assert (res.nodes, res.edges) == (len(snap.nodes), len(snap.edges))
    assert res.deleted_nodes == res.deleted_edges == 0 and res.rows_per_s > 0
    assert graph(neo4j_db) == as_tuples(snap.nodes, snap.edges)
    info = loader.snapshot_info(neo4j_db, DB)
    assert info["snapshot"] == snap.name and info["observed_at"] == OBSERVED and info["run"] == res.run
    # datetimes are Neo4j datetimes, lists are lists
    with neo4j_db.session(database=DB) as s:
        rec = s.run("MATCH (c:Credential {id: 'aws:key:AKIAACMECIDEPLOY0001'}) "
                    "RETURN valueType(c.created_at) AS t, valueType(c.sources) AS l, c.secret AS secret").single()
    assert rec["t"].startswith("ZONED DATETIME") and rec["l"].startswith("LIST") and rec["secret"] is None


def test_repush_is_idempotent(neo4j_db, demo_ws) -> None:
    first = loader.push(demo_ws, neo4j_db, DB)
    before = graph(neo4j_db)
    second = loader.push(demo_ws, neo4j_db, DB, batch_size=7)  # other batch boundaries, same graph
    assert second.run > first.run
    assert (second.deleted_nodes, second.deleted_edges) == (0, 0)
    assert graph(neo4j_db) == before
    with neo4j_db.session(database=DB) as s:
        assert s.run("MATCH (n) WHERE n._run IS NOT NULL AND n._run <> $run RETURN count(n) AS n",
                     run=second.run).single()["n"] == 0
        assert s.run("MATCH ()-[r]->() WHERE r._run <> $run RETURN count(r) AS n", run=second.run).single()["n"] == 0


def test_tricky_names_push_and_query(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", tricky_estate())
    snap = ws.load()
    loader.push(ws, neo4j_db, DB)
    assert graph(neo4j_db) == as_tuples(snap.nodes, snap.edges)
    with neo4j_db.session(database=DB) as s:
        assert s.run("MATCH (n) RETURN count(n) AS n").single()["n"] == len(snap.nodes) + 2  # + meta nodes
        labels = {r["l"] for r in s.run("MATCH (n) UNWIND labels(n) AS l RETURN DISTINCT l")}
        for node_id, rec in snap.nodes.items():
            got = s.run("MATCH (n {id: $id}) RETURN n.name AS name, labels(n) AS labels", id=node_id).single()
            assert got["name"] == rec["name"] and got["labels"] == [rec["label"]], node_id
    assert labels <= snap_labels(snap) | {"NhigraphMeta"}


def snap_labels(snap: Snapshot) -> set[str]:
    return {n["label"] for n in snap.nodes.values()}


def test_stale_cleanup_removes_what_a_source_no_longer_reports(neo4j_db, tmp_path: Path) -> None:
    """Through the real workflow: re-ingest an inventory without a row, push again."""
    from nhigraph.demo.estate import write_inventory

    inv = tmp_path / "inventory"
    write_inventory(inv, as_of=OBSERVED)
    from nhigraph.workspace.store import Workspace

    ws = Workspace(tmp_path / "ws")
    assert ingest([inv], ws, observed_at=OBSERVED).ok
    loader.push(ws, neo4j_db, DB)
    gone = "aws:key:AKIAACMEDEVCI0000002"
    lines = (inv / "credentials.csv").read_text().splitlines(keepends=True)
    (inv / "credentials.csv").write_text("".join(line for line in lines if not line.startswith(gone)))
    assert ingest([inv / "credentials.csv"], ws, observed_at=OBSERVED + timedelta(days=1)).ok
    snap = ws.load()
    assert gone not in snap.nodes
    res = loader.push(ws, neo4j_db, DB)
    assert res.deleted_nodes == 1 and res.deleted_edges == 1  # the key and its AUTHENTICATES
    assert graph(neo4j_db) == as_tuples(snap.nodes, snap.edges)


def touching(snap: Snapshot, node_id: str) -> int:
    return sum(1 for e in snap.edges.values() if node_id in (e["start"], e["end"]))


def _without(snap: Snapshot, node_id: str, partial: bool) -> Snapshot:
    nodes = {k: v for k, v in snap.nodes.items() if k != node_id}
    edges = {k: v for k, v in snap.edges.items() if node_id not in (v["start"], v["end"])}
    sources = {s: {**m, "partial": partial or m.get("partial", False)} for s, m in snap.manifest["sources"].items()}
    return replace(snap, name=snap.name + "-b", nodes=nodes, edges=edges, manifest={**snap.manifest, "sources": sources})


def test_partial_source_is_never_cleaned_up(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", hand_estate())
    snap = ws.load()
    loader.push(snap, neo4j_db, DB)
    shrunk = _without(snap, "res:scratch", partial=True)
    res = loader.push(shrunk, neo4j_db, DB)
    assert res.partial_sources and not res.complete_sources
    assert (res.deleted_nodes, res.deleted_edges) == (0, 0)
    assert graph(neo4j_db) == as_tuples(snap.nodes, snap.edges)  # nothing lost
    # the same snapshot with complete sources is cleaned up
    res = loader.push(_without(snap, "res:scratch", partial=False), neo4j_db, DB)
    assert res.deleted_nodes == 1 and res.deleted_edges == touching(snap, "res:scratch") == 2
    nodes, _ = loader.read_graph(neo4j_db, DB)
    assert "res:scratch" not in nodes and len(nodes) == len(snap.nodes) - 1


def test_only_the_sources_reported_are_cleaned_up(neo4j_db, tmp_path: Path) -> None:
    """A node of a source the snapshot does not mention at all (another workspace's) is left alone."""
    ws = to_workspace(tmp_path / "ws", hand_estate())
    snap = ws.load()
    loader.push(snap, neo4j_db, DB)
    shrunk = _without(snap, "res:scratch", partial=False)
    shrunk.manifest["sources"] = {s: m for s, m in shrunk.manifest["sources"].items() if s != "test:nodes"}
    res = loader.push(shrunk, neo4j_db, DB)
    # the edges' source was reported in full, the node's was not reported at all
    assert res.deleted_nodes == 0 and res.deleted_edges == touching(snap, "res:scratch")
    nodes, _ = loader.read_graph(neo4j_db, DB)
    assert "res:scratch" in nodes


def test_failed_push_cleans_nothing(neo4j_db, tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", hand_estate())
    snap = ws.load()
    loader.push(snap, neo4j_db, DB)
    before = graph(neo4j_db)
    calls = []

    def explode(done: int, total: int, what: str) -> None:
        calls.append(done)
        if len(calls) == 3:
            raise RuntimeError("network cable pulled")

    with pytest.raises(PushError, match="nothing was cleaned up|push again"):
        loader.push(_without(snap, "res:scratch", partial=False), neo4j_db, DB, batch_size=4, progress=explode)
    assert graph(neo4j_db) == before  # the stale node survived the failed push
    # the lease was released: the next push runs and converges
    res = loader.push(_without(snap, "res:scratch", partial=False), neo4j_db, DB)
    assert res.deleted_nodes == 1


def test_a_second_push_cannot_overlap(neo4j_db, tmp_path: Path) -> None:
    """Two pushes into one database at once would each delete the other's data: the second is refused."""
    snap = to_workspace(tmp_path / "ws", hand_estate()).load()
    refused = []

    def nested(done: int, total: int, what: str) -> None:
        if done and not refused:
            with pytest.raises(PushError, match="another push") as exc:
                loader.push(snap, neo4j_db, DB)
            refused.append(str(exc.value))

    loader.push(snap, neo4j_db, DB, batch_size=10, progress=nested)
    assert refused
    loader.push(snap, neo4j_db, DB)  # released when the first finished


def test_killed_server_then_new_push_converges(neo4j_db, tmp_path: Path) -> None:
    """Kill -9 a dev server of our own mid-push, restart it on the same store, push again: the graph is the
    one a clean push gives."""
    ws = to_workspace(tmp_path / "ws", tricky_estate())
    snap = ws.load()
    loader.push(snap, neo4j_db, DB)
    clean = graph(neo4j_db)

    home = tmp_path / "killed-home"
    info = devserver.start(home, port=0, detach=False, timeout=240, heap="512m", pagecache="128m")
    try:
        # first a different estate (same sources, other ids): the killed push also leaves stale data behind
        drv = connect(info.uri, max_transaction_retry_time=1.0)
        loader.push(to_workspace(tmp_path / "ws-old", hand_estate()).load(), drv)
        seen = []

        def kill(done: int, total: int, what: str) -> None:
            seen.append(done)
            if len(seen) == 4:
                info.process.kill()  # SIGKILL the server we started
                info.process.wait(timeout=30)

        with pytest.raises(PushError):
            loader.push(snap, drv, batch_size=8, progress=kill)
        drv.close()
        assert len(seen) >= 4 and seen[-1] < len(snap.nodes) + len(snap.edges)
        info.stop()
        info = devserver.start(home, port=0, detach=False, timeout=240, heap="512m", pagecache="128m")
        drv = connect(info.uri)
        try:
            partial = graph(drv)
            assert partial != clean  # the kill really left a half-written graph
            loader.push(snap, drv)
            assert graph(drv) == clean
        finally:
            drv.close()
    finally:
        info.stop()
        shutil.rmtree(home, ignore_errors=True)
