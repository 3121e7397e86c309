"""Names and ids from exports are data, never code, wherever they go.

- printed by the command line: rich markup (``[bold red]x[/]``, ``[/]``) and emoji codes (``:key:``) show as
  they are, and never raise (paths given by the user too);
- in report.html and the views: no element or attribute an attacker's name could add (an HTML parser finds
  the same tags and attributes as on a page without them), the name shown as text;
- in findings.csv: no cell a spreadsheet would evaluate;
- through ingest, ``export opengraph`` and an ingest of that export: quotes, backticks, Cypher and comment
  syntax come back exactly as they went in.

(tests/test_report.py and tests/test_viz.py cover ``<script>`` and ``<img onerror>`` names in the report and
views; this adds attribute break-outs, structure-level checks and the rest.)
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.store import Workspace

OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)

MARKUP = ["[bold red]x[/]", "[/]", "[link=https://evil.example]click[/link]", ":key: :skull:"]
#: terminal escape sequences (colour, clear the screen), a bell and a right-to-left override (no ";": it
#: separates ids in an inventory's link columns)
TERMINAL = ["\x1b[31mred", "\x1b[2Jcleared", "bell\x07", "ab\u202ecba"]
HTML = ['"><img src=x onerror=alert(1)>', "' onmouseover='alert(2)", "</script><script>alert(3)</script>",
        "<!-- x", "]]><svg onload=alert(4)>", "javascript:alert(5)"]
CODE = ["it's", 'say "hi"', "`rm -rf /`", "a})-[:OWNS]->(b) //", "/* c */ $x {{y}}", "back\\slash", "tab\there"]
FORMULA = ["=1+1", "+1", "-1", "@SUM(A1)"]


def _csv(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), restval="")
        w.writeheader()
        w.writerows(rows)


def hostile_estate(folder: Path, names: list[str]) -> Path:
    """Per name: an identity and a leaked, long-lived key (findings name both) whose ids and names are it."""
    folder.mkdir(parents=True, exist_ok=True)
    _csv(folder / "systems.csv", [{"id": "sys:acct", "kind": "aws_account", "name": "account"}])
    _csv(folder / "resources.csv", [{"id": "res:db", "kind": "database", "name": "db", "environment": "prod",
                                     "system": "sys:acct"}])
    _csv(folder / "identities.csv", [{"id": f"id:{n}", "kind": "service_account", "name": n, "system": "sys:acct",
                                      "description": n} for n in names])
    _csv(folder / "credentials.csv", [{"id": f"{n}#key", "kind": "api_token", "name": n, "identity": f"id:{n}",
                                       "leaked": "true", "status": "active", "created_at": "2020-01-01",
                                       "description": n} for n in names])
    _csv(folder / "grants.csv", [{"identity": f"id:{n}", "target": "res:db", "level": "write"} for n in names])
    return folder


@pytest.fixture(scope="module")
def hostile_ws(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("hostile")
    names = MARKUP + TERMINAL + HTML + CODE + FORMULA
    result = ingest([hostile_estate(root / "in", names)], root / "ws", observed_at=OBSERVED)
    assert result.ok, result.errors
    return root / "ws", names


def run(*args: str, stdin: str | None = None):
    r = CliRunner().invoke(cli, list(args), input=stdin)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r


# ------------------------------------------------------------------------------------------------ terminal
def test_markup_in_names_and_paths_prints_literally(hostile_ws, tmp_path) -> None:
    ws, _ = hostile_ws
    for name in MARKUP:
        r = run("reach", "-w", str(ws), "--", f"{name}#key")
        assert r.exit_code == 0, r.output
        assert f"{name}#key" in r.stdout and f"id:{name}" in r.stdout
    r = run("findings", "-w", str(ws))
    assert r.exit_code == 0
    for name in ("[bold red]x[/]#key", "[/]#key", ":key: :skull:#key"):  # short enough not to wrap
        assert name in r.stdout, name
    r = run("viz", "-w", str(ws), "-o", str(tmp_path / "v[/].html"), "--", f"{MARKUP[1]}#key")
    assert r.exit_code == 0 and f"v[/].html: Blast radius of {MARKUP[1]}" in r.stdout.replace("\n", " ")
    r = run("viz", "-w", str(ws), "-o", str(tmp_path / "emoji.html"), "--", f"{MARKUP[3]}#key")
    assert r.exit_code == 0 and ":key: :skull:" in r.stdout and "🔑" not in r.stdout
    for out in ("graph[/].json", "g[bold]raph.json"):
        r = run("export", "opengraph", str(tmp_path / out), "-w", str(ws))
        assert r.exit_code == 0, r.output
        assert f"to {tmp_path / out}" in " ".join(r.stdout.split()).replace(f"{tmp_path} /", f"{tmp_path}/")
    odd_ws = tmp_path / "ws[/]:key:"
    r = run("ingest", str(hostile_estate(tmp_path / "in", ["[/]"])), "-w", str(odd_ws))
    assert r.exit_code == 0, r.output
    assert "ws[/]:key:" in r.stdout.replace("\n", "")


def test_control_characters_in_names_never_reach_the_terminal(hostile_ws, tmp_path) -> None:
    ws, _ = hostile_ws
    outputs = [run("findings", "-w", str(ws)).stdout, run("debt", "-w", str(ws)).stdout]
    for name in TERMINAL:
        for args in (["reach", "-w", str(ws)], ["reach", "--md", "-w", str(ws)],
                     ["viz", "-w", str(ws), "-o", str(tmp_path / "v.html")]):
            r = run(*args, "--", f"{name}#key")
            assert r.exit_code == 0, r.output
            outputs.append(r.stdout)
    hooks = tmp_path / "acme__api__hooks.json"  # a warning that quotes an export's value
    hooks.write_text(json.dumps([{"id": "\x1b[2J1", "name": "web", "active": True, "events": ["push"],
                                  "config": {"url": "https://example.com/hook"},
                                  "url": "https://api.github.com/repos/acme/api/hooks/1",
                                  "ping_url": "https://api.github.com/repos/acme/api/hooks/1/pings"}]))
    r = run("ingest", str(hooks), "-w", str(tmp_path / "ws"))
    assert r.exit_code == 0 and "has no secret" in r.stderr, r.output
    outputs.append(r.stdout + r.stderr)
    for out in outputs:
        assert not set(out) & {"\x1b", "\x07", "\u202e"}, repr(out)
    joined = "".join(outputs)
    for shown in ("\\x1b[31mred", "bell\\x07", "ab\\u202ecba", "webhook \\x1b[2J1"):
        assert shown in joined, shown


# ------------------------------------------------------------------------------------------------ HTML
class Structure(HTMLParser):
    """Every tag and attribute name of a page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self.attrs |= {a for a, _ in attrs}

    def handle_data(self, data) -> None:
        self.text.append(data)


