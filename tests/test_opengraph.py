"""BloodHound OpenGraph export: its shape, and the round trip export -> ingest into a fresh workspace.

What round trips: every node (id, label, every property including first_seen/last_seen, typed values) and
every edge (key and properties). What does not, by design: ``source``/``sources``, the provenance, which
is re-recorded as the OpenGraph file's own source (``opengraph:NHIGraph``) because the importer cannot
know which export first reported a record; and ``displayname``/``objectid``, which the exporter derives
for BloodHound and the importer drops.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.export.opengraph import to_opengraph
from nhigraph.ingest import registry
from nhigraph.ingest.opengraph import parse
from nhigraph.model.vocabulary import MODEL
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.store import Workspace

PROVENANCE = ("source", "sources")
PRIMITIVES = (str, int, float, bool)


def _strip(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k not in PROVENANCE}


@pytest.fixture
def exported(estate_ws, tmp_path) -> Path:
    out = tmp_path / "out" / "graph.json"
    result = CliRunner().invoke(cli, ["export", "opengraph", str(out), "-w", str(estate_ws.path)])
    assert result.exit_code == 0, result.output
    assert " ".join(result.stdout.split()) == f"Wrote 23 nodes and 46 edges to {out}"  # rich may wrap
    return out


def test_export_has_the_opengraph_shape(exported):
    doc = json.loads(exported.read_text())
    assert set(doc) == {"metadata", "graph"}
    assert doc["metadata"] == {"source_kind": "NHIGraph"}
    assert set(doc["graph"]) == {"nodes", "edges"}
    nodes, edges = doc["graph"]["nodes"], doc["graph"]["edges"]
    assert len(nodes) == 23 and len(edges) == 46
    for node in nodes:
        assert set(node) == {"id", "kinds", "properties"}
        assert isinstance(node["id"], str)
        assert 1 <= len(node["kinds"]) <= 3 and node["kinds"][0] in MODEL.labels
        _assert_flat(node["properties"])
        assert node["properties"]["objectid"] == node["id"]
        assert node["properties"]["displayname"] == node["properties"]["name"]
    for edge in edges:
        assert set(edge) == {"start", "end", "kind", "properties"}
        for end in ("start", "end"):
            assert set(edge[end]) == {"value", "match_by"} and edge[end]["match_by"] == "id"
        assert edge["kind"] in MODEL.edge_types
        _assert_flat(edge["properties"])
    ids = [n["id"] for n in nodes]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {e["start"]["value"] for e in edges} | {e["end"]["value"] for e in edges} <= set(ids)


def _assert_flat(props: dict) -> None:
    for k, v in props.items():
        if isinstance(v, list):
            assert all(isinstance(x, PRIMITIVES) for x in v), (k, v)
        else:
            assert isinstance(v, PRIMITIVES), (k, v)


def test_exported_values_are_json_primitives(exported):
    doc = json.loads(exported.read_text())
    node = {n["id"]: n for n in doc["graph"]["nodes"]}
    key = node["cred:ci-key"]
    assert key["kinds"] == ["Credential"]
    assert key["properties"]["leaked"] is True
    assert key["properties"]["leaked_at"] == "2025-03-04T10:00:00+00:00"
    assert key["properties"]["first_seen"] == "2026-01-31T12:00:00+00:00"
    assert key["properties"]["sources"] == ["inventory:credentials"]
    assert node["cred:sf-token"]["properties"]["scopes"] == ["api", "refresh_token"]
    assert "secret" not in key["properties"]
    owns = [e for e in doc["graph"]["edges"]
            if e["kind"] == "OWNS" and e["start"]["value"] == "person:bob" and e["end"]["value"] == "cred:ci-key"]
    assert [e["properties"]["role"] for e in owns] == ["revoke"]


def test_round_trip_gives_the_same_graph(estate_ws, exported, tmp_path):
    assert registry.detect(exported).name == "opengraph"
    fresh = Workspace(tmp_path / "fresh")
    result = ingest([exported], fresh)
    assert result.ok, result.errors
    assert result.sources == {"opengraph:NHIGraph": 23 + 46}
    a, b = estate_ws.load(), fresh.load()
    assert set(b.nodes) == set(a.nodes)
    assert set(b.edges) == set(a.edges)
    for node_id in a.nodes:
        assert _strip(b.nodes[node_id]) == _strip(a.nodes[node_id]), node_id
        assert b.nodes[node_id]["source"] == "opengraph:NHIGraph"
        assert b.nodes[node_id]["sources"] == ["opengraph:NHIGraph"]
    for key in a.edges:
        assert _strip(b.edges[key]) == _strip(a.edges[key]), key
    # typed, not strings: datetimes come back aware, bools and lists as such
    ci = b.nodes["id:ci-deployer"]
    assert ci["created_at"] == datetime(2024, 1, 15, 9, 30, tzinfo=timezone.utc)
    assert ci["first_seen"].utcoffset() == timedelta(0)
    assert ci["external"] is False
    assert b.edges[("HAS_ACCESS", "id:ci-deployer", "res:artifacts")]["actions"] == ["s3:GetObject", "s3:PutObject"]


def test_round_trip_through_the_library_function(estate_ws, tmp_path):
    snap = estate_ws.load()
    doc = to_opengraph(snap.nodes, snap.edges)
    f = tmp_path / "lib.json"
    f.write_text(json.dumps(doc))
    [batch] = parse(f)
    assert not batch.errors
    assert {n["id"] for n in batch.nodes} == set(snap.nodes)
    assert len(batch.edges) == 46
    # the re-export of the re-import is the same document, provenance aside
    fresh = Workspace(tmp_path / "fresh")
    assert ingest([f], fresh).ok
    again = fresh.load()
    doc2 = to_opengraph(again.nodes, again.edges)
    assert _strip_doc(doc2) == _strip_doc(doc)


def _strip_doc(doc: dict) -> dict:
    return {"nodes": [{**n, "properties": _strip(n["properties"])} for n in doc["graph"]["nodes"]],
            "edges": [{**e, "properties": _strip(e["properties"])} for e in doc["graph"]["edges"]]}


def test_a_large_export_is_still_recognised(ws, tmp_path):
    """The CLI writes sorted keys, so every edge precedes the first node ("kinds"); detection must not
    depend on seeing a node in the first 64 KiB."""
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "systems.csv").write_text("id,kind,name\nsys:a,aws_account,A\n")
    (inv / "identities.csv").write_text(
        "id,kind,name,system\n" + "".join(f"id:{i:04d},iam_user,u{i},sys:a\n" for i in range(400)))
    assert ingest([inv], ws).ok
    out = tmp_path / "big.json"
    assert CliRunner().invoke(cli, ["export", "opengraph", str(out), "-w", str(ws.path)]).exit_code == 0
    head = out.read_bytes()[:64 * 1024]
    assert b'"kinds"' not in head  # the situation this test is about
    assert registry.detect(out).name == "opengraph"
    fresh = Workspace(tmp_path / "fresh")
    result = ingest([out], fresh)
    assert result.ok and result.totals == {"nodes": 401, "edges": 400}


def test_opengraph_input_accepts_plain_ids_and_extra_kinds(ws, tmp_path):
    f = tmp_path / "third-party.json"
    f.write_text(json.dumps({"metadata": {"source_kind": "Scanner"}, "graph": {
        "nodes": [{"id": "i1", "kinds": ["Base", "Identity"], "properties": {"kind": "bot", "name": "one",
                                                                            "objectid": "i1"}},
                  {"id": "c1", "kinds": ["Credential"], "properties": {"kind": "pat", "leaked": True}}],
        "edges": [{"start": "c1", "end": {"value": "i1"}, "kind": "AUTHENTICATES"}]}}))
    result = ingest([f], ws)
    assert result.ok, result.errors
    snap = ws.load()
    assert snap.nodes["i1"]["label"] == "Identity" and "objectid" not in snap.nodes["i1"]
    assert snap.nodes["c1"]["source"] == "opengraph:Scanner"
    assert ("AUTHENTICATES", "c1", "i1") in snap.edges


@pytest.mark.parametrize("graph,error", [
    ({"nodes": [{"id": "x", "kinds": ["User"], "properties": {"kind": "bot"}}], "edges": []},
     "graph.nodes[0]: none of the kinds ['User'] is an nhigraph label"),
    ({"nodes": [{"id": "x", "properties": {}}], "edges": []},
     "graph.nodes[0]: a node needs 'id', 'kinds' and 'properties'"),
    ({"nodes": [], "edges": [{"start": {"value": "a", "match_by": "name"}, "end": "b", "kind": "OWNS"}]},
     "graph.edges[0]: start matches by 'name'; only match_by 'id' is supported"),
    ({"nodes": [], "edges": [{"start": "a", "end": "b", "kind": "LIKES"}]},
     "graph.edges[0]: unknown edge type 'LIKES'"),
    ({"nodes": [{"id": "x", "kinds": ["Identity"], "properties": {"kind": "bot", "nested": {"a": 1}}}],
      "edges": []},
     "graph.nodes[0]: Identity has no property 'nested'"),
])
def test_bad_opengraph_records_name_the_item(tmp_path, graph, error):
    f = tmp_path / "g.json"
    f.write_text(json.dumps({"metadata": {"source_kind": "T"}, "graph": graph}))
    [batch] = parse(f)
    assert len(batch.errors) == 1 and batch.partial
    assert str(batch.errors[0]).startswith(f"{f}: {error}")
