"""Pushing a workspace snapshot into Neo4j: batched MERGE writes, a run stamp, then stale cleanup.

A push (see :func:`push`):

1. creates the constraints and indexes the model declares (``IF NOT EXISTS``: idempotent);
2. takes the push lease and a run id (an integer larger than any before it) from the
   ``(:NhigraphMeta {id: 'push'})`` node, so two pushes into one database cannot overlap and delete each
   other's data;
3. writes every node, label by label, then every edge, grouped by (type, start label, end label), in
   batches of ``UNWIND $rows AS row MERGE ...`` run as managed write transactions (the driver retries
   transient failures); everything written carries ``_run``;
4. records the snapshot's name and observation time on ``(:NhigraphMeta {id: 'snapshot'})``: the
   Neo4j backend's "now";
5. deletes, in bounded chunks, the nodes and edges an older run wrote whose sources were all reported
   completely this time (the snapshot manifest says which sources were partial: those are never cleaned).

If any write fails, the push stops with one clear error and cleans nothing up. Writes are idempotent
(MERGE on ids and edge keys, properties set from the record), so pushing again after a failure, a killed
server or an interrupted push converges to exactly the graph a clean push gives.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import NhigraphError
from ..model.vocabulary import MODEL
from ..workspace.store import Snapshot, Workspace
from . import querybuilder as qb
from .connect import Neo4jConnectionError, describe

#: node rows per transaction: small maps, one index lookup each (measured: see tests/benchmarks)
NODE_BATCH = 10_000
#: edge rows per transaction: two lookups and a relationship scan each, and they fan out on shared nodes
#: (a system with thousands of members), so batches stay smaller to bound transaction memory
EDGE_BATCH = 2_500
#: rows deleted per cleanup transaction
CLEANUP_CHUNK = 10_000
#: a push lease not renewed for this long is considered abandoned (the pushing process died)
LEASE_SECONDS = 120

#: progress(rows done, rows total, what is being written)
Progress = Callable[[int, int, str], None]

_ACTIVE_RUNS: set[int] = set()  # runs this process is pushing right now


class PushError(Neo4jConnectionError):
    """A push could not complete; nothing was cleaned up."""


@dataclass
class PushResult:
    """What a push wrote. ``seconds`` and ``rows_per_s`` are end to end (reading the snapshot, schema, writes,
    cleanup); ``write_seconds`` and ``write_rows_per_s`` the batched writes alone."""

    nodes: int
    edges: int
    seconds: float
    rows_per_s: float
    run: int = 0
    snapshot: str = ""
    deleted_nodes: int = 0
    deleted_edges: int = 0
    complete_sources: list[str] = field(default_factory=list)
    partial_sources: list[str] = field(default_factory=list)
    node_batch: int = NODE_BATCH
    edge_batch: int = EDGE_BATCH
    #: seconds spent in the batched writes alone, and the rows per second they achieved
    write_seconds: float = 0.0
    write_rows_per_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 3)
        out["write_seconds"] = round(self.write_seconds, 3)
        out["rows_per_s"] = round(self.rows_per_s, 1)
        out["write_rows_per_s"] = round(self.write_rows_per_s, 1)
        return out


# ---------------------------------------------------------------------------------------------- helpers

def _session(driver, database: str | None):
    return driver.session(database=database) if database else driver.session()


def _write(driver, database: str | None, query: str, **params: Any) -> list[dict[str, Any]]:
    def work(tx):
        return [dict(r) for r in tx.run(query, params)]

    with _session(driver, database) as s:
        return s.execute_write(work)


def ensure_schema(driver, database: str | None = None, timeout: int = 300) -> list[str]:
    """Create every constraint and index from the model (idempotent) and wait until they are online."""
    statements = qb.schema_statements()
    with _session(driver, database) as s:
        for stmt in statements:
            s.run(stmt).consume()
        s.run("CALL db.awaitIndexes($t)", t=timeout).consume()
    return statements


def _snapshot(source: Snapshot | Workspace | str | Path, name: str | None) -> Snapshot:
    if isinstance(source, Snapshot):
        return source
    ws = source if isinstance(source, Workspace) else Workspace(source)
    return ws.load(name)


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def plan(snap: Snapshot) -> tuple[list[tuple[str, str, list[dict[str, Any]]]], list[tuple[str, str, list[dict[str, Any]]]]]:
    """The write plan: (description, statement, rows) for node labels, then for edge groups."""
    by_label: dict[str, list[dict[str, Any]]] = {label: [] for label in MODEL.labels}
    labels: dict[str, str] = {}
    for node_id, rec in snap.nodes.items():
        by_label[rec["label"]].append(qb.node_row(rec))
        labels[node_id] = rec["label"]
    nodes = [(label, qb.node_merge(label), sorted(rows, key=lambda r: r["id"]))
             for label, rows in by_label.items() if rows]
    by_group: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rec in snap.edges.values():
        try:
            group = (rec["type"], labels[rec["start"]], labels[rec["end"]])
        except KeyError as exc:
            raise NhigraphError(f"snapshot {snap.name}: {rec['type']} edge names a node that is not in the "
                                f"snapshot ({exc.args[0]!r}); re-ingest to repair the workspace") from None
        by_group.setdefault(group, []).append(qb.edge_row(rec))
    edges = []
    for group in qb.edge_groups():
        rows = by_group.pop(group, None)
        if rows:
            rows.sort(key=lambda r: (r["start"], r["end"]))
            edges.append((f"{group[0]} {group[1]}->{group[2]}", qb.edge_merge(*group), rows))
    if by_group:
        t, s, e = next(iter(by_group))
        raise NhigraphError(f"snapshot {snap.name}: the model does not allow {t} from {s} to {e}")
    return nodes, edges


def _sources(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(complete, partial) sources according to the snapshot manifest."""
    complete, partial = [], []
    for name, meta in sorted((manifest.get("sources") or {}).items()):
        (partial if (meta or {}).get("partial") else complete).append(name)
    return complete, partial


