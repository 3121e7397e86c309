"""Neo4j faults on real dev servers of our own (never a mock): a server stopped after a push, a server
restarted in the middle of a push, a deadlock that makes Neo4j abort a push's transaction, and an operator
terminating a push's transaction. Each time the push either completes through the driver's managed-
transaction retries, or fails with one clear error and cleans nothing up; either way the next push
converges to the graph a clean push into an emptied database gives."""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.neo4j import devserver, loader
from nhigraph.neo4j.connect import connect
from nhigraph.neo4j.loader import PushError
from nhigraph.workspace.store import Snapshot

from neo4j_support import Builder, hand_estate, to_workspace, tricky_estate

pytestmark = pytest.mark.neo4j

SERVER = dict(detach=False, timeout=240, heap="512m", pagecache="64m")


def as_tuples(nodes: dict, edges: dict) -> tuple[set, set]:
    def freeze(rec: dict) -> tuple:
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in rec.items()))

    return {freeze(n) for n in nodes.values()}, {freeze(e) for e in edges.values()}


def graph(driver) -> tuple[set, set]:
    return as_tuples(*loader.read_graph(driver))


def clean_graph(driver, snap: Snapshot) -> tuple[set, set]:
    """The graph a clean push of ``snap`` into an emptied database gives (the database is left that way)."""
    loader.clear(driver)
    loader.push(snap, driver)
    return graph(driver)


