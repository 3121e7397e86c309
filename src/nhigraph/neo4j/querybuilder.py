"""Every write statement nhigraph sends to Neo4j, generated from the model (no hand-written per-label Cypher).

From :data:`nhigraph.model.vocabulary.MODEL` this module derives:

- a uniqueness constraint on ``id`` for every label (Neo4j 5 Community supports them), which also gives
  the index every MERGE and MATCH by id uses;
- a range index for each :attr:`NodeKind.indexed` property, and one on the run stamp ``_run`` of every
  label and relationship type (stale cleanup finds what an older run wrote through it);
- the batched ``UNWIND $rows AS row MERGE ...`` node write per label and edge write per (type, start
  label, end label), matched by id so a label typo can never turn into an all-nodes scan;
- the stale cleanup per label and type, in bounded chunks;
- the Neo4j Browser style sheet (GraSS), one colour and caption per label.

Labels, types and property names come only from the model and are checked to be plain identifiers; every
value travels as a parameter. A property the record lacks is written as null, which removes it, so a
re-push converges on the snapshot instead of keeping values the workspace dropped; properties the model
does not declare (annotations people add in Neo4j) are left alone.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any, Iterable

from ..model.schema import EdgeKind, Model, NodeKind
from ..model.vocabulary import MODEL

#: label of nhigraph's own bookkeeping nodes (the pushed snapshot, the push lock); never cleaned up
META_LABEL = "NhigraphMeta"
#: the run stamp every node and relationship written by a push carries (an increasing integer)
RUN_PROP = "_run"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def ident(name: str) -> str:
    """A label, type or property name as a Cypher identifier. Only model names reach here; anything else
    fails loudly instead of being escaped into a query."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f"`{name}`"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# ---------------------------------------------------------------------------------------------- schema

@dataclass(frozen=True)
class SchemaItem:
    """One constraint or index: its name (stable, so ``IF NOT EXISTS`` makes the set idempotent) and DDL."""

    name: str
    kind: str  # "constraint" or "index"
    label_or_type: str
    prop: str
    cypher: str


def schema_items(model: Model = MODEL) -> list[SchemaItem]:
    """Uniqueness constraints on ``id`` for every label, then the property and run-stamp indexes."""
    items: list[SchemaItem] = []
    for spec in model.nodes + (_META,):
        name = f"nhigraph_{_snake(spec.label)}_id_unique"
        items.append(SchemaItem(name, "constraint", spec.label, "id",
                                f"CREATE CONSTRAINT {name} IF NOT EXISTS "
                                f"FOR (n:{ident(spec.label)}) REQUIRE n.id IS UNIQUE"))
    for spec in model.nodes:
        for prop in (*spec.indexed, RUN_PROP):
            if prop != RUN_PROP:
                spec.prop(prop)  # an indexed name must be a declared property
            name = f"nhigraph_{_snake(spec.label)}_{prop.strip('_')}"
            items.append(SchemaItem(name, "index", spec.label, prop,
                                    f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{ident(spec.label)}) "
                                    f"ON (n.{ident(prop)})"))
    for edge in model.edges:
        name = f"nhigraph_rel_{edge.type.lower()}_{RUN_PROP.strip('_')}"
        items.append(SchemaItem(name, "index", edge.type, RUN_PROP,
                                f"CREATE INDEX {name} IF NOT EXISTS FOR ()-[r:{ident(edge.type)}]-() "
                                f"ON (r.{ident(RUN_PROP)})"))
    return items


_META = NodeKind(META_LABEL, "nhigraph bookkeeping", kinds=("meta",))


def schema_statements(model: Model = MODEL) -> list[str]:
    return [item.cypher for item in schema_items(model)]


# ---------------------------------------------------------------------------------------------- writes

@lru_cache(maxsize=None)
def node_columns(spec: NodeKind) -> tuple[str, ...]:
    """The properties a node write sets: every declared property except ``id`` and input-only secrets."""
    return tuple(p.name for p in spec.all_props if p.name != "id" and not p.secret)


