"""`reach` from one credential's neighbourhood (nhigraph.analysis.focus) gives exactly the whole estate's answer.

Every credential of several estates is asked both ways: the hand-built inventory estate, the chain estate (role
cycle, vault chaining, departed owner mid-path), the demo estate with hostile names, and a synthetic estate in
real export formats. The focused answer must also really be focused: it reads a small part of a large estate.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.analysis import incident
from nhigraph.analysis.focus import FocusedBackend, around, resolve
from nhigraph.backends.embedded import EmbeddedBackend
from nhigraph.cli.app import cli
from nhigraph.cli.options import dumps
from nhigraph.errors import NotFoundError
from nhigraph.workspace.ingest import ingest

from report_estates import EVIL_KEY, LEAKED, add_evil, demo_exports, ingest_ok

CHAIN = Path(__file__).parent / "fixtures" / "estates" / "chain"


def _same_reports(ws) -> int:
    full = EmbeddedBackend(ws)
    creds = sorted(full.estate.nodes_of("Credential"))
    assert creds
    for cred in creds:
        want = incident.report(full, cred)
        got = incident.report(FocusedBackend(ws), cred)
        assert json.dumps(got, sort_keys=True, default=str) == json.dumps(want, sort_keys=True, default=str), cred
    return len(creds)


def test_inventory_estate_every_credential(estate_ws) -> None:
    assert _same_reports(estate_ws) == 3


def test_chain_estate_every_credential(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert ingest([CHAIN], ws, observed_at=datetime(2026, 10, 1, tzinfo=timezone.utc)).ok
    assert _same_reports(ws) == 3
    rep = incident.report(FocusedBackend(ws), "cred:k1")
    targets = {t["id"]: (t["level"], t["order"]) for t in rep["blast_radius"]["targets"]}
    assert targets == {"res:logs": ("read", 0), "res:db": ("admin", 0), "store:kv-payments": ("read", 0),
                       "res:ledger": ("write", 1)}
    db = next(t for t in rep["blast_radius"]["targets"] if t["id"] == "res:db")
    assert db["path"] == ["cred:k1", "id:u1", "id:r1", "id:r2", "id:r3", "res:db"]
    assert rep["blast_radius"]["share"] == 1.0  # 4 of the estate's 4 resource-like targets


def test_demo_estate_with_hostile_names(tmp_path: Path) -> None:
    exports = demo_exports(tmp_path / "exports")
    add_evil(exports)
    ingest_ok(exports, tmp_path / "ws")
    assert _same_reports(tmp_path / "ws") >= 12
    assert resolve(tmp_path / "ws", EVIL_KEY) == EVIL_KEY
    assert resolve(tmp_path / "ws", "AKIAACMECIDEPLOY0001") == LEAKED


def test_synthetic_real_exports_and_focus_is_small(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["synth", "-n", "300", "--out", str(tmp_path / "synth"), "--json"])
    assert out.exit_code == 0, out.output
    assert ingest([tmp_path / "synth" / "exports"], tmp_path / "ws",
                  observed_at=datetime(2026, 10, 1, tzinfo=timezone.utc)).ok
    assert _same_reports(tmp_path / "ws") > 50
    full = EmbeddedBackend(tmp_path / "ws")
    sizes = [around(tmp_path / "ws", c) for c in sorted(full.estate.nodes_of("Credential"))[:20]]
    total = sizes[0].total_nodes
    assert total == full.estate.g.number_of_nodes()
    assert max(f.nodes for f in sizes) < total / 4  # a neighbourhood, not the estate


def test_unknown_key_same_error(estate_ws) -> None:
    with pytest.raises(NotFoundError) as focused:
        FocusedBackend(estate_ws).resolve_key("aws:key:NOPE")
    with pytest.raises(NotFoundError) as whole:
        EmbeddedBackend(estate_ws).resolve_key("aws:key:NOPE")
    assert str(focused.value) == str(whole.value)


def test_reach_cli_reads_the_secret_from_stdin(estate_ws, tmp_path: Path) -> None:
    f = tmp_path / "credentials.csv"
    f.write_text("id,kind,name,secret,identity\ncred:stdin,pat,stdin token,nhigraph-focus-secret-1,\n")
    assert ingest([f], estate_ws, observed_at=datetime(2026, 1, 31, 12, tzinfo=timezone.utc)).ok
    out = CliRunner().invoke(cli, ["reach", "-", "-w", str(estate_ws.path), "--json"],
                             input="nhigraph-focus-secret-1\n")
    assert out.exit_code == 0, out.output
    rep = json.loads(out.stdout)
    assert rep["credential"]["id"] == "cred:stdin"
    assert "nhigraph-focus-secret-1" not in out.stdout + out.stderr
    want = incident.report(EmbeddedBackend(estate_ws), "cred:stdin")
    assert rep == json.loads(dumps(want))


def _same_views(ws) -> int:
    from nhigraph.report.viz import blast_radius_view, network_data

    full = EmbeddedBackend(ws)
    creds = sorted(full.estate.nodes_of("Credential"))
    for cred in creds:
        want = network_data(blast_radius_view(full.estate, cred))
        focused = FocusedBackend(ws)
        focused.resolve_key(cred)
        got = network_data(blast_radius_view(focused.estate_of(cred), cred, focused.blast_radius(cred)))
        assert got == want, cred
    return len(creds)


def test_viz_pictures_equal(tmp_path: Path) -> None:
    exports = demo_exports(tmp_path / "exports")
    add_evil(exports)
    ingest_ok(exports, tmp_path / "ws")
    assert _same_views(tmp_path / "ws") >= 12
    ws = tmp_path / "chain"
    assert ingest([CHAIN], ws, observed_at=datetime(2026, 10, 1, tzinfo=timezone.utc)).ok
    assert _same_views(ws) == 3
    out = CliRunner().invoke(cli, ["viz", "AKIAACMECIDEPLOY0001", "-w", str(tmp_path / "ws"), "-o",
                                   str(tmp_path / "reach.html"), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["credential"] == LEAKED


def test_estate_too_large_for_memory_is_refused_but_reach_works(estate_ws, monkeypatch) -> None:
    from nhigraph.workspace import memory

    monkeypatch.setattr(memory, "_meminfo_available", lambda: 200 * 2**20)  # less than the baseline alone
    monkeypatch.setattr(memory, "_cgroup_room", lambda: None)
    runner = CliRunner()
    out = runner.invoke(cli, ["debt", "-w", str(estate_ws.path)])
    assert out.exit_code == 7
    line = out.stderr.strip()
    assert "\n" not in line
    assert "not enough memory to analyse this snapshot" in line
    assert "nhigraph neo4j push" in line and "nhigraph reach KEY" in line
    ok = runner.invoke(cli, ["reach", "AKIAIOSFODNN7EXAMPLE", "-w", str(estate_ws.path), "--json"])
    assert ok.exit_code == 0, ok.output  # reach reads one neighbourhood: no load, no refusal
    assert json.loads(ok.stdout)["credential"]["id"] == "cred:ci-key"
    monkeypatch.setenv("NHIGRAPH_NO_MEMORY_CHECK", "1")
    assert runner.invoke(cli, ["debt", "-w", str(estate_ws.path), "--json"]).exit_code == 0
