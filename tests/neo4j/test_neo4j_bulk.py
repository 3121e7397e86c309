"""`neo4j push --bulk`: the first load of an empty dev server through Neo4j's offline importer, run inside the
dev server's process. The graph it loads must be the graph a Bolt push writes, value for value and type for
type; a Bolt push afterwards must converge on it; a database holding data is refused; a failed or interrupted
import leaves the database empty and the server serving."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli.app import cli
from nhigraph.neo4j import bulk, devserver, loader
from nhigraph.neo4j.connect import connect

from neo4j_support import Builder, hand_estate, to_workspace, tricky_estate

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A dev server of its own (bulk imports replace its store), and a driver to it."""
    home = tmp_path_factory.mktemp("neo4j-bulk-home")
    info = devserver.start(home, port=0, detach=False, timeout=240, heap="1g", pagecache="256m")
    driver = connect(info.uri, "neo4j", None)
    try:
        yield info, driver
    finally:
        driver.close()
        info.stop()


@pytest.fixture
def empty(server):
    info, driver = server
    loader.clear(driver)
    return info, driver


def typed_graph(driver) -> tuple[set, set]:
    """Every node and relationship with its labels or type and each property's value and Neo4j type: what a
    user querying the graph sees (the run stamp aside)."""
    nodes, edges = set(), set()
    with driver.session() as s:
        for r in s.run("MATCH (n) WHERE NOT n:NhigraphMeta "
                       "RETURN labels(n) AS l, [k IN keys(n) WHERE k <> '_run' | [k, n[k], valueType(n[k])]] AS p"):
            nodes.add((tuple(r["l"]), _freeze(r["p"])))
        for r in s.run("MATCH (a)-[e]->(b) RETURN type(e) AS t, a.id AS a, b.id AS b, "
                       "[k IN keys(e) WHERE k <> '_run' | [k, e[k], valueType(e[k])]] AS p"):
            edges.add((r["t"], r["a"], r["b"], _freeze(r["p"])))
    return nodes, edges


def _freeze(props: list) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v, t) for k, v, t in props))


def runs(driver) -> set[int]:
    with driver.session() as s:
        return {r["r"] for r in s.run("MATCH (n) WHERE NOT n:NhigraphMeta RETURN DISTINCT n._run AS r "
                                      "UNION MATCH ()-[e]->() RETURN DISTINCT e._run AS r")}


def hostile_estate() -> Builder:
    """Values CSV files and the importer's list separator could mangle: line breaks, quotes, delimiters, the
    separators themselves inside list items, empty and blank strings, backslashes before quotes."""
    b = hand_estate()
    nasty = ['line\nbreak', 'cr\r\nlf', '"quoted"', 'comma, "and" quote', ';semi;colon;', '\x1fseparator\x1f',
             'in\x1ethe\x1dmiddle', ' padded ', '\\"escaped\\"', '', '=1+2', 'ünï ☃ 😀']
    for i, v in enumerate(nasty):
        b.node("Resource", f"res:{v}:{i}", "bucket", name=v or "x", description=v, environment="prod")
        b.node("SecretStore", f"store:{i}:{v}", "vault_path", name=f"s{i}", keys=[v, f"k{i}", v + "2"])
    b.node("Workflow", "wf:triggers", "ci_pipeline", name="wf", triggers=["push", "\x1f", "a\nb", ""])
    return b


def bolt_graph(driver, ws) -> tuple[set, set]:
    loader.clear(driver)
    loader.push(ws, driver)
    return typed_graph(driver)


@pytest.mark.parametrize("estate", ["demo", "tricky", "hostile"])
def test_bulk_loads_the_graph_a_bolt_push_writes(empty, tmp_path: Path, demo_ws, estate: str) -> None:
    info, driver = empty
    ws = demo_ws if estate == "demo" else to_workspace(
        tmp_path / "ws", {"tricky": tricky_estate, "hostile": hostile_estate}[estate]())
    snap = ws.load()
    expected = bolt_graph(driver, ws)
    loader.clear(driver)

    res = bulk.bulk_push(ws, driver, info.home)
    assert res.method == "bulk" and (res.nodes, res.edges) == (len(snap.nodes), len(snap.edges))
    assert typed_graph(driver) == expected
    assert runs(driver) == {res.run}
    meta = loader.snapshot_info(driver)
    assert meta["snapshot"] == snap.name and meta["run"] == res.run and meta["nodes"] == len(snap.nodes)
    with driver.session() as s:
        names = {r["name"] for r in s.run("SHOW CONSTRAINTS YIELD name") if r["name"].startswith("nhigraph_")}
    assert len(names) == len(loader.qb.MODEL.nodes) + 1  # every label's id, and the bookkeeping label's
    assert not (info.home / "bulk" / str(res.run)).exists()  # import files removed

    # a Bolt push afterwards converges on the same graph: nothing stale, every record restamped
    again = loader.push(ws, driver)
    assert (again.deleted_nodes, again.deleted_edges) == (0, 0) and again.run > res.run
    assert typed_graph(driver) == expected and runs(driver) == {again.run}


