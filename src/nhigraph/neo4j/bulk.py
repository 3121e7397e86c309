"""The first load of an empty dev server, through Neo4j's offline bulk importer: many times the Bolt push's rate.

A Bolt push (:mod:`.loader`) sends every row through Cypher: about 45 µs of server CPU per row here, so a
100k-identity estate (1.8 million rows) takes a minute or more. Neo4j's own answer for a first load is
``neo4j-admin database import full``, which writes the store files directly. :func:`bulk_push` uses it for the
dev server (``nhigraph neo4j push --bulk``):

1. the dev server of ``home`` must be running and its database hold no node but nhigraph's bookkeeping (the
   importer replaces the whole store); the push lease and a run id are taken as for a Bolt push;
2. :func:`write_import_files` writes one CSV file per label and per relationship type straight from the
   snapshot's parquet tables (arrow compute, no Python records), with the importer's typed headers derived from
   the model: the same properties, types and run stamp a Bolt push writes (tests compare the two graphs);
3. the files go to ``HOME/bulk/<run>/`` with an ``args`` file and a ``request``; the dev server (the Java
   launcher's ``BulkImport``) shuts its database down, runs the importer in its own process and opens the
   database again on the same port, and reports ``DONE`` or ``FAILED`` in ``status``;
4. the constraints and indexes are created (index population is part of the measured time), the bookkeeping
   nodes written as a Bolt push writes them, and the counts per label and type checked against the snapshot.

Values are data: strings travel quoted (RFC 4180, quotes doubled), lists joined with a separator that no list
item of the snapshot contains, values with line breaks in files the importer reads as multi-line. Nothing is
cleaned up (the database was empty); a later Bolt push updates the graph as usual.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import NhigraphError
from ..model.schema import EdgeKind, NodeKind
from ..model.vocabulary import MODEL
from ..workspace.store import Workspace, WorkspaceError
from . import devserver as ds
from . import querybuilder as qb
from .connect import describe
from .loader import (PushError, PushResult, _ACTIVE_RUNS, _acquire, _release, _session, _sources, _write,
                     ensure_schema, record_snapshot)

#: importer header type per model property type
_HEADER = {"str": "", "int": ":long", "float": ":double", "bool": ":boolean", "datetime": ":datetime",
           "list": ":string[]"}
#: list separators tried in turn: control characters no real name holds; one no list item contains is used
_SEPARATORS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x1b", "\x07")
#: how long the importer may take before the push gives up waiting (the dev server carries on)
IMPORT_TIMEOUT = 3600

Progress = Callable[[int, int, str], None]


class BulkImportError(PushError):
    """The bulk import could not run or failed; the database is left empty."""


@dataclass
class ImportFiles:
    """What :func:`write_import_files` wrote: the importer options, and the counts per label and type."""

    folder: Path
    options: list[str]
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


# ---------------------------------------------------------------------------------------------- the files

def _columns(spec: NodeKind | EdgeKind) -> list[tuple[str, str]]:
    """(property, model type) of what a push writes for a label or type, ``id`` and endpoints excluded."""
    if isinstance(spec, NodeKind):
        return [(c, spec.prop(c).type) for c in qb.node_columns(spec)]
    keys = [(k, spec.prop(k).type) for k in spec.key]
    return keys + [(c, spec.prop(c).type) for c in qb.edge_columns(spec)]


def _list_items(table: pa.Table, columns: list[tuple[str, str]]) -> list[pa.Array]:
    return [pc.list_flatten(table.column(c)) for c, t in columns if t == "list" and c in table.column_names]


def _separator(tables: list[tuple[pa.Table, list[tuple[str, str]]]]) -> str:
    """The first of :data:`_SEPARATORS` no list item of any table contains."""
    items = [a for t, cols in tables for a in _list_items(t, cols)]
    for sep in _SEPARATORS:
        if not any(len(a) and pc.any(pc.match_substring(a, sep)).as_py() for a in items):
            return sep
    raise BulkImportError("every list separator the bulk import can use occurs in some list value of this "
                          "snapshot; push without --bulk")


def _text(column: pa.ChunkedArray, type_: str, sep: str) -> pa.ChunkedArray:
    """A column as the importer reads it: lists joined (empty lists are null, as a Bolt push leaves them out),
    datetimes as ISO 8601 UTC text; other types as they are."""
    if type_ == "list":
        joined = pc.binary_join(column, sep)
        return pc.if_else(pc.greater(pc.list_value_length(column), 0), joined, pa.scalar(None, pa.string()))
    if type_ == "datetime":
        # strftime's %S carries the microseconds of a timestamp[us] column
        text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(text, pa.scalar("Z"), pa.scalar(""))
    return column


def _import_table(table: pa.Table, spec: NodeKind | EdgeKind, run: int, sep: str) -> pa.Table:
    if isinstance(spec, NodeKind):
        names, arrays = ["id:ID"], [table.column("id")]
    else:
        names, arrays = [":START_ID", ":END_ID"], [table.column("start"), table.column("end")]
    for name, type_ in _columns(spec):
        if name not in table.column_names:
            continue
        column = table.column(name)
        if column.null_count == len(column):
            continue
        names.append(name + _HEADER[type_])
        arrays.append(_text(column, type_, sep))
    names.append(f"{qb.RUN_PROP}:long")
    arrays.append(pa.array([run] * table.num_rows, pa.int64()))
    return pa.Table.from_arrays(arrays, names=names)


def _has_line_breaks(table: pa.Table) -> bool:
    for column in table.columns:
        if pa.types.is_string(column.type) and column.null_count < len(column):
            if pc.any(pc.match_substring_regex(column, r"[\r\n]")).as_py():
                return True
    return False


def _read(path: Path) -> pa.Table | None:
    if not path.exists():
        return None
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise WorkspaceError(f"{path}: cannot read snapshot table: {exc}") from None


def write_import_files(snapshot_folder: Path, out: Path, run: int,
                       progress: Callable[[str], None] | None = None) -> ImportFiles:
    """Write the importer's CSV files for a snapshot folder into ``out`` (created), stamped with ``run``.

    One file per label (``id:ID`` and the properties, typed from the model) and one per relationship type
    (``:START_ID``, ``:END_ID``, identity keys and properties), all in one id space: node ids are unique
    across labels in a snapshot. Returns the importer options naming them (relative to ``out``)."""
    out.mkdir(parents=True, exist_ok=True)
    tables: list[tuple[str, NodeKind | EdgeKind, pa.Table]] = []
    for spec in MODEL.nodes:
        t = _read(snapshot_folder / "nodes" / f"{spec.label}.parquet")
        if t is not None and t.num_rows:
            tables.append(("nodes", spec, t))
    for espec in MODEL.edges:
        t = _read(snapshot_folder / "edges" / f"{espec.type}.parquet")
        if t is not None and t.num_rows:
            tables.append(("relationships", espec, t))
    sep = _separator([(t, _columns(spec)) for _, spec, t in tables])
    files = ImportFiles(out, [f"--array-delimiter=U+{ord(sep):04X}"])
    multiline: list[str] = []
    for i, (kind, spec, table) in enumerate(tables):
        name = spec.label if isinstance(spec, NodeKind) else spec.type
        if progress:
            progress(f"writing import files: {name}")
        if isinstance(spec, EdgeKind):
            for k in spec.key:
                if table.column(k).null_count:
                    raise NhigraphError(f"snapshot table {name}: identity property {k!r} is empty in "
                                        f"{table.column(k).null_count} rows; re-ingest to repair the workspace")
        data = _import_table(table, spec, run, sep)
        fname = f"{i:02d}-{kind}-{name}.csv"
        pacsv.write_csv(data, out / fname, pacsv.WriteOptions(quoting_style="all_valid"))
        files.bytes += (out / fname).stat().st_size
        files.options.append(f"--{kind}={name}={fname}")
        (files.nodes if kind == "nodes" else files.edges)[name] = table.num_rows
        if _has_line_breaks(data):
            multiline.append(fname)
        tables[i] = None  # type: ignore[call-overload]  # written: its memory can go
    if multiline:
        files.options += ["--multiline-fields-format=v2", "--multiline-fields=" + ",".join(multiline)]
    return files


# ---------------------------------------------------------------------------------------------- the push

def _count_model(driver, database: str | None) -> int:
    """Nodes in the database other than nhigraph's bookkeeping."""
    with _session(driver, database) as s:
        return s.execute_read(lambda tx: tx.run(
            f"MATCH (n) WHERE NOT n:{qb.ident(qb.META_LABEL)} RETURN count(n) AS n").single()["n"])


