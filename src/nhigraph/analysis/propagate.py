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

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

EMPTY: frozenset = frozenset()


class Condensed:
    """A directed graph's components in an order where each comes after everything it reaches."""

    def __init__(self, nodes: list[Hashable], edges: Iterable[tuple[int, int]]) -> None:
        self.nodes = nodes
        n = len(nodes)
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

    def propagate(self, contrib: dict[int, frozenset]) -> list[frozenset]:
        """Per component: the union of the contributions of every node it reaches (itself included)."""
        own: dict[int, frozenset] = {}
        labels = self.labels
        for node, items in contrib.items():
            if items:
                c = int(labels[node])
                own[c] = own[c] | items if c in own else items
        out: list[frozenset] = [EMPTY] * self.ncomp
        ptr, succ = self.succ_ptr.tolist(), self.succ.tolist()
        for c in self.order:
            nexts = succ[ptr[c]:ptr[c + 1]]
            base = own.get(c)
            if base is None:
                if not nexts:
                    continue
                if len(nexts) == 1:
                    out[c] = out[nexts[0]]
                    continue
                sets = [out[s] for s in nexts]
            else:
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
        self.edges = [(self.index[u], self.index[v]) for u, v in edges]
        self._cache: dict[Hashable, Condensed] = {}

    def condensed(self, key: Hashable = None, keep: Callable[[Hashable], bool] | None = None,
                  skip_edge: Callable[[Hashable, Hashable], bool] | None = None) -> Condensed:
        if key not in self._cache:
            edges = self.edges
            if keep is not None or skip_edge is not None:
                kept = [keep(n) if keep else True for n in self.nodes]
                nodes = self.nodes
                edges = [(u, v) for u, v in edges if kept[u] and kept[v]
                         and not (skip_edge and skip_edge(nodes[u], nodes[v]))]
            self._cache[key] = Condensed(self.nodes, edges)
        return self._cache[key]

    def reach(self, starts: Iterable[Hashable], contrib: dict[Hashable, Iterable[Hashable]],
              condensed: Condensed | None = None) -> dict[Hashable, frozenset]:
        """Start node -> union of ``contrib`` over every node it reaches in the (filtered) graph."""
        cond = condensed or self.condensed()
        idx = self.index
        per_comp = cond.propagate({idx[n]: frozenset(v) for n, v in contrib.items() if n in idx})
        return {s: per_comp[cond.labels[idx[s]]] for s in starts}
