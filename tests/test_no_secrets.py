"""A secret value in an export is fingerprinted on sight and never reaches the disk or the terminal.

The scan looks at every file's raw bytes and, because parquet pages are compressed, at every decoded
parquet value too. A control value put in a stored column (``description``) must be found by the same
scan, which proves the scan would see a secret if one were stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.workspace.ingest import ingest


def _values(path: Path) -> str:
    """Every decoded value of a parquet file, as text."""
    return json.dumps(pq.read_table(path).to_pylist(), default=str)


def scan(folder: Path, needle: str) -> list[str]:
    """Files under ``folder`` whose bytes, or decoded parquet values, contain ``needle``."""
    hits = []
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        if needle.encode() in f.read_bytes() or (f.suffix == ".parquet" and needle in _values(f)):
            hits.append(str(f.relative_to(folder)))
    return hits


def sha256(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def canaries() -> dict[str, str]:
    return {name: f"nhigraph-canary-{name}-{uuid.uuid4()}" for name in ("csv", "bad_row", "identity", "json",
                                                                         "opengraph")}


@pytest.fixture
def control() -> str:
    return f"nhigraph-control-{uuid.uuid4()}"


def _exports(tmp_path: Path, canaries: dict[str, str], control: str) -> Path:
    src = tmp_path / "exports"
    src.mkdir()
    (src / "credentials.csv").write_text(
        "id,kind,name,identity,secret,description\n"
        f"cred:leaky,api_token,leaky token,id:ci-deployer,{canaries['csv']},{control}\n"
        f"cred:bad-kind,robot_key,bad kind,id:ci-deployer,{canaries['bad_row']},\n")
    (src / "old-credentials.csv").write_text(  # a ragged row: the whole file is rejected
        f"id,kind,name,secret\ncred:ragged,pat,ragged,{canaries['bad_row']},extra\n")
    (src / "acme-identities.csv").write_text(
        f"id,kind,name,secret\nid:wrong-place,bot,misplaced,{canaries['identity']}\n")
    (src / "inventory.json").write_text(json.dumps({"nhigraph_inventory": 1, "keys": [
        {"id": "cred:json", "kind": "pat", "identity": "id:sf-sync", "secret": canaries["json"]},
        {"id": "cred:json-bad", "kind": "pat", "secret": canaries["bad_row"], "expires_at": "31/12/2026"}]}))
    (src / "scanner.json").write_text(json.dumps({"metadata": {"source_kind": "Scanner"}, "graph": {
        "nodes": [{"id": "cred:og", "kinds": ["Credential"],
                   "properties": {"kind": "pat", "secret": canaries["opengraph"], "leaked": True}}],
        "edges": []}}))
    return src


def test_no_secret_reaches_the_workspace_or_the_terminal(estate_ws, tmp_path, canaries, control):
    src = _exports(tmp_path, canaries, control)
    runner = CliRunner()
    outputs = []
    r = runner.invoke(cli, ["ingest", str(src), "-w", str(estate_ws.path)])
    outputs.append(r.output)
    assert r.exit_code == 2  # the bad rows
    errors = r.stderr.splitlines()
    assert len(errors) == 4, errors
    # whole-file failures first, then record errors, each in file order
    assert errors[0] == f"Error: {src / 'old-credentials.csv'}: line 2: has 5 fields but the header has 4"
    assert errors[1].startswith(f"Error: {src / 'acme-identities.csv'}: line 2: unknown column 'secret' for "
                                "the identities table (expected: ")
    assert errors[2].startswith(f"Error: {src / 'credentials.csv'}: line 3: Credential kind 'robot_key' is not")
    assert errors[3] == (f"Error: {src / 'inventory.json'}: keys[2]: Credential expires_at: not an ISO 8601 date "
                         "or date-time: '31/12/2026' (use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)")
    r = runner.invoke(cli, ["ingest", str(src), "-w", str(estate_ws.path), "--json"])
    outputs.append(r.stdout + r.stderr)
    assert r.exit_code == 2 and json.loads(r.stdout)["errors"]
    for args in (["stats"], ["stats", "--json"], ["snapshots"], ["snapshots", "--json"]):
        r = runner.invoke(cli, args + ["-w", str(estate_ws.path)])
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
    export = tmp_path / "export.json"
    r = runner.invoke(cli, ["export", "opengraph", str(export), "-w", str(estate_ws.path)])
    assert r.exit_code == 0
    outputs.append(r.output)

    for name, canary in canaries.items():
        assert scan(estate_ws.path, canary) == [], name
        assert canary not in export.read_text(), name
        for out in outputs:
            assert canary not in out, name

    # the scan works: the control value, stored in a description, is found in the parquet table
    assert scan(estate_ws.path, control) == [f"snapshots/{n}/nodes/Credential.parquet"
                                             for n in estate_ws.snapshot_names()[1:]]

    nodes = estate_ws.load().nodes
    assert nodes["cred:leaky"]["fingerprint"] == sha256(canaries["csv"])
    assert nodes["cred:json"]["fingerprint"] == sha256(canaries["json"])
    assert nodes["cred:og"]["fingerprint"] == sha256(canaries["opengraph"])
    assert not {"cred:bad-kind", "cred:ragged", "cred:json-bad", "id:wrong-place"} & set(nodes)
    assert all("secret" not in n for n in nodes.values())
    assert not [n for n in json.loads(export.read_text())["graph"]["nodes"] if "secret" in n["properties"]]


def test_the_installed_command_does_not_print_a_secret(estate_ws, tmp_path, canaries, control):
    import subprocess
    import sys

    src = _exports(tmp_path, canaries, control)
    nhigraph = Path(sys.executable).parent / "nhigraph"
    for extra in ([], ["--json"]):
        proc = subprocess.run([str(nhigraph), "ingest", str(src), "-w", str(estate_ws.path), *extra],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        for canary in canaries.values():
            assert canary not in proc.stdout and canary not in proc.stderr
        assert "Traceback" not in proc.stderr
    for canary in canaries.values():
        assert scan(estate_ws.path, canary) == []


def test_the_fingerprint_ignores_surrounding_whitespace_only(ws, tmp_path):
    f = tmp_path / "credentials.csv"
    f.write_text("id,kind,secret\nc1,pat,  s3cr3t  \nc2,pat,s3cr3t\nc3,pat,S3CR3T\n")
    assert ingest([f], ws).ok
    nodes = ws.load().nodes
    assert nodes["c1"]["fingerprint"] == nodes["c2"]["fingerprint"] == sha256("s3cr3t")
    assert nodes["c3"]["fingerprint"] == sha256("S3CR3T") != nodes["c1"]["fingerprint"]
