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
        g = estate.g
        self.r = nx.DiGraph()
        #: identity -> {target: level rank} from HAS_ACCESS, systems expanded to their members
        self.access: dict[str, dict[str, int]] = {}
        #: (identity, member) -> the system whose grant gives the member its level, when not a direct grant
        self.via_system: dict[tuple[str, str], str] = {}
        members: dict[str, list[str]] = {}
        for u, v, d in g.edges(data=True):
            t = d["type"]
            if t == "PART_OF" and g.nodes[u]["label"] in RESOURCE_LABELS:
                members.setdefault(v, []).append(u)
        for u, v, d in g.edges(data=True):
            t = d["type"]
            if t in ("AUTHENTICATES", "STORES"):
                self.r.add_edge(u, v)
            elif t == "CAN_ASSUME" and g.nodes[u]["label"] == "Identity":
                self.r.add_edge(u, v)
            elif t == "HAS_ACCESS":
                rank = LEVEL_RANK[d["level"]]
                acc = self.access.setdefault(u, {})
                if acc.get(v, 0) <= rank:
                    acc[v] = rank
                    self.via_system.pop((u, v), None)
                self.r.add_edge(u, v)
                for m in members.get(v, ()):
                    if acc.get(m, 0) < rank:
                        acc[m] = rank
                        self.via_system[(u, m)] = v
                    self.r.add_edge(v, m)
        self.credentials = sorted(n for n, d in g.nodes(data=True) if d["label"] == "Credential")
        self.estate_resources = sum(1 for _, d in g.nodes(data=True) if d["label"] in RESOURCE_LABELS)
        self.r.add_nodes_from(self.credentials)

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
            for v in sorted(self.r.successors(u)):
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
    def _condensed(self) -> tuple[nx.DiGraph, dict[str, int]]:
        c = nx.condensation(self.r)
        return c, c.graph["mapping"]

    def propagate(self, contrib: dict[str, dict[str, int]], keep=None,
                  skip_edge=None) -> dict[str, dict[str, int]]:
        """Credential -> max-merged contributions of every node it reaches, merging each component once.

        ``contrib`` maps a node to {key: rank}; ``keep`` limits the walk to some nodes; ``skip_edge``
        drops some steps. Components of the reach graph are collapsed and visited in reverse topological
        order, so a shared downstream reach is computed once and reused (never copied when unchanged).
        """
        if keep is None and skip_edge is None:
            cond, mapping = self._condensed
        else:
            sub = nx.DiGraph()
            sub.add_nodes_from(n for n in self.r.nodes if keep is None or n in keep)
            sub.add_edges_from((u, v) for u, v in self.r.edges
                               if (keep is None or (u in keep and v in keep))
                               and (skip_edge is None or not skip_edge(u, v)))
            cond = nx.condensation(sub)
            mapping = cond.graph["mapping"]
        own: dict[int, dict[str, int]] = {}
        for n, acc in contrib.items():
            if n not in mapping:
                continue
            comp = own.setdefault(mapping[n], {})
            for t, rank in acc.items():
                if comp.get(t, 0) < rank:
                    comp[t] = rank
        memo: dict[int, dict[str, int]] = {}
        for comp in reversed(list(nx.topological_sort(cond))):
            succ = list(cond.successors(comp))
            base = own.get(comp)
            if base is None and len(succ) == 1:
                memo[comp] = memo[succ[0]]  # shared, never mutated
                continue
            if base is None and not succ:
                memo[comp] = {}
                continue
            merged = dict(base) if base else {}
            for s_ in succ:
                for t, rank in memo[s_].items():
                    if merged.get(t, 0) < rank:
                        merged[t] = rank
            memo[comp] = merged
        return {c: memo[mapping[c]] for c in self.credentials if c in mapping}

    def target_levels(self, first_order_only: bool = False) -> dict[str, dict[str, int]]:
        """Credential -> {target: level rank} for every credential."""
        if not first_order_only:
            return self._full_levels
        g = self.estate.g
        return self.propagate(self.access, skip_edge=lambda u, v: g.nodes[v]["label"] == "Credential")

    @cached_property
    def _full_levels(self) -> dict[str, dict[str, int]]:
        return self.propagate(self.access)

    @cached_property
    def _summaries(self) -> dict[str, dict[str, Any]]:
        return self._compute_summaries()

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Per-credential blast radius counts for the whole estate (no paths)."""
        return self._summaries

    def _compute_summaries(self) -> dict[str, dict[str, Any]]:
        g = self.estate.g
        full = self.target_levels()
        first = self.target_levels(first_order_only=True)
        env_cache: dict[str, str | None] = {}
        part_of: dict[str, list[str]] = {}
        for u, v, d in g.edges(data=True):
            if d["type"] == "PART_OF" and g.nodes[u]["label"] in RESOURCE_LABELS:
                part_of.setdefault(u, []).append(v)

        def env(t: str) -> str | None:
            if t not in env_cache:
                env_cache[t] = self.estate.environment(t)
            return env_cache[t]

        out: dict[str, dict[str, Any]] = {}
        for c in self.credentials:
            levels, firsts = full[c], first[c]
            counts = {"read": 0, "write": 0, "admin": 0, "total": 0, "prod": 0, "prod_write": 0,
                      "second_order": 0, "systems": 0}
            systems: set[str] = set()
            for t, rank in levels.items():
                lab = g.nodes[t]["label"]
                if lab == "System":
                    systems.add(t)
                    continue
                systems.update(part_of.get(t, ()))
                counts[RANK_LEVEL[rank]] += 1
                counts["total"] += 1
                if env(t) == "prod":
                    counts["prod"] += 1
                    if rank > 1:
                        counts["prod_write"] += 1
                if t not in firsts:
                    counts["second_order"] += 1
            counts["systems"] = len(systems)
            out[c] = {"counts": counts,
                      "share": round(counts["total"] / self.estate_resources, 6) if self.estate_resources else 0.0}
        return out


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
