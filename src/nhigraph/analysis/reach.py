"""Blast radius: everything a credential reaches, transitively.

The reach graph has one step per way of getting further:

- credential -AUTHENTICATES-> identity;
- identity -CAN_ASSUME-> identity (any depth, cycles allowed);
- identity -HAS_ACCESS{level}-> resource, secret store or system;
- a system reached with some level -> the resources and secret stores PART_OF it, at that level;
- a resource or secret store reached -STORES-> another credential, whose reach is added as *second
  order* (third order and beyond are counted the same way).

A target's level is the highest level any reached identity holds on it. For one credential
:func:`blast_radius` walks this graph breadth-first and keeps the shortest path to each target (ties broken
by node id, so answers are stable). For every credential at once :func:`all_blast_radii` collapses the
strongly connected components of the reach graph (roles that assume each other, credentials stored where
their own identities can read) and merges each component's reach once, reusing it for every credential
upstream, instead of searching once per credential.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from .estate import LEVEL_RANK, RANK_LEVEL, Estate
from .propagate import Propagator

TARGET_LABELS = ("Resource", "SecretStore", "System")
RESOURCE_LABELS = ("Resource", "SecretStore")


@dataclass
class Target:
    id: str
    label: str
    kind: str
    name: str
    level: str
    order: int
    environment: str | None
    path: list[str]

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class BlastRadius:
    credential: str
    identities: dict[str, int] = field(default_factory=dict)  # identity -> depth from the credential
    targets: dict[str, Target] = field(default_factory=dict)
    credentials: dict[str, int] = field(default_factory=dict)  # reached credential -> order (0: itself)
    systems: set[str] = field(default_factory=set)
    vendors: set[str] = field(default_factory=set)
    estate_resources: int = 0

    @property
    def resources(self) -> list[Target]:
        return [t for t in self.targets.values() if t.label in RESOURCE_LABELS]

    @property
    def environments(self) -> set[str]:
        return {t.environment for t in self.targets.values() if t.environment}

    @property
    def prod(self) -> bool:
        return "prod" in self.environments

    def counts(self) -> dict[str, int]:
        res = self.resources
        out = {lvl: sum(1 for t in res if t.level == lvl) for lvl in LEVEL_RANK}
        out.update(total=len(res), prod=sum(1 for t in res if t.environment == "prod"),
                   prod_write=sum(1 for t in res if t.environment == "prod" and t.level != "read"),
                   second_order=sum(1 for t in res if t.order > 0), systems=len(self.systems),
                   identities=len(self.identities))
        return out

    @property
    def share(self) -> float:
        return len(self.resources) / self.estate_resources if self.estate_resources else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "credential": self.credential,
            "counts": self.counts(),
            "share": round(self.share, 6),
            "prod": self.prod,
            "environments": sorted(self.environments),
            "systems": sorted(self.systems),
            "vendors": sorted(self.vendors),
            "identities": dict(sorted(self.identities.items())),
            "credentials": dict(sorted(self.credentials.items())),
            "targets": [self.targets[k].to_json() for k in sorted(self.targets)],
        }


class ReachIndex:
    """The reach graph of an estate, built once and reused by every blast-radius question."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        label = estate.labels
        #: identity -> {target: level rank} from HAS_ACCESS, systems expanded to their members
        self.access: dict[str, dict[str, int]] = {}
        #: (identity, member) -> the system whose grant gives the member its level, when not a direct grant
        self.via_system: dict[tuple[str, str], str] = {}
        #: resource or secret store -> the systems it is PART_OF, and the reverse
        self.part_of: dict[str, list[str]] = {}
        members: dict[str, list[str]] = {}
        for u, v, _ in estate.edges_of("PART_OF"):
            if label[u] in RESOURCE_LABELS:
                self.part_of.setdefault(u, []).append(v)
                members.setdefault(v, []).append(u)
        # the reach graph's edges, each once, in a first-seen order (a set would do; order keeps runs alike)
        edges: dict[tuple[str, str], None] = {}
        for t in ("AUTHENTICATES", "STORES"):
            edges.update(dict.fromkeys((u, v) for u, v, _ in estate.edges_of(t)))
        edges.update(dict.fromkeys((u, v) for u, v, _ in estate.edges_of("CAN_ASSUME") if label[u] == "Identity"))
        access, via_system = self.access, self.via_system
        for u, v, d in estate.edges_of("HAS_ACCESS"):
            rank = LEVEL_RANK[d["level"]]
            acc = access.get(u)
            if acc is None:
                acc = access[u] = {}
            if acc.get(v, 0) <= rank:
                acc[v] = rank
                via_system.pop((u, v), None)
            edges[(u, v)] = None
            for m in members.get(v, ()):
                if acc.get(m, 0) < rank:
                    acc[m] = rank
                    via_system[(u, m)] = v
                edges[(v, m)] = None
        self.credentials = sorted(n for n, lab in label.items() if lab == "Credential")
        self.estate_resources = sum(1 for lab in label.values() if lab in RESOURCE_LABELS)
        self._edges = list(edges)
        nodes = dict.fromkeys(x for e in self._edges for x in e)
        nodes.update(dict.fromkeys(self.credentials))
        self._nodes = list(nodes)

    @cached_property
    def succ(self) -> dict[str, list[str]]:
        """Node -> its successors in the reach graph (plain dicts: cheaper to walk than networkx's views)."""
        out: dict[str, list[str]] = {n: [] for n in self._nodes}
        for u, v in self._edges:
            out[u].append(v)
        return out

    @cached_property
    def r(self) -> nx.DiGraph:
        """The reach graph as networkx (for one-credential searches)."""
        r = nx.DiGraph()
        r.add_nodes_from(self._nodes)
        r.add_edges_from(self._edges)
        return r

    # -- one credential, with paths --------------------------------------------------------------
    def blast_radius(self, cred: str) -> BlastRadius:
        g, label = self.estate.g, (lambda n: self.estate.g.nodes[n]["label"])
        br = BlastRadius(cred, estate_resources=self.estate_resources)
        # 0-1 BFS: entering a credential costs one order, every other step costs nothing
        order: dict[str, int] = {cred: 0}
        depth: dict[str, int] = {cred: 0}
        parent: dict[str, str | None] = {cred: None}
        dq: deque[str] = deque([cred])
        while dq:
            u = dq.popleft()
            for v in sorted(self.succ[u]):
                step = 1 if label(v) == "Credential" else 0
                o, dpt = order[u] + step, depth[u] + 1
                if v not in order or (o, dpt) < (order[v], depth[v]):
                    order[v], depth[v], parent[v] = o, dpt, u
                    (dq.appendleft if step == 0 else dq.append)(v)
        reached = set(order)
        # the level of a target is the best grant among reached identities; its path is the one to the
        # identity holding that grant (fewest credential hops, then fewest steps, then id)
        best: dict[str, tuple[int, int, int, str]] = {}
        for n in reached:
            lab = label(n)
            if lab == "Identity":
                br.identities[n] = depth[n]
                for t, rank in self.access.get(n, {}).items():
                    cand = (-rank, order[n], depth[n], n)
                    if t not in best or cand < best[t]:
                        best[t] = cand
            elif lab == "Credential":
                br.credentials[n] = order[n]

        def path_to(x: str | None) -> list[str]:
            path = []
            while x is not None:
                path.append(x)
                x = parent[x]
            return path[::-1]

        for t, (neg_rank, o, _, grantor) in best.items():
            d = g.nodes[t]
            path = path_to(grantor)
            system = self.via_system.get((grantor, t))
            path += [system, t] if system else [t]
            br.targets[t] = Target(t, d["label"], d["kind"], d.get("name", t), RANK_LEVEL[-neg_rank], o,
                                   self.estate.environment(t), path)
            if d["label"] == "System":
                br.systems.add(t)
            else:
                br.systems.update(s for s, _ in self.estate.out(t, "PART_OF"))
        for n in list(br.identities) + list(br.credentials):
            br.vendors.update(v for v, _ in self.estate.into(n, "HOLDS"))
        return br

    # -- every credential ------------------------------------------------------------------------
    @cached_property
    def propagator(self) -> Propagator:
        return Propagator(self._nodes, self._edges)

    def _level_contrib(self, level: int) -> dict[str, frozenset[str]]:
        return self._level_contribs[level]

    @cached_property
    def _level_contribs(self) -> dict[int, dict[str, frozenset[str]]]:
        """Level rank -> identity -> resources and secret stores it holds a grant of at least that rank on."""
        label = self.estate.labels
        out: dict[int, dict[str, frozenset[str]]] = {1: {}, 2: {}, 3: {}}
        for i, acc in self.access.items():
            ranked = [(t, rank) for t, rank in acc.items() if label[t] != "System"]
            out[1][i] = frozenset(t for t, _ in ranked)
            out[2][i] = frozenset(t for t, rank in ranked if rank >= 2)
            out[3][i] = frozenset(t for t, rank in ranked if rank >= 3)
        return out

    @cached_property
    def level_sets(self) -> dict[int, dict[str, frozenset]]:
        """Level rank -> credential -> resources and secret stores reached with at least that level."""
        return {lvl: self.propagator.reach(self.credentials, self._level_contrib(lvl)) for lvl in (1, 2, 3)}

    @cached_property
    def first_order_sets(self) -> dict[str, frozenset]:
        """Credential -> resources reached without going through another credential."""
        label = self.estate.labels
        cond = self.propagator.condensed("first-order", skip_into=lambda v: label[v] == "Credential")
        return self.propagator.reach(self.credentials, self._level_contrib(1), cond)

    @cached_property
    def system_sets(self) -> dict[str, frozenset]:
        """Credential -> systems reached: granted directly, or holding a reached resource."""
        label = self.estate.labels
        part_of = self.part_of
        contrib = {}
        for i, acc in self.access.items():
            systems = set()
            for t in acc:
                if label[t] == "System":
                    systems.add(t)
                else:
                    systems.update(part_of.get(t, ()))
            contrib[i] = systems
        return self.propagator.reach(self.credentials, contrib)

    @cached_property
    def _summaries(self) -> dict[str, dict[str, Any]]:
        prod = frozenset(n for n, lab in self.estate.labels.items()
                         if lab in RESOURCE_LABELS and self.estate.environment(n) == "prod")
        r, w, a = (self.level_sets[k] for k in (1, 2, 3))
        first, systems = self.first_order_sets, self.system_sets
        total_res = self.estate_resources
        out: dict[str, dict[str, Any]] = {}
        cache: dict[tuple[int, int, int, int, int], dict[str, Any]] = {}
        for c in self.credentials:
            key = (id(r[c]), id(w[c]), id(a[c]), id(first[c]), id(systems[c]))
            hit = cache.get(key)
            if hit is None:
                rs, ws, as_ = r[c], w[c], a[c]
                counts = {"read": len(rs) - len(ws), "write": len(ws) - len(as_), "admin": len(as_),
                          "total": len(rs), "prod": len(rs & prod), "prod_write": len(ws & prod),
                          "second_order": len(rs - first[c]), "systems": len(systems[c])}
                hit = cache[key] = {"counts": counts,
                                    "share": round(len(rs) / total_res, 6) if total_res else 0.0}
            out[c] = hit
        return out

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Per-credential blast radius counts for the whole estate (no paths). Shared dicts: do not mutate."""
        return self._summaries


def blast_radius(estate: Estate, cred: str) -> BlastRadius:
    return ReachIndex(estate).blast_radius(cred)


def all_blast_radii(estate: Estate) -> dict[str, dict[str, Any]]:
    return ReachIndex(estate).summaries()


def all_blast_radii_naive(estate: Estate) -> dict[str, dict[str, Any]]:
    """One search per credential: the baseline the benchmarks compare against."""
    index = ReachIndex(estate)
    out = {}
    for c in index.credentials:
        br = index.blast_radius(c)
        counts = br.counts()
        out[c] = {"counts": {k: counts[k] for k in ("read", "write", "admin", "total", "prod", "prod_write",
                                                     "second_order", "systems")},
                  "share": round(br.share, 6)}
    return out