@lru_cache(maxsize=None)
def edge_columns(spec: EdgeKind) -> tuple[str, ...]:
    """The properties an edge write sets: every declared one except the endpoints and the identity keys."""
    return tuple(p.name for p in spec.all_props if p.name not in ("start", "end") and p.name not in spec.key)


@lru_cache(maxsize=None)
def datetime_columns(spec: NodeKind | EdgeKind) -> tuple[str, ...]:
    """The columns holding datetimes: they travel apart from the other properties (see :func:`node_row`)."""
    cols = node_columns(spec) if isinstance(spec, NodeKind) else edge_columns(spec)
    return tuple(c for c in cols if spec.prop(c).type == "datetime")


def _assignments(var: str, spec: NodeKind | EdgeKind, columns: Iterable[str]) -> str:
    """``var.p = row.props.p`` for each column, ``var.p = datetime(row.dt.p)`` for datetimes: they travel as
    ISO 8601 text and become Neo4j datetimes here (``datetime(null)`` is null), which is many times faster
    than the driver converting Python datetimes one by one."""
    out = []
    for c in columns:
        if spec.prop(c).type == "datetime":
            out.append(f"{var}.{ident(c)} = datetime(row.dt.{ident(c)})")
        else:
            out.append(f"{var}.{ident(c)} = row.props.{ident(c)}")
    return ", ".join(out)


def node_merge(label: str, model: Model = MODEL) -> str:
    """The batched write of one label: ``$rows`` is a list of :func:`node_row` (``{id, props, dt}``), ``$run``
    the run stamp. Every declared property is assigned, so one the record lacks becomes null (removed)."""
    spec = model.node(label)
    return (f"UNWIND $rows AS row\n"
            f"MERGE (n:{ident(spec.label)} {{id: row.id}})\n"
            f"SET {_assignments('n', spec, node_columns(spec))}, n.{ident(RUN_PROP)} = $run")


def node_create(label: str, model: Model = MODEL) -> str:
    """The fast path of :func:`node_merge` for a label with no node in the database yet (a first load): the
    same rows, ``CREATE`` instead of ``MERGE`` (no lookup, no lock on the id), the present properties set from
    the row's map at once (a new node has nothing to remove) and each datetime column converted."""
    spec = model.node(label)
    return (f"UNWIND $rows AS row\n"
            f"CREATE (n:{ident(spec.label)} {{id: row.id}})\n"
            f"SET n += row.props{_datetime_sets('n', spec)}, n.{ident(RUN_PROP)} = $run")


def _datetime_sets(var: str, spec: NodeKind | EdgeKind) -> str:
    """``, var.c = datetime(row.dt.c)`` for each datetime column: the fast path's rows carry them apart."""
    return "".join(f", {var}.{ident(c)} = datetime(row.dt.{ident(c)})" for c in datetime_columns(spec))


#: edge rows can be grouped by the endpoint they share: ``{id, rows: [{other, key, props}]}``, so the shared
#: node is looked up once per group instead of once per edge
GROUP_BY = ("start", "end")


def _edge_head(spec: EdgeKind, start: str, end: str, by: str | None) -> str:
    if start not in spec.start or end not in spec.end:
        raise ValueError(f"{spec.type} cannot join {start} to {end}")
    if by is None:
        return (f"UNWIND $rows AS row\n"
                f"MATCH (a:{ident(start)} {{id: row.start}})\n"
                f"MATCH (b:{ident(end)} {{id: row.end}})\n")
    if by not in GROUP_BY:
        raise ValueError(f"edges are grouped by start or end, not {by!r}")
    (v1, l1), (v2, l2) = (("a", start), ("b", end)) if by == "start" else (("b", end), ("a", start))
    return (f"UNWIND $rows AS g\n"
            f"MATCH ({v1}:{ident(l1)} {{id: g.id}})\n"
            f"UNWIND g.rows AS row\n"
            f"MATCH ({v2}:{ident(l2)} {{id: row.other}})\n")


def _key_map(spec: EdgeKind) -> str:
    keys = ", ".join(f"{ident(k)}: row.key.{ident(k)}" for k in spec.key)
    return f" {{{keys}}}" if keys else ""


