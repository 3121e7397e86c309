"""Merging a batch of ingested records into the current graph, with per-source stale cleanup.

Semantics (documented in README):
- a node is identified by its ``id``; an edge by its type, endpoints and the type's key properties;
- a record reported again by the only source that reported it is replaced (so a cleared field clears);
  reported by another source, it is updated: new non-empty values win; ``first_seen`` keeps the earliest
  time, ``last_seen`` the latest, ``sources`` gathers every source that reports it;
- the same access edge reported twice in one run keeps the highest level and all actions;
- a *stub* (a node an ingester only knows partly, e.g. a key id a scanner found) fills in a missing node
  or the properties an existing node lacks, but never overrides a value another export gave;
- when a source is re-ingested completely, records that source no longer reports lose that source, and a
  record no source reports any more is removed, with the edges that hung on it. A source whose run had
  errors (partial) is never cleaned up, so a bad file never deletes real data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import InputError
from ..ingest.exports import max_level
from ..model.records import Batch, check_endpoints, edge_key



@dataclass
class MergeResult:
    nodes: dict[str, dict[str, Any]]
    edges: dict[tuple, dict[str, Any]]
    added_nodes: dict[str, int] = field(default_factory=dict)
    updated_nodes: dict[str, int] = field(default_factory=dict)
    removed_nodes: dict[str, int] = field(default_factory=dict)
    added_edges: dict[str, int] = field(default_factory=dict)
    removed_edges: dict[str, int] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)


class _Labels:
    """Node id -> label, read from the merged nodes (a separate dict would copy millions of entries)."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: dict[str, dict[str, Any]]) -> None:
        self.nodes = nodes

    def get(self, node_id: str) -> str | None:
        node = self.nodes.get(node_id)
        return None if node is None else node["label"]


def _bump(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


_BOOKKEEPING = ("sources", "first_seen", "last_seen", "source")


def _merge_record(old: dict[str, Any], new: dict[str, Any], stub: bool, combine: bool = False) -> dict[str, Any]:
    """Merge a record reported again into the one already known.

    - the only source that reported it reports it again: the new record replaces the old one, so a field a
      re-export no longer gives (a cleared expiry, a lifted leak flag) is cleared too;
    - another source reports it: new non-empty values win, the rest is kept;
    - a stub only fills properties the record lacks;
    - ``combine`` (the same access edge twice in one run): the highest level and all actions are kept.
    """
    old_sources = set(old.get("sources") or [old["source"]])
    if not stub and not combine and old_sources <= set(new["sources"]):
        merged = {k: v for k, v in new.items() if k not in _BOOKKEEPING}
        merged["source"] = old["source"]
        if merged.get("name") == new.get("id") and old.get("name"):
            merged["name"] = old["name"]
    else:
        merged = dict(old)
        for k, v in new.items():
            if k in _BOOKKEEPING:
                continue
            if stub and merged.get(k) is not None:
                continue
            if k == "name" and v == new.get("id") and old.get("name"):
                continue  # a name defaulted to the id (none reported) never hides a reported one
            if combine and k == "level":
                v = max_level([old.get(k), v])
            elif combine and isinstance(v, list) and isinstance(old.get(k), list):
                v = sorted(set(v) | set(old[k]))
            merged[k] = v
    merged["sources"] = sorted(old_sources | set(new["sources"]))
    for k, pick in (("first_seen", min), ("last_seen", max)):
        vals = [v for v in (old.get(k), new.get(k)) if v is not None]
        if vals:
            merged[k] = pick(vals)
    return merged


def merge(nodes: dict[str, dict[str, Any]], edges: dict[tuple, dict[str, Any]], batches: list[Batch],
          observed_at: datetime) -> MergeResult:
    """Merge batches into copies of ``nodes``/``edges``. Bad edges become errors; the inputs are unchanged."""
    res = MergeResult(nodes=dict(nodes), edges=dict(edges))

    seen_nodes: set[str] = set()
    seen_edges: set[tuple] = set()
    for batch in batches:
        in_batch: set[str] = set()
        # one list shared by every record of the batch (millions of records in a large estate): records'
        # ``sources`` are never changed in place, only replaced (see _merge_record)
        batch_sources = [batch.source]
        for node, origin in zip(batch.nodes, batch.node_origins):
            stub = bool(node.pop("_stub", False))
            node_id = node["id"]
            if not stub and node_id in in_batch:
                res.errors.append(origin.error(f"duplicate id {node_id!r}: reported twice in one export"))
                batch.partial = True
                continue
            if not stub:
                in_batch.add(node_id)
            node.setdefault("first_seen", observed_at)
            node.setdefault("last_seen", observed_at)
            node["sources"] = batch_sources
            old = res.nodes.get(node_id)
            if old is None:
                res.nodes[node_id] = node
                _bump(res.added_nodes, node["label"])
            else:
                if old["label"] != node["label"]:
                    if not stub:
                        res.errors.append(origin.error(
                            f"id {node_id!r} is already a {old['label']}, cannot also be a {node['label']} "
                            "(duplicate id)"))
                        batch.partial = True
                    continue
                if node_id not in seen_nodes and node_id in nodes:
                    _bump(res.updated_nodes, node["label"])
                res.nodes[node_id] = _merge_record(old, node, stub)
            seen_nodes.add(node_id)
    complete = {b.source for b in batches if not b.partial} - {b.source for b in batches if b.partial}

    # stale cleanup, before edges are checked so that an edge to a node that is gone is caught (only the nodes
    # this run did not report are candidates: no list of every item, which costs a lot at millions of records)
    for node_id in [n for n in res.nodes if n not in seen_nodes]:
        node = res.nodes[node_id]
        remaining = set(node.get("sources") or [node["source"]]) - complete
        if len(remaining) != len(node.get("sources") or [node["source"]]):
            if remaining:
                res.nodes[node_id] = {**node, "sources": sorted(remaining)}
            else:
                del res.nodes[node_id]
                _bump(res.removed_nodes, node["label"])

    labels = _Labels(res.nodes)
    for batch in batches:
        batch_sources = [batch.source]
        for edge, origin in zip(batch.edges, batch.edge_origins):
            try:
                check_endpoints(edge, labels, origin)
            except InputError as exc:
                res.errors.append(exc)
                batch.partial = True
                continue
            edge["sources"] = batch_sources
            key = edge_key(edge)
            old = res.edges.get(key)
            if old is None:
                res.edges[key] = edge
                _bump(res.added_edges, edge["type"])
            else:
                res.edges[key] = _merge_record(old, edge, stub=False, combine=key in seen_edges)
            seen_edges.add(key)

    # a source that became partial through a bad edge is not cleaned up either
    complete = {b.source for b in batches if not b.partial} & complete
    # an edge reported in this run was checked against the nodes left after cleanup: only the others can be gone
    for key in [k for k in res.edges if k not in seen_edges]:
        edge = res.edges[key]
        gone = edge["start"] not in res.nodes or edge["end"] not in res.nodes
        if not gone:
            sources = set(edge.get("sources") or [edge["source"]])
            remaining = sources - complete
            if len(remaining) != len(sources):
                if remaining:
                    res.edges[key] = {**edge, "sources": sorted(remaining)}
                else:
                    gone = True
        if gone:
            del res.edges[key]
            _bump(res.removed_edges, edge["type"])
    return res
