"""The workspace: merge and re-ingest semantics, stale cleanup, scopes, atomic snapshots and the writer lock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nhigraph.errors import WorkspaceError
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.store import Workspace

OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
LATER = OBSERVED + timedelta(days=30)
BOOKKEEPING = ("last_seen",)


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` and its bytes."""
    return {str(f.relative_to(path)): f.read_bytes() for f in sorted(path.rglob("*")) if f.is_file()}


def without(rec: dict, keys=BOOKKEEPING) -> dict:
    return {k: v for k, v in rec.items() if k not in keys}


def drop_row(path: Path, startswith: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(startswith)]
    assert len(kept) == len(lines) - 1, f"no single row starting {startswith!r} in {path}"
    path.write_text("".join(kept))


# -- re-ingest and merge --------------------------------------------------------------------------

def test_reingest_is_idempotent(estate_ws, inventory_dir):
    before = estate_ws.load()
    result = ingest([inventory_dir], estate_ws, observed_at=LATER)
    assert result.ok
    after = estate_ws.load()
    assert after.name != before.name
    assert estate_ws.snapshot_names() == sorted([before.name, after.name])
    assert after.manifest["parent"] == before.name
    assert after.manifest["counts"] == before.manifest["counts"]
    assert (len(after.nodes), len(after.edges)) == (23, 46)
    assert set(after.nodes) == set(before.nodes) and set(after.edges) == set(before.edges)
    for node_id, node in after.nodes.items():
        assert without(node) == without(before.nodes[node_id]), node_id
        assert node["first_seen"] == OBSERVED and node["last_seen"] == LATER, node_id
    assert after.edges == before.edges  # edges carry no timestamps
    m = result.merge
    assert m.added_nodes == {} and m.added_edges == {}
    assert m.removed_nodes == {} and m.removed_edges == {}
    assert sum(m.updated_nodes.values()) == 23


