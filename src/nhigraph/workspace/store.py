"""The embedded workspace: dated snapshots of the graph as parquet tables, written atomically.

Layout::

    WORKSPACE/
      CURRENT                      name of the current snapshot (replaced atomically)
      .lock                        held while a process writes
      snapshots/20261123T161600Z/  one folder per ingest, kept so quarters can be compared
        manifest.json              counts, sources, timestamps
        nodes/<Label>.parquet      one table per node label, columns from the model
        edges/<TYPE>.parquet       one table per edge type

A snapshot is written to a hidden temporary folder, synced, renamed into place, and only then named in
``CURRENT``; a crash at any point leaves the previous snapshot current and loadable.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pyarrow.parquet as pq

from .. import __version__
from ..errors import WorkspaceError
from ..model.records import edge_key
from ..model.vocabulary import MODEL
from .rows import Graph, row_id
from .tables import edge_schema, from_table, node_schema, rows_to_table

#: records per parquet row group written
ROW_GROUP = 65_536

FORMAT_VERSION = 1
DEFAULT_WORKSPACE = "nhigraph-workspace"


def default_workspace() -> Path:
    return Path(os.environ.get("NHIGRAPH_WORKSPACE") or DEFAULT_WORKSPACE)


@dataclass
class Snapshot:
    """A loaded snapshot: nodes by id and edges by key, plus its manifest."""

    name: str
    path: Path
    manifest: dict[str, Any]
    nodes: dict[str, dict[str, Any]]
    edges: dict[tuple, dict[str, Any]]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


class Workspace:
    """A folder of snapshots. Reading needs no lock; writing takes ``.lock``."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_workspace()

    # -- reading --------------------------------------------------------------------------------
    @property
    def snapshots_dir(self) -> Path:
        return self.path / "snapshots"

    def exists(self) -> bool:
        return (self.path / "CURRENT").is_file()

    def current_name(self) -> str | None:
        try:
            name = (self.path / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def snapshot_names(self) -> list[str]:
        if not self.snapshots_dir.is_dir():
            return []
        return sorted(p.name for p in self.snapshots_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file())

    def manifest(self, name: str | None = None) -> dict[str, Any]:
        name = self._resolve(name)
        try:
            return json.loads((self.snapshots_dir / name / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"{self.snapshots_dir / name}: unreadable manifest: {exc}") from None

    def _resolve(self, name: str | None) -> str:
        if name is None:
            name = self.current_name()
            if name is None:
                raise WorkspaceError(f"{self.path}: no workspace here yet; run `nhigraph ingest` first")
            return name
        if (self.snapshots_dir / name / "manifest.json").is_file():
            return name
        matches = [n for n in self.snapshot_names() if n.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        raise WorkspaceError(f"{self.path}: no snapshot {name!r} (have: {', '.join(self.snapshot_names()) or 'none'})")

    def load(self, name: str | None = None) -> Snapshot:
        """Load a snapshot (the current one by default) as record dicts."""
        name = self._resolve(name)
        folder = self.snapshots_dir / name
        manifest = self.manifest(name)
        nodes: dict[str, dict[str, Any]] = {}
        edges: dict[tuple, dict[str, Any]] = {}
        try:
            for label in MODEL.labels:
                f = folder / "nodes" / f"{label}.parquet"
                if f.exists():
                    for rec in from_table(pq.read_table(f)):
                        rec["label"] = label
                        nodes[rec["id"]] = rec
            for type_ in MODEL.edge_types:
                f = folder / "edges" / f"{type_}.parquet"
                if f.exists():
                    for rec in from_table(pq.read_table(f)):
                        rec["type"] = type_
                        edges[edge_key(rec)] = rec
        except OSError as exc:
            raise WorkspaceError(f"{folder}: cannot read snapshot: {exc}") from None
        return Snapshot(name, folder, manifest, nodes, edges)

    def load_or_empty(self) -> Snapshot:
        if self.current_name() is None:
            return Snapshot("", self.path, {}, {}, {})
        return self.load()

    # -- writing --------------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise writers: a second writer fails at once with a clear message."""
        self.path.mkdir(parents=True, exist_ok=True)
        fh = open(self.path / ".lock", "a+")
        locked = False
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                raise WorkspaceError(f"{self.path}: workspace is locked by {holder}; "
                                     "wait for that ingest to finish") from None
            locked = True
            fh.seek(0)
            fh.truncate()
            fh.write(f"nhigraph pid {os.getpid()}")
            fh.flush()
            yield
        finally:
            if locked:  # a writer that takes the lock next has not named itself yet: name no finished one
                fh.seek(0)
                fh.truncate()
            fh.close()

    def write(self, nodes: dict[str, dict[str, Any]] | Graph, edges: dict[tuple, dict[str, Any]] | None,
              manifest: dict[str, Any], now: datetime | None = None) -> str:
        """Write a new snapshot atomically and make it current. Call under :meth:`lock`.

        The graph is ``nodes`` and ``edges`` as record dicts (as :meth:`load` gives them), or a merged
        :class:`~.rows.Graph` as ``nodes`` (``edges`` None), which is written without a copy."""
        graph = nodes if isinstance(nodes, Graph) else Graph.from_records(nodes, edges or {})
        now = now or datetime.now(timezone.utc)
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.snapshots_dir.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in self.path.glob(".CURRENT.*"):  # a pointer a killed writer never published
            stale.unlink(missing_ok=True)
        base = name = now.strftime("%Y%m%dT%H%M%SZ")
        n = 1
        while (self.snapshots_dir / name).exists():
            n += 1
            name = f"{base}-{n}"
        tmp = self.snapshots_dir / f".tmp-{uuid.uuid4().hex}"
        pointer = self.path / f".CURRENT.{uuid.uuid4().hex}"
        renamed = published = False
        try:
            self._write_snapshot(tmp, name, graph, manifest, now)
            os.rename(tmp, self.snapshots_dir / name)
            renamed = True
            _fsync_dir(self.snapshots_dir)
            _write_file_synced(pointer, (name + "\n").encode())
            os.replace(pointer, self.path / "CURRENT")
            published = True
            _fsync_dir(self.path)
        except BaseException as exc:
            # leave the previous snapshot current and no half-written folder behind
            if not published:
                shutil.rmtree(tmp, ignore_errors=True)
                if renamed:
                    shutil.rmtree(self.snapshots_dir / name, ignore_errors=True)
                pointer.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise WorkspaceError(f"{self.path}: cannot write snapshot {name}: "
                                     f"{exc.strerror or exc}; the previous snapshot is still current") from None
            raise
        return name

    def _write_snapshot(self, tmp: Path, name: str, graph: Graph, manifest: dict[str, Any], now: datetime) -> None:
        """Write every table and the manifest of snapshot ``name`` into the folder ``tmp``, synced."""
        (tmp / "nodes").mkdir(parents=True)
        (tmp / "edges").mkdir()
        by_label: dict[str, list[tuple]] = {label: [] for label in MODEL.labels}
        for row in graph.nodes.values():
            by_label[row[-1]].append(row)
        counts_nodes, counts_edges = {}, {}
        for label in MODEL.labels:
            rows = by_label.pop(label)  # each label's list goes once its table is written
            rows.sort(key=row_id)
            self._write_table(tmp / "nodes" / f"{label}.parquet", rows, node_schema(label))
            counts_nodes[label] = len(rows)
        for type_ in MODEL.edge_types:
            rows = graph.edges.get(type_, [])  # sorted by key
            self._write_table(tmp / "edges" / f"{type_}.parquet", rows, edge_schema(type_))
            counts_edges[type_] = len(rows)
        manifest = {
            "format_version": FORMAT_VERSION,
            "nhigraph_version": __version__,
            "snapshot": name,
            "created_at": now.isoformat(),
            "parent": self.current_name(),
            **manifest,
            "counts": {"nodes": counts_nodes, "edges": counts_edges,
                       "total_nodes": len(graph.nodes), "total_edges": graph.edge_count},
        }
        _write_file_synced(tmp / "manifest.json", json.dumps(manifest, indent=2, default=str).encode())
        _fsync_dir(tmp)

    @staticmethod
    def _write_table(path: Path, rows: list[tuple], schema) -> None:
        """One parquet file from rows (tuples that start with the schema's columns), converted and written
        ``ROW_GROUP`` rows at a time: only one row group's arrow copy exists at once (a whole large table's would
        add to the ingest's peak memory)."""
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for i in range(0, len(rows), ROW_GROUP):
                writer.write_table(rows_to_table(rows[i:i + ROW_GROUP], schema))
            if not rows:
                writer.write_table(rows_to_table([], schema))
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
