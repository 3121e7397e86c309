"""The generic inventory: what organisations keep in spreadsheets and CMDBs, as CSV files or one JSON file.

Each CSV file is one table, recognised by its file name (``identities.csv``, ``acme-credentials.csv``)
or, failing that, by its header. Node tables take the model's properties of their label as columns, plus
*link* columns naming other nodes by id (several ids separated by ``;``) that become edges. Edge tables
(grants, trusts, ownership, edges) take one edge per row. A JSON inventory has the same tables as keys::

    {"nhigraph_inventory": 1, "identities": [{"id": "...", "kind": "...", ...}], "grants": [...]}

The tables and their columns are declared below and documented in README from this declaration. An owner
register may say ``status`` (active or departed) instead of ``active`` and ``escalation`` instead of
``escalation_contact``. Repeated rows of an edge table (the same owner, subject and role twice) are counted
once, with a warning; a policy exception without a subject, reason, approver or expiry, or expiring before
it was granted, is ingested with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model.records import Batch, Origin, edge_key, is_blank
from ..model.vocabulary import MODEL, RACI_ROLES
from .base import Format, csv_rows, load_json, looks_like_json


@dataclass(frozen=True)
class Link:
    """A column of a node table that names other nodes and becomes edges."""

    column: str
    edge: str
    #: "out": this row's node is the edge's start; "in": this row's node is the edge's end
    direction: str = "out"
    props: tuple[tuple[str, str], ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class NodeTable:
    name: str
    label: str
    links: tuple[Link, ...] = ()
    aliases: tuple[str, ...] = ()

    @cached_property
    def columns(self) -> tuple[str, ...]:
        spec = MODEL.node(self.label)
        own = tuple(p.name for p in spec.all_props if p.name not in ("source", "sources"))
        return own + tuple(link.column for link in self.links)

    @cached_property
    def link_columns(self) -> dict[str, Link]:
        return {link.column: link for link in self.links}


@dataclass(frozen=True)
class EdgeTable:
    name: str
    edge: str | None  # None: the row's `type` column says
    start: str
    end: str
    aliases: tuple[str, ...] = ()
    renames: dict[str, str] = field(default_factory=dict)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        extra = () if self.edge else tuple(sorted({p.name for e in MODEL.edges for p in e.props}))
        props = tuple(p.name for p in MODEL.edge(self.edge).props) if self.edge else extra
        type_col = () if self.edge else ("type",)
        return type_col + (self.start, self.end) + tuple(self.renames) + props


_RACI_LINKS = tuple(
    Link(col, "OWNS", "in", (("role", role),), f"owner id(s) with the {role} role")
    for col, role in zip(("approver", "implementer", "monitor", "revoker"), RACI_ROLES)
)

NODE_TABLES: tuple[NodeTable, ...] = (
    NodeTable("identities", "Identity", (Link("system", "PART_OF", doc="system id it lives in"),) + _RACI_LINKS,
              aliases=("identity", "nhis", "service_accounts")),
    NodeTable("credentials", "Credential",
              (Link("identity", "AUTHENTICATES", doc="identity id(s) it authenticates as"),
               Link("stored_in", "STORES", "in", doc="secret store id(s) keeping a copy"),
               Link("held_by", "HOLDS", "in", doc="vendor id(s) holding it")) + _RACI_LINKS,
              aliases=("credential", "keys", "secrets", "tokens")),
    NodeTable("owners", "Owner", (Link("member_of", "MEMBER_OF", doc="team id(s) of a person"),),
              aliases=("owner", "teams", "people")),
    NodeTable("resources", "Resource", (Link("system", "PART_OF", doc="system id it lives in"),) + _RACI_LINKS,
              aliases=("resource",)),
    NodeTable("systems", "System", (Link("part_of", "PART_OF", doc="parent system id"),) + _RACI_LINKS,
              aliases=("system", "accounts", "tenants", "platforms")),
    NodeTable("connectors", "Connector",
              (Link("from_system", "CONNECTS_FROM", doc="system id it reads from"),
               Link("to_system", "CONNECTS_TO", doc="system id it writes to"),
               Link("credentials", "USES", doc="credential id(s) it uses")) + _RACI_LINKS,
              aliases=("connector", "integrations")),
    NodeTable("workflows", "Workflow",
              (Link("system", "PART_OF", doc="system id it runs in"),
               Link("credentials", "USES", doc="credential id(s) it reads"),
               Link("assumes", "CAN_ASSUME", props=(("via", "oidc"),),
                    doc="identity id(s) it assumes without a stored secret (OIDC)")) + _RACI_LINKS,
              aliases=("workflow", "pipelines", "jobs", "bots", "agents")),
    NodeTable("vendors", "Vendor", (Link("holds", "HOLDS", doc="credential or identity id(s) it holds"),),
              aliases=("vendor", "third_parties")),
    NodeTable("secret_stores", "SecretStore",
              (Link("system", "PART_OF", doc="system id it lives in"),
               Link("stores", "STORES", doc="credential id(s) kept there")) + _RACI_LINKS,
              aliases=("secret_store", "stores", "vaults")),
    NodeTable("exceptions", "PolicyException", (Link("subject", "WAIVES", doc="id(s) it waives a policy for"),),
              aliases=("exception", "waivers", "policy_exceptions")),
)

EDGE_TABLES: tuple[EdgeTable, ...] = (
    EdgeTable("grants", "HAS_ACCESS", "identity", "target", aliases=("grant", "access", "permissions")),
    EdgeTable("trusts", "CAN_ASSUME", "from", "to", aliases=("trust", "assumptions", "assume")),
    EdgeTable("ownership", "OWNS", "owner", "subject", aliases=("raci", "owns")),
    EdgeTable("edges", None, "start", "end", aliases=("edge", "relationships")),
)

TABLES: dict[str, NodeTable | EdgeTable] = {t.name: t for t in NODE_TABLES + EDGE_TABLES}
_ALIASES = {alias: t.name for t in NODE_TABLES + EDGE_TABLES for alias in (t.name,) + t.aliases}


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def table_for(path: Path, header: Iterable[str] | None = None) -> NodeTable | EdgeTable | None:
    """Which inventory table a file holds: by its name, else by the header's distinctive columns."""
    stem = _norm(path.stem)
    if stem in _ALIASES:
        return TABLES[_ALIASES[stem]]
    for alias in sorted(_ALIASES, key=len, reverse=True):
        if stem.endswith("_" + alias) or stem.startswith(alias + "_"):
            return TABLES[_ALIASES[alias]]
    if header is None:
        return None
    cols = {_norm(h) for h in header}
    if {"identity", "target", "level"} <= cols:
        return TABLES["grants"]
    if {"owner", "subject", "role"} <= cols:
        return TABLES["ownership"]
    if {"type", "start", "end"} <= cols:
        return TABLES["edges"]
    if {"from", "to"} <= cols and "id" not in cols:
        return TABLES["trusts"]
    if {"id", "kind", "name"} <= cols:
        best = None
        for t in NODE_TABLES:
            distinctive = set(t.columns) - {"id", "kind", "name", "first_seen", "last_seen"}
            score = len(cols & distinctive)
            if score and (best is None or score > best[0]):
                best = (score, t)
        return best[1] if best else None
    return None


