"""The neighbourhood of one credential, read straight from the snapshot files: `reach` in seconds at any size.

An incident responder asking about one leaked key should not wait for the whole estate to load (tens of
seconds and gigabytes at 100k identities; more than the machine has at a million). :func:`around` answers
from the snapshot's parquet tables instead:

1. the credential is found by id, provider key id or fingerprint in the Credential table alone;
2. the *closure*: everything reachable from it along the reach graph's steps (AUTHENTICATES, CAN_ASSUME,
   HAS_ACCESS, STORES, a system to the resources and secret stores PART_OF it), a breadth-first search over a
   sparse matrix of the edge columns. It is a superset of what :class:`~.reach.ReachIndex` reaches, which
   also checks labels;
3. the *context*: every node one edge away from the closure, in either direction, and the systems and
   teams of those (PART_OF and MEMBER_OF), for owners, stores, users, vendors, exceptions, environments;
4. an :class:`~.estate.Estate` of just those nodes and the edges between them, in the snapshot's order, with
   the two estate-wide facts the answer uses carried over: how many resources the estate has (for the share)
   and whether an owner register was ingested.

Every question `reach` asks looks at most that far from the closure, so the answer equals the one the whole
estate gives; tests compare both for every credential of several estates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..model.records import edge_key
from ..model.vocabulary import MODEL
from ..secrets import fingerprint
from ..workspace.store import Snapshot, Workspace, WorkspaceError
from ..workspace.tables import from_table
from .estate import Estate
from .incident import context, key_candidates, not_found, read_secret_from_stdin
from .reach import BlastRadius, ReachIndex

#: edges followed forward from the credential (the reach graph's steps; labels are checked later)
FORWARD = ("AUTHENTICATES", "CAN_ASSUME", "HAS_ACCESS", "STORES")
#: a system reached expands to what is PART_OF it: PART_OF followed backwards from these starts' labels
MEMBER_LABELS = ("Resource", "SecretStore")
#: followed forward from the context nodes: their systems (environment) and teams (who to call)
CONTEXT_OUT = ("PART_OF", "MEMBER_OF")


@dataclass
class Focus:
    """One credential's neighbourhood as an estate (its ``has_owner_register`` is the whole estate's), and the
    whole estate's resource count (for the share)."""

    credential: str
    estate: Estate
    estate_resources: int
    #: nodes and edges read, against the estate's totals
    nodes: int
    edges: int
    total_nodes: int
    total_edges: int


class _Tables:
    """The snapshot's tables, read lazily, with node ids numbered once across labels."""

    def __init__(self, workspace: Workspace, snapshot: str | None) -> None:
        self.name = workspace._resolve(snapshot)
        self.folder = workspace.snapshots_dir / self.name
        self.manifest = workspace.manifest(self.name)
        self._nodes: dict[str, pa.Table] = {}
        self._edges: dict[str, pa.Table] = {}

    def _read(self, path: Path, columns: list[str] | None = None) -> pa.Table | None:
        if not path.exists():
            return None
        try:
            return pq.read_table(path, columns=columns)
        except (OSError, pa.ArrowException) as exc:
            raise WorkspaceError(f"{path}: cannot read snapshot table: {exc}") from None

    def node_table(self, label: str) -> pa.Table | None:
        if label not in self._nodes:
            self._nodes[label] = self._read(self.folder / "nodes" / f"{label}.parquet")
        return self._nodes[label]

    def edge_table(self, type_: str) -> pa.Table | None:
        if type_ not in self._edges:
            self._edges[type_] = self._read(self.folder / "edges" / f"{type_}.parquet")
        return self._edges[type_]

    def numbering(self) -> tuple[pa.Array, np.ndarray, dict[str, int]]:
        """Every node id (label by label, in model order), each id's label index, and the rows per label. The
        tables are read whole once: the nodes kept are taken from them afterwards."""
        ids, label_of, rows = [], [], {}
        for i, label in enumerate(MODEL.labels):
            t = self.node_table(label)
            rows[label] = 0 if t is None else t.num_rows
            if rows[label]:
                ids.append(t.column("id").combine_chunks())
                label_of.append(np.full(rows[label], i, dtype=np.int8))
        all_ids = pa.concat_arrays(ids) if ids else pa.array([], pa.string())
        return all_ids, (np.concatenate(label_of) if label_of else np.zeros(0, np.int8)), rows


