"""Arrow schemas for the workspace tables, derived from the model, and conversion to and from records and rows
(tuples of a table's columns, in the model's order: see :mod:`.rows`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Sequence

import pyarrow as pa

from ..model.schema import Prop
from ..model.vocabulary import MODEL

_TYPES = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "list": pa.list_(pa.string()),
}


def _field(prop: Prop) -> pa.Field:
    return pa.field(prop.name, _TYPES[prop.type], nullable=not prop.required)


def _node_props(label: str) -> tuple[Prop, ...]:
    """The properties a node table stores: all but the secret inputs, which are never stored."""
    return tuple(p for p in MODEL.node(label).all_props if not p.secret)


@lru_cache(maxsize=None)
def node_columns(label: str) -> tuple[str, ...]:
    return tuple(p.name for p in _node_props(label))


@lru_cache(maxsize=None)
def edge_columns(type_: str) -> tuple[str, ...]:
    return MODEL.edge(type_).columns


@lru_cache(maxsize=None)
def node_schema(label: str) -> pa.Schema:
    return pa.schema([_field(p) for p in _node_props(label)])


@lru_cache(maxsize=None)
def edge_schema(type_: str) -> pa.Schema:
    return pa.schema([_field(p) for p in MODEL.edge(type_).all_props])


def to_table(records: Iterable[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    records = list(records)
    columns = {f.name: [r.get(f.name) for r in records] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)


def rows_to_table(rows: Sequence[tuple], schema: pa.Schema) -> pa.Table:
    """A table from rows that start with the schema's columns (anything after them is left out)."""
    columns = list(zip(*rows)) if rows else [() for _ in schema]
    return pa.Table.from_pydict(dict(zip(schema.names, columns)), schema=schema)


def from_table(table: pa.Table) -> list[dict[str, Any]]:
    """Records without their null fields (absent and null mean the same thing in the model).

    Column by column, skipping columns that are entirely null: most optional properties are empty for
    most rows, and converting them is most of the cost of loading a snapshot."""
    n = table.num_rows
    records: list[dict[str, Any]] = [{} for _ in range(n)]
    for name, column in zip(table.column_names, table.columns):
        if column.null_count == n:
            continue
        values = column.to_pylist()
        if column.null_count == 0:
            for rec, v in zip(records, values):
                rec[name] = v
        else:
            for rec, v in zip(records, values):
                if v is not None:
                    rec[name] = v
    return records