def _observed_at(snap: Snapshot) -> datetime:
    observed = snap.manifest.get("observed_at")
    if isinstance(observed, datetime):
        return observed
    if observed:
        dt = datetime.fromisoformat(str(observed))
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------- the lease

_HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _acquire(driver, database: str | None) -> int:
    """Take the push lease and return a new run id, or raise if another push holds the lease."""
    host = socket.gethostname()

    def work(tx) -> int:
        rec = tx.run(f"MERGE (m:{qb.ident(qb.META_LABEL)} {{id: 'push'}}) SET m.touched = timestamp() "
                     "RETURN m.seq AS seq, m.active_run AS active, m.holder AS holder, "
                     "timestamp() - coalesce(m.heartbeat, 0) AS age_ms, timestamp() AS now_ms").single()
        active, holder = rec["active"], rec["holder"] or ""
        if active is not None and rec["age_ms"] < LEASE_SECONDS * 1000:
            h_host, _, h_pid = holder.rpartition(":")
            same_host = h_host == host and h_pid.isdigit()
            abandoned = same_host and (not _pid_alive(int(h_pid))
                                       or (int(h_pid) == os.getpid() and active not in _ACTIVE_RUNS))
            if not abandoned:
                raise PushError(f"another push (run {active} by {holder}) is writing to this database; "
                                f"wait for it to finish (its lease expires {LEASE_SECONDS}s after its last write)")
        run = max(int(rec["seq"] or 0) + 1, int(rec["now_ms"]))
        tx.run(f"MATCH (m:{qb.ident(qb.META_LABEL)} {{id: 'push'}}) "
               "SET m.seq = $run, m.active_run = $run, m.holder = $holder, m.heartbeat = timestamp()",
               run=run, holder=_HOLDER).consume()
        return run

    with _session(driver, database) as s:
        return s.execute_write(work)


