"""`nhigraph report`: the four files, their numbers from the demo estate, escaping and CSV safety."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.report.csv import findings_csv, safe_cell

sys.path.insert(0, str(Path(__file__).parent))
from report_estates import (AS_OF, EVIL_CONNECTOR, EVIL_IMG, EVIL_KEY, EVIL_SCRIPT, LEAKED, add_evil,  # noqa: E402
                            demo_exports, ingest_ok)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="nhigraph")


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report-demo")
    ingest_ok(demo_exports(tmp / "exports"), tmp / "ws")
    return tmp / "ws"


@pytest.fixture(scope="module")
def demo_report(demo_ws, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("report-out")
    r = run("report", "-w", str(demo_ws), "--out", str(out), "--json")
    assert r.exit_code == 0, r.output
    return out, json.loads(r.stdout)


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report-evil")
    exports = demo_exports(tmp / "exports")
    add_evil(exports)
    ingest_ok(exports, tmp / "ws")
    r = run("report", "-w", str(tmp / "ws"), "--out", str(tmp / "out"))
    assert r.exit_code == 0, r.output
    return tmp / "out"


# -- the files and their numbers ------------------------------------------------------------------
def test_writes_the_four_files(demo_report) -> None:
    out, data = demo_report
    assert sorted(p.name for p in out.iterdir()) == ["findings.csv", "metrics.json", "report.html", "report.md"]
    assert data["files"] == {name: str(out / name) for name in ("report.html", "report.md", "findings.csv",
                                                                "metrics.json")}
    assert data["period"] == "2026-Q3" and data["previous"] is None and data["changes"] is None
    assert data["findings"] == 55
    assert data["by_severity"] == {"critical": 5, "high": 18, "medium": 17, "low": 15}


def test_metrics_json_equals_the_debt_metrics(demo_report, demo_ws) -> None:
    out, _ = demo_report
    metrics = json.loads((out / "metrics.json").read_text())
    debt = json.loads(run("debt", "-w", str(demo_ws), "--json").stdout)
    assert metrics["metrics"] == debt["metrics"]
    assert metrics["integration_scores"] == debt["integration_scores"]
    assert metrics["period"] == "2026-Q3" and metrics["period_start"].startswith("2026-07-01")
    head = {h["key"]: h for h in metrics["headline"]}
    assert head["findings"]["value"] == 55 and head["leaked"]["value"] == 1 and head["leaked"]["of"] == 12
    assert head["duplicate_connectors"]["value"] == 1 and head["unowned_paths"]["value"] == 2
    assert metrics["findings"]["by_rule"]["NHIG-SEC-007"] == 1
    assert metrics["distributions"]["credential_age_days"] == {"≤ 30 d": 6, "31–90 d": 2, "91–180 d": 0,
                                                              "181–365 d": 2, "> 1 year": 2, "unknown": 0}
    assert sum(metrics["distributions"]["active_owners_per_nhi"].values()) == 15 + 12
    top = metrics["top_blast_radius"][0]
    assert top["credential"] == LEAKED and top["total"] == 4 and top["prod_write"] == 4


def test_findings_csv_has_one_row_per_finding(demo_report, demo_ws) -> None:
    out, data = demo_report
    rows = list(csv.DictReader(io.StringIO((out / "findings.csv").read_text(encoding="utf-8"))))
    findings = json.loads(run("findings", "-w", str(demo_ws), "--json").stdout)["findings"]
    assert len(rows) == len(findings) == data["findings"]
    assert [r["id"] for r in rows] == [f["id"] for f in findings]
    leak = next(r for r in rows if r["rule"] == "NHIG-SEC-007")
    assert leak["subject"] == LEAKED and leak["severity"] == "critical"
    assert leak["owasp_nhi"] == "NHI2:2025" and leak["nist_csf"] == "PR.DS-01 PR.AA-01"
    assert json.loads(leak["evidence"])["leak_location"].startswith("github:acme/api .env")


def test_html_has_every_section_chart_and_table(demo_report) -> None:
    out, _ = demo_report
    html = (out / "report.html").read_text(encoding="utf-8")
    for anchor in ("summary", "charts", "integration", "coordination", "orchestration", "security", "third-party",
                   "findings", "raci-gaps", "duplicate-connectors"):
        assert f'id="{anchor}"' in html, anchor
    for title in ("Integration debt", "Coordination debt", "Orchestration debt", "Security technical debt"):
        assert f"<h2>{title}</h2>" in html
    for chart in ("debt-by-category", "integration-scores", "credential-age", "owners-per-nhi", "top-blast-radius"):
        assert f'id="chart-{chart}"' in html
    assert html.count("<svg") == 5
    # self-contained: no script, nothing fetched
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html and "<link" not in html
    # the demo's planted answers
    assert "salesforce -&gt; snowflake" in html
    assert "connector:sfdc-snowflake-sales" in html and "connector:sfdc-snowflake-finance" in html
    assert LEAKED in html and "Leaked credentials still active" in html
    assert 'data-key="leaked"' in html
    assert "Datadog" in html and "aws:111111111111:role/datadog-audit" in html
    assert "NHI2:2025 Secret Leakage" in html and "PR.DS-01" in html
    assert html.count('<tr id="NHIG-') == 55
    assert "No snapshot from an earlier period" in html


def test_markdown_has_the_tables(demo_report) -> None:
    out, _ = demo_report
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# NHI debt report 2026-Q3")
    assert "| salesforce -\\> snowflake | connector:sfdc-snowflake-finance, connector:sfdc-snowflake-sales |" in md
    assert "## All findings (55)" in md
    assert sum(1 for line in md.splitlines() if line.startswith("| CRITICAL | NHIG-")) == 5
    assert "Coordination debt" in md and "Security technical debt" in md


def test_period_option_and_bad_period(demo_ws, tmp_path) -> None:
    r = run("report", "-w", str(demo_ws), "--out", str(tmp_path / "q4"), "--period", "2026-Q4", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["period"] == "2026-Q4"
    r = run("report", "-w", str(demo_ws), "--out", str(tmp_path / "q2"), "--period", "2026-Q2")
    assert r.exit_code == 3 and "no snapshot observed before the end of 2026-Q2" in r.stderr
    r = run("report", "-w", str(demo_ws), "--out", str(tmp_path / "x"), "--period", "Q4-2026")
    assert r.exit_code == 2 and "not a quarter like 2026-Q4" in r.stderr


def test_report_help_documents_it() -> None:
    text = " ".join(run("report", "--help").stdout.split())
    for words in ("report.html", "report.md", "findings.csv", "metrics.json", "--previous", "--period",
                  "OWASP NHI Top 10", "NIST CSF", "executive summary", "self-contained"):
        assert words in text, words


# -- escaping -------------------------------------------------------------------------------------
def test_untrusted_names_are_text_in_html(evil_report) -> None:
    html = (evil_report / "report.html").read_text(encoding="utf-8")
    assert EVIL_IMG not in html and EVIL_SCRIPT not in html
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "=evil-connector" in html  # shown, just not evaluated anywhere


def test_untrusted_names_are_text_in_markdown(evil_report) -> None:
    from markdown_it import MarkdownIt

    md = (evil_report / "report.md").read_text(encoding="utf-8")
    assert EVIL_IMG not in md and EVIL_SCRIPT not in md
    rendered = MarkdownIt("commonmark").enable("table").render(md)  # html allowed, as a wiki would
    assert "<img" not in rendered and "<script" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in rendered


def test_untrusted_names_in_csv_are_not_formulas(evil_report) -> None:
    rows = list(csv.DictReader(io.StringIO((evil_report / "findings.csv").read_text(encoding="utf-8"))))
    subjects = [r["subject"] for r in rows]
    assert "'" + EVIL_KEY in subjects and EVIL_KEY not in subjects
    assert "'" + EVIL_CONNECTOR in subjects
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_safe_cell() -> None:
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'):
        assert safe_cell(bad) == "'" + bad
    for good in ("aws:key:AKIA", "a=b", "", " =x"):
        assert safe_cell(good) == good
    assert safe_cell(-3) == -3 and safe_cell(None) == ""


def test_findings_csv_quotes_separators() -> None:
    from nhigraph.analysis.findings import Finding

    f = Finding("NHIG-X-1", "NHIG-X", 'a "title", with comma', "low", "security", "=cmd|' /C calc'!A0",
                ["=cmd|' /C calc'!A0", "x\ny"], {"k": "v"}, ["NHI1:2025"], ["PR.AA-01"], "fix")
    rows = list(csv.reader(io.StringIO(findings_csv([f]))))
    assert rows[1][4] == 'a "title", with comma'
    assert rows[1][5] == "'=cmd|' /C calc'!A0"
    assert rows[1][6] == "'=cmd|' /C calc'!A0;x\ny"


# -- library use ----------------------------------------------------------------------------------
def test_library_needs_no_cli_and_ships_templates(demo_ws, tmp_path) -> None:
    code = (
        "import sys\n"
        "from nhigraph.report import build_report, load_side, write_report\n"
        "from nhigraph.report.viz import blast_radius_view, write_view\n"
        f"rep = build_report(load_side(None, {str(demo_ws)!r}))\n"
        f"write_report(rep, {str(tmp_path / 'lib')!r})\n"
        "assert not [m for m in sys.modules if m.startswith('nhigraph.cli')], 'imported the CLI'\n"
        "from importlib.resources import files\n"
        "t = files('nhigraph.report') / 'templates'\n"
        "assert (t / 'report.html.j2').is_file() and (t / 'viz.html.j2').is_file()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "lib" / "report.html").stat().st_size > 10_000


def test_period_parsing() -> None:
    from datetime import datetime, timezone

    from nhigraph.report.build import Period

    p = Period.parse("2026-Q4")
    assert str(p) == "2026-Q4" and p.start == datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert p.end == datetime(2027, 1, 1, tzinfo=timezone.utc) and str(p.previous()) == "2026-Q3"
    assert Period.of(AS_OF) == Period(2026, 3) and str(Period.parse("2027q1").previous()) == "2026-Q4"
    with pytest.raises(ValueError):
        Period.parse("2026-Q5")


# -- the fast writers give the reference writers' exact bytes --------------------------------------
_NASTY = ["", "plain", "=1+1", "+x", "-3", "@A1", "\tx", "\rx", 'quote " here', "a,b", "line\nbreak", "cr\rlf\r\n",
          "é ü ✓", "\u2028\u2029", "\x00\x01\x7f", "😀", "back\\slash", "'already", " =x", "NaN"]


def _hostile_findings(n: int = 400) -> list:
    import random

    from nhigraph.analysis.findings import Finding

    rnd = random.Random(7)

    def text() -> str:
        return "".join(rnd.choice(_NASTY) for _ in range(rnd.randrange(3)))

    shared = [text() for _ in range(30)]  # one long list in many findings' evidence, as credentials share reach
    out = []
    for i in range(n):
        ev = {text(): text(), "n": rnd.randrange(-5, 5), "ratio": rnd.choice([0.5, 5e-06, 1e-05, 1e16]),
              "none": None, "flag": rnd.random() < 0.5, "when": AS_OF, "nested": {"b": [1, 2.5e-7], "a": shared}}
        if rnd.random() < 0.5:
            ev["resources"] = shared if rnd.random() < 0.7 else [text() for _ in range(rnd.randrange(20))]
        out.append(Finding(f"NHIG-X-{i}" + text(), "NHIG-X", text(), rnd.choice(["low", "high"]), "security",
                           text(), [text() for _ in range(rnd.randrange(3))], ev, [text()], [text(), text()], text()))
    return out


def test_fast_findings_csv_is_byte_identical_to_csv_writer(monkeypatch) -> None:
    from nhigraph.report import csv as report_csv

    findings = _hostile_findings()
    status = {f.id: ("new" if i % 2 else "-persisting") for i, f in enumerate(findings[::3])}
    monkeypatch.setattr(report_csv, "CHUNK", 7)  # several chunks, one partial
    for st in (None, status):
        fast = report_csv.findings_csv(findings, st)
        assert fast == report_csv.findings_csv_naive(findings, st)
        buf = io.StringIO(newline="")
        report_csv.write_findings_csv(buf, findings, st)
        assert buf.getvalue() == fast
    rows = list(csv.reader(io.StringIO(fast)))
    assert len(rows) == len(findings) + 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_fast_metrics_json_is_byte_identical_to_json_dumps(monkeypatch) -> None:
    import math
    from collections import OrderedDict
    from datetime import date

    import nhigraph.report as rep
    from nhigraph.report import dumps, dumps_bytes, dumps_naive, write_json

    big = list(range(25))
    data = {
        "floats": [0.1, 5e-06, 1e-05, 1e16, 1e22, -0.0, 3.0, math.inf, -math.inf, math.nan, 1.5e-300],
        "text": _NASTY, "when": AS_OF, "day": date(2026, 1, 2), "set": {"b", "a"}, "fset": frozenset({2.5e-8, 1.0}),
        "tuple": (1, 2.5e-9), "path": Path("/x"), "empty": [{}, [], ()], "ordered": OrderedDict(b=1e-9, a=[1e-7]),
        "metrics": [{"id": "m", "offenders": [{"subject": s, "resources": big, "ratio": 1e-6} for s in _NASTY] * 3}],
        "shared": [big, big, {"again": big}],
    }
    monkeypatch.setattr(rep, "JSON_BATCH", 4)  # long lists streamed in batches, at several depths
    expected = dumps_naive(data)
    assert dumps(data) == expected and dumps_bytes(data) == expected.encode()
    buf = io.BytesIO(b"prefix")
    buf.seek(6)
    write_json(buf, data)
    assert buf.getvalue() == b"prefix" + expected.encode()
    # what orjson refuses falls back to the standard library: still the same bytes
    for odd in ({"big": 2 ** 70}, {1: "int key", 2: [0.5]}, {"s": "lone \ud800 surrogate"}):
        assert dumps(odd) == dumps_naive(odd)
    with pytest.raises(UnicodeEncodeError):  # as before: such text cannot be written as UTF-8
        dumps_bytes({"s": "lone \ud800 surrogate"})
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_markdown_streams_the_same_text(demo_ws, monkeypatch) -> None:
    from nhigraph.report import build_report, load_side, markdown

    rep = build_report(load_side(None, demo_ws))
    whole = markdown.render_markdown(rep)
    monkeypatch.setattr(markdown, "FINDINGS_CHUNK", 3)
    assert "".join(markdown.markdown_chunks(rep)) == whole
    assert whole.endswith(" |\n") and whole.count("\n| ") >= len(rep.findings)
    for text in ("a_b", "<x>", "\r\n\t", "\x00\x7f", "é", "|", "plain:id/1"):
        assert markdown.cell(text) == "".join("\\" + c if c in markdown._SPECIAL else " " if c in "\r\n\t"
                                              else "" if ord(c) < 32 or ord(c) == 127 else c for c in text)
