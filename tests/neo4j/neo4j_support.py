"""Estates and comparisons for the Neo4j tests (imported by the test modules in this folder).

- :func:`hand_estate`: a small estate with known traps: an assume cycle, a credential stored where its own
  chain can read it, three orders of chaining, a departed owner in the middle of a path, grants on systems
  that extend to their resources, a tag-only owner, external trusts and every metric's offenders;
- :func:`tricky_estate`: the same shape with ids and names full of quotes, backticks, unicode, ``})-[``,
  ``//`` and Cypher keywords;
- :func:`random_estate`: seeded random estates (cycles, chains, dense grants) for broader parity;
- :func:`to_workspace`: records -> a workspace snapshot (written and read back, so both backends see the
  snapshot exactly as ``nhigraph ingest`` would leave it);
- :func:`assert_parity`: every backend answer compared between embedded and Neo4j.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from nhigraph.analysis.reach import RESOURCE_LABELS
from nhigraph.model.records import Origin, coerce_edge, coerce_node, edge_key
from nhigraph.workspace.store import Workspace

OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
_ORIGIN = Origin("test", "record")


class Builder:
    """Collects validated node and edge records, each reported by one source."""

    def __init__(self, observed: datetime = OBSERVED) -> None:
        self.observed = observed
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple, dict[str, Any]] = {}

    def node(self, label: str, id_: str, kind: str, source: str = "test:nodes", **props: Any) -> str:
        rec = coerce_node({"label": label, "id": id_, "kind": kind, **props}, _ORIGIN, source)
        rec.setdefault("sources", [rec["source"]])
        rec.setdefault("first_seen", self.observed)
        rec.setdefault("last_seen", self.observed)
        self.nodes[id_] = rec
        return id_

    def edge(self, type_: str, start: str, end: str, source: str = "test:edges", **props: Any) -> None:
        rec = coerce_edge({"type": type_, "start": start, "end": end, **props}, _ORIGIN, source)
        rec.setdefault("sources", [rec["source"]])
        self.edges[edge_key(rec)] = rec

    def days(self, n: float) -> datetime:
        return self.observed - timedelta(days=n)

    def sources(self) -> list[str]:
        return sorted({r["source"] for r in self.nodes.values()} | {r["source"] for r in self.edges.values()})


def to_workspace(path: Path, b: Builder, partial: tuple[str, ...] = ()) -> Workspace:
    ws = Workspace(path)
    manifest = {"observed_at": b.observed.isoformat(),
                "sources": {s: {"partial": s in partial} for s in b.sources()}}
    with ws.lock():
        ws.write(b.nodes, b.edges, manifest)
    return ws


# ---------------------------------------------------------------------------------------------- hand-built

def hand_estate(names: dict[str, str] | None = None) -> Builder:
    """A small estate exercising every analysis. ``names`` maps the plain ids to other ids (see
    :func:`tricky_estate`)."""
    n = names or {}
    x = lambda key: n.get(key, key)  # noqa: E731
    b = Builder()
    # systems and owners
    b.node("System", x("sys:prod"), "aws_account", name="prod account", environment="prod", platform="AWS")
    b.node("System", x("sys:dev"), "aws_account", name="dev account", environment="dev", platform="AWS")
    b.node("System", x("sys:vault"), "vault_cluster", name="Vault", environment="prod", platform="Vault")
    b.node("System", x("sys:ext"), "aws_account", name="partner account", external=True, platform="AWS")
    b.node("System", x("sys:crm"), "saas", name="CRM", environment="prod", platform="Salesforce")
    b.node("System", x("sys:dw"), "saas", name="Warehouse", environment="prod", platform="Snowflake")
    b.node("Owner", x("team:plat"), "team", name="Platform", source="test:owners", active=True)
    b.node("Owner", x("team:sec"), "team", name="Security", source="test:owners", active=True)
    b.node("Owner", x("person:ann"), "person", name="Ann", source="test:owners", active=True, email="ann@x.example",
           escalation_contact="team lead")
    b.node("Owner", x("person:bob"), "person", name="Bob", source="test:owners", active=False,
           departed_at=b.days(100))
    b.node("Owner", x("person:tag"), "person", name="Tagged", source="aws:tags")
    b.edge("MEMBER_OF", x("person:ann"), x("team:plat"))
    b.edge("MEMBER_OF", x("person:bob"), x("team:sec"))
    # identities: ci -> deploy -> a <-> b (b owned only by departed bob: mid-path) -> admin
    ids = {"ci": "iam_user", "deploy": "iam_role", "a": "iam_role", "b": "iam_role", "admin": "iam_role",
           "reader": "service_account", "vaultrole": "service_account", "dev": "iam_user", "bot": "bot",
           "agent": "ai_agent", "audit": "iam_role", "orphan": "iam_user"}
    for key, kind in ids.items():
        b.node("Identity", x(f"id:{key}"), kind, name=key, created_at=b.days(400),
               human_used=(key == "reader"))
        b.edge("PART_OF", x(f"id:{key}"), x("sys:dev") if key == "dev" else x("sys:prod"))
    for start, end in (("ci", "deploy"), ("deploy", "a"), ("a", "b"), ("b", "a"), ("b", "admin"),
                       ("vaultrole", "reader"), ("agent", "deploy")):
        b.edge("CAN_ASSUME", x(f"id:{start}"), x(f"id:{end}"), via="trust")
    b.edge("CAN_ASSUME", x("sys:ext"), x("id:audit"), via="trust", external_id_required=False)
    b.edge("CAN_ASSUME", x("id:bot"), x("id:reader"), via="trust")
    owners = {"ci": [("approve", "team:plat"), ("implement", "person:ann"), ("revoke", "team:sec")],
              "deploy": [(r, "team:plat") for r in ("approve", "implement", "monitor", "revoke")],
              "a": [("implement", "team:plat")],
              "b": [("implement", "person:bob")],
              "admin": [("approve", "team:sec"), ("implement", "team:plat"), ("monitor", "team:sec"),
                        ("revoke", "team:sec")],
              "reader": [("implement", "person:bob"), ("approve", "person:tag")],
              "vaultrole": [("approve", "team:sec"), ("revoke", "team:sec")],
              "dev": [("implement", "team:plat")],
              "bot": [("implement", "person:tag")],
              "agent": [("implement", "team:plat"), ("monitor", "team:sec"), ("approve", "person:ann")],
              "audit": [("approve", "team:sec"), ("monitor", "team:sec")]}
    for key, pairs in owners.items():
        for role, owner in pairs:
            b.edge("OWNS", x(owner), x(f"id:{key}"), role=role)
    # resources and stores
    for key, sys_, env in (("res:logs", "sys:prod", None), ("res:db", "sys:prod", None), ("res:fn", "sys:prod", "prod"),
                           ("res:scratch", "sys:dev", None), ("res:crm", "sys:crm", None),
                           ("res:dw", "sys:dw", None)):
        b.node("Resource", x(key), "bucket", name=key, environment=env)
        b.edge("PART_OF", x(key), x(sys_))
    b.node("Resource", x("res:shared"), "bucket", name="shared", environment="shared")
    b.edge("PART_OF", x("res:shared"), x("sys:prod"))
    b.edge("PART_OF", x("res:shared"), x("sys:dev"))
    for key, sys_, env in (("store:ci", "sys:prod", "prod"), ("store:env", "sys:dev", "dev"),
                           ("store:kv1", "sys:vault", None), ("store:kv2", "sys:vault", None),
                           ("store:kv3", "sys:vault", None)):
        b.node("SecretStore", x(key), "vault_path", name=key, environment=env)
        b.edge("PART_OF", x(key), x(sys_))
    grants = [("ci", "res:logs", "write", "s3:PutObject"), ("deploy", "res:fn", "write", "lambda:Update"),
              ("deploy", "res:db", "read", ""), ("admin", "sys:prod", "admin", "*"),
              ("deploy", "res:shared", "read", ""), ("a", "store:kv1", "read", "read"),
              ("reader", "res:db", "read", "rds:Select"), ("vaultrole", "sys:vault", "read", "read"),
              ("vaultrole", "store:kv2", "write", "write;secrets:rotatesecret"),
              ("dev", "res:scratch", "write", "s3:*"), ("bot", "res:crm", "read", "api"),
              ("agent", "res:crm", "write", "api;tokens:write"), ("audit", "res:logs", "read", "s3:GetObject"),
              ("orphan", "res:dw", "write", "INSERT")]
    for ident, target, level, actions in grants:
        b.edge("HAS_ACCESS", x(f"id:{ident}"), x(target), level=level, actions=actions or None,
               human_only=(ident == "reader"))
    # credentials: ci key stored where its own chain reads it (kv1) and in ci/env stores; chaining
    # ci -> (kv1) vault secret -> (kv2 via vault system) payments key -> (kv3) orphan key
    creds = [("cred:ci", "ci", dict(status="active", created_at=b.days(420), last_used_at=b.days(1), leaked=True,
                                    leaked_at=b.days(3), leak_location="repo .env", key_id="AKIA0001",
                                    environment="prod")),
             ("cred:vault", "vaultrole", dict(status="active", created_at=b.days(10), last_used_at=b.days(0))),
             ("cred:pay", "reader", dict(status="active", created_at=b.days(30), key_id="AKIA0002",
                                         secret="s3cr3t-value")),
             ("cred:orphan", "orphan", dict(status="active", created_at=b.days(500))),
             ("cred:dev1", "dev", dict(status="active", created_at=b.days(20), last_used_at=b.days(2))),
             ("cred:dev2", "dev", dict(status="active", created_at=b.days(200), last_used_at=b.days(120),
                                       last_rotated_at=b.days(95))),
             ("cred:dev3", "dev", dict(status="revoked", created_at=b.days(900))),
             ("cred:bot", "bot", dict(created_at=b.days(5))),
             ("cred:agent", "agent", dict(status="active", created_at=b.days(15), last_used_at=b.days(0)))]
    for cid, ident, props in creds:
        b.node("Credential", x(cid), "access_key", name=cid, **props)
        b.edge("AUTHENTICATES", x(cid), x(f"id:{ident}"))
    b.edge("OWNS", x("team:sec"), x("cred:ci"), role="monitor")
    b.edge("OWNS", x("person:bob"), x("cred:pay"), role="revoke")
    for store, cred in (("store:ci", "cred:ci"), ("store:env", "cred:ci"), ("store:kv1", "cred:vault"),
                        ("store:kv2", "cred:pay"), ("store:kv3", "cred:orphan"), ("res:db", "cred:ci")):
        b.edge("STORES", x(store), x(cred))
    # the payments reader can read kv3 (third order from ci), and kv1 stores ci's own key back (a loop)
    b.edge("HAS_ACCESS", x("id:reader"), x("store:kv3"), level="read")
    b.edge("STORES", x("store:kv1"), x("cred:ci"))
    # workflows, connectors, vendors, exceptions
    b.node("Workflow", x("wf:deploy"), "ci_pipeline", name="deploy", environment="prod", business_unit="Platform")
    b.node("Workflow", x("wf:test"), "ci_pipeline", name="test", environment="dev", has_rollback=True,
           has_telemetry=True, requires_approval=True)
    b.node("Workflow", x("wf:agent"), "ai_agent", name="support agent", environment="prod")
    b.node("Workflow", x("wf:idle"), "scheduled_job", name="idle job")
    b.edge("USES", x("wf:deploy"), x("cred:ci"))
    b.edge("USES", x("wf:test"), x("cred:ci"))
    b.edge("USES", x("wf:agent"), x("cred:agent"))
    b.edge("CAN_ASSUME", x("wf:test"), x("id:deploy"), via="oidc")
    b.edge("PART_OF", x("wf:deploy"), x("sys:prod"))
    b.edge("OWNS", x("team:sec"), x("wf:test"), role="monitor")
    for cid, kind, frm, to, cred, bu, extra in (
            ("conn:sales", "sync", "sys:crm", "sys:dw", "cred:bot", "Sales", {}),
            ("conn:fin", "sync", "sys:crm", "sys:dw", "cred:agent", None, {}),
            ("conn:tool", "agent_tool", "sys:crm", None, "cred:agent", "Sales", {}),
            ("conn:gw", "api_integration", None, "sys:crm", "cred:bot", "Sales", {"broker": "gateway"})):
        b.node("Connector", x(cid), kind, name=cid, business_unit=bu, **extra)
        if frm:
            b.edge("CONNECTS_FROM", x(cid), x(frm))
        if to:
            b.edge("CONNECTS_TO", x(cid), x(to))
        b.edge("USES", x(cid), x(cred))
    b.edge("OWNS", x("team:plat"), x("conn:sales"), role="approve")
    b.node("Vendor", x("vendor:msp"), "msp", name="MSP", risk_tier="high")
    b.edge("HOLDS", x("vendor:msp"), x("cred:pay"))
    b.edge("HOLDS", x("vendor:msp"), x("id:audit"))
    b.edge("CAN_ASSUME", x("vendor:msp"), x("id:admin"), via="trust", external_id_required=True)
    b.node("PolicyException", x("exc:old"), "waiver", name="old waiver", expires_at=b.days(10))
    b.node("PolicyException", x("exc:open"), "risk_acceptance", name="open-ended")
    b.node("PolicyException", x("exc:future"), "waiver", name="future", expires_at=b.days(-30))
    b.edge("WAIVES", x("exc:old"), x("cred:ci"))
    b.edge("WAIVES", x("exc:open"), x("id:reader"))
    b.edge("WAIVES", x("exc:future"), x("id:dev"))
    return b


TRICKY = ["it's", 'say "hi"', "back`tick`", "ünïcødé ☃ 日本", "})-[:X]->(n) DETACH DELETE n //", "// comment",
          "MATCH (n) RETURN n", "$param", "\\slash\\", "emoji 😀", "\uff21wide", "tab\tand space"]


def tricky_estate() -> Builder:
    """:func:`hand_estate` with every id replaced by one full of characters that break naive Cypher."""
    plain = hand_estate()
    names = {}
    for i, key in enumerate(sorted(set(plain.nodes))):
        names[key] = f"{key}::{TRICKY[i % len(TRICKY)]}"
    return hand_estate(names)


# ---------------------------------------------------------------------------------------------- random

def random_estate(seed: int, size: int = 30, owners: str = "mixed") -> Builder:
    """A seeded random estate with ``size`` identities: assume cycles, stored-credential chains, grants on
    systems, owners active, departed and tag-only (``owners="tags"``: tag-only owners only, so there is no
    owner register; ``"none"``: no owners at all)."""
    rnd = random.Random(seed)
    owner_mode = owners
    b = Builder()
    envs = ["prod", "dev", "staging", "shared", "unknown", None]
    systems = [b.node("System", f"sys:{i}", "aws_account", environment=rnd.choice(envs),
                      platform=rnd.choice(["AWS", "aws", "GCP", None]),
                      external=rnd.choice([True, False, False, None]), provider_id=rnd.choice([f"{i:012d}", None]))
               for i in range(max(2, size // 8))]
    for s in systems[1:]:
        if rnd.random() < 0.2:
            b.edge("PART_OF", s, rnd.choice(systems[:1]))
    owners = []
    for i in range(0 if owner_mode == "none" else max(3, size // 4)):
        kind = rnd.choice(["team", "person", "person"])
        src = "aws:tags" if owner_mode == "tags" or rnd.random() < 0.15 else "test:owners"
        owners.append(b.node("Owner", f"own:{i}", kind, source=src,
                             active=rnd.choice([True, True, False, None]),
                             departed_at=b.days(50) if rnd.random() < 0.1 else None,
                             team=f"own:{rnd.randrange(3)}" if kind == "person" and rnd.random() < 0.3 else None))
    teams = [o for o in owners if b.nodes[o]["kind"] == "team"]
    for o in owners:
        if b.nodes[o]["kind"] == "person" and teams and rnd.random() < 0.6:
            for t in rnd.sample(teams, rnd.choice([1, 1, 2]) if len(teams) > 1 else 1):
                b.edge("MEMBER_OF", o, t)
    idents = [b.node("Identity", f"id:{i}", rnd.choice(["iam_role", "iam_user", "bot", "ai_agent", "human_user"]),
                     environment=rnd.choice(envs), human_used=rnd.random() < 0.15)
              for i in range(size)]
    targets = []
    for i in range(size):
        label = rnd.choice(["Resource", "Resource", "SecretStore"])
        targets.append(b.node(label, f"{label.lower()}:{i}", "bucket" if label == "Resource" else "vault_path",
                              environment=rnd.choice(envs)))
        for s in rnd.sample(systems, rnd.choice([0, 1, 1, 1, 2])):
            b.edge("PART_OF", targets[-1], s)
    for ident in idents:
        if rnd.random() < 0.7:
            b.edge("PART_OF", ident, rnd.choice(systems))
        for _ in range(rnd.choice([0, 1, 1, 2, 3])):
            tgt = rnd.choice(targets + systems) if rnd.random() < 0.9 else rnd.choice(systems)
            b.edge("HAS_ACCESS", ident, tgt, level=rnd.choice(["read", "write", "admin"]),
                   actions=rnd.choice([None, "s3:GetObject", "*", "iam:CreateAccessKey", "svc:*"]),
                   human_only=rnd.random() < 0.05)
        for _ in range(rnd.choice([0, 0, 1, 2])):
            b.edge("CAN_ASSUME", ident, rnd.choice(idents), via="trust")
        for role in rnd.sample(["approve", "implement", "monitor", "revoke"], rnd.randrange(5) if owners else 0):
            b.edge("OWNS", rnd.choice(owners), ident, role=role)
    creds = []
    for i in range(int(size * 1.3)):
        c = b.node("Credential", f"cred:{i}", "access_key", key_id=f"KEY{i:04d}" if rnd.random() < 0.7 else None,
                   status=rnd.choice(["active", "active", None, "revoked"]),
                   created_at=b.days(rnd.randrange(1, 800)) if rnd.random() < 0.9 else None,
                   last_used_at=b.days(rnd.randrange(0, 300)) if rnd.random() < 0.6 else None,
                   last_rotated_at=b.days(rnd.randrange(0, 300)) if rnd.random() < 0.3 else None,
                   leaked=rnd.random() < 0.1, environment=rnd.choice(envs),
                   usage_tracked=rnd.choice([None, None, False, True]))
        b.edge("AUTHENTICATES", c, rnd.choice(idents))
        if owners and rnd.random() < 0.3:
            b.edge("OWNS", rnd.choice(owners), c, role=rnd.choice(["revoke", "monitor"]))
        creds.append(c)
    for _ in range(size):
        b.edge("STORES", rnd.choice(targets), rnd.choice(creds))
    for i in range(max(2, size // 5)):
        w = b.node("Workflow", f"wf:{i}", rnd.choice(["ci_pipeline", "ai_agent", "bot", "scheduled_job"]),
                   environment=rnd.choice(envs), business_unit=rnd.choice(["A", "B", None]),
                   has_rollback=rnd.random() < 0.5, has_telemetry=rnd.random() < 0.5,
                   requires_approval=rnd.random() < 0.3)
        for c in rnd.sample(creds, rnd.choice([0, 1, 2])):
            b.edge("USES", w, c)
        if rnd.random() < 0.3:
            b.edge("CAN_ASSUME", w, rnd.choice(idents), via="oidc")
        if rnd.random() < 0.5:
            b.edge("PART_OF", w, rnd.choice(systems))
        if owners and rnd.random() < 0.5:
            b.edge("OWNS", rnd.choice(owners), w, role=rnd.choice(["approve", "monitor"]))
    for i in range(max(2, size // 6)):
        c = b.node("Connector", f"conn:{i}", rnd.choice(["sync", "agent_tool", "api_integration"]),
                   broker="gw" if rnd.random() < 0.3 else None, business_unit=rnd.choice(["A", "B", None]))
        if rnd.random() < 0.8:
            b.edge("CONNECTS_FROM", c, rnd.choice(systems))
        if rnd.random() < 0.8:
            b.edge("CONNECTS_TO", c, rnd.choice(systems))
        b.edge("USES", c, rnd.choice(creds))
    ours = [b.nodes[s]["provider_id"] for s in systems if b.nodes[s].get("provider_id")]
    for i in range(4):
        # unknown_external vendors inferred from trusts: some only from our own accounts (not third parties)
        kind = rnd.choice(["vendor", "unknown_external", "unknown_external"])
        ext_ids = rnd.choice([ours[:1], ours[:2], ours[:1] + ["999999999999"], []]) if ours else []
        v = b.node("Vendor", f"vendor:{i}", kind, external_ids=";".join(ext_ids) or None)
        for t in rnd.sample(creds + idents, 2):
            b.edge("HOLDS", v, t)
        if rnd.random() < 0.7:
            b.edge("CAN_ASSUME", v, rnd.choice(idents), via="trust", external_id_required=rnd.random() < 0.5)
    for s in systems:
        if b.nodes[s].get("external"):
            b.edge("CAN_ASSUME", s, rnd.choice(idents), via="trust")
    for i in range(3):
        x = b.node("PolicyException", f"exc:{i}", "waiver",
                   expires_at=b.days(rnd.randrange(-50, 50)) if rnd.random() < 0.7 else None)
        b.edge("WAIVES", x, rnd.choice(creds + idents))
    return b


# ---------------------------------------------------------------------------------------------- parity

R_STEP = {("Credential", "AUTHENTICATES"), ("Identity", "CAN_ASSUME"), ("Identity", "HAS_ACCESS")}


def valid_path(snap, path: list[str]) -> bool:
    """Every step is a step of the reach graph (see nhigraph.analysis.reach)."""
    edges = {(k[1], k[2], k[0]) for k in snap.edges}
    labels = {n: d["label"] for n, d in snap.nodes.items()}
    for u, v in zip(path, path[1:]):
        ok = ((u, v, "AUTHENTICATES") in edges or (u, v, "STORES") in edges
              or (labels[u] == "Identity" and ((u, v, "CAN_ASSUME") in edges or (u, v, "HAS_ACCESS") in edges))
              or (labels[u] == "System" and labels[v] in RESOURCE_LABELS and (v, u, "PART_OF") in edges))
        if not ok:
            return False
    return True


def assert_parity(emb, neo, snap) -> dict[str, int]:
    """Every answer of both backends identical (paths: same length, valid). Returns what was compared."""
    me, mn = emb.metrics(), neo.metrics()
    assert [m.id for m in me] == [m.id for m in mn]
    for a, b in zip(me, mn):
        assert a.to_json() == b.to_json(), a.id
    assert emb.blast_radii() == neo.blast_radii()
    assert emb.credentials_of() == neo.credentials_of()
    assert emb.scopes() == neo.scopes()
    creds = sorted(n for n, d in snap.nodes.items() if d["label"] == "Credential")
    paths = 0
    for c in creds:
        a, b = emb.blast_radius(c), neo.blast_radius(c)
        ja, jb = a.to_json(), b.to_json()
        for t in ja["targets"] + jb["targets"]:
            t["path_length"] = len(t.pop("path"))
        assert ja == jb, c
        for k, t in b.targets.items():
            assert t.path[0] == c and t.path[-1] == k and valid_path(snap, t.path), (c, k, t.path)
            paths += 1
        assert emb.credential_context(c) == neo.credential_context(c), c
        assert neo.resolve_key(c) == emb.resolve_key(c) == c
        key_id = snap.nodes[c].get("key_id")
        if key_id:
            assert neo.resolve_key(key_id) == emb.resolve_key(key_id)
    return {"metrics": len(me), "credentials": len(creds), "paths": paths}