def _heartbeat(driver, database: str | None, run: int) -> None:
    _write(driver, database, f"MATCH (m:{qb.ident(qb.META_LABEL)} {{id: 'push'}}) WHERE m.active_run = $run "
                             "SET m.heartbeat = timestamp()", run=run)


def _release(driver, database: str | None, run: int) -> None:
    try:
        _write(driver, database, f"MATCH (m:{qb.ident(qb.META_LABEL)} {{id: 'push'}}) WHERE m.active_run = $run "
                                 "REMOVE m.active_run, m.holder", run=run)
    except Exception:  # noqa: BLE001 - best effort: the lease expires by itself
        pass


# ---------------------------------------------------------------------------------------------- push

def push(source: Snapshot | Workspace | str | Path, driver, database: str | None = None,
         batch_size: int | None = None, progress: Progress | None = None, *, snapshot: str | None = None,
         edge_batch_size: int | None = None, cleanup: bool = True) -> PushResult:
    """Push a snapshot (a :class:`Snapshot`, or the current or named ``snapshot`` of a workspace) into Neo4j.

    ``batch_size`` sets the node batch; edge batches are a quarter of it unless ``edge_batch_size`` says
    otherwise. Raises :class:`PushError` (one line) if a write fails; nothing is cleaned up then.
    """
    t0 = time.monotonic()
    # millions of small row dicts: the cyclic GC would rescan them over and over (none are cyclic); off
    # for the push, as Estate.load does, which makes loading and preparing rows about 3x faster
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        snap = _snapshot(source, snapshot)
        return _push(snap, driver, database, batch_size, progress, edge_batch_size, cleanup, t0)
    finally:
        if gc_was_enabled:
            gc.enable()


