"""The estate: a snapshot loaded into networkx, with the lookups every analysis needs.

Nodes carry their records as attributes (``label``, ``kind``, ``name`` and the model's properties);
edges are keyed by type (``OWNS:<role>`` for OWNS) so parallel edges of different types coexist.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Iterable, Iterator

import networkx as nx

from ..model.vocabulary import RACI_ROLES
from ..workspace import memory
from ..workspace.store import Snapshot, Workspace

LEVEL_RANK = {"read": 1, "write": 2, "admin": 3}
RANK_LEVEL = {v: k for k, v in LEVEL_RANK.items()}
NHI_LABELS = ("Identity", "Credential")


def edge_graph_key(edge: dict[str, Any]) -> str:
    return f"OWNS:{edge['role']}" if edge["type"] == "OWNS" else edge["type"]


@dataclass
class Estate:
    """A loaded snapshot. ``g`` is the whole graph; helpers answer ownership and label questions."""

    g: nx.MultiDiGraph
    snapshot: str = ""
    observed_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_records(cls, nodes: dict[str, dict[str, Any]], edges: Iterable[dict[str, Any]],
                     snapshot: str = "", observed_at: datetime | None = None) -> "Estate":
        return cls(_graph(nodes, edges), snapshot, observed_at or datetime.now(timezone.utc))

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> "Estate":
        observed = snap.manifest.get("observed_at")
        obs = datetime.fromisoformat(observed) if observed else None
        return cls.from_records(snap.nodes, snap.edges.values(), snap.name, obs)

    @classmethod
    def load(cls, workspace: Workspace | str | None = None, snapshot: str | None = None) -> "Estate":
        ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        # refuse, with what to do instead, an estate that would not fit in memory (before the machine swaps)
        counts = ws.manifest(snapshot).get("counts") or {}
        memory.check_load(int(counts.get("total_nodes") or 0) + int(counts.get("total_edges") or 0))
        with paused_gc():  # building large graphs with the cyclic GC on costs ~3x; nothing here is cyclic garbage
            snap = ws.load(snapshot)
            observed = snap.manifest.get("observed_at")
            estate = cls(_graph(snap.nodes, snap.edges.values(), copy=False), snap.name,
                         datetime.fromisoformat(observed) if observed else datetime.now(timezone.utc))
            del snap
        gc.freeze()
        return estate

    # -- lookups --------------------------------------------------------------------------------
    def node(self, node_id: str) -> dict[str, Any]:
        return self.g.nodes[node_id]

    def label(self, node_id: str) -> str:
        return self.g.nodes[node_id]["label"]

    @cached_property
    def _by_label(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for n, d in self.g.nodes(data=True):
            out.setdefault(d["label"], []).append(n)
        return out

    def nodes_of(self, *labels: str) -> Iterator[str]:
        for label in labels:
            yield from self._by_label.get(label, ())

    @cached_property
    def labels(self) -> dict[str, str]:
        """Node id -> label, for hot loops (``label()`` goes through networkx's views)."""
        return {n: d["label"] for n, d in self.g.nodes(data=True)}

    @cached_property
    def _typed(self) -> tuple[dict, dict, dict]:
        """Adjacency by edge type, built in one pass: filtering a multigraph's edges per call is slow.

        Walks the adjacency dicts in the order ``g.edges(data=True)`` reports them (its view costs a
        generator step and a lambda call per edge, a third of this pass on a large estate)."""
        out: dict[str, dict[str, list]] = {}
        inn: dict[str, dict[str, list]] = {}
        every: dict[str, list] = {}
        for u, nbrs in self.g.adj.items():
            for v, keydict in nbrs.items():
                for d in keydict.values():
                    t = d["type"]
                    by_u = out.get(t)
                    if by_u is None:
                        by_u, by_v, e = out[t], inn[t], every[t] = {}, {}, []
                    else:
                        by_v, e = inn[t], every[t]
                    lst = by_u.get(u)
                    if lst is None:
                        by_u[u] = [(v, d)]
                    else:
                        lst.append((v, d))
                    lst = by_v.get(v)
                    if lst is None:
                        by_v[v] = [(u, d)]
                    else:
                        lst.append((u, d))
                    e.append((u, v, d))
        return out, inn, every

    def out(self, node_id: str, type_: str) -> list[tuple[str, dict[str, Any]]]:
        return self._typed[0].get(type_, {}).get(node_id, [])

    def into(self, node_id: str, type_: str) -> list[tuple[str, dict[str, Any]]]:
        return self._typed[1].get(type_, {}).get(node_id, [])

    def edges_of(self, type_: str) -> list[tuple[str, str, dict[str, Any]]]:
        """Every edge of a type as (start, end, data)."""
        return self._typed[2].get(type_, [])

    # -- ownership ------------------------------------------------------------------------------
    @staticmethod
    def tag_only(d: dict[str, Any]) -> bool:
        """Known only from a resource tag (sources ``...:tags``), never from an owner register."""
        sources = d.get("sources") or [d.get("source", "")]
        return all(str(s).endswith(":tags") for s in sources)

    @cached_property
    def has_owner_register(self) -> bool:
        """Whether any owner register was ingested. Without one, ownership is unknown, not missing;
        owners named only by tags do not count as a register."""
        return any(not self.tag_only(self.g.nodes[o]) for o in self._by_label.get("Owner", ()))

    def owner_active(self, owner_id: str) -> bool:
        """Active unless marked departed; an owner named only by a tag (absent from every owner register)
        counts as no owner at all, so a typo in a tag cannot make an identity look owned."""
        d = self.g.nodes[owner_id]
        if d.get("active") is False or d.get("departed_at") is not None:
            return False
        if self.tag_only(d) and self.has_owner_register:
            return False
        return True

    def direct_owners(self, node_id: str) -> dict[str, set[str]]:
        """RACI role -> owner ids (active or not) with an OWNS edge to the node."""
        roles: dict[str, set[str]] = {r: set() for r in RACI_ROLES}
        for u, d in self.into(node_id, "OWNS"):
            roles[d["role"]].add(u)
        return roles

    @cached_property
    def _effective_owners(self) -> dict[str, dict[str, frozenset[str]]]:
        """Owners per role for every NHI-bearing node; a credential inherits its identity's owners.

        Nodes with the same owners share one dict (read-only: never mutate what :meth:`owners` returns)."""
        empty = {r: frozenset() for r in RACI_ROLES}
        out: dict[str, dict[str, frozenset[str]]] = dict.fromkeys(self.g, empty)
        for n, edges in self._typed[1].get("OWNS", {}).items():
            roles: dict[str, set[str]] = {r: set() for r in RACI_ROLES}
            for u, d in edges:
                roles[d["role"]].add(u)
            out[n] = {r: frozenset(v) for r, v in roles.items()}
        auth = self._typed[0].get("AUTHENTICATES", {})
        for n in self._by_label.get("Credential", ()):
            idents = auth.get(n, ())
            if not idents:
                continue
            own = out[n]
            if own is empty and len(idents) == 1:
                out[n] = out[idents[0][0]]  # nothing of its own: exactly its identity's owners
                continue
            merged = {r: set(v) for r, v in own.items()}
            for ident, _ in idents:
                for r, v in out[ident].items():
                    merged[r] |= v
            out[n] = {r: frozenset(v) for r, v in merged.items()}
        return out

    def owners(self, node_id: str, active_only: bool = True) -> dict[str, frozenset[str]]:
        """Effective owners per RACI role (a credential inherits from the identity it authenticates).
        Read-only: the dict may be shared with other nodes that have the same owners."""
        roles = self._effective_owners[node_id]
        if not active_only:
            return roles
        memo = self._active_memo
        key = id(roles)  # the effective dicts live as long as the estate, so their ids are stable keys
        hit = memo.get(key)
        if hit is None:
            active = self._active_owners
            hit = memo[key] = {r: frozenset(o for o in v if o in active) for r, v in roles.items()}
        return hit

    @cached_property
    def _active_memo(self) -> dict[int, dict[str, frozenset[str]]]:
        return {}

    @cached_property
    def _active_owners(self) -> frozenset[str]:
        return frozenset(o for o in self._by_label.get("Owner", ()) if self.owner_active(o))

    def accountable(self, node_id: str) -> bool:
        """Has at least one active owner in some role (directly or, for credentials, inherited)."""
        return any(self.owners(node_id).values())

    def team_of(self, owner_id: str) -> str:
        """The team an owner belongs to: itself for a team, its MEMBER_OF team or `team` for a person."""
        memo = self._team_memo
        if owner_id not in memo:
            memo[owner_id] = self._team_of(owner_id)
        return memo[owner_id]

    @cached_property
    def _team_memo(self) -> dict[str, str]:
        return {}

    def _team_of(self, owner_id: str) -> str:
        d = self.g.nodes[owner_id]
        if d.get("kind") == "team":
            return owner_id
        for team, _ in self.out(owner_id, "MEMBER_OF"):
            return team
        return d.get("team") or owner_id

    # -- time -----------------------------------------------------------------------------------
    def age_days(self, when: datetime | None) -> float | None:
        if when is None:
            return None
        return (self.observed_at - when).total_seconds() / 86400

    def environment(self, node_id: str) -> str | None:
        d = self.g.nodes[node_id]
        if d.get("environment"):
            return d["environment"]
        for s, _ in self.out(node_id, "PART_OF"):
            env = self.g.nodes[s].get("environment")
            if env:
                return env
        return None


def _graph(nodes: dict[str, dict[str, Any]], edges: Iterable[dict[str, Any]], copy: bool = True) -> nx.MultiDiGraph:
    """The estate's graph: ``g.add_nodes_from(nodes.items())`` then
    ``g.add_edges_from((start, end, edge_graph_key(e), e) for e in edges)``, written straight into the
    graph's dicts. The same graph (same node, neighbour and key order, a repeated key updating the earlier
    data) without networkx's per-edge view lookups, which cost most of loading a large estate.
    ``copy=False`` keeps the records themselves as the attribute dicts (for records nobody else holds)."""
    g = nx.MultiDiGraph()
    succ, pred, node = g._succ, g._pred, g._node
    for n, rec in nodes.items():
        if n is None:
            raise ValueError("None cannot be a node")
        if n in node:
            node[n].update(rec)
        else:
            succ[n], pred[n], node[n] = {}, {}, dict(rec) if copy else rec
    for e in edges:
        u, v = e["start"], e["end"]
        key = f"OWNS:{e['role']}" if e["type"] == "OWNS" else e["type"]
        for n in (u, v):
            if n not in succ:
                if n is None:
                    raise ValueError("None cannot be a node")
                succ[n], pred[n], node[n] = {}, {}, {}
        nbrs = succ[u]
        keydict = nbrs.get(v)
        if keydict is None:
            nbrs[v] = pred[v][u] = {key: dict(e) if copy else e}
        elif key in keydict:
            keydict[key].update(e)
        else:
            keydict[key] = dict(e) if copy else e
    nx._clear_cache(g)
    return g


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a block. Analysing and reporting a large estate allocates
    millions of dicts, lists and sets that live on (none is cyclic garbage); with the collector on,
    its full passes over them cost as much as the work itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