def resolve(workspace: Workspace | str | Path | None, key: str, snapshot: str | None = None) -> str:
    """A credential id from an id, a provider key id or a fingerprint, reading only the Credential table
    (the same rules and errors as :func:`.incident.resolve_key`). ``key`` is never a raw secret here: the
    caller hashes ``-`` (stdin) first."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    return _resolve(_Tables(ws, snapshot), key)


def _resolve(tables: _Tables, key: str) -> str:
    """An id names itself; otherwise the first credential (in table order) whose key id or fingerprint it is:
    the rules of :func:`.incident.resolve_key`, on columns."""
    t = tables.node_table("Credential")
    if t is None or t.num_rows == 0:
        raise not_found(key, [])
    ids = t.column("id")
    for cand in key_candidates(key):
        if pc.any(pc.equal(ids, cand)).as_py():
            return cand
        mask = None
        for prop in ("key_id", "fingerprint"):
            if prop in t.column_names:
                hit = pc.fill_null(pc.equal(t.column(prop), cand), False)
                mask = hit if mask is None else pc.or_(mask, hit)
        if mask is not None:
            rows = pc.indices_nonzero(mask)
            if len(rows):
                return ids[rows[0].as_py()].as_py()
    known = ids.to_pylist()
    for prop in ("key_id", "fingerprint"):
        if prop in t.column_names:
            known += [v for v in t.column(prop).to_pylist() if v]
    raise not_found(key, list(dict.fromkeys(known)))


def around(workspace: Workspace | str | Path | None, key: str, snapshot: str | None = None) -> Focus:
    """The neighbourhood of the credential ``key`` names (``-``: the secret on stdin, hashed at once)."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    tables = _Tables(ws, snapshot)
    if key == "-":
        key = fingerprint(read_secret_from_stdin())
    cred = _resolve(tables, key)

    ids, label_of, rows_of = tables.numbering()
    labels = list(MODEL.labels)
    n = len(ids)
    start_at = pc.index_in(pa.array([cred]), value_set=ids)[0].as_py()

    # every edge as node numbers, per type (in the snapshot's order): every endpoint column is looked up in
    # one call, so the hash table of the ids is built once (per column it dominated at a million identities)
    present = [(type_, t) for type_ in MODEL.edge_types
               if (t := tables.edge_table(type_)) is not None and t.num_rows]
    chunks = [c for _, t in present for col in ("start", "end") for c in t.column(col).chunks]
    looked_up = pc.index_in(pa.chunked_array(chunks, pa.string()), value_set=ids) if chunks else None
    flat = (np.zeros(0, np.int64) if looked_up is None else
            looked_up.fill_null(-1).to_numpy().astype(np.int64))
    numbered: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    at = 0
    for type_, t in present:
        rows = t.num_rows
        numbered[type_] = (flat[at:at + rows], flat[at + rows:at + 2 * rows])
        at += 2 * rows

    closure = _closure(numbered, label_of, labels, n, start_at)
    keep = closure.copy()
    for s, e in numbered.values():  # one edge away, either direction
        ok = (s >= 0) & (e >= 0)
        hit = ok & (closure[np.maximum(s, 0)] | closure[np.maximum(e, 0)])
        keep[s[hit]] = True
        keep[e[hit]] = True
    for type_ in CONTEXT_OUT:  # the systems and teams of everything kept
        if type_ in numbered:
            s, e = numbered[type_]
            ok = (s >= 0) & (e >= 0)
            hit = ok & keep[np.maximum(s, 0)]
            keep[e[hit]] = True

    nodes: dict[str, dict[str, Any]] = {}
    offset = 0
    for label in labels:
        mask = keep[offset:offset + rows_of[label]]
        offset += rows_of[label]
        if not mask.any():
            continue
        for rec in from_table(tables.node_table(label).filter(pa.array(mask))):
            rec["label"] = label
            nodes[rec["id"]] = rec
    edges: dict[tuple, dict[str, Any]] = {}
    for type_, (s, e) in numbered.items():
        ok = (s >= 0) & (e >= 0)
        mask = ok & keep[np.maximum(s, 0)] & keep[np.maximum(e, 0)]
        if not mask.any():
            continue
        for rec in from_table(tables.edge_table(type_).filter(pa.array(mask))):
            rec["type"] = type_
            edges[edge_key(rec)] = rec

    estate = Estate.from_snapshot(Snapshot(tables.name, tables.folder, tables.manifest, nodes, edges))
    estate.__dict__["has_owner_register"] = _owner_register(tables)  # the whole estate's answer, not the part's
    return Focus(cred, estate, sum(rows_of[label] for label in MEMBER_LABELS), len(nodes), len(edges),
                 n, len(flat) // 2)


def _closure(numbered: dict[str, tuple[np.ndarray, np.ndarray]], label_of: np.ndarray, labels: list[str],
             n: int, start: int) -> np.ndarray:
    """Nodes reachable from ``start`` along the reach steps (a superset: labels are not checked)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    src, dst = [], []
    for type_ in FORWARD:
        if type_ in numbered:
            s, e = numbered[type_]
            ok = (s >= 0) & (e >= 0)
            src.append(s[ok])
            dst.append(e[ok])
    if "PART_OF" in numbered:  # a system reached reaches its resources and secret stores
        s, e = numbered["PART_OF"]
        member = np.isin(label_of[np.maximum(s, 0)], [labels.index(lab) for lab in MEMBER_LABELS])
        ok = (s >= 0) & (e >= 0) & member
        src.append(e[ok])
        dst.append(s[ok])
    reached = np.zeros(n, dtype=bool)
    if not src:
        reached[start] = True
        return reached
    s, e = np.concatenate(src), np.concatenate(dst)
    graph = csr_matrix((np.ones(len(s), dtype=np.int8), (s, e)), shape=(n, n))
    order = breadth_first_order(graph, start, directed=True, return_predecessors=False)
    reached[order] = True
    return reached


def _owner_register(tables: _Tables) -> bool:
    """Whether any owner comes from a register rather than only from tags (as :attr:`Estate.has_owner_register`)."""
    t = tables.node_table("Owner")
    if t is None or t.num_rows == 0:
        return False
    cols = t.select([c for c in ("source", "sources") if c in t.column_names]).to_pylist()
    return any(not Estate.tag_only(d) for d in cols)


class FocusedBackend:
    """The embedded backend's answers about one credential, from its neighbourhood only (see :func:`around`).

    Used by `nhigraph reach` and `nhigraph viz KEY`: the same answers as the whole estate gives, without
    loading it. Questions about the whole estate (debt, findings) need :class:`~..backends.embedded.EmbeddedBackend`.
    """

    name = "embedded"

    def __init__(self, workspace=None, snapshot: str | None = None) -> None:
        self._workspace, self._snapshot = workspace, snapshot
        self.focus: Focus | None = None

    def resolve_key(self, key: str) -> str:
        if self.focus is None or key != self.focus.credential:
            self.focus = around(self._workspace, key, self._snapshot)
        return self.focus.credential

    def estate_of(self, cred: str) -> Estate:
        """The neighbourhood of ``cred`` as an estate."""
        self.resolve_key(cred)
        assert self.focus is not None
        return self.focus.estate

    def credential_context(self, cred: str) -> dict[str, Any]:
        return context(self.estate_of(cred), cred)

    def blast_radius(self, cred: str) -> BlastRadius:
        estate = self.estate_of(cred)
        index = ReachIndex(estate)
        index.estate_resources = self.focus.estate_resources  # type: ignore[union-attr]
        return index.blast_radius(cred)

    def close(self) -> None:
        pass


__all__ = ["Focus", "FocusedBackend", "around", "resolve"]
