"""Crash safety: `nhigraph ingest` killed with SIGKILL at any point leaves a workspace that loads and holds
exactly the old snapshot or exactly the new one; two ingests at once are serialised by the lock, one of them
failing with a clear message, and never corrupt the workspace.

- **every step of the write**: a fork server (tests/crash_driver.py) runs the command line in children that
  kill -9 themselves just before a chosen step of the snapshot writer (each file opened, parquet table
  written, fsync, rename, replace);
- **random times**: the installed ``nhigraph ingest`` is started and killed -9 after a random delay anywhere
  between start-up and the end of its run.

Bounded by default (the first steps, a middle one and every step from the last table on, and 10 random-time
kills); ``NHIGRAPH_CRASH_KILLS=N`` kills at every step and at N random times, and prints the outcomes::

    NHIGRAPH_CRASH_KILLS=300 .venv/bin/python -m pytest tests/test_crash_safety.py -p no:cacheprovider -s
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.store import Workspace

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
INVENTORY_CSV = FIXTURES / "inventory" / "csv"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
NHIGRAPH = Path(sys.executable).parent / "nhigraph"
LONG_RUN = int(os.environ.get("NHIGRAPH_CRASH_KILLS") or 0)
RANDOM_KILLS = LONG_RUN or 10
#: the new exports: every cloud, SaaS, CI and Vault fixture on top of the inventory estate (~700 nodes)
NEW_INPUT = [FIXTURES / d for d in ("aws", "gcp", "azure", "kubernetes", "github", "saas", "vault")]
OBSERVED_ARG = "2026-02-01"
LOCKED = "workspace is locked by nhigraph pid "


def state(ws_path: Path) -> tuple[dict, dict]:
    snap = Workspace(ws_path).load()
    return snap.nodes, snap.edges


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A workspace holding the inventory estate: the snapshot every run starts from."""
    path = tmp_path_factory.mktemp("crash") / "base"
    assert ingest([INVENTORY_CSV], path, observed_at=OBSERVED).ok
    return path


@pytest.fixture(scope="module")
def old(base) -> tuple[dict, dict]:
    return state(base)