def _push(snap: Snapshot, driver, database: str | None, batch_size: int | None, progress: Progress | None,
          edge_batch_size: int | None, cleanup: bool, t0: float) -> PushResult:
    node_batch = batch_size or NODE_BATCH
    edge_batch = edge_batch_size or (max(1, node_batch // 4) if batch_size else EDGE_BATCH)
    node_plan, edge_plan = plan(snap)
    n_nodes = sum(len(rows) for _, _, rows in node_plan)
    n_edges = sum(len(rows) for _, _, rows in edge_plan)
    total = n_nodes + n_edges
    complete, partial = _sources(snap.manifest)
    result = PushResult(n_nodes, n_edges, 0.0, 0.0, snapshot=snap.name, complete_sources=complete,
                        partial_sources=partial, node_batch=node_batch, edge_batch=edge_batch)

    try:
        ensure_schema(driver, database)
        run = _acquire(driver, database)
    except NhigraphError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PushError(describe(exc)) from None
    result.run = run
    _ACTIVE_RUNS.add(run)
    done = 0
    beat = time.monotonic()
    try:
        if progress:
            progress(0, total, "nodes")
        t_write = time.monotonic()
        for what, size, groups in (("nodes", node_batch, node_plan), ("edges", edge_batch, edge_plan)):
            for desc, stmt, rows in groups:
                for batch in _batches(rows, size):
                    try:
                        _write(driver, database, stmt, rows=batch, run=run)
                    except Exception as exc:  # noqa: BLE001
                        raise PushError(f"push failed after {done:,} of {total:,} rows ({desc}): {describe(exc)}; "
                                        "nothing was cleaned up; push again to finish (writes are idempotent)"
                                        ) from None
                    done += len(batch)
                    if progress:
                        progress(done, total, desc)
                    if time.monotonic() - beat > 10:
                        _heartbeat(driver, database, run)
                        beat = time.monotonic()
        result.write_seconds = time.monotonic() - t_write
        _write(driver, database,
               f"MERGE (m:{qb.ident(qb.META_LABEL)} {{id: 'snapshot'}}) "
               "SET m.snapshot = $name, m.observed_at = datetime($observed_at), m.pushed_at = datetime(), m.run = $run, "
               "m.nodes = $nodes, m.edges = $edges, m.complete_sources = $complete, m.partial_sources = $partial, "
               "m.workspace = $workspace",
               name=snap.name, observed_at=_observed_at(snap).astimezone(timezone.utc).isoformat(), run=run, nodes=n_nodes, edges=n_edges,
               complete=complete, partial=partial, workspace=str(snap.path))
        if cleanup and complete:
            if progress:
                progress(done, total, "stale cleanup")
            result.deleted_edges = sum(_cleanup(driver, database, qb.edge_cleanup(t), run, complete)
                                       for t in MODEL.edge_types)
            result.deleted_nodes = sum(_cleanup(driver, database, qb.node_cleanup(label), run, complete)
                                       for label in MODEL.labels)
    except NhigraphError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PushError(f"push failed after writing {done:,} of {total:,} rows: {describe(exc)}; "
                        "push again to finish (writes are idempotent)") from None
    finally:
        _ACTIVE_RUNS.discard(run)
        _release(driver, database, run)
    result.seconds = time.monotonic() - t0
    result.rows_per_s = total / result.seconds if result.seconds > 0 else 0.0
    result.write_rows_per_s = total / result.write_seconds if result.write_seconds > 0 else 0.0
    return result


def _cleanup(driver, database: str | None, stmt: str, run: int, complete: list[str]) -> int:
    deleted = 0
    while True:
        rows = _write(driver, database, stmt, run=run, complete=complete, limit=CLEANUP_CHUNK)
        n = rows[0]["deleted"] if rows else 0
        deleted += n
        if n < CLEANUP_CHUNK:
            return deleted


# ---------------------------------------------------------------------------------------------- reading back

def snapshot_info(driver, database: str | None = None) -> dict[str, Any] | None:
    """What was last pushed: the ``(:NhigraphMeta {id: 'snapshot'})`` properties, or None."""
    with _session(driver, database) as s:
        rec = s.execute_read(lambda tx: tx.run(
            f"MATCH (m:{qb.ident(qb.META_LABEL)} {{id: 'snapshot'}}) RETURN properties(m) AS m").single())
    if rec is None:
        return None
    return {k: _native(v) for k, v in rec["m"].items()}


def _native(value: Any) -> Any:
    """Neo4j temporal values as Python datetimes; lists element-wise."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


def read_graph(driver, database: str | None = None) -> tuple[dict[str, dict[str, Any]], dict[tuple, dict[str, Any]]]:
    """Every model node and edge in the database as workspace-shaped records (without the run stamp):
    ``(nodes by id, edges by edge key)``. For tests and checks; it reads the whole graph."""
    from ..model.records import edge_key

    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple, dict[str, Any]] = {}
    with _session(driver, database) as s:
        for label in MODEL.labels:
            for r in s.run(f"MATCH (n:{qb.ident(label)}) RETURN properties(n) AS p"):
                rec = {k: _native(v) for k, v in r["p"].items() if not k.startswith("_")}
                rec["label"] = label
                nodes[rec["id"]] = rec
        for type_ in MODEL.edge_types:
            for r in s.run(f"MATCH (a)-[e:{qb.ident(type_)}]->(b) RETURN a.id AS s, b.id AS t, properties(e) AS p"):
                rec = {k: _native(v) for k, v in r["p"].items() if not k.startswith("_")}
                rec.update(type=type_, start=r["s"], end=r["t"])
                edges[edge_key(rec)] = rec
    return nodes, edges


def clear(driver, database: str | None = None, chunk: int = 10_000) -> None:
    """Delete every node and relationship (schema stays). For tests and `neo4j push --fresh`-style resets."""
    while True:
        rows = _write(driver, database, "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS n",
                      limit=chunk)
        if not rows or rows[0]["n"] < chunk:
            return


__all__ = ["CLEANUP_CHUNK", "EDGE_BATCH", "NODE_BATCH", "PushError", "PushResult", "clear", "ensure_schema",
           "plan", "push", "read_graph", "snapshot_info"]
