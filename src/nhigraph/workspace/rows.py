"""The merged graph, held compactly: each record a tuple of its table's columns, in the model's order.

A dict per record costs 180 to 460 bytes, a tuple of the same values about half that, and a large estate's
millions of records are most of an ingest's memory. A *node row* is its label's columns
(:func:`~.tables.node_columns`) followed by the label; an *edge row* is its type's columns
(:func:`~.tables.edge_columns`), kept in one list per type. An absent value is None, as in the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, Callable

from ..model.vocabulary import MODEL
from .tables import edge_columns, node_columns


@lru_cache(maxsize=None)
def _node_fields(label: str) -> tuple[str, ...]:
    return node_columns(label) + ("label",)


def node_row(record: dict[str, Any]) -> tuple:
    label = record["label"]
    return (*map(record.get, node_columns(label)), label)


def node_record(row: tuple) -> dict[str, Any]:
    return {k: v for k, v in zip(_node_fields(row[-1]), row) if v is not None}


def edge_row(record: dict[str, Any]) -> tuple:
    return tuple(map(record.get, edge_columns(record["type"])))


def edge_record(row: tuple, type_: str) -> dict[str, Any]:
    record = {k: v for k, v in zip(edge_columns(type_), row) if v is not None}
    record["type"] = type_
    return record


@lru_cache(maxsize=None)
def node_column(label: str, name: str) -> int:
    """Where column ``name`` is in a node row of ``label``."""
    return node_columns(label).index(name)


#: a node row's id (the first column of every label)
row_id = itemgetter(0)


@lru_cache(maxsize=None)
def row_key(type_: str) -> Callable[[tuple], tuple]:
    """An edge row's identity within its type: its endpoints and the type's key properties, the order its
    table is sorted in (:func:`nhigraph.model.records.edge_key` without the type)."""
    return itemgetter(*(edge_columns(type_).index(name) for name in ("start", "end") + MODEL.edge(type_).key))


def replaced(row: tuple, index: int, value: Any) -> tuple:
    """``row`` with ``value`` at ``index``."""
    return row[:index] + (value,) + row[index + 1:]


@dataclass
class Graph:
    """Nodes by id, and edges by type: one row per edge key, sorted by key."""

    nodes: dict[str, tuple] = field(default_factory=dict)
    edges: dict[str, list[tuple]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, nodes: dict[str, dict[str, Any]], edges: dict[tuple, dict[str, Any]]) -> "Graph":
        """The graph of records as :meth:`~.store.Workspace.load` gives them."""
        by_type: dict[str, list[tuple]] = {}
        for record in edges.values():
            by_type.setdefault(record["type"], []).append(edge_row(record))
        for type_, rows in by_type.items():
            rows.sort(key=row_key(type_))
        return cls({node_id: node_row(record) for node_id, record in nodes.items()}, by_type)

    @property
    def edge_count(self) -> int:
        return sum(map(len, self.edges.values()))

    def node_records(self) -> dict[str, dict[str, Any]]:
        """Nodes as record dicts by id (a copy: for small graphs and tests)."""
        return {node_id: node_record(row) for node_id, row in self.nodes.items()}

    def edge_records(self) -> dict[tuple, dict[str, Any]]:
        """Edges as record dicts by :func:`~nhigraph.model.records.edge_key` (a copy: for small graphs and tests)."""
        return {(type_, *row_key(type_)(row)): edge_record(row, type_)
                for type_, rows in self.edges.items() for row in rows}
