"""Links between exports that no single export can make, resolved over all batches of one ingest run.

Each ingester reads one file and cannot see the others, so three facts are left as references that this
step resolves, with the batches of the run and the graph already in the workspace:

1. **The credential kept in a secret store.** A workflow that reads ``${{ secrets.AWS_ACCESS_KEY_ID }}``
   knows the Actions secret, not the key in it. It uses the *stored value* of the store, a credential
   with the store's id plus ``#value`` (:func:`stored_value`). When the store is known to keep one real
   credential (a ``STORES`` edge from the inventory ``secret_stores.stores`` / ``credentials.stored_in``
   column, a GitHub variable or Vault custom metadata holding a key id, ...), every reference to the
   stored value is rewritten to that credential and the stand-in is dropped, so two workflows using the
   same secret, the scanner that found the key and the credential report end on ONE credential node.
   For GitHub, a reference to an environment secret falls back to the repository secret and then to the
   org secret of the same name when those are the stores that exist, which is how Actions resolves it.
2. **A leaked value known by its fingerprint.** A scanner finding without a provider key id is a
   credential ``secret:sha256:<hex>``; when exactly one other credential has that fingerprint, the
   finding is moved onto it.
3. **Vault policy paths.** A policy's rules (``rules`` property, e.g. ``secret/data/app/* read``) are
   matched against the KV paths known to the graph and become ``HAS_ACCESS`` edges from the policy to
   each matching ``vault_path`` store.

Only records of the current run are rewritten; a link that appears later applies when the referring
export is ingested again. :func:`resolve` runs between parsing and merging: over the run's batches and the
graph already in the workspace, i.e. in ``workspace.ingest`` just before ``merge``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable

from ..model.records import Batch, Origin, coerce_edge, edge_key
from .exports import combine_edges

SUFFIX = "#value"


def stored_value(store_id: str) -> str:
    """The id of "whatever credential the store keeps", until a link names it."""
    return store_id + SUFFIX


def is_stored_value(node_id: str) -> bool:
    return node_id.endswith(SUFFIX)


_GH_ENV = re.compile(r"^github:(?P<org>[^/:]+)/(?P<repo>[^:]+):env/(?P<env>.+)/(?P<what>secret|variable)/"
                     r"(?P<name>[^/]+)$")
_GH_REPO = re.compile(r"^github:(?P<org>[^/:]+)/(?P<repo>[^:]+):(?P<what>secret|variable)/(?P<name>[^/]+)$")


def store_candidates(store_id: str) -> list[str]:
    """The stores a reference may really mean, most specific first (GitHub: environment, repo, org)."""
    m = _GH_ENV.match(store_id)
    if m:
        return [store_id, f"github:{m['org']}/{m['repo']}:{m['what']}/{m['name']}",
                f"github:{m['org']}:{m['what']}/{m['name']}"]
    m = _GH_REPO.match(store_id)
    if m:
        return [store_id, f"github:{m['org']}:{m['what']}/{m['name']}"]
    return [store_id]


def _all_nodes(batches: list[Batch], nodes: dict[str, dict[str, Any]]) -> Iterable[dict[str, Any]]:
    yield from nodes.values()
    for b in batches:
        yield from b.nodes


def _all_edges(batches: list[Batch], edges: dict[tuple, dict[str, Any]]) -> Iterable[dict[str, Any]]:
    yield from edges.values()
    for b in batches:
        yield from b.edges


def resolve(batches: list[Batch], nodes: dict[str, dict[str, Any]],
            edges: dict[tuple, dict[str, Any]]) -> list[str]:
    """Resolve the cross-export references in ``batches`` in place; ``nodes``/``edges`` are the current
    graph (read only). Returns warnings for references that stay ambiguous."""
    warnings: list[str] = []
    _resolve_fingerprints(batches, nodes, warnings)
    _resolve_stored_values(batches, nodes, edges, warnings)
    _expand_policy_rules(batches, nodes)
    return warnings


# ---------------------------------------------------------------------------------------------- renames
def _rename(batch: Batch, renames: dict[str, str], drop: frozenset[str] = frozenset()) -> None:
    """Rename nodes and edge endpoints of a batch, merging edges (and stub nodes) that become one; the
    nodes in ``drop`` are removed (their edges are renamed)."""
    if not renames:
        return
    nodes, origins = [], []
    seen: dict[str, dict[str, Any]] = {}
    for n, o in zip(batch.nodes, batch.node_origins):
        if n["id"] in drop:
            continue
        new_id = renames.get(n["id"], n["id"])
        n = {**n, "id": new_id} if new_id != n["id"] else n
        if n.get("_stub") and new_id in seen:
            continue  # a second stub of one node adds nothing the merge would keep
        seen.setdefault(new_id, n)
        nodes.append(n)
        origins.append(o)
    batch.nodes, batch.node_origins = nodes, origins
    out_edges, out_origins = [], []
    by_key: dict[tuple, dict[str, Any]] = {}
    for e, o in zip(batch.edges, batch.edge_origins):
        start, end = renames.get(e["start"], e["start"]), renames.get(e["end"], e["end"])
        if (start, end) != (e["start"], e["end"]):
            e = {**e, "start": start, "end": end}
        key = edge_key(e)
        old = by_key.get(key)
        if old is not None:
            combine_edges(old, e)
            continue
        by_key[key] = e
        out_edges.append(e)
        out_origins.append(o)
    batch.edges, batch.edge_origins = out_edges, out_origins


# ---------------------------------------------------------------------------------------------- 2. fingerprints
def _resolve_fingerprints(batches: list[Batch], nodes: dict[str, dict[str, Any]], warnings: list[str]) -> None:
    if not any(n.get("_stub") and n["id"].startswith("secret:sha256:") for b in batches for n in b.nodes):
        return
    by_fp: dict[str, set[str]] = defaultdict(set)
    for n in _all_nodes(batches, nodes):
        if n["label"] == "Credential" and n.get("fingerprint") and not n["id"].startswith("secret:"):
            by_fp[n["fingerprint"]].add(n["id"])
    if not by_fp:
        return
    for b in batches:
        renames: dict[str, str] = {}
        for n, o in zip(b.nodes, b.node_origins):
            if n["label"] != "Credential" or not n["id"].startswith("secret:sha256:") or not n.get("_stub"):
                continue
            found = by_fp.get(n["id"][len("secret:"):], set())
            if len(found) == 1:
                renames[n["id"]] = next(iter(found))
            elif len(found) > 1:
                warnings.append(f"{o.path}: {o.record}: the leaked value matches {len(found)} credentials "
                                f"by fingerprint ({', '.join(sorted(found))}); kept apart")
        _rename(b, renames)


# ---------------------------------------------------------------------------------------------- 1. stored values
def _resolve_stored_values(batches: list[Batch], nodes: dict[str, dict[str, Any]],
                           edges: dict[tuple, dict[str, Any]], warnings: list[str]) -> None:
    refs = {e["end"] for b in batches for e in b.edges if is_stored_value(e["end"])}
    refs |= {n["id"] for b in batches for n in b.nodes if is_stored_value(n["id"])}
    if not refs:
        return
    labels: dict[str, str] = {}
    for n in _all_nodes(batches, nodes):
        labels.setdefault(n["id"], n["label"])
    kept: dict[str, set[str]] = defaultdict(set)
    for e in _all_edges(batches, edges):
        if e["type"] == "STORES" and not is_stored_value(e["end"]):
            kept[e["start"]].add(e["end"])

    targets: dict[str, str] = {}
    for ref in sorted(refs):
        store = ref[: -len(SUFFIX)]
        for cand in store_candidates(store):
            if labels.get(cand) not in ("SecretStore", "Resource"):
                continue
            real = sorted(kept.get(cand, ()))
            if len(real) == 1:
                targets[ref] = real[0]
            elif len(real) > 1:
                warnings.append(f"{cand} keeps {len(real)} credentials ({', '.join(real)}); references to "
                                "its value are not resolved")
                if cand != store:
                    targets[ref] = stored_value(cand)
            elif cand != store:
                targets[ref] = stored_value(cand)
            break
    if not targets:
        return
    resolved = frozenset(ref for ref, t in targets.items() if not is_stored_value(t))
    for b in batches:
        _rename(b, targets, resolved)
    # a fallback placeholder that no export created yet is added as a stub where it is referenced
    present = {n["id"] for n in _all_nodes(batches, nodes)}
    for b in batches:
        for e, o in zip(list(b.edges), list(b.edge_origins)):
            if is_stored_value(e["end"]) and e["end"] not in present:
                b.nodes.append({"id": e["end"], "label": "Credential", "kind": "other", "name": e["end"],
                                "source": b.source, "_stub": True})
                b.node_origins.append(o)
                present.add(e["end"])


# ---------------------------------------------------------------------------------------------- 3. policy paths
_POLICY = re.compile(r"^vault:(?P<cluster>[^:]+):policy/")
_KV = re.compile(r"^vault:(?P<cluster>[^:]+):kv/(?P<path>.+)$")


def _expand_policy_rules(batches: list[Batch], nodes: dict[str, dict[str, Any]]) -> None:
    from .vault import grant_on, parse_rule_strings

    if not any(n.get("rules") or (n["label"] == "SecretStore" and _KV.match(n["id"]))
               for b in batches for n in b.nodes):
        return
    policies: dict[str, tuple[str, list]] = {}
    stores: dict[str, set[str]] = defaultdict(set)
    where: dict[str, tuple[Batch, Origin]] = {}
    for n in nodes.values():
        _collect(n, policies, stores)
    for b in batches:
        for n, o in zip(b.nodes, b.node_origins):
            _collect(n, policies, stores)
            if n["id"] not in where and (n.get("rules") or _KV.match(n["id"])):
                where[n["id"]] = (b, o)
    if not policies or not stores:
        return
    parsed = {pid: (cluster, parse_rule_strings(rules)) for pid, (cluster, rules) in policies.items()}
    existing = {edge_key(e) for b in batches for e in b.edges}
    for pid, (cluster, rules) in sorted(parsed.items()):
        for sid in sorted(stores.get(cluster, ())):
            home = where.get(pid) or where.get(sid)
            if home is None or not rules:
                continue  # both already in the graph: expanded when either was ingested
            grant = grant_on(rules, _KV.match(sid)["path"])
            if grant is None:
                continue
            level, actions = grant
            rec = coerce_edge({"type": "HAS_ACCESS", "start": pid, "end": sid, "level": level,
                               "actions": actions}, home[1], home[0].source)
            if edge_key(rec) in existing:
                continue
            existing.add(edge_key(rec))
            home[0].edges.append(rec)
            home[0].edge_origins.append(home[1])


def _collect(n: dict[str, Any], policies: dict[str, tuple[str, list]], stores: dict[str, set[str]]) -> None:
    if n["label"] == "Identity" and n.get("rules"):
        m = _POLICY.match(n["id"])
        if m:
            policies[n["id"]] = (m["cluster"], list(n["rules"]))
    elif n["label"] == "SecretStore" and n.get("kind") == "vault_path":
        m = _KV.match(n["id"])
        if m:
            stores[m["cluster"]].add(n["id"])