def test_merging_more_files_adds_to_the_graph(ws, inventory_dir, tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    for table in ("systems", "owners"):
        (inventory_dir / f"{table}.csv").rename(first / f"{table}.csv")
    r1 = ingest([first], ws, observed_at=OBSERVED)
    assert r1.ok and r1.totals == {"nodes": 7, "edges": 4}  # 4 systems + 3 owners; PART_OF, OWNS, 2 MEMBER_OF
    r2 = ingest([inventory_dir], ws, observed_at=LATER)  # the other twelve tables
    assert r2.ok, r2.errors
    assert r2.totals == {"nodes": 23, "edges": 46}
    assert r2.merge.removed_nodes == {} and r2.merge.removed_edges == {}
    snap = ws.load()
    assert snap.nodes["sys:aws-prod"]["first_seen"] == OBSERVED  # from the first run, untouched
    assert snap.nodes["id:ci-deployer"]["first_seen"] == LATER
    assert ("OWNS", "team:platform", "sys:aws-prod", "approve") in snap.edges


def test_new_values_win_and_absent_values_are_kept(estate_ws, inventory_dir):
    f = inventory_dir / "identities.csv"
    f.write_text(f.read_text().replace("id:deploy-role,iam_role,deploy-role,prod,active",
                                       "id:deploy-role,iam_role,deploy-role,prod,disabled"))
    assert ingest([f], estate_ws, observed_at=LATER).ok
    snap = estate_ws.load()
    assert snap.nodes["id:deploy-role"]["status"] == "disabled"
    assert snap.nodes["id:deploy-role"]["sources"] == ["inventory:identities"]


def test_a_node_reported_by_two_sources_lists_both(ws, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "identities.csv").write_text("id,kind,name\nid:x,bot,X\n")
    (b / "inventory.json").write_text('{"nhigraph_inventory": 1, "service_accounts": '
                                      '[{"id": "id:x", "kind": "bot", "description": "from b"}]}')
    assert ingest([a], ws, observed_at=OBSERVED, scope="a").ok
    assert ingest([b], ws, observed_at=LATER, scope="b").ok
    x = ws.load().nodes["id:x"]
    assert x["sources"] == ["inventory:a:identities", "inventory:b:identities"]
    assert x["source"] == "inventory:a:identities"  # the first reporter
    assert x["description"] == "from b" and x["name"] == "X"
    assert (x["first_seen"], x["last_seen"]) == (OBSERVED, LATER)
    # a removes it: b still reports it, so it stays with b as its only source
    (a / "identities.csv").write_text("id,kind,name\nid:y,bot,Y\n")
    assert ingest([a], ws, observed_at=LATER, scope="a").ok
    nodes = ws.load().nodes
    assert nodes["id:x"]["sources"] == ["inventory:b:identities"]
    assert set(nodes) == {"id:x", "id:y"}


# -- stale cleanup --------------------------------------------------------------------------------

def test_a_row_removed_from_a_table_removes_the_node_and_its_edges(estate_ws, inventory_dir):
    drop_row(inventory_dir / "identities.csv", "id:sf-sync,")
    result = ingest([inventory_dir / "identities.csv"], estate_ws, observed_at=LATER)
    assert result.ok
    assert result.merge.removed_nodes == {"Identity": 1}
    # its own PART_OF, and the edges of other tables that hung on it
    assert result.merge.removed_edges == {"AUTHENTICATES": 1, "HAS_ACCESS": 1, "HOLDS": 1, "PART_OF": 1}
    snap = estate_ws.load()
    assert "id:sf-sync" not in snap.nodes
    assert not [k for k in snap.edges if "id:sf-sync" in k[1:3]]
    assert (len(snap.nodes), len(snap.edges)) == (22, 42)
    assert "cred:sf-token" in snap.nodes  # a node of another table is not touched


def test_a_removed_link_removes_only_that_edge(estate_ws, inventory_dir):
    f = inventory_dir / "identities.csv"
    f.write_text(f.read_text().replace("team:platform;person:alice", "person:alice"))
    result = ingest([f], estate_ws, observed_at=LATER)
    assert result.ok
    assert result.merge.removed_nodes == {} and result.merge.removed_edges == {"OWNS": 1}
    edges = estate_ws.load().edges
    assert ("OWNS", "team:platform", "id:acme-bot", "monitor") not in edges
    assert ("OWNS", "person:alice", "id:acme-bot", "monitor") in edges


def test_no_cleanup_keeps_what_a_source_no_longer_reports(estate_ws, inventory_dir):
    drop_row(inventory_dir / "identities.csv", "id:sf-sync,")
    result = ingest([inventory_dir / "identities.csv"], estate_ws, observed_at=LATER, cleanup=False)
    assert result.ok and result.merge.removed_nodes == {} and result.merge.removed_edges == {}
    snap = estate_ws.load()
    assert (len(snap.nodes), len(snap.edges)) == (23, 46)
    assert snap.nodes["id:sf-sync"]["last_seen"] == OBSERVED  # not seen again
    assert snap.nodes["id:ci-deployer"]["last_seen"] == LATER


def test_a_partial_source_never_removes_data(estate_ws, inventory_dir):
    f = inventory_dir / "identities.csv"
    drop_row(f, "id:sf-sync,")
    f.write_text(f.read_text() + "id:new,iam_user,new,prod,active,19/10/2003,,,,,,,,,\n")
    result = ingest([f], estate_ws, observed_at=LATER)
    assert [str(e) for e in result.errors] == [
        f"{f}: line 5: Identity created_at: not an ISO 8601 date or date-time: '19/10/2003' "
        "(use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)"]
    assert result.merge.removed_nodes == {} and result.merge.removed_edges == {}
    snap = estate_ws.load()
    assert "id:sf-sync" in snap.nodes and "id:new" not in snap.nodes
    assert (len(snap.nodes), len(snap.edges)) == (23, 46)
    assert snap.manifest["sources"]["inventory:identities"]["partial"] is True


def test_a_bad_edge_makes_its_source_partial(estate_ws, inventory_dir):
    f = inventory_dir / "grants.csv"
    drop_row(f, "id:sf-sync,")
    f.write_text(f.read_text() + "id:ghost,res:prod-db,read,,,\n")
    result = ingest([f], estate_ws, observed_at=LATER)
    assert [str(e) for e in result.errors] == [
        f"{f}: line 5: HAS_ACCESS start 'id:ghost' is not a known node (unknown reference)"]
    assert ("HAS_ACCESS", "id:sf-sync", "res:sf-tenant") in estate_ws.load().edges  # not cleaned up


def test_a_file_that_fails_to_parse_removes_nothing(estate_ws, inventory_dir):
    f = inventory_dir / "identities.csv"
    f.write_text("id,kind,name\nid:only,iam_user,only\nragged,row\n")
    before = estate_ws.current_name()
    result = ingest([f], estate_ws, observed_at=LATER)
    assert [str(e) for e in result.errors] == [f"{f}: line 3: has 2 fields but the header has 3"]
    assert result.snapshot is None and estate_ws.current_name() == before
    assert len(estate_ws.load().nodes) == 23


def test_scopes_keep_two_inventories_apart(ws, tmp_path):
    a, b = tmp_path / "bu-a", tmp_path / "bu-b"
    a.mkdir(), b.mkdir()
    (a / "identities.csv").write_text("id,kind,name\nid:a1,bot,A1\nid:a2,bot,A2\n")
    (b / "identities.csv").write_text("id,kind,name\nid:b1,bot,B1\n")
    assert ingest([a], ws, scope="a", observed_at=OBSERVED).ok
    assert ingest([b], ws, scope="b", observed_at=OBSERVED).ok
    snap = ws.load()
    assert set(snap.nodes) == {"id:a1", "id:a2", "id:b1"}
    assert snap.nodes["id:b1"]["source"] == "inventory:b:identities"
    assert set(snap.manifest["sources"]) == {"inventory:a:identities", "inventory:b:identities"}
    # re-ingesting a without a2 removes a2 only
    (a / "identities.csv").write_text("id,kind,name\nid:a1,bot,A1\n")
    assert ingest([a], ws, scope="a", observed_at=LATER).ok
    assert set(ws.load().nodes) == {"id:a1", "id:b1"}


def test_without_scopes_the_same_table_replaces_the_other_inventory(ws, tmp_path):
    """The contrast that makes --scope necessary: both files are the `inventory:identities` source."""
    a, b = tmp_path / "bu-a", tmp_path / "bu-b"
    a.mkdir(), b.mkdir()
    (a / "identities.csv").write_text("id,kind,name\nid:a1,bot,A1\n")
    (b / "identities.csv").write_text("id,kind,name\nid:b1,bot,B1\n")
    assert ingest([a], ws, observed_at=OBSERVED).ok
    assert ingest([b], ws, observed_at=OBSERVED).ok
    assert set(ws.load().nodes) == {"id:b1"}


# -- snapshots ------------------------------------------------------------------------------------

def test_snapshot_layout_and_manifest(estate_ws):
    name = estate_ws.current_name()
    assert (estate_ws.path / "CURRENT").read_text() == name + "\n"
    manifest = estate_ws.manifest()
    assert manifest["snapshot"] == name and manifest["parent"] is None
    assert manifest["format_version"] == 1
    assert manifest["observed_at"] == OBSERVED.isoformat()
    assert manifest["counts"]["total_nodes"] == 23 and manifest["counts"]["nodes"]["Identity"] == 4
    assert manifest["counts"]["edges"]["OWNS"] == 14
    assert len(manifest["sources"]) == 14
    assert manifest["sources"]["inventory:grants"]["partial"] is False
    assert [Path(p).name for p in manifest["sources"]["inventory:grants"]["files"]] == ["grants.csv"]


def test_snapshots_in_the_same_second_get_distinct_names(estate_ws, inventory_dir):
    snap = estate_ws.load()
    now = datetime(2026, 2, 1, 9, 0, 0, tzinfo=timezone.utc)
    with estate_ws.lock():
        n1 = estate_ws.write(snap.nodes, snap.edges, {}, now=now)
        n2 = estate_ws.write(snap.nodes, snap.edges, {}, now=now)
    assert (n1, n2) == ("20260201T090000Z", "20260201T090000Z-2")
    assert estate_ws.current_name() == n2
    assert estate_ws.load("20260201T090000Z").nodes == snap.nodes  # an older snapshot stays loadable
    assert estate_ws.load(snap.name[:8]).name == snap.name  # a unique prefix names a snapshot


def test_unknown_snapshot_and_empty_workspace_are_clear_errors(ws, estate_ws):
    with pytest.raises(WorkspaceError, match="no snapshot 'nope'"):
        estate_ws.load("nope")
    with pytest.raises(WorkspaceError, match="no workspace here yet"):
        Workspace(ws.path.parent / "elsewhere").load()


@pytest.mark.parametrize("fail_at", [1, 5, 21])
def test_a_failure_mid_write_leaves_the_previous_snapshot_current(estate_ws, inventory_dir, monkeypatch, fail_at):
    before_name = estate_ws.current_name()
    before_files = tree(estate_ws.snapshots_dir / before_name)
    before = estate_ws.load()
    real = Workspace._write_table
    calls = []

    def failing(path, records, schema):
        calls.append(path)
        if len(calls) == fail_at:
            raise RuntimeError("simulated crash")
        real(path, records, schema)

    monkeypatch.setattr(Workspace, "_write_table", staticmethod(failing))
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest([inventory_dir], estate_ws, observed_at=LATER)
    assert len(calls) == fail_at
    assert estate_ws.current_name() == before_name
    assert estate_ws.snapshot_names() == [before_name]
    assert tree(estate_ws.snapshots_dir / before_name) == before_files
    after = estate_ws.load()
    assert after.nodes == before.nodes and after.edges == before.edges
    assert not list(estate_ws.snapshots_dir.glob(".tmp-*"))  # the half-written folder is gone


@pytest.mark.parametrize("step", ["rename", "replace"])
def test_a_failure_publishing_leaves_the_previous_snapshot_current(estate_ws, inventory_dir, monkeypatch, step):
    """os.rename moves the finished folder into place, os.replace then points CURRENT at it."""
    before_name = estate_ws.current_name()

    def failing(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, step, failing)
    with pytest.raises(WorkspaceError, match="cannot write snapshot .*No space left on device; "
                                             "the previous snapshot is still current"):
        ingest([inventory_dir], estate_ws, observed_at=LATER)
    monkeypatch.undo()
    assert estate_ws.current_name() == before_name
    assert estate_ws.snapshot_names() == [before_name]  # the renamed but unpublished folder is removed
    assert [p.name for p in estate_ws.path.iterdir() if p.name.startswith(".CURRENT")] == []
    assert not list(estate_ws.snapshots_dir.glob(".tmp-*"))
    assert len(estate_ws.load().nodes) == 23


def test_a_crashed_writer_leaves_the_previous_snapshot_and_the_next_write_cleans_up(estate_ws, inventory_dir):
    """A real crash (the process dies mid-write, no cleanup runs), then a normal ingest."""
    before_name = estate_ws.current_name()
    before_files = tree(estate_ws.snapshots_dir / before_name)
    script = textwrap.dedent(f"""
        import os
        from nhigraph.workspace.store import Workspace
        from nhigraph.workspace.ingest import ingest
        real = Workspace._write_table
        calls = []
        def dying(path, records, schema):
            calls.append(path)
            if len(calls) == 4:
                os._exit(9)
            real(path, records, schema)
        Workspace._write_table = staticmethod(dying)
        ingest([{str(inventory_dir)!r}], Workspace({str(estate_ws.path)!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    leftovers = list(estate_ws.snapshots_dir.glob(".tmp-*"))
    assert len(leftovers) == 1 and len(list((leftovers[0] / "nodes").iterdir())) == 3
    assert estate_ws.current_name() == before_name
    assert estate_ws.snapshot_names() == [before_name]
    assert tree(estate_ws.snapshots_dir / before_name) == before_files
    assert len(estate_ws.load().nodes) == 23
    # the lock died with the process: the next writer gets it and sweeps the leftover
    result = ingest([inventory_dir], estate_ws, observed_at=LATER)
    assert result.ok and result.snapshot != before_name
    assert not list(estate_ws.snapshots_dir.glob(".tmp-*"))
    assert estate_ws.current_name() == result.snapshot


def test_a_concurrent_writer_gets_a_clear_lock_error(estate_ws, inventory_dir):
    before = estate_ws.current_name()
    with estate_ws.lock():
        with pytest.raises(WorkspaceError) as exc:
            ingest([inventory_dir], estate_ws, observed_at=LATER)
    assert str(exc.value) == (f"{estate_ws.path}: workspace is locked by nhigraph pid {os.getpid()}; "
                              "wait for that ingest to finish")
    assert estate_ws.current_name() == before and estate_ws.snapshot_names() == [before]
    # released: the next writer proceeds
    assert ingest([inventory_dir], estate_ws, observed_at=LATER).ok


def test_a_writer_in_another_process_blocks_ingest(estate_ws, inventory_dir):
    script = textwrap.dedent(f"""
        import sys, time
        from nhigraph.workspace.store import Workspace
        with Workspace({str(estate_ws.path)!r}).lock():
            print("locked", flush=True)
            sys.stdin.readline()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(WorkspaceError, match=f"workspace is locked by nhigraph pid {proc.pid}"):
            ingest([inventory_dir], estate_ws, observed_at=LATER)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert ingest([inventory_dir], estate_ws, observed_at=LATER).ok


def test_strict_writes_nothing_when_anything_is_bad(estate_ws, inventory_dir):
    before = estate_ws.current_name()
    (inventory_dir / "grants.csv").write_text("identity,target,level\nid:ghost,res:prod-db,read\n")
    result = ingest([inventory_dir], estate_ws, observed_at=LATER, strict=True)
    assert not result.ok and result.snapshot is None
    assert estate_ws.current_name() == before and estate_ws.snapshot_names() == [before]


# ---------------------------------------------------------------------------------------- merge rules (lead)
def _ingest_rows(tmp_path, ws, name: str, text: str):
    from nhigraph.workspace.ingest import ingest as run

    d = tmp_path / f"in-{name}-{abs(hash(text))}"
    d.mkdir()
    (d / name).write_text(text)
    res = run([d / name], ws)
    assert res.ok, res.errors
    return res


def test_a_field_the_only_source_no_longer_gives_is_cleared(tmp_path) -> None:
    from nhigraph.workspace.store import Workspace

    ws = Workspace(tmp_path / "ws")
    _ingest_rows(tmp_path, ws, "credentials.csv",
                 "id,kind,leaked,expires_at\nc1,api_token,true,2027-01-01\n")
    _ingest_rows(tmp_path, ws, "credentials.csv", "id,kind,leaked,expires_at\nc1,api_token,,\n")
    node = ws.load().nodes["c1"]
    assert "leaked" not in node and "expires_at" not in node


def test_the_same_grant_twice_in_one_run_keeps_the_highest_level(tmp_path) -> None:
    from nhigraph.workspace.store import Workspace

    ws = Workspace(tmp_path / "ws")
    d = tmp_path / "grants"
    d.mkdir()
    (d / "identities.csv").write_text("id,kind\ni1,service_account\n")
    (d / "resources.csv").write_text("id,kind\nr1,bucket\n")
    (d / "grants.csv").write_text("identity,target,level,actions\ni1,r1,admin,s3:*\ni1,r1,read,s3:GetObject\n")
    from nhigraph.workspace.ingest import ingest as run

    assert run([d], ws).ok
    [edge] = [e for e in ws.load().edges.values() if e["type"] == "HAS_ACCESS"]
    assert edge["level"] == "admin" and edge["actions"] == ["s3:*", "s3:GetObject"]


def test_a_stub_fills_missing_properties_but_never_overrides(tmp_path) -> None:
    from datetime import datetime, timezone

    from nhigraph.model.records import Batch, Origin
    from nhigraph.workspace.merge import merge

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    full = Batch("report")
    full.add_node({"label": "Credential", "id": "aws:key:AKIA1", "kind": "access_key", "name": "deploy key"},
                  Origin("report.csv", "line 2"))
    first = merge({}, {}, [full], now)
    scan = Batch("gitleaks")
    scan.add_node({"label": "Credential", "id": "aws:key:AKIA1", "kind": "other", "name": "found in .env",
                   "leaked": True}, Origin("gitleaks.json", "item 1"), stub=True)
    second = merge(first.nodes, first.edges, [scan], now)
    node = second.nodes["aws:key:AKIA1"]
    assert (node["kind"], node["name"], node["leaked"]) == ("access_key", "deploy key", True)
    assert node["sources"] == ["gitleaks", "report"]
