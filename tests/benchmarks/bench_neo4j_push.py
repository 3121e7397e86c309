"""Benchmark: pushing a large synthetic estate into Neo4j, against batched MERGE only and a naive row-at-a-time MERGE.

Not part of the test suite. Run it by hand::

    .venv/bin/python tests/benchmarks/bench_neo4j_push.py            # 100k identities (~0.5M nodes, ~1.4M edges)
    .venv/bin/python tests/benchmarks/bench_neo4j_push.py -n 10000 --naive-sample 2000
    NEO4J_URI=bolt://host:7687 .venv/bin/python tests/benchmarks/bench_neo4j_push.py   # an existing server

Without ``$NEO4J_URI`` it starts a throw-away dev server (``--heap``/``--pagecache``) and stops it at the end.
The estate is generated in memory in the model's shape with a fixed seed, so runs are comparable. Into the
empty database the push takes its CREATE fast path; then (unless ``--no-merge-baseline``) the database is
cleared and the same push runs with the fast path off (batched MERGE only, as before the fast path); with
``--repush`` a second push MERGEs over the loaded graph. The naive baseline writes a sample of the same rows
one MERGE per transaction (the BloodHound "9.7k users in 3 h" anti-pattern) and is extrapolated to rows/s.
Against an existing server the database is cleared first: point it at a scratch database only.

Then (unless ``--no-bulk``, and only with the dev server) the same estate, written to a workspace first, is loaded
into a second, fresh dev server with ``neo4j push --bulk`` (:mod:`nhigraph.neo4j.bulk`: CSV files from the
snapshot's tables, Neo4j's offline importer inside the dev server, then constraints and indexes), end to end;
``--only-bulk`` skips the Bolt pushes.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from nhigraph.model.records import edge_key
from nhigraph.workspace.store import Snapshot

OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
LEVELS = ("read", "read", "read", "write", "write", "admin")
ROLES = ("approve", "implement", "monitor", "revoke")
ENVS = ("prod", "prod", "staging", "dev", "test", "shared")


def synthetic_estate(n: int, seed: int = 7) -> Snapshot:
    """A deterministic estate of ``n`` identities, about 4.8 nodes and 14 edges per identity."""
    rnd = random.Random(seed)
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple, dict[str, Any]] = {}

    def src(table: str) -> str:
        return f"inventory:{table}"

    def node(label: str, id_: str, kind: str, table: str, **props: Any) -> str:
        day = rnd.randrange(1, 900)
        rec = {"label": label, "id": id_, "kind": kind, "name": props.pop("name", id_.rsplit(":", 1)[-1]),
               "source": src(table), "sources": [src(table)], "first_seen": OBSERVED - timedelta(days=day),
               "last_seen": OBSERVED}
        rec.update({k: v for k, v in props.items() if v is not None})
        nodes[id_] = rec
        return id_

    def edge(type_: str, start: str, end: str, table: str, **props: Any) -> None:
        rec = {"type": type_, "start": start, "end": end, "source": src(table), "sources": [src(table)], **props}
        edges[edge_key(rec)] = rec

    systems = [node("System", f"sys:{i:05d}", "aws_account", "systems", environment=rnd.choice(ENVS),
                    platform=rnd.choice(("AWS", "GCP", "Azure", "Salesforce", "Snowflake")), provider_id=f"{i:012d}")
               for i in range(max(10, n // 1000))]
    teams = [node("Owner", f"team:{i:05d}", "team", "owners", active=True) for i in range(max(5, n // 200))]
    people = []
    for i in range(max(10, n // 20)):
        p = node("Owner", f"person:{i:06d}", "person", "owners", active=rnd.random() > 0.1,
                 email=f"p{i}@example.com")
        edge("MEMBER_OF", p, rnd.choice(teams), "owners")
        people.append(p)
    owners = teams + people
    resources, stores, creds, idents = [], [], [], []
    for i in range(int(n * 1.5)):
        r = node("Resource", f"res:{i:07d}", rnd.choice(("bucket", "database", "repo", "queue")), "resources",
                 environment=rnd.choice(ENVS), sensitivity=rnd.choice(("internal", "confidential", "restricted")))
        edge("PART_OF", r, rnd.choice(systems), "resources")
        if rnd.random() < 0.3:
            edge("OWNS", rnd.choice(owners), r, "ownership", role=rnd.choice(ROLES))
        resources.append(r)
    for i in range(int(n * 0.4)):
        s = node("SecretStore", f"store:{i:07d}", rnd.choice(("vault_path", "ci_variable", "env_file")),
                 "secret_stores", environment=rnd.choice(ENVS), location=f"kv/data/{i}")
        edge("PART_OF", s, rnd.choice(systems), "secret_stores")
        stores.append(s)
    for i in range(n):
        ident = node("Identity", f"id:{i:07d}", rnd.choice(("iam_user", "iam_role", "service_account", "bot")),
                     "identities", environment=rnd.choice(ENVS), status="active",
                     created_at=OBSERVED - timedelta(days=rnd.randrange(1, 1500)), provider_id=f"arn:{i}")
        edge("PART_OF", ident, rnd.choice(systems), "identities")
        for role in rnd.sample(ROLES, rnd.choice((1, 2, 3, 3))):
            edge("OWNS", rnd.choice(owners), ident, "ownership", role=role)
        for k in range(rnd.choice((1, 1, 2, 2))):
            c = node("Credential", f"cred:{i:07d}:{k}", "access_key", "credentials", key_id=f"AKIA{i:012d}{k}",
                     status=rnd.choice(("active", "active", "inactive")),
                     created_at=OBSERVED - timedelta(days=rnd.randrange(1, 1000)),
                     last_used_at=OBSERVED - timedelta(days=rnd.randrange(0, 200)) if rnd.random() < 0.8 else None,
                     scopes=["read", "write"] if rnd.random() < 0.2 else None)
            edge("AUTHENTICATES", c, ident, "credentials")
            if rnd.random() < 0.3:
                edge("OWNS", rnd.choice(owners), c, "ownership", role="revoke")
            creds.append(c)
        idents.append(ident)
    targets = resources + stores
    for ident in idents:
        for _ in range(4):
            edge("HAS_ACCESS", ident, rnd.choice(targets), "grants", level=rnd.choice(LEVELS),
                 actions=["s3:GetObject"] if rnd.random() < 0.5 else ["*"])
    for _ in range(int(n * 0.4)):
        a, b = rnd.choice(idents), rnd.choice(idents)
        if a != b:
            edge("CAN_ASSUME", a, b, "trusts", via="trust")
    for _ in range(int(n * 0.6)):
        edge("STORES", rnd.choice(stores if rnd.random() < 0.7 else resources), rnd.choice(creds), "secret_stores")
    for i in range(int(n * 0.2)):
        w = node("Workflow", f"wf:{i:07d}", rnd.choice(("ci_pipeline", "scheduled_job", "ai_agent")), "workflows",
                 environment=rnd.choice(ENVS), triggers=["push"], has_rollback=rnd.random() < 0.5)
        edge("PART_OF", w, rnd.choice(systems), "workflows")
        edge("USES", w, rnd.choice(creds), "workflows")
        edge("OWNS", rnd.choice(owners), w, "ownership", role=rnd.choice(ROLES))
    for i in range(max(2, n // 50)):
        c = node("Connector", f"conn:{i:06d}", rnd.choice(("sync", "etl", "agent_tool")), "connectors")
        edge("CONNECTS_FROM", c, rnd.choice(systems), "connectors")
        edge("CONNECTS_TO", c, rnd.choice(systems), "connectors")
        edge("USES", c, rnd.choice(creds), "connectors")
    for i in range(max(2, n // 500)):
        v = node("Vendor", f"vendor:{i:05d}", "vendor", "vendors", risk_tier="medium")
        for _ in range(5):
            edge("HOLDS", v, rnd.choice(creds), "vendors")
    for i in range(max(2, n // 50)):
        x = node("PolicyException", f"exc:{i:06d}", "waiver", "exceptions",
                 expires_at=OBSERVED + timedelta(days=rnd.randrange(-100, 100)))
        edge("WAIVES", x, rnd.choice(idents), "exceptions")
    sources = {src(t): {"partial": False} for t in ("systems", "owners", "resources", "secret_stores", "identities",
                                                    "ownership", "credentials", "grants", "trusts", "workflows",
                                                    "connectors", "vendors", "exceptions")}
    manifest = {"observed_at": OBSERVED.isoformat(), "sources": sources}
    return Snapshot(f"synthetic-{n}", Path("synthetic"), manifest, nodes, edges)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {ram} RAM, {cpu}, Python {platform.python_version()}, {platform.system()}"


def naive_rows_per_s(driver, snap: Snapshot, sample: int) -> float:
    """One MERGE per auto-commit transaction over a sample of the same rows (nodes, then edges)."""
    from nhigraph.neo4j import querybuilder as qb

    nodes = list(snap.nodes.values())[:sample // 2]
    present = {n["id"] for n in nodes}
    edge_recs = [e for e in snap.edges.values() if e["start"] in present and e["end"] in present][:sample // 2]
    labels = {n["id"]: n["label"] for n in nodes}
    t0 = time.monotonic()
    with driver.session() as s:
        for rec in nodes:
            row = qb.node_row(rec)
            s.run(f"MERGE (n:{qb.ident(rec['label'])} {{id: $id}}) SET n += $props, n._run = 0",
                  id=row["id"], props={**row["props"], **row["dt"]}).consume()
        for rec in edge_recs:
            row = qb.edge_row(rec)
            keys = ", ".join(f"{qb.ident(k)}: $key.{qb.ident(k)}" for k in row["key"])
            s.run(f"MATCH (a:{qb.ident(labels[rec['start']])} {{id: $start}}) "
                  f"MATCH (b:{qb.ident(labels[rec['end']])} {{id: $end}}) "
                  f"MERGE (a)-[r:{qb.ident(rec['type'])}{' {' + keys + '}' if keys else ''}]->(b) "
                  "SET r += $props, r._run = 0", start=row["start"], end=row["end"], key=row["key"],
                  props=row["props"]).consume()
    rows = len(nodes) + len(edge_recs)
    return rows / (time.monotonic() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--identities", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch-size", type=int, default=None, help="node batch (edges: a quarter)")
    ap.add_argument("--edge-batch-size", type=int, default=None)
    ap.add_argument("--naive-sample", type=int, default=4000, help="rows written naively (0: skip)")
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="2g")
    ap.add_argument("--repush", action="store_true", help="also time a second, idempotent push")
    ap.add_argument("--no-merge-baseline", dest="merge_baseline", action="store_false",
                    help="skip the batched MERGE-only push (fast path off)")
    ap.add_argument("--no-bulk", dest="bulk", action="store_false", help="skip the bulk import (push --bulk)")
    ap.add_argument("--only-bulk", action="store_true", help="only the bulk import")
    ap.add_argument("--workspace", type=Path, default=None,
                    help="bulk-import this workspace's current snapshot instead of a generated estate (implies "
                         "--only-bulk; e.g. an ingested `nhigraph synth -n 1000000 --format inventory`)")
    args = ap.parse_args(argv)
    if args.workspace is not None:
        print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        bulk_run(args, None, None)
        return 0

    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.monotonic()
    snap = synthetic_estate(args.identities, args.seed)
    print(f"estate: {args.identities:,} identities -> {len(snap.nodes):,} nodes, {len(snap.edges):,} edges "
          f"(generated in {time.monotonic() - t0:.1f}s)")

    bolt_rows_per_s = None if args.only_bulk else bolt_runs(args, snap)
    if args.bulk and not os.environ.get("NEO4J_URI"):
        bulk_run(args, snap, bolt_rows_per_s)
    return 0


def bulk_run(args: argparse.Namespace, snap: Snapshot | None, bolt_rows_per_s: float | None) -> None:
    """``push --bulk`` of the estate (or of ``args.workspace``) into a fresh dev server, end to end from the
    workspace files."""
    from nhigraph.neo4j import bulk, devserver
    from nhigraph.neo4j.connect import connect
    from nhigraph.workspace.store import Workspace

    with tempfile.TemporaryDirectory(prefix="nhigraph-bench-bulk-") as tmp:
        if snap is None:
            ws = Workspace(args.workspace)
        else:
            t0 = time.monotonic()
            ws = Workspace(Path(tmp) / "ws")
            with ws.lock():
                ws.write(snap.nodes, snap.edges, snap.manifest)
            print(f"bulk: workspace written in {time.monotonic() - t0:.1f}s (not counted)")
        server = devserver.start(Path(tmp) / "home", port=0, detach=False, heap=args.heap, pagecache=args.pagecache)
        try:
            with connect(server.uri, "neo4j") as driver:
                print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
                res = bulk.bulk_push(ws, driver, server.home)
                print(f"bulk push: {res.nodes:,} nodes + {res.edges:,} edges: {res.rows_per_s:,.0f} rows/s end to end "
                      f"({res.seconds:.1f}s); the database offline (down, importer, back up) "
                      f"{res.write_seconds:.1f}s = {res.write_rows_per_s:,.0f} rows/s")
                print("  phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in res.phases.items()))
                if bolt_rows_per_s:
                    print(f"  -> {res.rows_per_s / bolt_rows_per_s:.1f}x the Bolt push end to end")
                print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            server.stop()


def bolt_runs(args: argparse.Namespace, snap: Snapshot) -> float:
    """The Bolt pushes (CREATE fast path, MERGE only, naive); returns the fast path's end-to-end rows/s."""
    from nhigraph.neo4j import devserver, loader
    from nhigraph.neo4j.connect import connect

    server = None
    tmp = None
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        tmp = tempfile.TemporaryDirectory(prefix="nhigraph-bench-")
        server = devserver.start(Path(tmp.name) / "home", port=0, detach=False, heap=args.heap,
                                 pagecache=args.pagecache)
        uri = server.uri
        print(f"server: dev server {uri} (heap {args.heap}, page cache {args.pagecache})")
    else:
        print(f"server: {uri}")
    try:
        driver = connect(uri, os.environ.get("NEO4J_USER", "neo4j"))
        with driver:
            loader.clear(driver)
            last = [time.monotonic(), 0]

            def progress(done: int, total: int, what: str) -> None:
                if time.monotonic() - last[0] > 5 or done == total:
                    print(f"  {done:>10,} / {total:,}  {what}", file=sys.stderr)
                    last[0] = time.monotonic()

            res = loader.push(snap, driver, batch_size=args.batch_size, edge_batch_size=args.edge_batch_size,
                              progress=progress)
            print(f"push: {res.nodes:,} nodes + {res.edges:,} edges: {res.write_rows_per_s:,.0f} rows/s in the writes "
                  f"({res.write_seconds:.1f}s), {res.rows_per_s:,.0f} rows/s end to end ({res.seconds:.1f}s: "
                  f"preparing rows, schema, writes, cleanup); node batch {res.node_batch:,}, "
                  f"edge batch {res.edge_batch:,}; CREATE fast path for {len(res.created)} labels and types")
            print(f"  load average after the push: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            if args.repush:
                res2 = loader.push(snap, driver, batch_size=args.batch_size, edge_batch_size=args.edge_batch_size)
                print(f"re-push (idempotent, MERGE over the loaded graph): {res2.write_rows_per_s:,.0f} rows/s in the "
                      f"writes, {res2.rows_per_s:,.0f} end to end ({res2.seconds:.1f}s); deleted {res2.deleted_nodes} "
                      f"nodes, {res2.deleted_edges} edges")
            if args.merge_baseline:
                loader.clear(driver)
                res3 = loader.push(snap, driver, batch_size=args.batch_size, edge_batch_size=args.edge_batch_size,
                                   progress=progress, fast_path=False)
                print(f"batched MERGE only (fast path off): {res3.write_rows_per_s:,.0f} rows/s in the writes "
                      f"({res3.write_seconds:.1f}s), {res3.rows_per_s:,.0f} end to end ({res3.seconds:.1f}s) -> the "
                      f"fast path is {res.rows_per_s / res3.rows_per_s:.2f}x faster end to end")
                print(f"  load average after the push: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            if args.naive_sample:
                loader.clear(driver)
                naive = naive_rows_per_s(driver, snap, args.naive_sample)
                print(f"naive (one MERGE per transaction, {args.naive_sample:,} rows): {naive:,.0f} rows/s "
                      f"-> the push is {res.rows_per_s / naive:,.0f}x faster end to end, "
                      f"{res.write_rows_per_s / naive:,.0f}x in the writes")
    finally:
        if server is not None:
            server.stop()
        if tmp is not None:
            tmp.cleanup()
    return res.rows_per_s


if __name__ == "__main__":
    sys.exit(main())
