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
from ..model.records import Batch, edge_key, endpoint_error, endpoint_labels
from .rows import Graph, edge_record, edge_row, node_column, node_record, node_row, replaced, row_key


@dataclass
class MergeResult:
    """The merged graph, what the merge added, updated and removed by label and type, and the bad records."""

    graph: Graph
    added_nodes: dict[str, int] = field(default_factory=dict)
    updated_nodes: dict[str, int] = field(default_factory=dict)
    removed_nodes: dict[str, int] = field(default_factory=dict)
    added_edges: dict[str, int] = field(default_factory=dict)
    removed_edges: dict[str, int] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        """The merged nodes as record dicts by id (built on each call: for small graphs and tests)."""
        return self.graph.node_records()

    @property
    def edges(self) -> dict[tuple, dict[str, Any]]:
        """The merged edges as record dicts by edge key (built on each call: for small graphs and tests)."""
        return self.graph.edge_records()


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
    """Merge batches into the graph ``nodes``/``edges`` (record dicts, unchanged): the result holds the merged
    graph as rows (:class:`~.rows.Graph`). Bad records become errors.

    The batches' records are consumed: each is released as soon as it is merged (a large estate's peak memory
    is its records), so the batches' ``nodes`` and ``edges`` are empty afterwards; their origins are kept."""
    res = MergeResult(Graph({node_id: node_row(rec) for node_id, rec in nodes.items()}))
    # ids of ``nodes`` this run reports again (only those: the nodes it adds are all reported by it)
    reported: set[str] = set()
    for batch in batches:
        _merge_nodes(batch, nodes, res, reported, observed_at)
    complete = {b.source for b in batches if not b.partial} - {b.source for b in batches if b.partial}
    # stale cleanup, before edges are checked so that an edge to a node that is gone is caught
    graph = res.graph.nodes
    for node_id in [n for n in nodes if n not in reported]:
        row = graph[node_id]
        label = row[-1]
        listed = row[node_column(label, "sources")] or [row[node_column(label, "source")]]
        remaining = set(listed) - complete
        if len(remaining) != len(listed):
            if remaining:
                graph[node_id] = replaced(row, node_column(label, "sources"), sorted(remaining))
            else:
                del graph[node_id]
                _bump(res.removed_nodes, label)

    reported_edges: set[tuple] = set()  # keys of ``edges`` this run reports again
    for type_, rows in _checked_edges(batches, edges, res).items():
        res.graph.edges[type_] = _merge_edges(type_, rows, edges, res, reported_edges)
    # a source that became partial through a bad edge is not cleaned up either
    complete = {b.source for b in batches if not b.partial} & complete
    # an edge reported in this run was checked against the nodes left after cleanup: only the others can be gone
    kept: set[str] = set()
    for key, edge in edges.items():
        if key in reported_edges:
            continue
        gone = edge["start"] not in graph or edge["end"] not in graph
        if not gone:
            sources = set(edge.get("sources") or [edge["source"]])
            remaining = sources - complete
            if len(remaining) != len(sources):
                if remaining:
                    edge = {**edge, "sources": sorted(remaining)}
                else:
                    gone = True
        if gone:
            _bump(res.removed_edges, edge["type"])
        else:
            res.graph.edges.setdefault(edge["type"], []).append(edge_row(edge))
            kept.add(edge["type"])
    for type_ in kept:  # the edges kept from before joined the merged ones: sorted again (two sorted runs)
        res.graph.edges[type_].sort(key=row_key(type_))
    return res