@pytest.fixture(scope="module")
def new(base, tmp_path_factory) -> tuple[dict, dict]:
    """The workspace after the new exports are ingested without interruption."""
    ws = tmp_path_factory.mktemp("crash") / "new"
    shutil.copytree(base, ws)
    proc = subprocess.run([str(NHIGRAPH), "ingest", *map(str, NEW_INPUT), "-w", str(ws), "--observed-at",
                           OBSERVED_ARG], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return state(ws)


def assert_old_or_new(ws_path: Path, old, new) -> str:
    """The workspace loads, is exactly the old or the new graph, and every snapshot it lists is whole."""
    now = state(ws_path)
    assert now == old or now == new, "the workspace holds neither the old nor the new snapshot"
    ws = Workspace(ws_path)
    for name in ws.snapshot_names():  # a listed snapshot is complete (an unpublished one may be listed too)
        ws.load(name)
    return "new" if now == new else "old"


def argv(ws: Path) -> list[str]:
    return ["ingest", *map(str, NEW_INPUT), "-w", str(ws), "--observed-at", OBSERVED_ARG]


@pytest.fixture(scope="module")
def driver():
    proc = subprocess.Popen([sys.executable, str(TESTS / "crash_driver.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=TESTS.parent)

    def run(ws: Path, kill_at: int) -> dict:
        proc.stdin.write(json.dumps({"argv": argv(ws), "kill_at": kill_at}) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield run
    proc.stdin.close()
    proc.wait(timeout=30)


def test_kill_9_at_every_step_of_the_write(driver, base, old, new, tmp_path, request) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(base, ws)
    done = driver(ws, 0)
    assert (done["signal"], done["exit"]) == (None, 0)
    steps = done["steps"]
    assert state(ws) == new
    publish = max(i for i, s in enumerate(steps, 1) if s in ("pq.write_table", "pq.ParquetWriter"))  # last table on
    points = range(1, len(steps) + 1) if LONG_RUN else [1, 2, len(steps) // 2, *range(publish, len(steps) + 1)]
    outcomes = Counter()
    for point in points:
        shutil.rmtree(ws)
        shutil.copytree(base, ws)
        reply = driver(ws, point)
        assert reply["signal"] == signal.SIGKILL, (point, reply)
        outcome = assert_old_or_new(ws, old, new)
        outcomes[steps[point - 1], outcome] += 1
        # the lock died with the writer: the next ingest proceeds and sweeps what the killed one left
        if point in (points[0], points[-1]) or point == len(steps) - 3:
            again = driver(ws, 0)
            assert again["exit"] == 0, (point, again)
            assert state(ws) == new
            assert not list((ws / "snapshots").glob(".tmp-*")) and not list(ws.glob(".CURRENT.*"))
    # killed before the pointer is replaced: old; after: new
    assert outcomes[("os.replace", "old")] == 1
    assert {o for (s, o) in outcomes} == {"old", "new"}
    _report(request, f"{len(points)} of {len(steps)} write steps: {dict(outcomes)}")


def test_kill_9_at_random_times(base, old, new, tmp_path, request) -> None:
    rnd = random.Random(None if LONG_RUN else 20260131)
    ws = tmp_path / "ws"
    shutil.copytree(base, ws)
    started = time.perf_counter()
    subprocess.run([str(NHIGRAPH), *argv(ws)], capture_output=True, timeout=120, check=True)
    full = time.perf_counter() - started
    outcomes = Counter()
    for _ in range(RANDOM_KILLS):
        shutil.rmtree(ws)
        shutil.copytree(base, ws)
        proc = subprocess.Popen([str(NHIGRAPH), *argv(ws)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.05, full * 1.05))
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait(timeout=60)
        outcomes["completed" if rc == 0 else "killed", assert_old_or_new(ws, old, new)] += 1
    assert outcomes[("killed", "old")] >= 1  # the bounded run is seeded: some kills land mid-run
    assert not outcomes[("completed", "old")]
    _report(request, f"{RANDOM_KILLS} random-time kills (a full run takes {full:.2f} s): {dict(outcomes)}")


# ---------------------------------------------------------------------------------------------- concurrency
HOLD = textwrap.dedent("""
    import sys
    import nhigraph.workspace.store as store
    from nhigraph.cli import cli

    real = store.Workspace.write

    def write(self, *args, **kwargs):  # inside the lock, about to write: wait for the test
        print("writing", flush=True)
        sys.stdin.readline()
        return real(self, *args, **kwargs)

    store.Workspace.write = write
    cli.main(args=sys.argv[1:], prog_name="nhigraph")
""")


def _table(path: Path, prefix: str, n: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{prefix}:{i},bot,{prefix} {i}\n" for i in range(n))
    (path / f"{prefix}-identities.csv").write_text("id,kind,name\n" + rows)
    return path / f"{prefix}-identities.csv"


def test_an_ingest_during_another_fails_clearly_and_changes_nothing(base, tmp_path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(base, ws)
    x, y = _table(tmp_path / "in", "x", 50), _table(tmp_path / "in", "y", 50)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, "ingest", str(x), "-w", str(ws), "--observed-at",
                               OBSERVED_ARG], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "writing"
        before = state(ws)
        second = subprocess.run([str(NHIGRAPH), "ingest", str(y), "-w", str(ws)], capture_output=True, text=True,
                                timeout=120)
        assert second.returncode == 3
        assert second.stderr == f"Error: {ws}: {LOCKED}{holder.pid}; wait for that ingest to finish\n"
        assert state(ws) == before and "Traceback" not in second.stdout + second.stderr
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
    assert (ws / ".lock").read_text() == ""  # released: the next loser will not name a finished ingest
    nodes, _ = state(ws)
    assert "x:0" in nodes and "y:0" not in nodes
    assert subprocess.run([str(NHIGRAPH), "ingest", str(y), "-w", str(ws)], capture_output=True,
                          timeout=120).returncode == 0
    assert {"x:0", "y:0"} <= set(state(ws)[0])


def test_two_ingests_at_once_are_serialised_never_corrupted(base, tmp_path) -> None:
    x, y = _table(tmp_path / "in", "x", 2000), _table(tmp_path / "in", "y", 2000)
    refs = {}
    for name, files in (("x", [x]), ("y", [y]), ("xy", [x, y]), ("yx", [y, x])):
        ref = tmp_path / f"ref-{name}"
        shutil.copytree(base, ref)
        for f in files:
            assert ingest([f], ref, observed_at=OBSERVED).ok
        refs[name] = state(ref)
    assert refs["xy"] == refs["yx"]
    seen = Counter()
    for i in range(3):
        ws = tmp_path / f"ws{i}"
        shutil.copytree(base, ws)
        procs = [subprocess.Popen([str(NHIGRAPH), "ingest", str(f), "-w", str(ws), "--observed-at",
                                   OBSERVED.strftime("%Y-%m-%dT%H:%M:%S")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in (x, y)]
        results = [(p.pid, *p.communicate(timeout=120), p.returncode) for p in procs]
        for pid, out, err, rc in results:
            assert rc in (0, 3), err
            assert "Traceback" not in out + err
            if rc == 3:  # names the other ingest (or no one, if it has taken the lock but not yet named itself)
                other = next(r[0] for r in results if r[0] != pid)
                assert err in (f"Error: {ws}: {LOCKED}{other}; wait for that ingest to finish\n",
                               f"Error: {ws}: workspace is locked by another process; wait for that ingest to "
                               "finish\n")
        codes = [rc for *_, rc in results]
        now = state(ws)
        expected = {(0, 0): refs["xy"], (0, 3): refs["x"], (3, 0): refs["y"]}[tuple(codes)]
        assert now == expected
        seen[tuple(codes)] += 1
    assert sum(seen.values()) == 3


def _report(request, text: str) -> None:
    if LONG_RUN:
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\n{text}")