def edge_merge(type_: str, start: str, end: str, model: Model = MODEL, by: str | None = None) -> str:
    """The batched write of one (type, start label, end label): ``$rows`` is a list of :func:`edge_row`
    (``{start, end, key, props}``), or with ``by`` ("start" or "end") of :func:`group_edge_rows` groups."""
    spec = model.edge(type_)
    sets = _assignments("r", spec, edge_columns(spec))
    return (f"{_edge_head(spec, start, end, by)}"
            f"MERGE (a)-[r:{ident(spec.type)}{_key_map(spec)}]->(b)\n"
            f"SET {sets}{', ' if sets else ''}r.{ident(RUN_PROP)} = $run")


def edge_create(type_: str, start: str, end: str, model: Model = MODEL, by: str | None = None) -> str:
    """The fast path of :func:`edge_merge` for a relationship type with nothing in the database yet: the
    same rows, ``CREATE`` instead of ``MERGE`` (no scan of the endpoints' relationships, which is what makes
    MERGE slow on dense nodes), the present properties set from the row's map at once."""
    spec = model.edge(type_)
    return (f"{_edge_head(spec, start, end, by)}"
            f"CREATE (a)-[r:{ident(spec.type)}{_key_map(spec)}]->(b)\n"
            f"SET r += row.props{_datetime_sets('r', spec)}, r.{ident(RUN_PROP)} = $run")


