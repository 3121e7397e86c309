"""Reach for every start node at once, without one search per start node.

The reach graph is condensed into its strongly connected components with scipy (C speed), the
components are ordered so that every component comes after all it can reach, and each component's
reach is the union of its own contribution and its successors' reaches. Reaches are Python frozensets,
so every union and intersection runs in C, and a component that adds nothing to a single successor
shares that successor's set instead of copying it. This is the hot loop of blast radius and unowned
paths (see ``tests/benchmarks/bench_embedded.py`` for the figures against one search per credential).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from functools import cached_property

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

EMPTY: frozenset = frozenset()


class Condensed:
    """A directed graph's components in an order where each comes after everything it reaches."""

    def __init__(self, nodes: list[Hashable], edges: Iterable[tuple[int, int]] | np.ndarray) -> None:
        self.nodes = nodes
        n = len(nodes)
        if isinstance(edges, np.ndarray):
            pairs = edges.astype(np.int64, copy=False).reshape(-1, 2)
        else:
            pairs = np.fromiter((x for e in edges for x in e), dtype=np.int64).reshape(-1, 2)
        if len(pairs):
            m = csr_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        else:
            m = csr_matrix((n, n), dtype=np.int8)
        self.ncomp, labels = connected_components(m, directed=True, connection="strong")
        self.labels = labels
        if len(pairs):
            cu, cv = labels[pairs[:, 0]], labels[pairs[:, 1]]
        else:
            cu = cv = np.array([], dtype=np.int64)
        keep = cu != cv
        packed = np.unique(cu[keep].astype(np.int64) * self.ncomp + cv[keep])
        src, dst = packed // self.ncomp, packed % self.ncomp
        # successors of each component, as CSR slices
        order = np.argsort(src, kind="stable")
        self.succ_ptr = np.searchsorted(src[order], np.arange(self.ncomp + 1))
        self.succ = dst[order]
        # scipy numbers the components as its search finishes them, which is already an order where every
        # component comes after its successors (or the reverse); checked here, Kahn's algorithm otherwise
        if not len(src) or bool((dst < src).all()):
            self.order = list(range(self.ncomp))
        elif bool((dst > src).all()):
            self.order = list(range(self.ncomp - 1, -1, -1))
        else:
            self.order = self._reverse_topological(src, dst)

    def _reverse_topological(self, src: np.ndarray, dst: np.ndarray) -> list[int]:
        """Kahn's algorithm on the reversed DAG: sinks first, then what only reaches processed ones."""
        out_deg = np.bincount(src, minlength=self.ncomp).astype(np.int64)
        by_dst = np.argsort(dst, kind="stable")
        pred_ptr = np.searchsorted(dst[by_dst], np.arange(self.ncomp + 1))
        preds = src[by_dst].tolist()
        pred_ptr = pred_ptr.tolist()
        deg = out_deg.tolist()
        ready = [c for c in range(self.ncomp) if deg[c] == 0]
        order: list[int] = []
        while ready:
            c = ready.pop()
            order.append(c)
            for p in preds[pred_ptr[c]:pred_ptr[c + 1]]:
                deg[p] -= 1
                if deg[p] == 0:
                    ready.append(p)
        return order

    @cached_property
    def _nexts(self) -> tuple[list[list[int]], list[list[int]], list[int], list[bool]]:
        """Per component: its successors, its successors that have successors themselves, and the
        components with successors in processing order; and which components are sinks."""
        ptr = self.succ_ptr
        sink = (ptr[1:] - ptr[:-1]) == 0
        succ = self.succ.tolist()
        bounds = ptr.tolist()
        every = [succ[bounds[c]:bounds[c + 1]] for c in range(self.ncomp)]
        sink_list = sink.tolist()
        inner = [[s for s in nexts if not sink_list[s]] if nexts else nexts for nexts in every]
        order = [c for c in self.order if not sink_list[c]]
        return every, inner, order, sink_list

    def propagate(self, contrib: dict[int, frozenset]) -> list[frozenset]:
        """Per component: the union of the contributions of every node it reaches (itself included)."""
        own: dict[int, frozenset] = {}
        labels = self.labels.tolist() if len(contrib) > 64 else self.labels
        for node, items in contrib.items():
            if items:
                c = int(labels[node])
                own[c] = own[c] | items if c in own else items
        every, inner, order, sink = self._nexts
        out: list[frozenset] = [EMPTY] * self.ncomp
        # sinks reach only themselves; when no sink contributes (on a reach graph the resources are the
        # sinks and the contributions sit on identities), edges into sinks add nothing and are skipped
        sink_own = False
        for c, items in own.items():
            if sink[c]:
                out[c] = items
                sink_own = True
        succ_of = every if sink_own else inner
        for c in order:
            nexts = succ_of[c]
            base = own.get(c)
            if base is None:
                if not nexts:
                    continue
                if len(nexts) == 1:
                    out[c] = out[nexts[0]]
                    continue
                sets = [out[s] for s in nexts]
            else:
                if not nexts:
                    out[c] = base
                    continue
                sets = [base] + [out[s] for s in nexts]
            sets = [s for s in sets if s]
            if not sets:
                continue
            largest = max(sets, key=len)
            if all(s <= largest for s in sets):
                out[c] = largest
            else:
                out[c] = frozenset().union(*sets)
        return out


