"""Pushing a workspace snapshot into Neo4j: batched MERGE writes, a run stamp, then stale cleanup.

A push (see :func:`push`):

1. creates the constraints and indexes the model declares (``IF NOT EXISTS``: idempotent);
2. takes the push lease and a run id (an integer larger than any before it) from the
   ``(:NhigraphMeta {id: 'push'})`` node, so two pushes into one database cannot overlap and delete each
   other's data;
3. writes every node, label by label, then every edge, grouped by (type, start label, end label), in
   batches of ``UNWIND $rows AS row MERGE ...`` run as managed write transactions (the driver retries
   transient failures); everything written carries ``_run``. A label or relationship type with nothing in
   the database when the push starts (a first load) takes the fast path: the same rows with ``CREATE``
   instead of ``MERGE``. Only a batch's first attempt creates: if the driver retries it (a transient
   error, or a commit whose acknowledgement was lost) the retry MERGEs, so nothing is duplicated. Rows are
   prepared in a background thread while the server writes the previous group;
4. records the snapshot's name and observation time on ``(:NhigraphMeta {id: 'snapshot'})``: the
   Neo4j backend's "now";
5. deletes, in bounded chunks, the nodes and edges an older run wrote whose sources were all reported
   completely this time (the snapshot manifest says which sources were partial: those are never cleaned).

If any write fails, the push stops with one clear error and cleans nothing up. Writes are idempotent
(MERGE on ids and edge keys, properties set from the record; the CREATE fast path only where the label or
type held nothing when the push started, and a label or type a failed push half-wrote is no longer empty),
so pushing again after a failure, a killed server or an interrupted push converges to exactly the graph a
clean push gives.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
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
#: edges of a group are sent grouped by the endpoint they share (looked up once per group instead of once
#: per edge) when that endpoint repeats at least this often on average
GROUP_MIN_FANOUT = 1.5
#: rows deleted per cleanup transaction
CLEANUP_CHUNK = 10_000
#: a push lease not renewed for this long is considered abandoned (the pushing process died)
LEASE_SECONDS = 120

#: progress(rows done, rows total, what is being written)
Progress = Callable[[int, int, str], None]

_ACTIVE_RUNS: set[int] = set()  # runs this process is pushing right now

#: for tests only: called as ``hook(tx, attempt, statement, params)`` inside every batch's transaction
#: function before the statement runs; raising a retryable driver error there makes the driver retry
_ATTEMPT_HOOK: Callable[[Any, int, str, dict[str, Any]], None] | None = None


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
    #: the labels and relationship types written on the CREATE fast path (nothing of them was in the database)
    created: list[str] = field(default_factory=list)
    #: "bolt" (batched Cypher writes) or "bulk" (the dev server's offline importer, :mod:`.bulk`)
    method: str = "bolt"
    #: seconds per phase of a bulk push (files, shutdown, import, reopen, schema, bookkeeping)
    phases: dict[str, float] = field(default_factory=dict)

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


def _write_batch(driver, database: str | None, group: WriteGroup, rows: list[dict[str, Any]], run: int,
                 fast: bool) -> None:
    """One batch in one managed transaction: CREATE on the first attempt of a fast-path batch, MERGE on
    any retry (the first attempt may have committed and only its acknowledgement been lost)."""
    attempt = 0
    params = {"rows": rows, "run": run}

    def work(tx) -> None:
        nonlocal attempt
        attempt += 1
        stmt = group.create if fast and attempt == 1 else group.merge
        if _ATTEMPT_HOOK is not None:
            _ATTEMPT_HOOK(tx, attempt, stmt, params)
        tx.run(stmt, params).consume()

    with _session(driver, database) as s:
        s.execute_write(work)


def _empty(driver, database: str | None) -> set[str]:
    """The model labels and relationship types with nothing in the database (from the count store)."""
    with _session(driver, database) as s:
        def work(tx) -> set[str]:
            out = set()
            for label in MODEL.labels:
                if tx.run(f"MATCH (n:{qb.ident(label)}) RETURN count(n) AS n").single()["n"] == 0:
                    out.add(label)
            for type_ in MODEL.edge_types:
                if tx.run(f"MATCH ()-[r:{qb.ident(type_)}]->() RETURN count(r) AS n").single()["n"] == 0:
                    out.add(type_)
            return out

        return s.execute_read(work)


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


@dataclass
class WriteGroup:
    """The rows of one label or one (type, start label, end label), and the statements that write them.

    ``rows`` are :func:`~nhigraph.neo4j.querybuilder.node_row` or ``edge_row`` rows, or with ``by`` set their
    :func:`~nhigraph.neo4j.querybuilder.group_edge_rows` groups; ``count`` is the number of nodes or edges."""

    kind: str  # "nodes" or "edges"
    name: str  # the label or relationship type: the fast path is decided per name
    desc: str
    merge: str
    create: str
    rows: list[dict[str, Any]]
    count: int
    by: str | None = None


def _batches(group: WriteGroup, size: int) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """(rows, nodes or edges in them) of at most ``size`` nodes or edges; a grouped edge row whose group is
    larger is split."""
    if group.by is None:
        for i in range(0, len(group.rows), size):
            batch = group.rows[i:i + size]
            yield batch, len(batch)
        return
    batch: list[dict[str, Any]] = []
    n = 0
    for g in group.rows:
        inner = g["rows"]
        at = 0
        while at < len(inner):
            take = min(size - n, len(inner) - at)
            batch.append(g if take == len(inner) else {"id": g["id"], "rows": inner[at:at + take]})
            at += take
            n += take
            if n >= size:
                yield batch, n
                batch, n = [], 0
    if batch:
        yield batch, n


def _fanout_side(rows: list[dict[str, Any]]) -> str | None:
    """The endpoint to group edge rows by ("start" or "end"), or None if neither repeats enough."""
    starts = len({r["start"] for r in rows})
    ends = len({r["end"] for r in rows})
    side, distinct = ("start", starts) if starts <= ends else ("end", ends)
    return side if len(rows) >= GROUP_MIN_FANOUT * distinct else None


def _node_group(label: str, records: list[dict[str, Any]]) -> WriteGroup:
    records.sort(key=lambda r: r["id"])
    node_row = qb.node_row
    return WriteGroup("nodes", label, label, qb.node_merge(label), qb.node_create(label),
                      [node_row(r) for r in records], len(records))


def _edge_group(group: tuple[str, str, str], records: list[dict[str, Any]]) -> WriteGroup:
    edge_row = qb.edge_row
    rows = [edge_row(r) for r in records]
    rows.sort(key=lambda r: (r["start"], r["end"]))
    by = _fanout_side(rows)
    if by is not None:
        rows = qb.group_edge_rows(rows, by)
    return WriteGroup("edges", group[0], f"{group[0]} {group[1]}->{group[2]}", qb.edge_merge(*group, by=by),
                      qb.edge_create(*group, by=by), rows, len(records), by)


def _grouped_records(snap: Snapshot) -> tuple[list[tuple[str, list[dict[str, Any]]]],
                                              list[tuple[tuple[str, str, str], list[dict[str, Any]]]]]:
    """The snapshot's node records by label and edge records by (type, start label, end label), in model
    order; raises :class:`NhigraphError` for an edge the snapshot or the model cannot place."""
    by_label: dict[str, list[dict[str, Any]]] = {label: [] for label in MODEL.labels}
    labels: dict[str, str] = {}
    for node_id, rec in snap.nodes.items():
        by_label[rec["label"]].append(rec)
        labels[node_id] = rec["label"]
    by_group: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    keys = {e.type: e.key for e in MODEL.edges}
    for rec in snap.edges.values():
        try:
            group = (rec["type"], labels[rec["start"]], labels[rec["end"]])
        except KeyError as exc:
            raise NhigraphError(f"snapshot {snap.name}: {rec['type']} edge names a node that is not in the "
                                f"snapshot ({exc.args[0]!r}); re-ingest to repair the workspace") from None
        for k in keys.get(rec["type"], ()):
            if rec.get(k) is None:
                raise NhigraphError(f"snapshot {snap.name}: {rec['type']} {rec['start']} -> {rec['end']}: "
                                    f"identity property {k!r} is empty")
        recs = by_group.get(group)
        if recs is None:
            by_group[group] = [rec]
        else:
            recs.append(rec)
    edges = []
    for group in qb.edge_groups():
        recs = by_group.pop(group, None)
        if recs:
            edges.append((group, recs))
    if by_group:
        t, s, e = next(iter(by_group))
        raise NhigraphError(f"snapshot {snap.name}: the model does not allow {t} from {s} to {e}")
    return [(label, recs) for label, recs in by_label.items() if recs], edges


def plan(snap: Snapshot) -> tuple[list[WriteGroup], list[WriteGroup]]:
    """The write plan: a :class:`WriteGroup` per node label, then per edge group."""
    nodes, edges = _grouped_records(snap)
    return [_node_group(*g) for g in nodes], [_edge_group(*g) for g in edges]


def _sources(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(complete, partial) sources according to the snapshot manifest."""
    complete, partial = [], []
    for name, meta in sorted((manifest.get("sources") or {}).items()):
        (partial if (meta or {}).get("partial") else complete).append(name)
    return complete, partial


