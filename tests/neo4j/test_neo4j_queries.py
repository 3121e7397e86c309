"""The query library: every file's header is complete and true, every query parses and runs on the server,
and the library is found from the package."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nhigraph.analysis.debt import TOKEN_ACTION_HINTS, DebtAnalysis
from nhigraph.analysis.estate import Estate
from nhigraph.analysis.findings import NIST_CSF, OWASP_NHI
from nhigraph.errors import InputError, NotFoundError
from nhigraph.neo4j import loader
from nhigraph.neo4j import queries as Q

pytestmark = pytest.mark.neo4j

DB = os.environ.get("NEO4J_DATABASE")
REPO = Path(__file__).resolve().parents[2]
FILES = sorted((REPO / "queries").glob("*.cypher"))

DUMMY = {"str": "x", "int": 1, "float": 1.0, "bool": False, "datetime": datetime(2026, 1, 1, tzinfo=timezone.utc),
         "list": [], "map": {}}
#: real parameters for the queries that need them, on the demo estate
REAL = {"credential": "aws:key:AKIAACMECIDEPLOY0001", "id": "aws:111111111111:role/deployer",
        "resource": "aws:111111111111:rds/payments-db", "keys": ["AKIAACMECIDEPLOY0001"],
        "ids": ["aws:111111111111:role/ops-b", "aws:key:AKIAACMECIDEPLOY0001"]}


def test_the_library_is_found_and_complete() -> None:
    folder = Q.queries_dir()
    assert sorted(p.name for p in folder.glob("*.cypher")) == [p.name for p in FILES]
    assert (REPO / "src" / "nhigraph" / "queries").resolve() == (REPO / "queries").resolve()
    names = {q.name for q in Q.list_queries()}
    suggested = {"blast_radius", "blast_radius_all", "unowned_paths", "duplicate_connectors", "point_to_point",
                 "credential_sprawl", "departed_owners", "coordination_gaps", "ungoverned_automation",
                 "long_lived_credentials", "unused_credentials", "multiple_active_keys", "admin_grants",
                 "shared_credentials", "environment_mixing", "leaked_credentials", "expired_exceptions",
                 "human_use", "third_party_access", "external_trust_without_id", "credential_context",
                 "owners_of", "who_can_reach", "stale_summary"}
    assert suggested <= names
    # one query per embedded metric, in any order
    metrics = {m.id for m in DebtAnalysis(Estate.from_records({}, [])).metrics()}
    assert {q.metric for q in Q.list_queries() if q.metric} == metrics
    with pytest.raises(NotFoundError, match="closest: blast_radius"):
        Q.get("blast_radious")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_header(path: Path) -> None:
    q = Q.parse(path.read_text(encoding="utf-8"), path)
    assert q.name == path.stem
    assert len(q.description) > 40 and q.returns
    assert set(q.owasp) <= set(OWASP_NHI), q.owasp
    assert set(q.nist) <= set(NIST_CSF), q.nist
    assert q.nist, "every query maps to NIST CSF 2.0"
    assert {p.name for p in q.params} == q.used_params
    for p in q.params:
        assert p.doc, f"${p.name} is undocumented"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("// name: ") and text.endswith("\n")


def test_header_errors_are_caught() -> None:
    good = "// name: x\n// description: d\n// params: $a:int=1 doc\n// owasp: NHI1\n// nist: GV.RR-02\n// returns: r\nRETURN $a\n"
    assert Q.parse(good).params[0].default == 1
    with pytest.raises(ValueError, match="undeclared"):
        Q.parse(good.replace("RETURN $a", "RETURN $a, $b"))
    with pytest.raises(ValueError, match="never uses"):
        Q.parse(good.replace("RETURN $a", "RETURN 1"))
    with pytest.raises(ValueError, match="lacks"):
        Q.parse(good.replace("// nist: GV.RR-02\n", ""))
    with pytest.raises(ValueError, match="unknown type"):
        Q.parse(good.replace("$a:int", "$a:integer"))
    with pytest.raises(ValueError, match="unknown computed default"):
        Q.parse(good.replace("$a:int=1", "$a:int=@tomorrow"))
    q = Q.parse(good)
    assert q.bind({"a": "7"}) == {"a": 7}
    auto = Q.parse(good.replace("$a:int=1", "$a:map=@chains"))
    assert auto.bind({}, {"@chains": lambda: {"c": ["d"]}}) == {"a": {"c": ["d"]}}
    with pytest.raises(InputError, match="no parameter"):
        q.bind({"b": 1})


def test_token_hints_match_the_embedded_analysis() -> None:
    assert tuple(Q.get("ungoverned_automation").param("token_hints").default) == TOKEN_ACTION_HINTS


def test_every_query_parses_and_runs(neo4j_db, demo_ws) -> None:
    loader.push(demo_ws, neo4j_db, DB)
    now = loader.snapshot_info(neo4j_db, DB)["observed_at"]
    for q in Q.list_queries():
        dummy = {p.name: DUMMY[p.type] for p in q.params}
        with neo4j_db.session(database=DB) as s:
            plan = s.run("EXPLAIN " + q.cypher, dummy).consume().plan
        assert plan, q.name
        given = {k: v for k, v in REAL.items() if k in {p.name for p in q.params}}
        rows = Q.run(neo4j_db, q.name, given, database=DB, auto={Q.OBSERVED_AT: now, "@chains": {}, "@owned_chains": {}})
        if q.metric:
            assert len(rows) == 1 and {"numerator", "denominator", "offenders"} <= set(rows[0]), q.name
        elif q.name in ("credential_context", "owners_of", "who_can_reach", "resolve_credential", "blast_radius",
                        "snapshot", "stale_summary", "credentials_of", "credential_keys", "accountability", "scopes",
                        "blast_radius_all"):
            assert rows, q.name