def test_separator_skips_characters_list_items_contain(tmp_path: Path) -> None:
    ws = to_workspace(tmp_path / "ws", hostile_estate())
    files = bulk.write_import_files(ws.snapshots_dir / ws.current_name(), tmp_path / "out", run=1)
    assert files.options[0] == "--array-delimiter=U+001C"  # \x1f, \x1e and \x1d occur in list items
    multiline = [o for o in files.options if o.startswith("--multiline-fields=")]
    assert multiline and "Resource" in multiline[0] and "SecretStore" in multiline[0]
    assert "Identity" not in multiline[0]


def test_a_database_holding_data_is_refused(empty, demo_ws) -> None:
    info, driver = empty
    loader.push(demo_ws, driver)
    before = typed_graph(driver)
    with pytest.raises(bulk.BulkImportError, match=r"holds [\d,]+ nodes: --bulk loads an empty database only"):
        bulk.bulk_push(demo_ws, driver, info.home)
    assert typed_graph(driver) == before


def test_needs_the_dev_server_of_home(empty, demo_ws, tmp_path: Path) -> None:
    _, driver = empty
    with pytest.raises(bulk.BulkImportError, match="no dev server is running for"):
        bulk.bulk_push(demo_ws, driver, tmp_path / "nowhere")


def test_a_failed_import_leaves_the_database_empty_and_serving(empty, demo_ws, monkeypatch) -> None:
    info, driver = empty
    real = bulk.write_import_files

    def broken(folder, out, run, progress=None):
        files = real(folder, out, run, progress)
        rel = next(p for p in sorted(out.glob("*-relationships-*.csv")))
        with rel.open("a", encoding="utf-8") as fh:  # an edge to a node that does not exist
            fh.write('"no-such-node","no-such-node-either",7\n')
        return files

    monkeypatch.setattr(bulk, "write_import_files", broken)
    with pytest.raises(bulk.BulkImportError, match="importer failed.*the database is empty again"):
        bulk.bulk_push(demo_ws, driver, info.home)
    bulk._wait_online(driver, None)
    with driver.session() as s:
        assert s.run("MATCH (n) RETURN count(n) AS n").single()["n"] == 0
    monkeypatch.setattr(bulk, "write_import_files", real)
    res = bulk.bulk_push(demo_ws, driver, info.home)  # and the next one works
    assert res.nodes == len(demo_ws.load().nodes)


def test_an_interrupted_import_restarts_empty(tmp_path: Path, demo_ws) -> None:
    """The server died mid-import: its store is half-written, and held nothing before; the next start
    deletes it instead of failing on it."""
    home = tmp_path / "home"
    with devserver.start(home, port=0, detach=False, heap="512m", pagecache="64m") as info:
        driver = connect(info.uri, "neo4j", None)
        loader.push(demo_ws, driver)
        driver.close()
    (home / "bulk").mkdir()
    (home / "bulk" / "IMPORTING").write_text("123")
    with devserver.start(home, port=0, detach=False, heap="512m", pagecache="64m") as info:
        driver = connect(info.uri, "neo4j", None)
        with driver.session() as s:
            assert s.run("MATCH (n) RETURN count(n) AS n").single()["n"] == 0
        driver.close()
    assert not (home / "bulk" / "IMPORTING").exists()


def test_cli_push_bulk(empty, demo_ws) -> None:
    info, driver = empty
    r = CliRunner().invoke(cli, ["neo4j", "push", "--bulk", "--home", str(info.home), "-w", str(demo_ws.path),
                                 "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["method"] == "bulk" and data["nodes"] == len(demo_ws.load().nodes) and data["rows_per_s"] > 0
    r = CliRunner().invoke(cli, ["neo4j", "push", "--bulk", "--home", str(info.home), "-w", str(demo_ws.path)])
    assert r.exit_code != 0 and "--bulk loads an empty database only" in r.output
    assert len(r.output.strip().splitlines()) == 1