def _await_import(folder: Path, progress: Callable[[str], None] | None, pid: int) -> dict[str, float]:
    """Wait for the dev server's verdict on the request in ``folder``: the seconds it took in all, to take the
    database down, to import and to open the database again."""
    status = folder / "status"
    deadline = time.monotonic() + IMPORT_TIMEOUT
    while True:
        try:
            line = status.read_text("utf-8").strip()
        except OSError:
            line = ""
        if line.startswith("DONE"):
            return dict(zip(("total", "shutdown", "import", "reopen"), map(float, line.split()[1:])))
        if line.startswith("FAILED"):
            raise BulkImportError(f"bulk import failed: {line[len('FAILED'):].strip()}")
        if not ds._pid_alive(pid):
            raise BulkImportError(f"the dev server (pid {pid}) stopped during the bulk import; start it again "
                                  "(its database starts empty) and push again")
        if time.monotonic() > deadline:
            raise BulkImportError(f"the bulk import did not finish within {IMPORT_TIMEOUT}s; see "
                                  f"{folder / 'import.log'}")
        if progress and line:
            progress("importing (the database is offline meanwhile)")
        time.sleep(0.1)


def _wait_online(driver, database: str | None, timeout: float = 120) -> None:
    """The database answers again after the import (the driver's pooled connections died with it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with _session(driver, database) as s:
                s.run("RETURN 1").consume()
            return
        except Exception as exc:  # noqa: BLE001 - stale pooled connections fail once each
            if time.monotonic() > deadline:
                raise BulkImportError(f"the database did not come back after the bulk import: {describe(exc)}") from None
            time.sleep(0.1)


def _check_counts(driver, database: str | None, files: ImportFiles) -> None:
    with _session(driver, database) as s:
        def work(tx) -> list[str]:
            wrong = []
            for label, n in files.nodes.items():
                got = tx.run(f"MATCH (n:{qb.ident(label)}) RETURN count(n) AS n").single()["n"]
                if got != n:
                    wrong.append(f"{label}: {got:,} of {n:,}")
            for type_, n in files.edges.items():
                got = tx.run(f"MATCH ()-[r:{qb.ident(type_)}]->() RETURN count(r) AS n").single()["n"]
                if got != n:
                    wrong.append(f"{type_}: {got:,} of {n:,}")
            return wrong

        wrong = s.execute_read(work)
    if wrong:
        raise BulkImportError("bulk import loaded the wrong counts (" + "; ".join(wrong) + ")")


def devserver_state(home: Path) -> dict:
    """The running dev server of ``home`` (:func:`.devserver.status`), or a one-line error."""
    state = ds.status(home)
    if state is None:
        raise BulkImportError(f"no dev server is running for {home}: --bulk loads the dev server's own database; "
                              "start it with `nhigraph neo4j start` (or push without --bulk)")
    return state


def bulk_push(workspace: Workspace | str | Path, driver, home: Path | str, *, snapshot: str | None = None,
              database: str | None = None, progress: Progress | None = None, keep_files: bool = False,
              max_memory: str = "2g") -> PushResult:
    """Load a snapshot into the empty database of the dev server of ``home`` with the bulk importer.

    ``driver`` must reach that server (its URI is in ``ds.status(home)``). Raises :class:`PushError` (one
    line) if the server is not running, its database holds data, or the import fails; the database is then
    as it was (empty). ``max_memory`` bounds the importer's off-heap memory. The import files are deleted
    afterwards unless ``keep_files``."""
    t0 = time.monotonic()
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    name = ws._resolve(snapshot)
    manifest = ws.manifest(name)
    home = Path(home).expanduser().resolve()
    state = devserver_state(home)
    if database not in (None, "neo4j"):
        raise BulkImportError(f"--bulk loads the default database 'neo4j', not {database!r}")

    def say(what: str) -> None:
        if progress:
            progress(0, 0, what)

    try:
        held = _count_model(driver, database)
        if held:
            raise BulkImportError(f"the database holds {held:,} nodes: --bulk loads an empty database only; push "
                                  "without --bulk to update it")
        run = _acquire(driver, database)
    except NhigraphError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PushError(describe(exc)) from None
    _ACTIVE_RUNS.add(run)
    request = home / "bulk" / str(run)
    try:
        result = _import(driver, database, ws, name, manifest, request, run, int(state["pid"]), max_memory, say)
    except BaseException:
        if not keep_files:  # the importer's log and report stay for the error message to point at
            for f in request.glob("*.csv"):
                f.unlink(missing_ok=True)
        raise
    else:
        if not keep_files:
            shutil.rmtree(request, ignore_errors=True)
    finally:
        _ACTIVE_RUNS.discard(run)
        _release(driver, database, run)
    result.seconds = time.monotonic() - t0
    total = result.nodes + result.edges
    result.rows_per_s = total / result.seconds if result.seconds else 0.0
    result.write_rows_per_s = total / result.write_seconds if result.write_seconds else 0.0
    return result


def _import(driver, database: str | None, ws: Workspace, name: str, manifest: dict, request: Path, run: int,
            pid: int, max_memory: str, say: Callable[[str], None]) -> PushResult:
    """Write the files, have the dev server import them, then schema, checks and bookkeeping."""
    folder = ws.snapshots_dir / name
    phases: dict[str, float] = {}
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        phases[name] = round(now - mark, 3)
        mark = now

    try:
        files = write_import_files(folder, request, run, progress=say)
        (request / "args").write_text("\n".join(files.options + [f"--max-off-heap-memory={max_memory}"]) + "\n",
                                      encoding="utf-8")
        (request / "request").touch()
        phase("files")
        say("importing (the database is offline meanwhile)")
        offline = _await_import(request, say, pid)
        _wait_online(driver, database)
        phase("offline")
        phases.update((k, offline[k]) for k in ("shutdown", "import", "reopen"))
        say("creating constraints and indexes")
        ensure_schema(driver, database)
        phase("schema")
        _check_counts(driver, database, files)
        complete, partial = _sources(manifest)
        result = PushResult(sum(files.nodes.values()), sum(files.edges.values()), 0.0, 0.0, run=run, snapshot=name,
                            complete_sources=complete, partial_sources=partial, write_seconds=offline["total"],
                            created=list(files.nodes) + list(files.edges), method="bulk", phases=phases)
        _write(driver, database,
               f"MERGE (m:{qb.ident(qb.META_LABEL)} {{id: 'push'}}) SET m.seq = $run, m.touched = timestamp()",
               run=run)
        record_snapshot(driver, database, name, manifest, folder, result)
        phase("bookkeeping")
        return result
    except NhigraphError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PushError(f"bulk push failed: {describe(exc)}") from None

__all__ = ["BulkImportError", "ImportFiles", "bulk_push", "devserver_state", "write_import_files"]
