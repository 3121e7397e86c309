"""Counts that describe a snapshot."""

from __future__ import annotations

from typing import Any

from .store import Snapshot


def snapshot_stats(snap: Snapshot) -> dict[str, Any]:
    nodes: dict[str, dict[str, int]] = {}
    for n in snap.nodes.values():
        kinds = nodes.setdefault(n["label"], {})
        kinds[n["kind"]] = kinds.get(n["kind"], 0) + 1
    edges: dict[str, int] = {}
    for e in snap.edges.values():
        edges[e["type"]] = edges.get(e["type"], 0) + 1
    return {
        "snapshot": snap.name,
        "observed_at": snap.manifest.get("observed_at"),
        "total_nodes": len(snap.nodes),
        "total_edges": len(snap.edges),
        "nodes": {label: dict(sorted(k.items())) for label, k in sorted(nodes.items())},
        "edges": dict(sorted(edges.items())),
        "sources": snap.manifest.get("sources", {}),
    }