def _observed_at(manifest: dict[str, Any]) -> datetime:
    """When the snapshot's exports were taken (its manifest's ``observed_at``), or now."""
    observed = manifest.get("observed_at")
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
         edge_batch_size: int | None = None, cleanup: bool = True, fast_path: bool = True) -> PushResult:
    """Push a snapshot (a :class:`Snapshot`, or the current or named ``snapshot`` of a workspace) into Neo4j.

    ``batch_size`` sets the node batch; edge batches are a quarter of it unless ``edge_batch_size`` says
    otherwise. ``fast_path=False`` MERGEs everything, even into empty labels (for comparison). Raises
    :class:`PushError` (one line) if a write fails; nothing is cleaned up then.
    """
    t0 = time.monotonic()
    # millions of small row dicts: the cyclic GC would rescan them over and over (none are cyclic); off
    # for the push, as Estate.load does, which makes loading and preparing rows about 3x faster
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        snap = _snapshot(source, snapshot)
        return _push(snap, driver, database, batch_size, progress, edge_batch_size, cleanup, fast_path, t0)
    finally:
        if gc_was_enabled:
            gc.enable()


def _push(snap: Snapshot, driver, database: str | None, batch_size: int | None, progress: Progress | None,
          edge_batch_size: int | None, cleanup: bool, fast_path: bool, t0: float) -> PushResult:
    node_batch = batch_size or NODE_BATCH
    edge_batch = edge_batch_size or (max(1, node_batch // 4) if batch_size else EDGE_BATCH)
    node_recs, edge_recs = _grouped_records(snap)
    n_nodes = sum(len(recs) for _, recs in node_recs)
    n_edges = sum(len(recs) for _, recs in edge_recs)
    complete, partial = _sources(snap.manifest)
    result = PushResult(n_nodes, n_edges, 0.0, 0.0, snapshot=snap.name, complete_sources=complete,
                        partial_sources=partial, node_batch=node_batch, edge_batch=edge_batch)

    # rows are prepared one group ahead in a thread, overlapping the server's work on the previous group
    prepare = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nhigraph-push-rows")
    try:
        return _write_all(snap, driver, database, progress, cleanup, fast_path, t0, result, prepare, node_recs,
                          edge_recs)
    finally:
        prepare.shutdown(wait=True, cancel_futures=True)


def _write_all(snap: Snapshot, driver, database: str | None, progress: Progress | None, cleanup: bool,
               fast_path: bool, t0: float, result: PushResult, prepare: ThreadPoolExecutor, node_recs: list,
               edge_recs: list) -> PushResult:
    total = result.nodes + result.edges
    complete = result.complete_sources
    groups = [prepare.submit(_node_group, *g) for g in node_recs]
    groups += [prepare.submit(_edge_group, *g) for g in edge_recs]
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
        # what is empty is decided under the lease: no other push can write in between
        empty = _empty(driver, database) if fast_path else set()
        if progress:
            progress(0, total, "nodes")
        t_write = time.monotonic()
        for i, future in enumerate(groups):
            group = future.result()
            groups[i] = None  # type: ignore[call-overload]  # written groups' rows can go
            size = result.node_batch if group.kind == "nodes" else result.edge_batch
            fast = group.name in empty
            if fast and group.name not in result.created:
                result.created.append(group.name)
            for batch, n in _batches(group, size):
                try:
                    _write_batch(driver, database, group, batch, run, fast)
                except Exception as exc:  # noqa: BLE001
                    raise PushError(f"push failed after {done:,} of {total:,} rows ({group.desc}): {describe(exc)}; "
                                    "nothing was cleaned up; push again to finish (writes are idempotent)"
                                    ) from None
                done += n
                if progress:
                    progress(done, total, group.desc)
                if time.monotonic() - beat > 10:
                    _heartbeat(driver, database, run)
                    beat = time.monotonic()
        result.write_seconds = time.monotonic() - t_write
        record_snapshot(driver, database, snap.name, snap.manifest, snap.path, result)
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


def record_snapshot(driver, database: str | None, name: str, manifest: dict[str, Any], path: Path,
                    result: PushResult) -> None:
    """Record what was pushed on ``(:NhigraphMeta {id: 'snapshot'})``: the snapshot's name and observation time
    (the Neo4j backend's "now"), the run, the counts and which sources were complete."""
    _write(driver, database,
           f"MERGE (m:{qb.ident(qb.META_LABEL)} {{id: 'snapshot'}}) "
           "SET m.snapshot = $name, m.observed_at = datetime($observed_at), m.pushed_at = datetime(), m.run = $run, "
           "m.nodes = $nodes, m.edges = $edges, m.complete_sources = $complete, m.partial_sources = $partial, "
           "m.workspace = $workspace",
           name=name, observed_at=_observed_at(manifest).astimezone(timezone.utc).isoformat(), run=result.run,
           nodes=result.nodes, edges=result.edges, complete=result.complete_sources,
           partial=result.partial_sources, workspace=str(path))


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


__all__ = ["CLEANUP_CHUNK", "EDGE_BATCH", "NODE_BATCH", "PushError", "PushResult", "WriteGroup", "clear",
           "ensure_schema", "plan", "push", "read_graph", "snapshot_info"]