class Propagator:
    """Condensations of one graph (whole, or with some nodes or edges left out), built once and reused."""

    def __init__(self, nodes: list[Hashable], edges: list[tuple[Hashable, Hashable]]) -> None:
        self.nodes = nodes
        self.index = {n: i for i, n in enumerate(nodes)}
        get = self.index.__getitem__
        self.pairs = np.fromiter((get(x) for e in edges for x in e), dtype=np.int64,
                                 count=2 * len(edges)).reshape(-1, 2)
        self._cache: dict[Hashable, Condensed] = {}

    @property
    def edges(self) -> list[tuple[int, int]]:
        return [tuple(e) for e in self.pairs.tolist()]

    def condensed(self, key: Hashable = None, keep: Callable[[Hashable], bool] | None = None,
                  skip_edge: Callable[[Hashable, Hashable], bool] | None = None,
                  skip_into: Callable[[Hashable], bool] | None = None) -> Condensed:
        """The condensation without the nodes ``keep`` rejects (and their edges), the edges ``skip_edge``
        rejects and the edges into nodes ``skip_into`` accepts; cached under ``key``."""
        if key not in self._cache:
            pairs = self.pairs
            if keep is not None or skip_into is not None:
                mask = np.ones(len(pairs), dtype=bool)
                if keep is not None:
                    kept = np.fromiter(map(keep, self.nodes), dtype=bool, count=len(self.nodes))
                    mask &= kept[pairs[:, 0]] & kept[pairs[:, 1]]
                if skip_into is not None:
                    into = np.fromiter(map(skip_into, self.nodes), dtype=bool, count=len(self.nodes))
                    mask &= ~into[pairs[:, 1]]
                pairs = pairs[mask]
            if skip_edge is not None:
                nodes = self.nodes
                pairs = np.array([(u, v) for u, v in pairs.tolist() if not skip_edge(nodes[u], nodes[v])],
                                 dtype=np.int64).reshape(-1, 2)
            self._cache[key] = Condensed(self.nodes, pairs)
        return self._cache[key]

    def reach(self, starts: Iterable[Hashable], contrib: dict[Hashable, Iterable[Hashable]],
              condensed: Condensed | None = None) -> dict[Hashable, frozenset]:
        """Start node -> union of ``contrib`` over every node it reaches in the (filtered) graph."""
        cond = condensed or self.condensed()
        idx = self.index
        per_comp = cond.propagate({idx[n]: v if type(v) is frozenset else frozenset(v)
                                   for n, v in contrib.items() if n in idx})
        labels = cond.labels.tolist()
        return {s: per_comp[labels[idx[s]]] for s in starts}
