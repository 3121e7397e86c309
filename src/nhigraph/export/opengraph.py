"""BloodHound OpenGraph JSON out, so the graph can be loaded into BloodHound CE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

SOURCE_KIND = "NHIGraph"


def _flat(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_flat(v) for v in value]
    return value


def to_opengraph(nodes: dict[str, dict[str, Any]], edges: dict[tuple, dict[str, Any]]) -> dict[str, Any]:
    """The graph as an OpenGraph document: flat primitive properties, nodes and edges in a stable order."""
    out_nodes = []
    for node_id in sorted(nodes):
        node = nodes[node_id]
        props = {k: _flat(v) for k, v in sorted(node.items()) if k not in ("label", "id")}
        props["displayname"] = node.get("name") or node_id
        props["objectid"] = node_id
        out_nodes.append({"id": node_id, "kinds": [node["label"]], "properties": props})
    out_edges = []
    for key in sorted(edges, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        edge = edges[key]
        props = {k: _flat(v) for k, v in sorted(edge.items()) if k not in ("type", "start", "end")}
        out_edges.append({"start": {"value": edge["start"], "match_by": "id"},
                          "end": {"value": edge["end"], "match_by": "id"},
                          "kind": edge["type"], "properties": props})
    return {"metadata": {"source_kind": SOURCE_KIND}, "graph": {"nodes": out_nodes, "edges": out_edges}}

