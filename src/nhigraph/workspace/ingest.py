"""Ingest export files into the workspace: detect, parse, merge, write a new snapshot atomically."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import InputError, NhigraphError
from ..ingest import links, registry
from ..model.records import Batch, origin_paths
from . import memory
from .merge import MergeResult, merge
from .rows import Graph
from .store import Workspace

#: progress(done_files, total_files, current_path)
Progress = Callable[[int, int, Path], None]


@dataclass
class IngestResult:
    snapshot: str | None
    files: dict[str, str] = field(default_factory=dict)  # path -> format
    sources: dict[str, int] = field(default_factory=dict)  # source -> records
    merge: MergeResult | None = None  # the counts and errors (its graph is in the snapshot, not kept here)
    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        m = self.merge
        return {
            "snapshot": self.snapshot,
            "ok": self.ok,
            "files": self.files,
            "sources": self.sources,
            "added": {"nodes": m.added_nodes if m else {}, "edges": m.added_edges if m else {}},
            "updated": {"nodes": m.updated_nodes if m else {}},
            "removed": {"nodes": m.removed_nodes if m else {}, "edges": m.removed_edges if m else {}},
            "totals": self.totals,
            "errors": [str(e) for e in self.errors],
            "warnings": self.warnings,
        }


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the files below folders named (hidden ones skipped), in a stable order."""
    return [p for p, _ in _expand(paths)]


def _expand(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """(file, named explicitly) pairs: a file found in a folder may be skipped if it is not an export."""
    out: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted((f, False) for f in p.rglob("*") if f.is_file()
                          and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif p.exists():
            out.append((p, True))
        else:
            raise InputError(p, None, "no such file or folder")
    return out


def parse_files(files: list[Path], fmt: str | None = None, scope: str | None = None,
                progress: Progress | None = None, explicit: set[Path] | None = None,
                warnings: list[str] | None = None) -> tuple[list[Batch], dict[str, str], list[InputError]]:
    """Parse every file into batches. A bad file is reported and skipped; it never stops the others (nor does
    a bug in a reader: it is reported against the file it failed on).

    A file found inside a folder (not in ``explicit``) that is no known export, such as a README, is skipped
    with a warning instead of an error."""
    batches: list[Batch] = []
    formats: dict[str, str] = {}
    errors: list[InputError] = []
    explicit = set(files) if explicit is None else explicit
    for i, path in enumerate(files):
        if progress:
            progress(i, len(files), path)
        try:
            if fmt:
                format_ = registry.get(fmt)
            else:
                try:
                    format_ = registry.detect(path)
                except InputError as exc:
                    if path not in explicit and "unrecognised" in exc.message and warnings is not None:
                        warnings.append(f"{path}: skipped, not a recognised export")
                        continue
                    raise
            formats[str(path)] = format_.name
            batches += format_.parse(path, scope)
        except InputError as exc:
            errors.append(exc)
        except RecursionError:
            errors.append(InputError(path, None, "nested too deeply"))
        except Exception as exc:  # noqa: BLE001 - a reader's bug costs its file, never the whole run
            errors.append(_reader_bug(path, formats.get(str(path)), exc))
    if progress:
        progress(len(files), len(files), files[-1] if files else Path("."))
    return batches, formats, errors


def _reader_bug(path: Path, fmt: str | None, exc: Exception) -> InputError:
    """A reader that crashed: reported against its file like any bad file. The exception's message is not
    repeated (it may quote the export, and an export may hold a secret); its type and where it was raised are
    enough for a bug report."""
    tb = exc.__traceback__
    where = None
    while tb is not None:
        if "nhigraph" in tb.tb_frame.f_code.co_filename:
            where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return InputError(path, None, f"could not be read: the {fmt or 'format detection'} reader failed with "
                      f"{type(exc).__name__}" + (f" at {where}" if where else "")
                      + "; this is a bug in nhigraph, please report it with this line")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: an ingest makes millions of long-lived records and no reference
    cycles, and the collector's full passes over them cost about as much as the work."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def ingest(paths: Iterable[str | Path], workspace: Workspace | str | Path | None = None, *,
           fmt: str | None = None, scope: str | None = None, strict: bool = False, cleanup: bool = True,
           observed_at: datetime | None = None, progress: Progress | None = None,
           memory_check: bool = True) -> IngestResult:
    """Ingest files and folders into a workspace and write a new snapshot.

    Bad files and records are reported in ``errors`` and skipped; the rest is ingested, and sources with
    errors are not stale-cleaned. With ``strict``, any error means nothing is written. The previous
    snapshot is never modified. Unless ``memory_check`` is False, inputs that would not fit in the memory
    available are refused before anything is read (:mod:`.memory`).
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    now = datetime.now(timezone.utc)
    observed_at = observed_at or now
    found = _expand(paths)
    files = [p for p, _ in found]
    if not files:
        raise InputError(None, None, "no files to ingest")
    if memory_check:
        memory.check(files, _current_records(ws))
    skipped: list[str] = []
    batches, formats, errors = parse_files(files, fmt, scope, progress,
                                           explicit={p for p, named in found if named}, warnings=skipped)
    for b in batches:
        errors += b.errors
        if not cleanup:
            b.partial = True
    result = IngestResult(snapshot=None, files=formats, errors=errors,
                          warnings=skipped + [w for b in batches for w in b.warnings])
    for b in batches:
        result.sources[b.source] = result.sources.get(b.source, 0) + len(b.nodes) + len(b.edges)
    with ws.lock():
        previous = ws.load_or_empty()
        # cross-source linking: a secret name to the key it holds, scanner findings to known credentials
        result.warnings += links.resolve(batches, previous.nodes, previous.edges)
        # the merge takes the batches' records (and releases each once merged): a large estate's peak memory
        merged = merge(previous.nodes, previous.edges, batches, observed_at)
        # the result keeps the counts; the graph goes with this call, before the collector resumes (its millions
        # of rows would all be in the collector's youngest generation)
        graph, merged.graph = merged.graph, Graph()
        result.merge = merged
        result.errors += merged.errors
        if strict and result.errors:
            return result
        if not batches:
            return result
        sources_meta = dict(previous.manifest.get("sources", {}))
        for b in batches:
            entry = sources_meta.setdefault(b.source, {})
            entry.update(last_ingested=now.isoformat(), observed_at=observed_at.isoformat(),
                         partial=b.partial)
            entry["files"] = sorted(origin_paths(b.node_origins) | origin_paths(b.edge_origins)
                                    | set(entry.get("files", [])))
            b.node_origins, b.edge_origins = [], []  # not needed by the write
        del previous
        result.snapshot = ws.write(graph, None, {"observed_at": observed_at.isoformat(), "sources": sources_meta,
                                                 "files": formats}, now=now)
        result.totals = {"nodes": len(graph.nodes), "edges": graph.edge_count}
    return result


def _current_records(ws: Workspace) -> int:
    """Nodes and edges of the current snapshot, from its manifest (0 when there is none or it is unreadable:
    loading it reports that)."""
    try:
        counts = ws.manifest().get("counts", {}) if ws.exists() else {}
        return int(counts.get("total_nodes", 0)) + int(counts.get("total_edges", 0))
    except (NhigraphError, TypeError, ValueError, AttributeError):
        return 0
