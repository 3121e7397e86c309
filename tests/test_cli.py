"""The command line: --json output is parseable with a stable set of keys, and --help documents every option."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nhigraph import __version__
from nhigraph.cli import cli
from nhigraph.cli.app import COMMANDS
from nhigraph.ingest import FORMATS

INVENTORY_CSV = Path(__file__).parent / "fixtures" / "inventory" / "csv"

INGEST_KEYS = {"snapshot", "ok", "files", "sources", "added", "updated", "removed", "totals", "errors", "warnings"}
STATS_KEYS = {"snapshot", "observed_at", "total_nodes", "total_edges", "nodes", "edges", "sources"}
SNAPSHOT_KEYS = {"snapshot", "current", "created_at", "observed_at", "nodes", "edges"}
FORMAT_KEYS = {"name", "title", "produced_by"}


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, prog_name="nhigraph")


def test_ingest_json(tmp_path):
    ws = tmp_path / "ws"
    r = run("ingest", str(INVENTORY_CSV), "-w", str(ws), "--json", "--observed-at", "2026-01-31T12:00:00")
    assert r.exit_code == 0, r.output
    assert r.stderr == ""
    out = json.loads(r.stdout)
    assert set(out) == INGEST_KEYS
    assert out["ok"] is True and out["errors"] == [] and out["warnings"] == []
    assert out["snapshot"] == (ws / "CURRENT").read_text().strip()
    assert out["totals"] == {"nodes": 23, "edges": 46}
    assert len(out["files"]) == 14 and set(out["files"].values()) == {"inventory-csv"}
    assert out["sources"]["inventory:identities"] == 4 + 10  # 4 nodes, 4 PART_OF and 6 OWNS
    assert out["sources"]["inventory:grants"] == 4
    assert out["added"]["nodes"]["Identity"] == 4 and out["added"]["edges"]["OWNS"] == 14
    assert out["updated"] == {"nodes": {}} and out["removed"] == {"nodes": {}, "edges": {}}

    # again: everything updated, nothing added or removed
    r = run("ingest", str(INVENTORY_CSV), "-w", str(ws), "--json")
    again = json.loads(r.stdout)
    assert again["added"] == {"nodes": {}, "edges": {}}
    assert sum(again["updated"]["nodes"].values()) == 23


def test_observed_at_sets_first_and_last_seen(tmp_path):
    from nhigraph.workspace.store import Workspace

    ws = tmp_path / "ws"
    r = run("ingest", str(INVENTORY_CSV / "owners.csv"), "-w", str(ws), "--observed-at", "2025-12-01")
    assert r.exit_code == 0, r.output
    node = Workspace(ws).load().nodes["team:platform"]
    assert node["first_seen"] == node["last_seen"] == datetime(2025, 12, 1, tzinfo=timezone.utc)
    assert Workspace(ws).manifest()["observed_at"] == "2025-12-01T00:00:00+00:00"


def test_ingest_plain_output_names_the_snapshot(tmp_path):
    ws = tmp_path / "ws"
    r = run("ingest", str(INVENTORY_CSV), "-w", str(ws))
    assert r.exit_code == 0
    name = (ws / "CURRENT").read_text().strip()
    text = " ".join(r.stdout.split())
    assert f"Snapshot {name} written to {ws}: 23 nodes, 46 edges from 14 file(s)." in text
    assert "Ingested" in text and "Identity" in text


def test_stats_json(estate_ws):
    r = run("stats", "-w", str(estate_ws.path), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == STATS_KEYS
    assert out["snapshot"] == estate_ws.current_name()
    assert out["observed_at"] == "2026-01-31T12:00:00+00:00"
    assert (out["total_nodes"], out["total_edges"]) == (23, 46)
    assert out["nodes"]["Credential"] == {"access_key": 1, "api_token": 1, "app_private_key": 1}
    assert out["edges"]["HAS_ACCESS"] == 4 and out["edges"]["OWNS"] == 14
    assert set(out["sources"]) == {f"inventory:{t}" for t in (
        "connectors", "credentials", "edges", "exceptions", "grants", "identities", "owners", "ownership",
        "resources", "secret_stores", "systems", "trusts", "vendors", "workflows")}
    assert out["sources"]["inventory:grants"]["partial"] is False


def test_snapshots_json_and_selecting_a_snapshot(estate_ws, tmp_path):
    first = estate_ws.current_name()
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "vendors.csv").write_text("id,kind,name\nvendor:new,vendor,New\n")
    assert run("ingest", str(tmp_path / "extra"), "-w", str(estate_ws.path), "--scope", "x").exit_code == 0
    r = run("snapshots", "-w", str(estate_ws.path), "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [set(row) for row in rows] == [SNAPSHOT_KEYS, SNAPSHOT_KEYS]
    assert [row["snapshot"] for row in rows] == estate_ws.snapshot_names()
    assert [row["current"] for row in rows] == [False, True]
    assert [(row["nodes"], row["edges"]) for row in rows] == [(23, 46), (24, 46)]
    assert rows[0]["observed_at"] == "2026-01-31T12:00:00+00:00"
    # stats of the older snapshot, by name
    old = json.loads(run("stats", "-w", str(estate_ws.path), "--snapshot", first, "--json").stdout)
    assert (old["snapshot"], old["total_nodes"]) == (first, 23)


def test_no_cleanup_and_scope_options(estate_ws, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "identities.csv").write_text("id,kind,name\nid:ci-deployer,iam_user,ci-deployer\n")
    w = str(estate_ws.path)
    out = json.loads(run("ingest", str(src), "-w", w, "--no-cleanup", "--json").stdout)
    assert out["removed"] == {"nodes": {}, "edges": {}} and out["totals"] == {"nodes": 23, "edges": 46}
    out = json.loads(run("ingest", str(src), "-w", w, "--scope", "other", "--json").stdout)
    assert out["removed"] == {"nodes": {}, "edges": {}} and set(out["sources"]) == {"inventory:other:identities"}
    out = json.loads(run("ingest", str(src), "-w", w, "--json").stdout)
    # the unscoped identities table now reports one identity and no links: three identities go, with the
    # 15 edges on them, and the 4 link edges (PART_OF, 3 OWNS) of id:ci-deployer that it no longer reports
    assert out["removed"]["nodes"] == {"Identity": 3}
    assert out["removed"]["edges"] == {"AUTHENTICATES": 2, "CAN_ASSUME": 3, "HAS_ACCESS": 3, "HOLDS": 1,
                                       "OWNS": 6, "PART_OF": 4}
    assert out["totals"] == {"nodes": 20, "edges": 27}


def test_formats_json():
    r = run("formats", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert all(set(row) == FORMAT_KEYS for row in rows)
    assert [row["name"] for row in rows] == [f.name for f in FORMATS]
    assert {"inventory-csv", "inventory-json", "opengraph"} <= {row["name"] for row in rows}


def test_workspace_from_the_environment(estate_ws):
    r = run("stats", "--json", env={"NHIGRAPH_WORKSPACE": str(estate_ws.path)})
    assert r.exit_code == 0 and json.loads(r.stdout)["total_nodes"] == 23


def test_plain_stats_and_snapshots_render(estate_ws):
    r = run("stats", "-w", str(estate_ws.path))
    assert r.exit_code == 0
    assert f"Snapshot {estate_ws.current_name()}" in r.stdout and "23 nodes, 46 edges" in r.stdout
    r = run("snapshots", "-w", str(estate_ws.path))
    assert r.exit_code == 0 and estate_ws.current_name() in r.stdout
    r = run("formats")
    assert r.exit_code == 0 and "inventory-csv" in r.stdout


# -- help ------------------------------------------------------------------------------------------

def _commands() -> list[tuple[list[str], click.Command]]:
    """Every command and sub-command, with the argv that reaches it."""
    out = []
    for name, target in sorted(COMMANDS.items()):
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        out.append(([name], cmd))
        if isinstance(cmd, click.Group):
            out += [([name, sub], cmd.commands[sub]) for sub in sorted(cmd.commands)]
    return out


def test_root_help_lists_every_command():
    r = run("--help")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Usage: nhigraph [OPTIONS] COMMAND [ARGS]...")
    for name in COMMANDS:
        assert f"\n  {name} " in r.stdout, name


@pytest.mark.parametrize("argv,cmd", _commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_command_help_names_its_options(argv, cmd):
    r = run(*argv, "--help")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"Usage: nhigraph {' '.join(argv)} ")
    text = r.stdout
    for param in cmd.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                assert opt in text, f"{' '.join(argv)} --help does not name {opt}"
        elif isinstance(param, click.Argument):
            assert param.human_readable_name.upper() in text
    assert "-h, --help" in text


def test_ingest_help_documents_the_behaviour():
    text = " ".join(run("ingest", "--help").stdout.split())
    for phrase in ("--format NAME", "--scope NAME", "--strict", "--no-cleanup", "--observed-at DATE", "--json",
                   "--workspace", "NHIGRAPH_WORKSPACE", "fingerprinted"):
        assert phrase in text, phrase


def test_version_and_unknown_command():
    r = run("--version")
    assert r.exit_code == 0 and __version__ in r.stdout
    r = run("frobnicate")
    assert r.exit_code == 2 and "No such command 'frobnicate'" in r.stderr


def test_installed_command_help_and_json(tmp_path):
    exe = Path(sys.executable).parent / "nhigraph"
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Usage: nhigraph" in proc.stdout and proc.stderr == ""
    proc = subprocess.run([str(exe), "ingest", str(INVENTORY_CSV), "-w", str(tmp_path / "ws"), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["totals"] == {"nodes": 23, "edges": 46}
