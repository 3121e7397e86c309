"""Integration-debt score per system and per business unit.

    score = 100 × (3·D + 2·S + 2·H + 1·P) / N

- D: the scope's share of excess duplicate connectors: a group of k connectors between the same two
  platforms has k − 1 excess, shared evenly by its members, so each member in the scope adds (k − 1)/k and
  a group built by two business units weighs on both (a connector is in a system's scope when it reads
  from or writes to it);
- S: credentials kept in more than one store (credential sprawl);
- H: credentials shared by several workflows or connectors;
- P: agent or tool access with no broker (point-to-point);
- N: connectors plus credentials in the scope (at least 1).

A credential is in a system's scope when the identity it authenticates as is PART_OF that system, and in a
business unit's when the credential, its identity, or a connector or workflow using it names that unit.
0 is clean; 100 means on average one weighted problem per connector or credential. It is computed from
the metrics, so both backends give the same scores.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .debt import Metric

WEIGHTS = {"duplicate_excess": 3, "sprawl": 2, "shared": 2, "point_to_point": 1}


def integration_scores(metrics: list[Metric], scopes: dict[str, dict[str, set[str]]]) -> list[dict[str, Any]]:
    """``scopes`` maps ``system:<id>`` / ``bu:<name>`` to ``{"connectors": ids, "credentials": ids}``."""
    by_id = {m.id: m for m in metrics}
    dup_groups = by_id["integration.duplicate_connectors"].offenders
    sprawl = {o["subject"] for o in by_id["integration.credential_sprawl"].offenders}
    shared = {o["subject"] for o in by_id["security.shared_credentials"].offenders}
    p2p = {o["subject"] for o in by_id["integration.point_to_point"].offenders}
    rows = []
    for scope, members in sorted(scopes.items()):
        connectors, creds = members.get("connectors", set()), members.get("credentials", set())
        dup = round(sum(len(set(g["connectors"]) & connectors) * (len(g["connectors"]) - 1) / len(g["connectors"])
                        for g in dup_groups), 3)
        parts = {"duplicate_excess": dup, "sprawl": len(sprawl & creds), "shared": len(shared & creds),
                 "point_to_point": len(p2p & (connectors | members.get("workflows", set())))}
        population = max(1, len(connectors) + len(creds))
        score = 100 * sum(WEIGHTS[k] * v for k, v in parts.items()) / population
        kind, _, name = scope.partition(":")
        rows.append({"scope": kind, "name": name, **parts, "population": len(connectors) + len(creds),
                     "score": round(score, 1)})
    rows.sort(key=lambda r: (-r["score"], r["scope"], r["name"]))
    return rows


def scopes_from_estate(estate) -> dict[str, dict[str, set[str]]]:
    """Scope membership on the embedded backend (the Neo4j backend answers the same from Cypher)."""
    scopes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c in estate.nodes_of("Connector"):
        d = estate.node(c)
        for s, _ in list(estate.out(c, "CONNECTS_FROM")) + list(estate.out(c, "CONNECTS_TO")):
            scopes[f"system:{s}"]["connectors"].add(c)
        if d.get("business_unit"):
            scopes[f"bu:{d['business_unit']}"]["connectors"].add(c)
    for w in estate.nodes_of("Workflow"):
        d = estate.node(w)
        if d.get("business_unit"):
            scopes[f"bu:{d['business_unit']}"]["workflows"].add(w)
    for cred in estate.nodes_of("Credential"):
        bus = {estate.node(cred).get("business_unit")}
        for i, _ in estate.out(cred, "AUTHENTICATES"):
            bus.add(estate.node(i).get("business_unit"))
            for s, _ in estate.out(i, "PART_OF"):
                scopes[f"system:{s}"]["credentials"].add(cred)
        for u, _ in estate.into(cred, "USES"):
            bus.add(estate.node(u).get("business_unit"))
        for bu in bus - {None}:
            scopes[f"bu:{bu}"]["credentials"].add(cred)
    return {k: dict(v) for k, v in scopes.items()}
