"""BloodHound OpenGraph JSON in: ``{metadata: {source_kind}, graph: {nodes: [...], edges: [...]}}``.

Nodes carry ``kinds`` (one of them must be an nhigraph label) and flat ``properties``; edges carry
``start``/``end`` (an id, or ``{value, match_by: "id"}``) and ``kind`` (an nhigraph edge type). This
reads what :mod:`nhigraph.export.opengraph` writes, so a graph survives the round trip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model.records import Batch, Origin
from ..model.vocabulary import MODEL
from .base import Format, load_json, looks_like_json

#: properties BloodHound wants that nhigraph derives on export and ignores on import (provenance is
#: re-recorded as this file's source)
DERIVED_PROPS = ("displayname", "objectid")


def _endpoint(value: Any, origin: Origin, end: str) -> str:
    if isinstance(value, dict):
        match_by = value.get("match_by", "id")
        if match_by != "id":
            raise origin.error(f"{end} matches by {match_by!r}; only match_by 'id' is supported")
        value = value.get("value")
    if not isinstance(value, str) or not value:
        raise origin.error(f"edge {end} must be a node id")
    return value


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    doc = load_json(path)
    graph = doc.get("graph") if isinstance(doc, dict) else None
    if not isinstance(graph, dict):
        raise InputError(path, None, "not OpenGraph: needs a top-level 'graph' object")
    kind = (doc.get("metadata") or {}).get("source_kind") if isinstance(doc.get("metadata"), dict) else None
    batch = Batch(source=f"opengraph:{scope or kind or path.stem}")
    nodes, edges = graph.get("nodes") or [], graph.get("edges") or []
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise InputError(path, None, "graph.nodes and graph.edges must be lists")
    for i, node in enumerate(nodes):
        origin = Origin(str(path), f"graph.nodes[{i}]")
        if not isinstance(node, dict) or not isinstance(node.get("kinds"), list):
            batch.fail(origin.error("a node needs 'id', 'kinds' and 'properties'"))
            continue
        labels = [k for k in node["kinds"] if k in MODEL.labels]
        if not labels:
            batch.fail(origin.error(f"none of the kinds {node['kinds']!r} is an nhigraph label "
                                    f"({', '.join(MODEL.labels)})"))
            continue
        props = node.get("properties") or {}
        if not isinstance(props, dict):
            batch.fail(origin.error("'properties' must be an object"))
            continue
        record = {k: v for k, v in props.items() if k not in DERIVED_PROPS + ("source", "sources")}
        record.update(label=labels[0], id=node.get("id"))
        batch.add_node(record, origin)
    for i, edge in enumerate(edges):
        origin = Origin(str(path), f"graph.edges[{i}]")
        try:
            if not isinstance(edge, dict):
                raise origin.error("an edge needs 'start', 'end' and 'kind'")
            props = edge.get("properties") or {}
            if not isinstance(props, dict):
                raise origin.error("'properties' must be an object")
            record = {k: v for k, v in props.items() if k not in ("source", "sources")}
            record.update(type=edge.get("kind"), start=_endpoint(edge.get("start"), origin, "start"),
                          end=_endpoint(edge.get("end"), origin, "end"))
        except InputError as exc:
            batch.fail(exc)
            continue
        batch.add_edge(record, origin)
    return [batch]


def _detect(path: Path, head: bytes) -> bool:
    # "kinds" only occurs in nodes; a file written with sorted keys has every edge before the first node,
    # so a large export shows only edges ("match_by") in its head
    return looks_like_json(head) and b'"graph"' in head and (b'"kinds"' in head or b'"match_by"' in head)


FORMAT = Format("opengraph", "BloodHound OpenGraph JSON",
                "`nhigraph export opengraph` (or any OpenGraph file using nhigraph's labels)",
                _detect, parse)
