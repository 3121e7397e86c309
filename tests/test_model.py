"""The model is declared once; everything derived from it must agree with the declaration."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nhigraph.errors import InputError
from nhigraph.ingest.inventory import EDGE_TABLES, NODE_TABLES, TABLES
from nhigraph.model.records import Origin, coerce_edge, coerce_node, edge_key, parse_datetime
from nhigraph.model.schema import COMMON_EDGE_PROPS, COMMON_NODE_PROPS, EdgeKind, Model, NodeKind, Prop
from nhigraph.model.vocabulary import MODEL
from nhigraph.secrets import fingerprint
from nhigraph.workspace.tables import edge_schema, node_schema

ARROW = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
         "datetime": pa.timestamp("us", tz="UTC"), "list": pa.list_(pa.string())}
ORIGIN = Origin("test.csv", "line 2")


# -- the declaration itself ---------------------------------------------------------------------

def test_model_declares_the_ten_labels_and_twelve_edge_types():
    assert set(MODEL.labels) == {"Identity", "Credential", "Owner", "Resource", "System", "Connector",
                                 "Workflow", "Vendor", "SecretStore", "PolicyException"}
    assert {"AUTHENTICATES", "CAN_ASSUME", "HAS_ACCESS", "PART_OF", "STORES", "USES", "CONNECTS_FROM",
            "CONNECTS_TO", "HOLDS", "OWNS", "MEMBER_OF", "WAIVES"} <= set(MODEL.edge_types)


def test_every_edge_joins_declared_labels():
    for e in MODEL.edges:
        assert e.start and e.end, e.type
        for label in e.start + e.end:
            assert label in MODEL.labels, (e.type, label)
        for k in e.key:
            assert k in e.columns, (e.type, k)


def test_columns_are_unique_and_start_with_the_common_props():
    for n in MODEL.nodes:
        assert len(set(n.columns)) == len(n.columns), n.label
        assert n.columns[:len(COMMON_NODE_PROPS)] == ("id", "kind", "name", "source", "sources",
                                                      "first_seen", "last_seen")
        assert n.kinds and len(set(n.kinds)) == len(n.kinds), n.label
    for e in MODEL.edges:
        assert len(set(e.columns)) == len(e.columns), e.type
        assert e.columns[:len(COMMON_EDGE_PROPS)] == ("start", "end", "source", "sources")


def test_only_the_credential_secret_is_secret():
    secret = [(n.label, p.name) for n in MODEL.nodes for p in n.all_props if p.secret]
    assert secret == [("Credential", "secret")]
    assert not [p for e in MODEL.edges for p in e.all_props if p.secret]


def test_owns_is_keyed_by_role_so_two_roles_are_two_edges():
    a = {"type": "OWNS", "start": "o", "end": "x", "role": "approve"}
    b = {"type": "OWNS", "start": "o", "end": "x", "role": "revoke"}
    assert edge_key(a) == ("OWNS", "o", "x", "approve")
    assert edge_key(a) != edge_key(b)
    assert edge_key({"type": "HAS_ACCESS", "start": "i", "end": "r", "level": "read"}) == ("HAS_ACCESS", "i", "r")


def test_label_of_kind_maps_unique_sub_kinds_only():
    mapping = MODEL.label_of_kind()
    assert mapping["iam_role"] == "Identity"
    assert mapping["access_key"] == "Credential"
    # "bot" and "ai_agent" are both Identity and Workflow kinds: ambiguous, so left out
    assert "bot" not in mapping and "ai_agent" not in mapping
    assert "other" not in mapping


# -- Model validates its declaration -------------------------------------------------------------

A = NodeKind("A", "a", kinds=("x",))
B = NodeKind("B", "b", kinds=("y",))


def test_model_accepts_a_valid_declaration():
    m = Model(nodes=(A, B), edges=(EdgeKind("R", "r", start=("A",), end=("B",)),))
    assert m.labels == ("A", "B") and m.edge_types == ("R",)
    assert m.node("A") is A


def test_model_rejects_duplicate_labels():
    with pytest.raises(ValueError, match="duplicate label"):
        Model(nodes=(A, NodeKind("A", "again", kinds=("z",))), edges=())


def test_model_rejects_duplicate_edge_types():
    r = EdgeKind("R", "r", start=("A",), end=("B",))
    with pytest.raises(ValueError, match="duplicate label or edge type"):
        Model(nodes=(A, B), edges=(r, EdgeKind("R", "r2", start=("B",), end=("A",))))


@pytest.mark.parametrize("start,end", [(("A",), ("Nope",)), (("Nope",), ("B",))])
def test_model_rejects_edges_to_unknown_labels(start, end):
    with pytest.raises(ValueError, match="edge R names unknown label Nope"):
        Model(nodes=(A, B), edges=(EdgeKind("R", "r", start=start, end=end),))


def test_model_rejects_a_property_declared_twice():
    with pytest.raises(ValueError, match="C declares property 'name' twice"):
        Model(nodes=(NodeKind("C", "c", kinds=("x",), props=(Prop("name"),)),), edges=())
    with pytest.raises(ValueError, match="R declares property 'w' twice"):
        Model(nodes=(A,), edges=(EdgeKind("R", "r", ("A",), ("A",), props=(Prop("w"), Prop("w"))),))


def test_model_rejects_an_edge_key_that_is_not_a_property():
    with pytest.raises(ValueError, match="key names unknown property 'role'"):
        Model(nodes=(A,), edges=(EdgeKind("R", "r", ("A",), ("A",), key=("role",)),))


def test_model_rejects_secret_edge_properties():
    with pytest.raises(ValueError, match="only node properties can be secret"):
        Model(nodes=(A,), edges=(EdgeKind("R", "r", ("A",), ("A",), props=(Prop("s", secret=True),)),))


def test_prop_choices_only_for_text():
    with pytest.raises(ValueError, match="choices only apply"):
        Prop("n", "int", choices=("1",))


def test_unknown_label_and_type_lookups_name_the_known_ones():
    with pytest.raises(KeyError, match="unknown node label 'Robot'.*Identity"):
        MODEL.node("Robot")
    with pytest.raises(KeyError, match="unknown edge type 'LIKES'.*OWNS"):
        MODEL.edge("LIKES")


# -- derived artefacts: workspace tables ----------------------------------------------------------

@pytest.mark.parametrize("label", MODEL.labels)
def test_node_parquet_schema_is_exactly_the_model_columns(label):
    spec = MODEL.node(label)
    schema = node_schema(label)
    assert schema.names == [p.name for p in spec.all_props if not p.secret]
    assert "secret" not in schema.names
    for p in spec.all_props:
        if not p.secret:
            f = schema.field(p.name)
            assert f.type == ARROW[p.type], (label, p.name)
            assert f.nullable == (not p.required), (label, p.name)


@pytest.mark.parametrize("type_", MODEL.edge_types)
def test_edge_parquet_schema_is_exactly_the_model_columns(type_):
    spec = MODEL.edge(type_)
    schema = edge_schema(type_)
    assert schema.names == list(spec.columns)
    assert "secret" not in schema.names
    for p in spec.all_props:
        assert schema.field(p.name).type == ARROW[p.type], (type_, p.name)


def test_written_snapshot_tables_carry_the_derived_schemas(estate_ws):
    folder = estate_ws.snapshots_dir / estate_ws.current_name()
    assert sorted(f.stem for f in (folder / "nodes").iterdir()) == sorted(MODEL.labels)
    assert sorted(f.stem for f in (folder / "edges").iterdir()) == sorted(MODEL.edge_types)
    for label in MODEL.labels:
        assert pq.read_schema(folder / "nodes" / f"{label}.parquet").remove_metadata() == node_schema(label)
    for type_ in MODEL.edge_types:
        assert pq.read_schema(folder / "edges" / f"{type_}.parquet").remove_metadata() == edge_schema(type_)


# -- derived artefacts: inventory tables ---------------------------------------------------------

def test_every_label_has_exactly_one_inventory_node_table():
    assert sorted(t.label for t in NODE_TABLES) == sorted(MODEL.labels)


@pytest.mark.parametrize("table", NODE_TABLES, ids=lambda t: t.name)
def test_inventory_node_table_columns_are_the_model_props_plus_links(table):
    spec = MODEL.node(table.label)
    links = [link.column for link in table.links]
    props = [p.name for p in spec.all_props if p.name not in ("source", "sources")]
    assert list(table.columns) == props + links
    # a link column must not shadow a property, and must make an edge the model allows
    assert not set(links) & set(spec.columns)
    for link in table.links:
        edge = MODEL.edge(link.edge)
        this_end = edge.start if link.direction == "out" else edge.end
        assert table.label in this_end, (table.name, link.column)
        for prop, _ in link.props:
            edge.prop(prop)


@pytest.mark.parametrize("table", EDGE_TABLES, ids=lambda t: t.name)
def test_inventory_edge_table_columns_are_the_model_props(table):
    if table.edge:
        props = [p.name for p in MODEL.edge(table.edge).props]
        assert list(table.columns) == [table.start, table.end] + props
    else:
        every = sorted({p.name for e in MODEL.edges for p in e.props})
        assert list(table.columns) == ["type", table.start, table.end] + every


def test_inventory_table_names_and_aliases_are_unique():
    names = [n for t in TABLES.values() for n in (t.name,) + t.aliases]
    assert len(names) == len(set(names))


# -- coercion to the declared types -------------------------------------------------------------

def test_coerce_node_types_values():
    node = coerce_node({"label": "Credential", "id": "c1", "kind": "api_token", "leaked": "Yes",
                        "scopes": "write; read;;read", "expires_at": "2026-01-31T12:00:00+01:00",
                        "created_at": "2025-02-03", "status": " active "}, ORIGIN, "src")
    assert node == {"label": "Credential", "id": "c1", "kind": "api_token", "name": "c1", "source": "src",
                    "leaked": True, "scopes": ["read", "write"], "status": "active",
                    "expires_at": datetime(2026, 1, 31, 11, 0, tzinfo=timezone.utc),
                    "created_at": datetime(2025, 2, 3, tzinfo=timezone.utc)}


def test_coerce_node_fingerprints_and_drops_the_secret():
    node = coerce_node({"label": "Credential", "id": "c1", "kind": "pat", "secret": "hunter2"}, ORIGIN, "s")
    assert "secret" not in node
    assert node["fingerprint"] == fingerprint("hunter2") == \
        "sha256:f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7"


@pytest.mark.parametrize("record,message", [
    ({"label": "Identity", "id": "i", "kind": "robot"}, "Identity kind 'robot' is not one of"),
    ({"label": "Identity", "id": "i"}, "Identity is missing required 'kind'"),
    ({"label": "Identity", "id": "i", "kind": "bot", "colour": "red"}, "Identity has no property 'colour'"),
    ({"label": "Identity", "id": "i", "kind": "bot", "external": "maybe"},
     "Identity external: expected true or false, got 'maybe'"),
    ({"label": "Identity", "id": "i", "kind": "bot", "environment": "Prod"},
     "Identity environment: 'Prod' is not one of prod"),
    ({"label": "Identity", "id": "i", "kind": "bot", "created_at": "19/10/2003"},
     "Identity created_at: not an ISO 8601 date or date-time: '19/10/2003'"),
    ({"label": "Robot", "id": "i", "kind": "bot"}, "unknown node label 'Robot'"),
])
def test_coerce_node_rejects_bad_records_naming_origin(record, message):
    with pytest.raises(InputError) as exc:
        coerce_node(record, ORIGIN, "s")
    assert str(exc.value).startswith("test.csv: line 2: ")
    assert message in str(exc.value)


def test_coerce_edge_requires_level_and_checks_choices():
    with pytest.raises(InputError, match="HAS_ACCESS is missing required 'level'"):
        coerce_edge({"type": "HAS_ACCESS", "start": "a", "end": "b"}, ORIGIN, "s")
    with pytest.raises(InputError, match="HAS_ACCESS level: 'owner' is not one of read, write, admin"):
        coerce_edge({"type": "HAS_ACCESS", "start": "a", "end": "b", "level": "owner"}, ORIGIN, "s")
    edge = coerce_edge({"type": "HAS_ACCESS", "start": "a", "end": "b", "level": "admin",
                        "human_only": "0"}, ORIGIN, "s")
    assert edge == {"type": "HAS_ACCESS", "start": "a", "end": "b", "level": "admin", "human_only": False,
                    "source": "s"}


@pytest.mark.parametrize("text,expected", [
    ("2026-01-31", datetime(2026, 1, 31, tzinfo=timezone.utc)),
    ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=timezone.utc)),
    ("2026-01-31 12:00", datetime(2026, 1, 31, 12, tzinfo=timezone.utc)),
    ("2026-01-31T12:00:00-05:00", datetime(2026, 1, 31, 17, tzinfo=timezone.utc)),
    ("2026-01-31T12:00:00.123456789Z", datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=timezone.utc)),
    (1769860800, datetime(2026, 1, 31, 12, tzinfo=timezone.utc)),
    (1769860800000, datetime(2026, 1, 31, 12, tzinfo=timezone.utc)),
])
def test_parse_datetime_returns_aware_utc(text, expected):
    got = parse_datetime(text)
    assert got == expected
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["19/10/2003", "10/19/2003", "2026-13-01", "2026-02-30", "yesterday",
                                  "2026-01-31T25:00"])
def test_parse_datetime_rejects_non_iso(text):
    with pytest.raises(ValueError):
        parse_datetime(text)
