"""Quarter over quarter: `nhigraph diff` and the report's comparison on two snapshots of the demo estate.

The second snapshot fixes one problem (the leaked flag is cleared) and adds one (a new never-used key), Alice
leaves, and the release bot gets one more grant; the diff must say exactly that.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.report.diff import diff_snapshots, resolve_ref

sys.path.insert(0, str(Path(__file__).parent))
from report_estates import (LATER, LEAKED, NEW_KEY, RELEASE_KEY, demo_exports, fix_one_add_one,  # noqa: E402
                            ingest_ok)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="nhigraph")


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> tuple[Path, str, str]:
    """A workspace with the demo in 2026-Q3 and the changed demo a day later, in 2026-Q4."""
    tmp = tmp_path_factory.mktemp("diff")
    exports = demo_exports(tmp / "exports")
    old = ingest_ok(exports, tmp / "ws")
    fix_one_add_one(exports)
    new = ingest_ok(exports, tmp / "ws", LATER)
    assert old != new
    return tmp / "ws", old, new


def test_diff_reports_exactly_the_fixed_and_the_new_problem(two) -> None:
    ws, old, new = two
    r = run("diff", old, new, "-w", str(ws), "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [(f["rule"], f["subject"]) for f in d["resolved_findings"]] == [("NHIG-SEC-007", LEAKED)]
    assert [(f["rule"], f["subject"]) for f in d["new_findings"]] == [("NHIG-SEC-002", NEW_KEY)]
    assert d["resolved_findings"][0]["severity"] == "critical"
    assert d["summary"] == {"new": 1, "resolved": 1, "persisting": 54, "severity_changed": 0,
                            "blast_radius_grew": 1, "owners_left": 1}
    assert d["old"]["snapshot"] == old and d["new"]["snapshot"] == new


def test_diff_metric_deltas(two) -> None:
    ws, old, new = two
    d = json.loads(run("diff", old, new, "-w", str(ws), "--json").stdout)
    deltas = {m["id"]: m for m in d["metric_deltas"]}
    assert deltas["security.leaked"]["delta"] == -1
    assert deltas["security.leaked"]["old"]["numerator"] == 1 and deltas["security.leaked"]["new"]["numerator"] == 0
    assert deltas["security.unused"]["delta"] == 1
    assert deltas["security.unused"]["new"]["denominator"] == deltas["security.unused"]["old"]["denominator"] + 1
    moved = {k for k, m in deltas.items() if m["delta"]}
    assert moved == {"security.leaked", "security.unused"}


def test_diff_blast_radius_growth_and_owner_who_left(two) -> None:
    ws, old, new = two
    d = json.loads(run("diff", old, new, "-w", str(ws), "--json").stdout)
    assert [(g["credential"], g["old_total"], g["new_total"]) for g in d["blast_radius_growth"]] == [(RELEASE_KEY, 2, 3)]
    [left] = d["owners_left"]
    assert left["owner"] == "person:alice" and left["departed_at"].startswith("2026-10-01")
    assert [(n["id"], n["roles"]) for n in left["nhis"]] == [("aws:111111111111:user/ci-deployer", ["implement"]),
                                                             (LEAKED, ["inherited"])]
    assert left["orphaned"] == 0


def test_diff_defaults_new_to_current_and_prints_tables(two) -> None:
    ws, old, new = two
    r = run("diff", old, "-w", str(ws))
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "1 new, 1 resolved, 54 persisting" in text
    assert "NHIG-SEC-007" in text and "NHIG-SEC-002" in text and "person:alice" in text
    assert "Leaked credentials still active" in text  # a metric that moved


def test_diff_across_workspaces_and_snapshot_folders(two, tmp_path) -> None:
    ws, old, new = two
    other = tmp_path / "q3"
    shutil.copytree(ws, other)
    (other / "CURRENT").write_text(old + "\n")
    # OLD is another workspace (its current snapshot); NEW a snapshot folder
    d = diff_snapshots(other, ws / "snapshots" / new, workspace=tmp_path / "nowhere")
    assert [f.rule for f in d.resolved_findings] == ["NHIG-SEC-007"] and [f.rule for f in d.new_findings] == ["NHIG-SEC-002"]
    assert resolve_ref(other)[1] == old and resolve_ref(new, ws)[1] == new
    r = run("diff", "nope", "-w", str(ws))
    assert r.exit_code == 3 and "no snapshot 'nope'" in r.stderr
    r = run("diff", str(tmp_path), "-w", str(ws))
    assert r.exit_code == 3 and "neither a workspace" in r.stderr


def test_report_compares_with_the_previous_quarter(two, tmp_path) -> None:
    ws, old, new = two
    # the current snapshot is in 2026-Q4; the newest one before the quarter starts is the Q3 one
    r = run("report", "-w", str(ws), "--out", str(tmp_path), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["period"] == "2026-Q4" and data["snapshot"] == new and data["previous"] == old
    assert data["changes"]["new"] == 1 and data["changes"]["resolved"] == 1
    head = {h["key"]: h for h in data["headline"]}
    assert head["leaked"]["value"] == 0 and head["leaked"]["previous"] == 1 and head["leaked"]["trend"] == "better"
    assert head["findings"]["delta"] == 0 and head["findings"]["trend"] == "same"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"Changes since {old}" in html and 'id="chart-severity-trend"' in html
    assert NEW_KEY in html and "Alice Ng" in html and RELEASE_KEY in html
    assert html.count('<span class="tag new">new</span>') == 1
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["changes"]["new_findings"][0]["subject"] == NEW_KEY
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "### New findings (1)" in md and "### Resolved findings (1)" in md
    # the Q3 report on the same workspace picks the Q3 snapshot and has nothing earlier to compare with
    r = run("report", "-w", str(ws), "--out", str(tmp_path / "q3"), "--period", "2026-Q3", "--json")
    data = json.loads(r.stdout)
    assert data["snapshot"] == old and data["previous"] is None
    # an explicit --previous wins
    r = run("report", "-w", str(ws), "--out", str(tmp_path / "x"), "--snapshot", old, "--previous", new, "--json")
    data = json.loads(r.stdout)
    assert data["previous"] == new and data["changes"]["new"] == 1 and data["changes"]["resolved"] == 1
