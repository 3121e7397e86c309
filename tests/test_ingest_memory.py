"""What keeps a large ingest's memory down: compact origins, records merged into rows and released as they go,
snapshots written from the rows, the collector paused. Each must leave what is ingested and written unchanged."""

from __future__ import annotations

import gc
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nhigraph.ingest.inventory import parse_csv
from nhigraph.model.records import Batch, Origin, Origins, origin_paths, parse_datetime
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.merge import merge
from nhigraph.workspace.rows import Graph
from nhigraph.workspace.store import Workspace

OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures"

ORIGINS = [Origin("a.csv", "line 2"), Origin("a.csv", "line 3"), Origin("a.csv", "line 0"),
           Origin("a.json", "identities[7]"), Origin("a.json", "identities[07]"), Origin("a.json", "item 12"),
           Origin("b.csv", "line 2"), Origin("b.csv", "row"), Origin("b.csv", ""), Origin("b.csv", "line ٣"),
           Origin("b.csv", "line 12]"), Origin("b.csv", "]"), Origin("b.csv", "line 123456789012345"),
           Origin("a.csv", "line 4"), Origin("a.csv", "line 4 ")]


def test_origins_read_back_equal():
    kept = Origins(ORIGINS)
    assert list(kept) == ORIGINS and kept == ORIGINS and len(kept) == len(ORIGINS)
    assert [kept[i] for i in range(len(ORIGINS))] == ORIGINS and kept[-1] == ORIGINS[-1]
    assert kept[2:5] == ORIGINS[2:5]
    kept += [Origin("c.csv", "line 9")]
    kept.insert(0, Origin("c.csv", "line 1"))
    del kept[1]
    assert list(kept) == [Origin("c.csv", "line 1")] + ORIGINS[1:] + [Origin("c.csv", "line 9")]
    assert kept.paths() == origin_paths(list(kept)) == {"a.csv", "a.json", "b.csv", "c.csv"}
    assert kept[0].error("bad").record == "line 1"


def test_a_csv_batch_keeps_each_origin_as_a_number(tmp_path):
    (tmp_path / "identities.csv").write_text(
        "id,kind,name,system\n" + "".join(f"i{n},service_account,n{n},s{n % 3}\n" for n in range(500)))
    [batch] = parse_csv(tmp_path / "identities.csv")
    assert len(batch.nodes) == len(batch.node_origins) == len(batch.edges) == len(batch.edge_origins) == 500
    for origins in (batch.node_origins, batch.edge_origins):
        assert isinstance(origins, Origins)
        assert origins._others == [] and len(origins._forms) == 1  # one form, no object per record
    assert batch.edge_origins[499] == Origin(str(tmp_path / "identities.csv"), "line 501")


def _batch(source: str, nodes: list[dict], edges: list[dict]) -> Batch:
    batch = Batch(source)
    for i, node in enumerate(nodes, 2):
        assert batch.add_node(node, Origin(f"{source}.csv", f"line {i}")) is not None
    for i, edge in enumerate(edges, 2):
        assert batch.add_edge(edge, Origin(f"{source}-edges.csv", f"line {i}")) is not None
    return batch


IDENTITY = {"label": "Identity", "id": "i1", "kind": "service_account"}
RESOURCES = [{"label": "Resource", "id": f"r{n}", "kind": "bucket"} for n in range(3)]


def test_merge_releases_the_batches_records_and_keeps_their_origins():
    batch = _batch("inv", [IDENTITY, *RESOURCES],
                   [{"type": "HAS_ACCESS", "start": "i1", "end": "r1", "level": "read"},
                    {"type": "HAS_ACCESS", "start": "i1", "end": "nope", "level": "read"}])
    result = merge({}, {}, [batch], OBSERVED)
    assert batch.nodes == [] and batch.edges == [] and len(batch.node_origins) == 4
    assert [str(e) for e in result.errors] == [
        "inv-edges.csv: line 3: HAS_ACCESS end 'nope' is not a known node (unknown reference)"]
    assert set(result.nodes) == {"i1", "r0", "r1", "r2"} and result.nodes["r1"]["label"] == "Resource"
    assert list(result.edges) == [("HAS_ACCESS", "i1", "r1")]
    assert result.graph.edge_count == 1 and len(result.graph.nodes) == 4