def _merge_nodes(batch: Batch, previous: dict[str, dict[str, Any]], res: MergeResult, reported: set[str],
                 observed_at: datetime) -> None:
    """Merge a batch's nodes, in order, into ``res``; a node of ``previous`` it reports joins ``reported``."""
    graph = res.graph.nodes
    in_batch: set[str] = set()
    # one list shared by every record of the batch (millions of records in a large estate): records'
    # ``sources`` are never changed in place, only replaced (see _merge_record)
    batch_sources = [batch.source]
    records, batch.nodes = batch.nodes, []
    for i, node in enumerate(records):
        records[i] = None  # released as soon as merged
        stub = bool(node.pop("_stub", False))
        node_id = node["id"]
        if not stub and node_id in in_batch:
            res.errors.append(batch.node_origins[i].error(f"duplicate id {node_id!r}: reported twice in one export"))
            batch.partial = True
            continue
        if not stub:
            in_batch.add(node_id)
        node.setdefault("first_seen", observed_at)
        node.setdefault("last_seen", observed_at)
        node["sources"] = batch_sources
        old = graph.get(node_id)
        if old is None:
            graph[node_id] = node_row(node)
            _bump(res.added_nodes, node["label"])
        else:
            if old[-1] != node["label"]:
                if not stub:
                    res.errors.append(batch.node_origins[i].error(
                        f"id {node_id!r} is already a {old[-1]}, cannot also be a {node['label']} (duplicate id)"))
                    batch.partial = True
                continue
            if node_id in previous and node_id not in reported:
                _bump(res.updated_nodes, node["label"])
            graph[node_id] = node_row(_merge_record(node_record(old), node, stub))
        if node_id in previous:
            reported.add(node_id)


def _checked_edges(batches: list[Batch], previous: dict[tuple, dict[str, Any]],
                   res: MergeResult) -> dict[str, list[tuple]]:
    """The batches' edges as rows by type, in order; an edge that names a node that does not exist, or joins
    labels its type does not, is an error instead. The types come in the order of their first edge that is
    not in ``previous`` (the order they are counted as added in)."""
    graph = res.graph.nodes
    by_type: dict[str, list[tuple]] = {}
    reported_again: dict[str, list[tuple]] = {}  # types whose edges so far are all in ``previous``
    for batch in batches:
        batch_sources = [batch.source]
        records, batch.edges = batch.edges, []
        for i, edge in enumerate(records):
            records[i] = None  # released as soon as merged
            type_ = edge["type"]
            start, end = graph.get(edge["start"]), graph.get(edge["end"])
            starts, ends = endpoint_labels(type_)
            if start is None or end is None or start[-1] not in starts or end[-1] not in ends:
                res.errors.append(batch.edge_origins[i].error(
                    endpoint_error(edge, start and start[-1], end and end[-1]) or "bad endpoints"))
                batch.partial = True
                continue
            edge["sources"] = batch_sources
            rows = by_type.get(type_)
            if rows is None:
                rows = reported_again.setdefault(type_, [])
                if not previous or edge_key(edge) not in previous:
                    by_type[type_] = reported_again.pop(type_)
            rows.append(edge_row(edge))
    return by_type | reported_again


def _merge_edges(type_: str, rows: list[tuple], previous: dict[tuple, dict[str, Any]], res: MergeResult,
                 reported: set[tuple]) -> list[tuple]:
    """This run's edges of one type (rows in run order) merged with the edges of ``previous``: sorted by key,
    one per key. An edge reported twice in the run keeps the highest level and all actions; a key of
    ``previous`` reported again joins ``reported``."""
    key = row_key(type_)
    rows.sort(key=key)  # stable: the reports of one key stay in run order
    keys = list(map(key, rows))
    merged: list[tuple] = []
    added = 0
    i, n = 0, len(rows)
    while i < n:
        k = keys[i]
        j = i + 1
        while j < n and keys[j] == k:
            j += 1
        old = previous.get((type_, *k)) if previous else None
        if old is None and j == i + 1:
            merged.append(rows[i])
            added += 1
        else:
            if old is not None:
                reported.add((type_, *k))
            else:
                added += 1
            record = old
            for pos in range(i, j):
                new = edge_record(rows[pos], type_)
                record = new if record is None else _merge_record(record, new, stub=False, combine=pos > i)
            merged.append(edge_row(record))
        i = j
    if added:
        res.added_edges[type_] = res.added_edges.get(type_, 0) + added
    return merged
