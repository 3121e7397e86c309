"""The write side generated from the model: constraints and indexes on a real server, MERGE statements that
name only model labels, and the Neo4j Browser style sheet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nhigraph.model.vocabulary import MODEL
from nhigraph.neo4j import loader
from nhigraph.neo4j import querybuilder as qb

pytestmark = pytest.mark.neo4j

DB = os.environ.get("NEO4J_DATABASE")
REPO = Path(__file__).resolve().parents[2]


def test_constraints_and_indexes_cover_the_model(neo4j_db) -> None:
    loader.ensure_schema(neo4j_db, DB)
    loader.ensure_schema(neo4j_db, DB)  # idempotent
    with neo4j_db.session(database=DB) as s:
        constraints = [dict(r) for r in s.run("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties")]
        indexes = [dict(r) for r in s.run("SHOW INDEXES YIELD name, state, labelsOrTypes, properties, entityType")]
    unique = {(c["labelsOrTypes"][0], tuple(c["properties"])) for c in constraints
              if c["type"] in ("UNIQUENESS", "NODE_PROPERTY_UNIQUENESS")}
    for label in MODEL.labels:
        assert (label, ("id",)) in unique, label
    assert (qb.META_LABEL, ("id",)) in unique
    have = {(i["labelsOrTypes"][0], tuple(i["properties"])) for i in indexes if i["labelsOrTypes"]}
    for spec in MODEL.nodes:
        for prop in spec.indexed + (qb.RUN_PROP,):
            assert (spec.label, (prop,)) in have, (spec.label, prop)
    for type_ in MODEL.edge_types:
        assert (type_, (qb.RUN_PROP,)) in have, type_
    ours = [i for i in indexes if i["name"].startswith("nhigraph_")]
    assert ours and all(i["state"] == "ONLINE" for i in ours)


def test_statements_name_only_model_labels_and_pass_values_as_parameters() -> None:
    labels, types = set(MODEL.labels) | {qb.META_LABEL}, set(MODEL.edge_types)
    stmts = qb.schema_statements() + [qb.node_merge(label) for label in MODEL.labels]
    stmts += [qb.edge_merge(*g) for g in qb.edge_groups()]
    stmts += [qb.node_cleanup(label) for label in MODEL.labels] + [qb.edge_cleanup(t) for t in MODEL.edge_types]
    for stmt in stmts:
        for name in re.findall(r"\(\w*:`?(\w+)`?", stmt):
            assert name in labels, (name, stmt)
        for name in re.findall(r"\[\w*:`?(\w+)`?", stmt):
            assert name in types, (name, stmt)
        assert "'" not in stmt and '"' not in stmt, stmt  # no literal values: everything is a parameter
    # each (type, start, end) the model allows has its write, matched by id on both labels
    assert len(qb.edge_groups()) == sum(len(e.start) * len(e.end) for e in MODEL.edges)
    owns = qb.edge_merge("OWNS", "Owner", "Identity")
    assert "MATCH (a:`Owner` {id: row.start})" in owns and "{`role`: row.key.`role`}" in owns
    with pytest.raises(ValueError):
        qb.edge_merge("OWNS", "Identity", "Owner")
    with pytest.raises(ValueError):
        qb.ident("Bad`Label")


def test_browser_style_matches_the_model() -> None:
    text = (REPO / "queries" / "browser-style.grass").read_text()
    assert text == qb.browser_style(), "queries/browser-style.grass is stale: python -m nhigraph.neo4j.querybuilder"
    colours = {}
    for label in MODEL.labels:
        block = re.search(r"node\.%s \{(.*?)\n\}" % label, text, re.S)
        assert block, label
        assert 'caption: "{name}"' in block.group(1)
        colours[label] = re.search(r"color: (#[0-9A-F]{6})", block.group(1)).group(1)
    assert len(set(colours.values())) == len(colours)  # one distinct colour per label