def retried(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The errors the driver logged as retried ("Transaction failed and will be retried"): Neo4j codes, or
    the driver's exception type for a lost connection."""
    out = []
    for rec in caplog.records:
        if rec.name.startswith("neo4j") and "will be retried" in str(rec.msg):
            err = rec.args[-1] if isinstance(rec.args, tuple) and rec.args else None
            out.append(getattr(err, "code", None) or type(err).__name__)
    return out


def without(b: Builder, node_id: str) -> Builder:
    """``b`` without one node and its edges (the same sources, reported completely)."""
    b.nodes.pop(node_id)
    b.edges = {k: e for k, e in b.edges.items() if node_id not in (e["start"], e["end"])}
    return b


def files_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def own_home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    shutil.rmtree(home, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- stopped after

def test_server_stopped_after_a_push(own_home: Path, demo_ws, tmp_path: Path) -> None:
    """A push succeeds, the server stops: every command that needs it fails with one line and leaves the
    workspace alone; the server starts again on the same store with the data, and a new push converges."""
    info = devserver.start(own_home, port=0, **SERVER)
    try:
        env = {"NEO4J_PASSWORD": "", "NEO4J_URI": info.uri}
        result = run("neo4j", "push", "-w", str(demo_ws.path), "--json", env=env)
        assert result.exit_code == 0, result.stderr
        drv = connect(info.uri)
        pushed = graph(drv)
        drv.close()
        snap = demo_ws.load()
        assert pushed == as_tuples(snap.nodes, snap.edges)
        before = files_digest(demo_ws.path)
        assert info.stop()

        for args in (["debt", "--backend", "neo4j"], ["findings", "--backend", "neo4j"],
                     ["reach", "AKIAACMECIDEPLOY0001", "--backend", "neo4j"], ["query", "snapshot"],
                     ["query", "blast_radius", "-p", "credential=aws:key:AKIAACMECIDEPLOY0001"],
                     ["neo4j", "push", "-w", str(demo_ws.path)]):
            result = run(*args, env=env)
            err = result.stderr.strip()
            assert result.exit_code != 0 and len(err.splitlines()) == 1, (args, err)
            assert "cannot reach Neo4j" in err and info.uri in err, (args, err)
            assert "Traceback" not in result.output + result.stderr
        assert files_digest(demo_ws.path) == before  # the workspace is untouched

        info = devserver.start(own_home, port=info.port, **SERVER)  # same store, same URI
        drv = connect(info.uri)
        try:
            assert graph(drv) == pushed  # the data survived the stop
            result = run("neo4j", "push", "-w", str(demo_ws.path), "--json", env=env)
            assert result.exit_code == 0, result.stderr
            after = graph(drv)
            assert after == clean_graph(drv, snap) == pushed
        finally:
            drv.close()
    finally:
        info.stop()


# ---------------------------------------------------------------------------------------------- restarted mid-push

def test_server_restarted_mid_push_is_retried(own_home: Path, tmp_path: Path, caplog) -> None:
    """The server stops in the middle of a push and comes back on the same port and store a little later:
    the driver's managed transactions retry the lost connection until it is back, and the push completes
    with the graph of a clean push."""
    caplog.set_level(logging.WARNING, logger="neo4j")
    snap = to_workspace(tmp_path / "ws", tricky_estate()).load()
    info = devserver.start(own_home, port=0, **SERVER)
    restarted: list[devserver.ServerInfo] = []
    starter: list[threading.Thread] = []
    try:
        drv = connect(info.uri, max_transaction_retry_time=240.0)
        loader.push(to_workspace(tmp_path / "ws-old", hand_estate()).load(), drv)  # stale data to clean up
        calls = []

        def restart(done: int, total: int, what: str) -> None:
            calls.append(done)
            if len(calls) == 4:
                assert info.stop()  # graceful: the next write finds no server
                th = threading.Thread(
                    target=lambda: restarted.append(devserver.start(own_home, port=info.port, **SERVER)))
                th.start()  # back after the JVM starts (tens of seconds), meanwhile the driver retries
                starter.append(th)

        res = loader.push(snap, drv, batch_size=8, progress=restart)
        assert restarted and restarted[0].pid != info.pid
        assert res.nodes == len(snap.nodes) and res.edges == len(snap.edges)
        assert res.deleted_nodes > 0  # the old estate's nodes were cleaned up after the restart
        codes = retried(caplog)
        assert codes, "the push never had to retry"
        assert all(c in ("ServiceUnavailable", "SessionExpired", "IncompleteCommit")
                   or c.startswith("Neo.TransientError.") for c in codes), codes
        after = graph(drv)
        assert after == as_tuples(snap.nodes, snap.edges)
        assert after == clean_graph(drv, snap)
        drv.close()
    finally:
        for th in starter:
            th.join(timeout=300)
        for server in restarted:
            server.stop()
        info.stop()


# ---------------------------------------------------------------------------------------------- lock faults

@pytest.fixture(scope="module")
def lock_server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("neo4j-faults-locks")
    info = devserver.start(home, port=0, **SERVER)
    drv = connect(info.uri)
    yield drv
    drv.close()
    info.stop()
    shutil.rmtree(home, ignore_errors=True)


def blocked_writes(driver, n: int = 1, timeout: float = 60) -> list[dict]:
    """The transactions waiting for a lock, once there are ``n``, with their query parameters."""
    deadline = time.monotonic() + timeout
    with driver.session() as s:
        while True:
            rows = [dict(r) for r in s.run("SHOW TRANSACTIONS YIELD transactionId, status, parameters "
                                           "WHERE status STARTS WITH 'Blocked' RETURN *")]
            if len(rows) >= n:
                return rows
            assert time.monotonic() < deadline, f"fewer than {n} blocked transactions after {timeout}s"
            time.sleep(0.1)


def batch_ids(tx_row: dict) -> list[str]:
    """The node ids a blocked push transaction is writing, in its order (from its UNWIND parameter)."""
    for value in tx_row["parameters"].values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "id" in value[0]:
            return [r["id"] for r in value]
    raise AssertionError(f"no node rows in the blocked transaction's parameters: {list(tx_row['parameters'])}")


def test_deadlock_victim_push_is_retried(lock_server, tmp_path: Path, caplog) -> None:
    """Neo4j aborts the push's transaction to break a deadlock (Neo.TransientError.Transaction.
    DeadlockDetected); the driver retries it and the push completes with the graph of a clean push.

    The deadlock is built, not hoped for: tx2 locks a node M of the push's identity batch, so the push waits
    on it holding the rows before M; tx1 locks every other node plus the batch's last row C, then waits for
    the batch's first row B (held by the push); tx2 lets go, the push takes M, asks for C and closes the
    cycle. Neo4j aborts the transaction holding fewer locks: the push's."""
    caplog.set_level(logging.WARNING, logger="neo4j")
    drv = lock_server
    snap = to_workspace(tmp_path / "ws", hand_estate()).load()
    expected = clean_graph(drv, snap)
    tx1_outcome: list[str] = []
    failures: list[BaseException] = []
    s1, s2 = drv.session(), drv.session()
    tx1, tx2 = s1.begin_transaction(), s2.begin_transaction()
    tx2.run("MATCH (n:Identity {id: 'id:deploy'}) SET n._lock = 1").consume()

    def tx1_waits_for(first: str) -> None:
        try:
            tx1.run("MATCH (n {id: $id}) SET n._lock = 1", id=first).consume()
            tx1_outcome.append("locked")
            time.sleep(1.0)  # the push's retry waits for this
        except Exception as exc:  # noqa: BLE001 - reported below
            tx1_outcome.append(getattr(exc, "code", None) or repr(exc))
        finally:
            tx1.close()

    def coordinate() -> None:
        try:
            ids = batch_ids(blocked_writes(drv)[0])
            pos = ids.index("id:deploy")
            assert 0 < pos < len(ids) - 1, ids  # rows on both sides of M
            tx1.run("MATCH (n) WHERE n.id IS NOT NULL AND NOT n:NhigraphMeta AND NOT n.id IN $ids "
                    "SET n._lock = 1", ids=ids).consume()
            tx1.run("MATCH (n {id: $id}) SET n._lock = 1", id=ids[-1]).consume()
            waiter = threading.Thread(target=tx1_waits_for, args=(ids[0],))
            waiter.start()
            blocked_writes(drv, 2)
            tx2.rollback()
            waiter.join(timeout=120)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(exc)
            tx2.close()
            tx1.close()

    th = threading.Thread(target=coordinate)
    th.start()
    try:
        loader.push(snap, drv)
    finally:
        th.join(timeout=120)
        s1.close()
        s2.close()
    if failures:
        raise failures[0]
    assert tx1_outcome == ["locked"], tx1_outcome  # the push was the victim, not tx1
    assert "Neo.TransientError.Transaction.DeadlockDetected" in retried(caplog)
    assert graph(drv) == expected


def test_terminated_push_cleans_nothing_then_converges(lock_server, tmp_path: Path) -> None:
    """An operator runs TERMINATE TRANSACTIONS on a push's write. The driver does not retry that
    (Neo4j 5 reports Neo.ClientError.Transaction.LockClientStopped or ...Terminated): the push fails with
    one line, deletes nothing stale, and the next push converges to a clean push."""
    drv = lock_server
    old = to_workspace(tmp_path / "ws-old", hand_estate()).load()
    new = to_workspace(tmp_path / "ws-new", without(hand_estate(), "res:scratch")).load()
    loader.clear(drv)
    loader.push(old, drv)
    before = graph(drv)
    terminated: list[str] = []
    with drv.session() as blocker:
        tx = blocker.begin_transaction()
        tx.run("MATCH (n:Identity {id: 'id:deploy'}) SET n._lock = 1").consume()

        def terminate() -> None:
            tx_id = blocked_writes(drv)[0]["transactionId"]
            with drv.session() as s:
                terminated.extend(r["message"] for r in s.run("TERMINATE TRANSACTIONS $ids YIELD message",
                                                                ids=[tx_id]))

        th = threading.Thread(target=terminate)
        th.start()
        try:
            with pytest.raises(PushError) as exc:
                loader.push(new, drv)
        finally:
            th.join(timeout=120)
            tx.rollback()
    assert terminated, "nothing was terminated"
    message = str(exc.value)
    assert len(message.splitlines()) == 1
    assert "LockClientStopped" in message or "Terminated" in message, message
    assert "nothing was cleaned up" in message
    assert graph(drv) == before  # res:scratch survived the failed push
    res = loader.push(new, drv)
    assert res.deleted_nodes == 1
    assert graph(drv) == as_tuples(new.nodes, new.edges) == clean_graph(drv, new)