def _split_ids(value: Any) -> list[str]:
    if is_blank(value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if not is_blank(v)]
    return [v.strip() for v in str(value).split(";") if v.strip()]


#: columns some registers use under another name: an owner register's ``status`` (active or departed) for
#: ``active``, and ``escalation`` for ``escalation_contact``
COLUMN_ALIASES = {"owners": {"status": "active", "escalation": "escalation_contact"}}
OWNER_STATUS = {"active": True, "current": True, "employed": True, "departed": False, "left": False,
                "inactive": False, "former": False, "terminated": False, "disbanded": False}


def _apply_aliases(table: NodeTable | EdgeTable, row: dict[str, Any], origin: Origin, batch: Batch) -> bool:
    for alias, column in COLUMN_ALIASES.get(table.name, {}).items():
        if alias not in row:
            continue
        value = row.pop(alias)
        if alias == "status" and not is_blank(value):
            flag = OWNER_STATUS.get(str(value).strip().lower())
            if flag is None:
                batch.fail(origin.error(f"owner status {str(value).strip()!r} is not one of active, departed"))
                return False
            value = flag
        if is_blank(row.get(column)):
            row[column] = value
        elif alias == "status" and not is_blank(value):
            given = str(row[column]).strip().lower()
            if given in ("true", "yes", "y", "1", "t", "false", "no", "n", "0", "f") and (
                    given in ("true", "yes", "y", "1", "t")) != value:
                batch.fail(origin.error(f"status says {'active' if value else 'departed'} but active says "
                                        f"{row[column]!r}"))
                return False
    return True