def test_an_access_edge_reported_again_twice_keeps_the_highest_level_and_all_actions():
    nodes = [IDENTITY, *RESOURCES]
    first = merge({}, {}, [_batch("inv", nodes, [
        {"type": "HAS_ACCESS", "start": "i1", "end": "r0", "level": "write", "actions": "s3:Put"}])], OBSERVED)
    again = _batch("inv", nodes, [
        {"type": "HAS_ACCESS", "start": "i1", "end": "r2", "level": "read"},
        {"type": "HAS_ACCESS", "start": "i1", "end": "r0", "level": "read", "actions": "s3:Get"},
        {"type": "HAS_ACCESS", "start": "i1", "end": "r1", "level": "read"},
        {"type": "HAS_ACCESS", "start": "i1", "end": "r0", "level": "admin", "actions": "s3:List"}])
    second = merge(first.nodes, first.edges, [again], OBSERVED)
    edges = second.edges
    assert list(edges) == [("HAS_ACCESS", "i1", f"r{n}") for n in range(3)]  # sorted by key
    # reported again by its only source: replaced by the first report, then combined with the second
    assert (edges[("HAS_ACCESS", "i1", "r0")]["level"], edges[("HAS_ACCESS", "i1", "r0")]["actions"]) == (
        "admin", ["s3:Get", "s3:List"])
    assert second.added_edges == {"HAS_ACCESS": 2}


def test_added_edges_are_counted_in_the_order_of_their_first_new_edge():
    nodes = [IDENTITY, *RESOURCES, {"label": "System", "id": "s1", "kind": "aws_account"}]
    first = merge({}, {}, [_batch("inv", nodes, [{"type": "PART_OF", "start": "r0", "end": "s1"}])], OBSERVED)
    again = _batch("inv", nodes, [{"type": "PART_OF", "start": "r0", "end": "s1"},
                                  {"type": "HAS_ACCESS", "start": "i1", "end": "r0", "level": "read"},
                                  {"type": "PART_OF", "start": "r1", "end": "s1"}])
    second = merge(first.nodes, first.edges, [again], OBSERVED)
    assert list(second.added_edges.items()) == [("HAS_ACCESS", 1), ("PART_OF", 1)]


@pytest.mark.parametrize("folder", ["inventory", "cross_source", "scanners"])
def test_a_snapshot_written_from_its_records_is_the_one_the_ingest_wrote(tmp_path, folder):
    """The merged rows and the record dicts of a loaded snapshot write the same tables, byte for byte."""
    ws = Workspace(tmp_path / "ws")
    assert ingest([FIXTURES / folder], ws, observed_at=OBSERVED).snapshot
    snap = ws.load()
    graph = Graph.from_records(snap.nodes, snap.edges)
    assert graph.node_records() == snap.nodes and graph.edge_records() == snap.edges
    with ws.lock():
        again = ws.write(snap.nodes, snap.edges, {}, now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    for table in sorted(snap.path.rglob("*.parquet")):
        assert (ws.snapshots_dir / again / table.relative_to(snap.path)).read_bytes() == table.read_bytes(), table


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_during_an_ingest_only(tmp_path, monkeypatch, enabled):
    import nhigraph.workspace.ingest as wi

    seen = []
    real = wi.merge

    def merge_watched(*args):
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(wi, "merge", merge_watched)
    (gc.enable if enabled else gc.disable)()
    try:
        assert ingest([FIXTURES / "inventory" / "csv"], tmp_path / "ws", observed_at=OBSERVED).ok
        assert seen == [False] and gc.isenabled() is enabled
    finally:
        gc.enable()


def test_many_distinct_short_values_are_read_as_given(tmp_path):
    """Short repeated texts are shared; a property with more distinct ones than are shared still reads back."""
    rows = "".join(f"i{n},service_account,name {n},{'prod' if n % 2 else 'dev'}\n" for n in range(6000))
    (tmp_path / "identities.csv").write_text("id,kind,name,environment\n" + rows)
    [batch] = parse_csv(tmp_path / "identities.csv")
    assert [n["name"] for n in batch.nodes] == [f"name {n}" for n in range(6000)]
    assert len({id(n["environment"]) for n in batch.nodes}) == 2


@pytest.mark.parametrize("text", ["2026-01-31T12:00:00Z", " 2026-01-31T12:00:00Z", "2026-01-31t12:00:00z",
                                  "2026-01-31T12:00:00+00:00", "2026-01-31T12:00Z", "2026-01-31 12:00:00Z"])
def test_a_date_time_reads_the_same_in_every_form(text):
    assert parse_datetime(text) == datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
    assert parse_datetime(text).tzinfo is timezone.utc


@pytest.mark.parametrize("text", ["2026-02-30T12:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z"])
def test_an_impossible_date_time_is_refused(text):
    with pytest.raises(ValueError):
        parse_datetime(text)
