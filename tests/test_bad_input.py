"""Bad input: one exact line per problem naming the file and the record, a non-zero exit and no traceback,
and the workspace's previous snapshot left as it was (a bad re-export of a table never deletes its data)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.errors import InputError
from nhigraph.ingest.inventory import TABLES
from nhigraph.ingest.registry import BY_NAME
from nhigraph.model.vocabulary import MODEL
from nhigraph.workspace.ingest import ingest

NHIGRAPH = Path(sys.executable).parent / "nhigraph"
IDENTITY_KINDS = ", ".join(MODEL.node("Identity").kinds)
LATER = datetime(2026, 3, 1, tzinfo=timezone.utc)

#: (file name, content, expected error after "<path>: ", a whole-file failure?)
CASES = {
    "ragged-row": ("identities.csv", b"id,kind,name\nid:new1,bot,N1\nid:new2,bot\n",
                   "line 3: has 2 fields but the header has 3", True),
    "bad-quoting": ("identities.csv", b'id,kind,name\nid:new1,bot,N1\nid:new2,bot,"N2"x\n',
                    "line 3: malformed CSV: ',' expected after '\"'", True),
    "unterminated-quote": ("identities.csv", b'id,kind,name\nid:new1,bot,N1\nid:new2,bot,"N2\n',
                           "line 3: malformed CSV: unexpected end of data", True),
    "malformed-json": ("inventory.json", b'{"nhigraph_inventory": 1,\n "identities": [\n'
                                         b'  {"id": "id:new1", "kind": "bot",}\n ]}\n',
                       "line 3: invalid JSON: Expecting property name enclosed in double quotes", True),
    "missing-column": ("identities.csv", b"id,name\nid:new1,N1\n",
                       "line 1: the identities table needs column(s) kind", True),
    "missing-level": ("grants.csv", b"identity,target\nid:ci-deployer,res:prod-db\n",
                      "line 1: the grants table needs column(s) level", True),
    "unknown-column": ("identities.csv", b"id,kind,name,colour\nid:new1,bot,N1,red\n",
                       "line 2: unknown column 'colour' for the identities table (expected: "
                       + ", ".join(TABLES["identities"].columns) + ")", False),
    "unknown-reference": ("grants.csv", b"identity,target,level\nid:ci-deployer,res:prod-db,read\n"
                                        b"id:ghost,res:prod-db,read\n",
                          "line 3: HAS_ACCESS start 'id:ghost' is not a known node (unknown reference)", False),
    "wrong-endpoint-label": ("grants.csv", b"identity,target,level\ncred:ci-key,res:prod-db,read\n",
                             "line 2: HAS_ACCESS cannot start at a Credential ('cred:ci-key'); allowed: Identity",
                             False),
    "duplicate-id": ("identities.csv", b"id,kind,name\nid:new1,bot,A\nid:new2,bot,B\nid:new1,bot,C\n",
                     "line 4: duplicate id 'id:new1': reported twice in one export", False),
    "duplicate-id-json": ("inventory.json", json.dumps({"nhigraph_inventory": 1, "identities": [
        {"id": "id:new1", "kind": "bot"}, {"id": "id:new1", "kind": "bot"}]}).encode(),
        "identities[2]: duplicate id 'id:new1': reported twice in one export", False),
    "id-of-another-label": ("identities.csv", b"id,kind,name\ncred:ci-key,bot,clash\n",
                            "line 2: id 'cred:ci-key' is already a Credential, cannot also be a Identity "
                            "(duplicate id)", False),
    "wrong-date": ("identities.csv", b"id,kind,name,created_at\nid:new1,bot,N1,19/10/2003\n",
                   "line 2: Identity created_at: not an ISO 8601 date or date-time: '19/10/2003' "
                   "(use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)", False),
    "wrong-date-json": ("inventory.json", json.dumps({"nhigraph_inventory": 1, "identities": [
        {"id": "id:new1", "kind": "bot", "last_used_at": "10/19/2003"}]}).encode(),
        "identities[1]: Identity last_used_at: not an ISO 8601 date or date-time: '10/19/2003' "
        "(use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)", False),
    "unknown-kind": ("identities.csv", b"id,kind,name\nid:new1,robot,N1\n",
                     f"line 2: Identity kind 'robot' is not one of {IDENTITY_KINDS}", False),
    "bad-level": ("grants.csv", b"identity,target,level\nid:ci-deployer,res:prod-db,owner\n",
                  "line 2: HAS_ACCESS level: 'owner' is not one of read, write, admin", False),
    "bad-bool": ("identities.csv", b"id,kind,name,external\nid:new1,bot,N1,perhaps\n",
                 "line 2: Identity external: expected true or false, got 'perhaps'", False),
    "missing-id": ("identities.csv", b"id,kind,name\n,bot,nameless\n",
                   "line 2: Identity is missing required 'id'", False),
    "empty-file": ("identities.csv", b"", "file is empty", True),
    "blank-file": ("identities.csv", b" \n\n", "file is empty", True),
    "not-utf8": ("identities.csv", b"id,kind,name\nid:new1,bot,Ren\xe9\n",
                 "line 2: not UTF-8 text (byte 28)", True),
    "unrecognised": ("notes.txt", b"hello, world\n",
                     "unrecognised export format; pass --format (" + ", ".join(BY_NAME)
                     + ") or see `nhigraph formats`", True),
    "unrecognised-json": ("data.json", b'{"users": []}',
                          "unrecognised export format; pass --format (" + ", ".join(BY_NAME)
                          + ") or see `nhigraph formats`", True),
    "json-not-a-list": ("inventory.json", b'{"nhigraph_inventory": 1, "identities": {"id": "x"}}',
                        "identities: expected a list of records", False),
    "json-unknown-table": ("inventory.json", b'{"nhigraph_inventory": 1, "robots": []}',
                           "unknown inventory table 'robots' (known: identities, credentials, owners, "
                           "resources, systems, connectors, workflows, vendors, secret_stores, exceptions, "
                           "grants, trusts, ownership, edges)", True),
    "deeply-nested-json": ("inventory.json", b'{"nhigraph_inventory": 1, "x": ' + b"[" * 100000
                           + b"]" * 100000 + b"}", "invalid JSON: nested too deeply", True),
    "only-a-byte-order-mark": ("identities.csv", b"\xef\xbb\xbf", "file is empty", True),
    "lone-surrogate": ("inventory.json", b'{"nhigraph_inventory": 1, "identities": [{"id": "id:new1", "kind": "bot",'
                       b' "name": "Ren\\ud800"}]}',
                       "identities[1]: Identity name: not valid Unicode text (a lone surrogate at character 3)", False),
    "epoch-out-of-range": ("inventory.json", b'{"nhigraph_inventory": 1, "identities": [{"id": "id:new1", '
                           b'"kind": "bot", "created_at": 1e300}]}',
                           "identities[1]: Identity created_at: not a date: 1e+300 is out of range as epoch "
                           "seconds", False),
}


def tree(path: Path) -> dict[str, bytes]:
    return {str(f.relative_to(path)): f.read_bytes() for f in sorted(path.rglob("*")) if f.is_file()}


def _state(ws) -> tuple:
    name = ws.current_name()
    return name, tree(ws.snapshots_dir / name), ws.load(), ws.snapshot_names()


@pytest.fixture
def before(estate_ws):
    return _state(estate_ws)


def _write(tmp_path: Path, case: str) -> tuple[Path, str, bool]:
    filename, content, error, whole_file = CASES[case]
    folder = tmp_path / "bad" / case
    folder.mkdir(parents=True)
    path = folder / filename
    path.write_bytes(content)
    return path, f"{path}: {error}", whole_file


def _assert_unchanged(ws, before, whole_file: bool) -> None:
    name, files, snap, names = before
    assert tree(ws.snapshots_dir / name) == files  # the previous snapshot, byte for byte
    if whole_file:  # nothing to write: no new snapshot
        assert ws.current_name() == name and ws.snapshot_names() == names
    now = ws.load()
    for node_id, node in snap.nodes.items():  # nothing reported before was removed or changed
        assert now.nodes[node_id] == node, node_id
    for key, edge in snap.edges.items():
        assert now.edges[key] == edge, key


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_exact_line_and_changes_nothing(estate_ws, before, tmp_path, case):
    path, expected, whole_file = _write(tmp_path, case)
    result = CliRunner().invoke(cli, ["ingest", str(path), "-w", str(estate_ws.path)])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {expected}\n"
    assert "Traceback" not in result.output
    _assert_unchanged(estate_ws, before, whole_file)


@pytest.mark.parametrize("case", ["unknown-reference", "duplicate-id", "wrong-date"])
def test_strict_bad_input_writes_nothing(estate_ws, before, tmp_path, case):
    path, expected, _ = _write(tmp_path, case)
    result = CliRunner().invoke(cli, ["ingest", str(path), "-w", str(estate_ws.path), "--strict"])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {expected}\n"
    assert "Nothing written (--strict)" in result.stdout
    _assert_unchanged(estate_ws, before, whole_file=True)


def test_a_bad_reexport_of_a_table_keeps_its_old_rows(estate_ws, tmp_path):
    """Without the partial rule, this grants.csv (one good row, one bad) would remove three grants."""
    path, _, _ = _write(tmp_path, "unknown-reference")
    result = ingest([path], estate_ws, observed_at=LATER)
    assert len(result.errors) == 1 and result.merge.removed_edges == {}
    assert result.merge.added_edges == {"HAS_ACCESS": 1}  # the good row
    grants = {k for k in estate_ws.load().edges if k[0] == "HAS_ACCESS"}
    assert grants == {("HAS_ACCESS", "id:ci-deployer", "res:artifacts"), ("HAS_ACCESS", "id:deploy-role", "res:prod-db"),
                      ("HAS_ACCESS", "id:deploy-role", "sys:aws-prod"), ("HAS_ACCESS", "id:sf-sync", "res:sf-tenant"),
                      ("HAS_ACCESS", "id:ci-deployer", "res:prod-db")}


def test_good_files_are_ingested_beside_a_bad_one(ws, inventory_dir, tmp_path):
    (inventory_dir / "vendors.csv").write_bytes(b"id,kind,name\nvendor:acme,msp\n")  # ragged
    result = CliRunner().invoke(cli, ["ingest", str(inventory_dir), "-w", str(ws.path), "--json"])
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["ok"] is False and out["snapshot"] is not None
    vendors = inventory_dir / "vendors.csv"
    assert out["errors"] == [
        f"{vendors}: line 2: has 2 fields but the header has 3",
        # the trust from the vendor, and the HOLDS edges, now name a node that is not there
        *out["errors"][1:]]
    assert all("'vendor:acme' is not a known node (unknown reference)" in e for e in out["errors"][1:])
    assert len(out["errors"]) == 4  # CAN_ASSUME from trusts.csv, HOLDS from credentials.csv and edges.csv
    assert result.stderr.splitlines() == [f"Error: {e}" for e in out["errors"]]
    assert out["totals"] == {"nodes": 22, "edges": 43}


def test_several_bad_records_are_one_line_each(estate_ws, tmp_path):
    f = tmp_path / "identities.csv"
    f.write_text("id,kind,name,created_at\nid:n1,robot,A,\nid:n2,bot,B,31/12/2025\nid:n3,bot,C,2025-12-31\n")
    result = CliRunner().invoke(cli, ["ingest", str(f), "-w", str(estate_ws.path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {f}: line 2: Identity kind 'robot' is not one of {IDENTITY_KINDS}",
        f"Error: {f}: line 3: Identity created_at: not an ISO 8601 date or date-time: '31/12/2025' "
        "(use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)"]
    assert "id:n3" in estate_ws.load().nodes


def test_missing_path_unknown_format_and_locked_workspace(estate_ws, tmp_path):
    runner = CliRunner()
    missing = tmp_path / "nope.csv"
    r = runner.invoke(cli, ["ingest", str(missing), "-w", str(estate_ws.path)])
    assert (r.exit_code, r.stderr) == (2, f"Error: {missing}: no such file or folder\n")
    f = tmp_path / "identities.csv"
    f.write_text("id,kind,name\nid:x,bot,X\n")
    r = runner.invoke(cli, ["ingest", str(f), "-w", str(estate_ws.path), "--format", "ldif"])
    assert r.exit_code == 2
    assert r.stderr == f"Error: unknown format 'ldif' (known: {', '.join(BY_NAME)})\n"
    with estate_ws.lock():
        r = runner.invoke(cli, ["ingest", str(f), "-w", str(estate_ws.path)])
    assert r.exit_code == 3
    assert r.stderr.startswith(f"Error: {estate_ws.path}: workspace is locked by nhigraph pid ")
    r = runner.invoke(cli, ["stats", "-w", str(tmp_path / "empty")])
    assert (r.exit_code, r.stderr) == (3, f"Error: {tmp_path / 'empty'}: no workspace here yet; "
                                          "run `nhigraph ingest` first\n")


def test_the_installed_command_prints_one_line_and_no_traceback(estate_ws, tmp_path):
    assert NHIGRAPH.is_file(), NHIGRAPH
    for case in ("ragged-row", "unknown-reference", "not-utf8"):
        before = _state(estate_ws)
        path, expected, whole_file = _write(tmp_path, case)
        proc = subprocess.run([str(NHIGRAPH), "ingest", str(path), "-w", str(estate_ws.path)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == f"Error: {expected}\n"
        assert "Traceback" not in proc.stdout + proc.stderr
        _assert_unchanged(estate_ws, before, whole_file)


def test_an_unrecognised_file_inside_a_folder_is_skipped_with_a_warning(ws, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "identities.csv").write_text("id,kind,name\nid:x,bot,X\n")
    (src / "notes.txt").write_text("not an export\n")
    r = CliRunner().invoke(cli, ["ingest", str(src), "-w", str(ws.path)])
    assert r.exit_code == 0, r.output
    assert r.stderr == f"Warning: {src / 'notes.txt'}: skipped, not a recognised export\n"
    assert set(ws.load().nodes) == {"id:x"}


def test_input_error_formats_file_and_record():
    assert str(InputError("a.csv", "line 3", "bad")) == "a.csv: line 3: bad"
    assert str(InputError("a.csv", None, "bad")) == "a.csv: bad"
    assert str(InputError(None, None, "bad")) == "bad"
    assert InputError("a.csv", None, "x").exit_code == 2