def _check_exception(node: dict[str, Any], origin: Origin, batch: Batch) -> None:
    """Warnings for a waiver the register does not fully describe: no subject, reason, approver or expiry,
    or an expiry before it was granted. (Whether it has expired depends on when the estate is observed: the
    ``security.exceptions`` debt metric reports that against the snapshot's observation time.)"""
    where = f"{origin.path}: {origin.record}: exception {node['id']!r}"
    missing = [c for c in ("reason", "approver", "expires_at") if is_blank(node.get(c))]
    if missing:
        batch.warnings.append(f"{where} has no {', '.join(missing)}")
    expires, created = node.get("expires_at"), node.get("created_at")
    if expires is not None and created is not None and expires < created:
        batch.warnings.append(f"{where} expires ({expires.date().isoformat()}) before it was granted "
                              f"({created.date().isoformat()})")


_COLUMN_SETS: dict[str, frozenset[str]] = {}


def _column_set(table: NodeTable | EdgeTable) -> frozenset[str]:
    known = _COLUMN_SETS.get(table.name)
    if known is None:
        known = _COLUMN_SETS[table.name] = frozenset(table.columns)
    return known


def _normalized(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its column names normalised (``Key ID`` -> ``key_id``)."""
    return {_norm(k) if isinstance(k, str) else k: v for k, v in row.items()}


def _row_to_records(table: NodeTable | EdgeTable, row: dict[str, Any], origin: Origin, batch: Batch,
                    seen: dict[tuple, str] | None = None) -> None:
    """The records of one row, whose column names are normalised."""
    if not _apply_aliases(table, row, origin, batch):
        return
    known = _column_set(table)
    unknown = [k for k in row if k not in known and not (isinstance(k, str) and k.startswith("_"))]
    if unknown:
        batch.fail(origin.error(f"unknown column {unknown[0]!r} for the {table.name} table "
                                f"(expected: {', '.join(table.columns)})"))
        return
    if isinstance(table, NodeTable):
        links = table.link_columns
        node = {k: v for k, v in row.items() if k not in links}
        node["label"] = table.label
        if is_blank(node.get("id")):
            batch.fail(origin.error(f"{table.label} is missing required 'id'"))
            return
        added = batch.add_node(node, origin)
        if added is None:
            return
        if table.name == "exceptions":
            _check_exception(added, origin, batch)
            if not _split_ids(row.get("subject")):
                batch.warnings.append(f"{origin.path}: {origin.record}: exception {added['id']!r} waives nothing "
                                      "(no subject)")
        for column, link in links.items():
            for other in _split_ids(row.get(column)):
                start, end = (node["id"], other) if link.direction == "out" else (other, node["id"])
                batch.add_edge({"type": link.edge, "start": start, "end": end, **dict(link.props)}, origin)
        return
    edge = dict(row)
    start, end = edge.pop(table.start, None), edge.pop(table.end, None)
    if is_blank(start) or is_blank(end):
        batch.fail(origin.error(f"{table.name} row needs both {table.start!r} and {table.end!r}"))
        return
    edge.update(start=str(start).strip(), end=str(end).strip())
    if table.edge:
        edge["type"] = table.edge
    elif is_blank(edge.get("type")):
        batch.fail(origin.error("edges row needs a 'type'"))
        return
    else:
        edge["type"] = str(edge["type"]).strip().upper()
    added = batch.add_edge(edge, origin)
    if added is not None and seen is not None:
        key = edge_key(added)
        if key in seen:
            batch.warnings.append(f"{origin.path}: {origin.record}: duplicate of {seen[key]} "
                                  f"({added['type']} {added['start']} -> {added['end']}); counted once")
        else:
            seen[key] = origin.record


def _source(table: str, scope: str | None, stem: str | None = None) -> str:
    """``inventory:<table>``; a file named other than its table (``team-b-identities.csv``) is its own
    source (``inventory:team_b_identities``), so ingesting it never cleans up another file's records."""
    name = table if stem is None or _norm(stem) in (table, *_table_aliases(table)) else _norm(stem)
    return f"inventory:{scope}:{name}" if scope else f"inventory:{name}"


def _table_aliases(table: str) -> tuple[str, ...]:
    return TABLES[table].aliases


def parse_csv(path: Path, scope: str | None = None) -> list[Batch]:
    header, rows = csv_rows(path, key=_norm)
    table = table_for(path, header)
    if table is None:
        raise InputError(path, "line 1", "not an inventory table: name the file after one of "
                         f"{', '.join(TABLES)} or use their columns")
    given = {_norm(h) for h in header}
    given |= {COLUMN_ALIASES.get(table.name, {}).get(h) for h in given} - {None}
    missing = [c for c in _required_columns(table) if c not in given]
    if missing:
        raise InputError(path, "line 1", f"the {table.name} table needs column(s) {', '.join(missing)}")
    batch = Batch(source=_source(table.name, scope, path.stem))
    seen: dict[tuple, str] = {}
    where = str(path)
    for line, row in rows:
        _row_to_records(table, row, Origin(where, f"line {line}"), batch, seen)
    return [batch]


def _required_columns(table: NodeTable | EdgeTable) -> list[str]:
    if isinstance(table, NodeTable):
        return ["id", "kind"]
    required = [table.start, table.end]
    if table.edge is None:
        required.insert(0, "type")
    elif table.edge == "HAS_ACCESS":
        required.append("level")
    elif table.edge == "OWNS":
        required.append("role")
    return required


def parse_json(path: Path, scope: str | None = None) -> list[Batch]:
    doc = load_json(path)
    if not isinstance(doc, dict) or "nhigraph_inventory" not in doc:
        raise InputError(path, None, "not an nhigraph inventory (needs a top-level 'nhigraph_inventory' key)")
    unknown = [k for k in doc if k != "nhigraph_inventory" and _norm(k) not in _ALIASES]
    if unknown:
        raise InputError(path, None, f"unknown inventory table {unknown[0]!r} (known: {', '.join(TABLES)})")
    batches = []
    for key, rows in doc.items():
        if key == "nhigraph_inventory":
            continue
        table = TABLES[_ALIASES[_norm(key)]]
        batch = Batch(source=_source(table.name, scope))
        if not isinstance(rows, list):
            batch.fail(InputError(path, key, "expected a list of records"))
            batches.append(batch)
            continue
        seen: dict[tuple, str] = {}
        for i, row in enumerate(rows, 1):
            origin = Origin(str(path), f"{key}[{i}]")
            if not isinstance(row, dict):
                batch.fail(origin.error("expected an object"))
                continue
            _row_to_records(table, _normalized(row), origin, batch, seen)
        batches.append(batch)
    return batches


def _detect_csv(path: Path, head: bytes) -> bool:
    if path.suffix.lower() not in (".csv", ".tsv", ".txt") or looks_like_json(head):
        return False
    if table_for(path) is not None:
        return True
    first = head.split(b"\n", 1)[0].decode("utf-8-sig", "replace")
    return table_for(path, [h.strip() for h in first.split(",")]) is not None


def _detect_json(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and b'"nhigraph_inventory"' in head


CSV_FORMAT = Format("inventory-csv", "nhigraph inventory, CSV tables",
                    "your CMDB or spreadsheet, saved as CSV (one file per table; see Inventory format)",
                    _detect_csv, parse_csv)
JSON_FORMAT = Format("inventory-json", "nhigraph inventory, one JSON file",
                     "your own script or CMDB export (see Inventory format)",
                     _detect_json, parse_json)