def structure(html: str) -> Structure:
    s = Structure()
    s.feed(html)
    return s


@pytest.fixture(scope="module")
def pages(hostile_ws, tmp_path_factory) -> dict[str, tuple[str, str]]:
    """(hostile page, the same page of a clean estate) for the report and each view."""
    ws, names = hostile_ws
    root = tmp_path_factory.mktemp("pages")
    clean = root / "clean-ws"
    assert ingest([hostile_estate(root / "clean", ["plain", "simple"])], clean, observed_at=OBSERVED).ok
    out = {}
    for label, w, key in (("hostile", ws, f"{HTML[0]}#key"), ("clean", clean, "plain#key")):
        assert run("report", "-w", str(w), "-o", str(root / label)).exit_code == 0
        assert run("viz", "-w", str(w), "-o", str(root / f"{label}-reach.html"), "--", key).exit_code == 0
        assert run("viz", "--unowned", "-w", str(w), "-o", str(root / f"{label}-unowned.html")).exit_code == 0
    for page, hostile, clean_ in (("report.html", root / "hostile" / "report.html", root / "clean" / "report.html"),
                                  ("reach", root / "hostile-reach.html", root / "clean-reach.html"),
                                  ("unowned", root / "hostile-unowned.html", root / "clean-unowned.html")):
        out[page] = (hostile.read_text(encoding="utf-8"), clean_.read_text(encoding="utf-8"))
    return out


@pytest.mark.parametrize("page", ["report.html", "reach", "unowned"])
def test_names_add_no_element_or_attribute_to_a_page(pages, page) -> None:
    hostile, clean = (structure(p) for p in pages[page])
    assert set(hostile.tags) == set(clean.tags)
    assert hostile.tags.count("script") == clean.tags.count("script")
    assert hostile.attrs == clean.attrs
    assert not {a for a in hostile.attrs if a.startswith("on")}
    assert "img" not in hostile.tags


def test_names_show_as_text_in_the_report(pages) -> None:
    text = "".join(structure(pages["report.html"][0]).text)
    for name in HTML:
        assert name in text, name


# ------------------------------------------------------------------------------------------------ CSV
def test_no_findings_csv_cell_is_a_formula(hostile_ws, tmp_path) -> None:
    ws, _ = hostile_ws
    assert run("report", "-w", str(ws), "-o", str(tmp_path)).exit_code == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "findings.csv").read_text(encoding="utf-8"))))
    assert len(rows) > len(FORMULA)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    subjects = {r[5] for r in rows[1:]}
    for name in FORMULA:
        assert f"'{name}#key" in subjects, name


# ------------------------------------------------------------------------------------------------ round trip
def test_code_like_names_survive_ingest_export_and_opengraph(hostile_ws, tmp_path) -> None:
    ws, names = hostile_ws
    out = tmp_path / "graph.json"
    assert run("export", "opengraph", str(out), "-w", str(ws)).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    exported = {n["id"]: n["properties"]["name"] for n in doc["graph"]["nodes"]}
    for name in names:
        assert exported[f"id:{name}"] == name and exported[f"{name}#key"] == name
    back = tmp_path / "back"
    result = ingest([out], back, observed_at=OBSERVED)
    assert result.ok, result.errors
    before, after = Workspace(ws).load(), Workspace(back).load()
    strip = ("source", "sources")
    assert {k: {p: v for p, v in n.items() if p not in strip} for k, n in before.nodes.items()} == \
           {k: {p: v for p, v in n.items() if p not in strip} for k, n in after.nodes.items()}
    assert set(before.edges) == set(after.edges)
    for name in names:
        node = after.nodes[f"{name}#key"]
        assert (node["name"], node["description"]) == (name, name)
