"""`nhigraph viz`: self-contained interactive views, escaped tooltips, the node cap and the filter."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.demo.estate import P111
from nhigraph.report.viz import GraphView, ViewEdge, ViewNode, render_view, tooltip

sys.path.insert(0, str(Path(__file__).parent))
from report_estates import EVIL_IDENTITY, EVIL_IMG, EVIL_KEY, EVIL_SCRIPT, LEAKED, add_evil, demo_exports, ingest_ok  # noqa: E402,E501


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), prog_name="nhigraph", input=input)


def page_data(html: str) -> dict:
    m = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("viz-demo")
    ingest_ok(demo_exports(tmp / "exports"), tmp / "ws")
    return tmp / "ws"


@pytest.fixture(scope="module")
def evil_ws(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("viz-evil")
    exports = demo_exports(tmp / "exports")
    add_evil(exports)
    ingest_ok(exports, tmp / "ws")
    return tmp / "ws"


def test_reach_view_of_the_leaked_key(demo_ws, tmp_path) -> None:
    out = tmp_path / "reach.html"
    r = run("viz", "AKIAACMECIDEPLOY0001", "-w", str(demo_ws), "--out", str(out), "--json")
    assert r.exit_code == 0, r.output
    meta = json.loads(r.stdout)
    assert meta["credential"] == LEAKED and meta["view"] == "reach" and meta["truncated"] is False
    data = page_data(out.read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {LEAKED, f"{P111}:user/ci-deployer", f"{P111}:role/deployer", f"{P111}:role/ops-a",
                          f"{P111}:role/ops-b", f"{P111}:role/admin", P111, f"{P111}:lambda/api",
                          f"{P111}:rds/payments-db", f"{P111}:s3/acme-customer-data", f"{P111}:s3/acme-logs"}
    cred = nodes[LEAKED]
    assert cred["shape"] == "star" and cred["borderWidth"] == 5 and cred["centre"] is True and cred["level"] == 0
    assert nodes[f"{P111}:lambda/api"]["size"] == 32  # admin through the account grant
    assert nodes[f"{P111}:role/ops-b"]["color"]["border"] == "#d93025"  # no active owner
    assert nodes[f"{P111}:role/ops-a"]["color"]["background"] == "#1a73e8"  # coloured by label
    labels = {(e["from"], e["to"]): e["label"] for e in data["edges"]}
    assert labels[(LEAKED, f"{P111}:user/ci-deployer")] == "authenticates as"
    assert labels[(f"{P111}:role/ops-b", f"{P111}:role/ops-a")] == "can assume"  # the cycle is drawn
    assert labels[(f"{P111}:role/admin", P111)] == "admin"
    assert labels[(P111, f"{P111}:rds/payments-db")] == "contains"
    assert all(e["label"] for e in data["edges"])
    assert data["options"]["layout"]["hierarchical"]["direction"] == "LR"


def test_page_is_self_contained_and_scripts_are_pinned(demo_ws, tmp_path) -> None:
    out = tmp_path / "reach.html"
    run("viz", LEAKED, "-w", str(demo_ws), "-o", str(out))
    html = out.read_text(encoding="utf-8")
    assert "<link" not in html and not re.search(r"<script[^>]+src=", html)
    assert "vis-network" in html and len(html) > 400_000  # vis-network inlined from pyvis
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert "default-src 'none'" in csp and "unsafe-inline'; img" in csp and "script-src 'sha256-" in csp
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 2
    for s in scripts:
        digest = base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert 'id="filter"' in html and "Filter" in html


def test_untrusted_names_are_escaped_in_views(evil_ws, tmp_path) -> None:
    pages = {}
    for name, args in (("reach", ["--", EVIL_KEY]), ("unowned", ["--unowned"]), ("dup", ["--duplicates"])):
        out = tmp_path / f"{name}.html"
        r = run("viz", "-w", str(evil_ws), "-o", str(out), *args)  # the key starts with "-"
        assert r.exit_code == 0, r.output
        pages[name] = out.read_text(encoding="utf-8")
    for name, html in pages.items():
        body = html.split("<script>", 1)[0]  # the page without the vis-network library
        assert EVIL_IMG not in html and EVIL_SCRIPT not in html, name
        assert "<img" not in body and "<script>window" not in html, name
        for m in re.finditer(r"window\.__xss", html):  # only ever as escaped text
            assert html[m.start() - 10:m.start()].endswith(("&gt;", "\\u003e", "\\u0026gt;")), name
    reach = pages["reach"]
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in reach.split("<script", 1)[0]  # the title, as text
    data = page_data(reach)
    evil = {n["id"]: n for n in data["nodes"]}[EVIL_IDENTITY]
    assert evil["label"] == EVIL_IMG  # drawn on the canvas as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in evil["title"] and "<img" not in evil["title"]
    dup = page_data(pages["dup"])
    assert any(n["label"] == EVIL_SCRIPT for n in dup["nodes"])
    assert all("<" not in n["title"].replace("<br>", "") for n in dup["nodes"])


def test_tooltip_escapes_every_line() -> None:
    assert tooltip(["a<b", '"q" & \'s\'']) == "a&lt;b<br>&quot;q&quot; &amp; &#x27;s&#x27;"


def test_unowned_and_duplicate_views(demo_ws, tmp_path) -> None:
    r = run("viz", "--unowned", "-w", str(demo_ws), "-o", str(tmp_path / "u.html"), "--json")
    assert r.exit_code == 0, r.output
    nodes = {n["id"]: n for n in page_data((tmp_path / "u.html").read_text())["nodes"]}
    assert {"aws:key:AKIAACMELEGACYBKP001", LEAKED, f"{P111}:role/ops-b", f"{P111}:user/legacy-backup",
            "person:bob", "person:dave"} <= set(nodes)
    assert nodes[f"{P111}:role/ops-b"]["color"]["border"] == "#d93025"
    r = run("viz", "--duplicates", "-w", str(demo_ws), "-o", str(tmp_path / "d.html"), "--json")
    nodes = {n["id"] for n in page_data((tmp_path / "d.html").read_text())["nodes"]}
    assert nodes == {"connector:sfdc-snowflake-sales", "connector:sfdc-snowflake-finance", "saas:salesforce",
                     "saas:snowflake-data", "saas:snowflake-finance", "saas:salesforce:token/sync-sales",
                     "saas:salesforce:token/sync-finance"}


def test_cap_on_huge_graphs(tmp_path) -> None:
    from nhigraph.synth.inventory import write_estate

    write_estate(tmp_path / "exports", identities=300)
    ingest_ok(tmp_path / "exports", tmp_path / "ws")
    out = tmp_path / "u.html"
    r = run("viz", "--unowned", "-w", str(tmp_path / "ws"), "-o", str(out), "--json")
    assert r.exit_code == 0, r.output
    meta = json.loads(r.stdout)
    assert meta["truncated"] is True and meta["nodes"] == 500 and meta["total_nodes"] == meta["matched"] > 500
    html = out.read_text(encoding="utf-8")
    assert len(page_data(html)["nodes"]) == 500
    assert 'id="truncated"' in html and "only the first 500 nodes by priority are drawn" in html
    assert "--max-nodes" in html and 'id="filter"' in html


def test_max_nodes_and_filter(demo_ws, tmp_path) -> None:
    out = tmp_path / "r.html"
    r = run("viz", LEAKED, "-w", str(demo_ws), "-o", str(out), "--max-nodes", "3", "--json")
    assert json.loads(r.stdout)["nodes"] == 3
    ids = [n["id"] for n in page_data(out.read_text())["nodes"]]
    assert ids[0] == LEAKED and len(ids) == 3
    r = run("viz", LEAKED, "-w", str(demo_ws), "-o", str(out), "--filter", "S3/", "--json")
    ids = {n["id"] for n in page_data(out.read_text())["nodes"]}
    assert ids == {LEAKED, f"{P111}:s3/acme-customer-data", f"{P111}:s3/acme-logs"}
    assert "Only nodes matching" in out.read_text()


def test_cli_errors_and_default_out(demo_ws, tmp_path, monkeypatch) -> None:
    r = run("viz", "-w", str(demo_ws))
    assert r.exit_code == 2 and "exactly one of KEY, --unowned or --duplicates" in r.stderr
    r = run("viz", LEAKED, "--unowned", "-w", str(demo_ws))
    assert r.exit_code == 2
    r = run("viz", "AKIAACMECIDEPLOY0002", "-w", str(demo_ws))
    assert r.exit_code == 4 and "AKIAACMECIDEPLOY0001" in r.stderr  # closest match offered
    monkeypatch.chdir(tmp_path)
    r = run("viz", "--duplicates", "-w", str(demo_ws))
    assert r.exit_code == 0 and (tmp_path / "duplicates.html").is_file()
    text = " ".join(run("viz", "--help").stdout.split())
    for words in ("--unowned", "--duplicates", "--max-nodes", "--filter", "offline", "blast radius"):
        assert words in text


def test_empty_view_renders() -> None:
    html = render_view(GraphView("unowned", "Nothing", "none", [], []))
    assert "Nothing to draw." in html and page_data(html)["nodes"] == []


def test_view_limit_keeps_priority_and_edges_inside() -> None:
    nodes = [ViewNode(f"n{i}", "Identity", f"n{i}", [f"n{i}"]) for i in range(1200)]
    edges = [ViewEdge(f"n{i}", f"n{i + 1}", "can assume") for i in range(1199)]
    v = GraphView("x", "t", "s", nodes, edges).limited(500)
    assert [n.id for n in v.nodes] == [f"n{i}" for i in range(500)]
    assert len(v.edges) == 499 and v.truncated and v.total_nodes == 1200