def group_edge_rows(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """:func:`edge_row` rows grouped by their ``by`` endpoint, for the ``by`` form of the edge writes, in
    order of first appearance."""
    other = "end" if by == "start" else "start"
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        inner = {"other": r[other], "key": r["key"], "props": r["props"]}
        if "dt" in r:
            inner["dt"] = r["dt"]
        g = groups.get(r[by])
        if g is None:
            groups[r[by]] = [inner]
        else:
            g.append(inner)
    return [{"id": k, "rows": v} for k, v in groups.items()]


def edge_groups(model: Model = MODEL) -> list[tuple[str, str, str]]:
    """Every (type, start label, end label) the model allows, in model order."""
    return [(e.type, s, t) for e in model.edges for s in e.start for t in e.end]


def node_row(record: dict[str, Any], model: Model = MODEL) -> dict[str, Any]:
    """A workspace node record as a write row ``{id, props, dt}``: the datetime columns (ISO 8601 text) in
    ``dt``, every other declared property in ``props``. Empty lists and None are left out (written as null)."""
    props, dt = _props(record, _columns("node", record["label"], model))
    return {"id": record["id"], "props": props, "dt": dt}


def edge_row(record: dict[str, Any], model: Model = MODEL) -> dict[str, Any]:
    """A workspace edge record as a write row ``{start, end, key, props}`` (and ``dt`` when the type has
    datetime properties)."""
    spec = model.edge(record["type"])
    key = {}
    for k in spec.key:
        if record.get(k) is None:
            raise ValueError(f"{spec.type} {record['start']} -> {record['end']}: identity property {k!r} is empty")
        key[k] = record[k]
    cols = _columns("edge", spec.type, model)
    props, dt = _props(record, cols)
    row = {"start": record["start"], "end": record["end"], "key": key, "props": props}
    if cols[1]:
        row["dt"] = dt
    return row


def _props(record: dict[str, Any], columns: tuple[frozenset[str], frozenset[str]]
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(other properties, datetime properties as ISO 8601 text) of a record, limited to the declared columns."""
    plain, dates = columns
    props: dict[str, Any] = {}
    dt: dict[str, Any] = {}
    for c, v in record.items():
        if v is None:
            continue
        if c in plain:
            if isinstance(v, (list, tuple, set, frozenset)):
                if not v:
                    continue
                v = sorted(v) if isinstance(v, (set, frozenset)) else list(v)
            props[c] = v
        elif c in dates:
            if isinstance(v, datetime):
                if v.tzinfo is None:
                    v = v.replace(tzinfo=timezone.utc)
                v = v.isoformat()
            dt[c] = v
    return props, dt


_COLUMNS: dict[tuple[str, str, int], tuple[frozenset[str], frozenset[str]]] = {}


def _columns(kind: str, name: str, model: Model) -> tuple[frozenset[str], frozenset[str]]:
    """(plain columns, datetime columns) a node label or edge type writes."""
    key = (kind, name, id(model))
    out = _COLUMNS.get(key)
    if out is None:
        spec = model.node(name) if kind == "node" else model.edge(name)
        cols = node_columns(spec) if kind == "node" else edge_columns(spec)
        dates = frozenset(datetime_columns(spec))
        out = _COLUMNS[key] = (frozenset(cols) - dates, dates)
    return out


# ---------------------------------------------------------------------------------------------- cleanup

_STALE = (f"x.{ident(RUN_PROP)} < $run "
          "AND all(s IN coalesce(x.sources, [x.source]) WHERE s IN $complete)")


def node_cleanup(label: str, model: Model = MODEL) -> str:
    """Delete up to ``$limit`` nodes of ``label`` written by an older run whose sources are all in
    ``$complete`` (sources re-reported in full); returns ``deleted``. Run it until it deletes fewer than
    ``$limit``."""
    spec = model.node(label)
    return (f"MATCH (x:{ident(spec.label)}) WHERE {_STALE}\n"
            f"WITH x LIMIT $limit\n"
            f"DETACH DELETE x\n"
            f"RETURN count(*) AS deleted")


def edge_cleanup(type_: str, model: Model = MODEL) -> str:
    spec = model.edge(type_)
    return (f"MATCH ()-[x:{ident(spec.type)}]->() WHERE {_STALE}\n"
            f"WITH x LIMIT $limit\n"
            f"DELETE x\n"
            f"RETURN count(*) AS deleted")


# ---------------------------------------------------------------------------------------------- browser style

def _colour(label: str, index: int, count: int) -> tuple[str, str, str]:
    """A distinct fill, a darker border and a readable text colour for the ``index``-th of ``count`` labels."""
    hue = (index / max(count, 1) + 0.02) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.62, 0.62)
    br, bg, bb = colorsys.hls_to_rgb(hue, 0.42, 0.62)
    fill = "#{:02X}{:02X}{:02X}".format(round(r * 255), round(g * 255), round(b * 255))
    border = "#{:02X}{:02X}{:02X}".format(round(br * 255), round(bg * 255), round(bb * 255))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    text = "#000000" if luminance > 0.5 else "#FFFFFF"
    return fill, border, text


def browser_style(model: Model = MODEL) -> str:
    """Neo4j Browser GraSS: each label a distinct colour and its ``name`` as caption; types captioned.

    Load it in Browser with ``:style`` and drag the file in (or paste it)."""
    lines = ["/* Neo4j Browser style for nhigraph, generated from the model: "
             "python -m nhigraph.neo4j.querybuilder > queries/browser-style.grass */",
             "node {", "  diameter: 50px;", "  color: #A5ABB6;", "  border-color: #9AA1AC;",
             "  border-width: 2px;", "  text-color-internal: #FFFFFF;", "  font-size: 10px;", "}",
             "relationship {", "  color: #A5ABB6;", "  shaft-width: 1px;", "  font-size: 8px;",
             "  padding: 3px;", "  text-color-external: #000000;", "  text-color-internal: #FFFFFF;",
             '  caption: "<type>";', "}"]
    sizes = {"System": 65, "Owner": 45, "Credential": 40}
    for i, spec in enumerate(model.nodes):
        fill, border, text = _colour(spec.label, i, len(model.nodes))
        lines += [f"node.{spec.label} {{", f"  color: {fill};", f"  border-color: {border};",
                  f"  text-color-internal: {text};", f"  diameter: {sizes.get(spec.label, 50)}px;",
                  '  caption: "{name}";', "}"]
    lines += [f"node.{META_LABEL} {{", "  color: #EEEEEE;", "  border-color: #BBBBBB;",
              "  text-color-internal: #000000;", '  caption: "{id}";', "}"]
    for edge in model.edges:
        caption = "<type> {role}" if "role" in edge.key else "<type>"
        if any(p.name == "level" for p in edge.props):
            caption = "<type> {level}"
        lines += [f"relationship.{edge.type} {{", f'  caption: "{caption}";', "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(browser_style(), end="")
