"""A synthetic estate of any size, written as inventory CSV tables (a real format `nhigraph ingest` reads).

Shapes follow what large estates look like: a few hundred accounts, identities that chain into roles
(with some cycles), several credentials per identity with a long tail of stale keys, shared CI
credentials, vault paths that store other credentials (second-order reach), duplicate connectors across
business units, departed owners, third-party vendors and expired exceptions. Deterministic for a seed.
Rows are streamed to disk, so the generator's memory stays small whatever the size.
"""

from __future__ import annotations

import csv
import random
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

BUSINESS_UNITS = ("Platform", "Data", "Sales", "Finance", "Marketing", "Support", "Security", "HR")
PLATFORMS = ("Salesforce", "Snowflake", "Workday", "Zendesk", "HubSpot", "Slack", "Jira", "NetSuite",
             "Marketo", "Datadog")
ENVS = ("prod", "prod", "staging", "dev")


def _ts(as_of: datetime, days: float) -> str:
    return (as_of - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_estate(out: Path, identities: int, seed: int = 7, as_of: datetime | None = None,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write the estate; return row counts per table."""
    rng = random.Random(seed)
    as_of = as_of or datetime(2026, 10, 1, tzinfo=timezone.utc)
    out.mkdir(parents=True, exist_ok=True)
    n_sys = max(3, identities // 300)
    n_owner_teams = max(4, identities // 200)
    n_people = max(4, identities // 50)
    counts: dict[str, int] = {}
    headers = {
        "systems": ["id", "kind", "name", "environment", "business_unit", "platform"],
        "owners": ["id", "kind", "name", "active", "member_of", "business_unit"],
        "identities": ["id", "kind", "name", "system", "environment", "business_unit", "status", "created_at",
                       "approver", "implementer", "monitor", "revoker"],
        "credentials": ["id", "kind", "name", "identity", "key_id", "status", "created_at", "last_rotated_at",
                        "last_used_at", "environment", "leaked"],
        "resources": ["id", "kind", "name", "system", "environment"],
        "secret_stores": ["id", "kind", "name", "system", "environment", "stores"],
        "grants": ["identity", "target", "level", "actions"],
        "trusts": ["from", "to", "via", "external_id_required"],
        "workflows": ["id", "kind", "name", "environment", "business_unit", "credentials", "has_rollback",
                      "has_telemetry", "approver", "monitor"],
        "connectors": ["id", "kind", "name", "from_system", "to_system", "credentials", "business_unit", "broker"],
        "vendors": ["id", "kind", "name", "holds"],
        "exceptions": ["id", "kind", "name", "subject", "approver", "expires_at"],
    }
    with ExitStack() as stack:
        writers = {}
        for name, cols in headers.items():
            fh = stack.enter_context(open(out / f"{name}.csv", "w", newline="", encoding="utf-8"))
            w = csv.writer(fh)
            w.writerow(cols)
            writers[name] = w
            counts[name] = 0

        def row(table: str, *values) -> None:
            writers[table].writerow(values)
            counts[table] += 1

        systems = []
        for s in range(n_sys):
            env = ENVS[s % len(ENVS)]
            sid = f"aws:{100000000000 + s}"
            systems.append((sid, env))
            row("systems", sid, "aws_account", f"account-{s}", env, BUSINESS_UNITS[s % len(BUSINESS_UNITS)], "AWS")
        saas = []
        for p_i, p in enumerate(PLATFORMS):
            for bu_i in range(2):  # the same platform bought twice: a tenant per business unit
                sid = f"saas:{p.lower()}-{bu_i}"
                saas.append(sid)
                row("systems", sid, "saas", f"{p} ({BUSINESS_UNITS[(p_i + bu_i) % 8]})", "prod",
                    BUSINESS_UNITS[(p_i + bu_i) % 8], p)
        teams = [f"team:{t}" for t in range(n_owner_teams)]
        for t in teams:
            row("owners", t, "team", t, "true", "", BUSINESS_UNITS[hash(t) % 8])
        people = [f"person:{p}" for p in range(n_people)]
        for p in people:
            active = "false" if rng.random() < 0.06 else "true"
            row("owners", p, "person", p, active, rng.choice(teams), "")
        owners_pool = teams + people

        # resources: ~half as many as identities, per system
        res_by_sys: dict[str, list[str]] = {sid: [] for sid, _ in systems}
        kinds = ("bucket", "database", "function", "queue", "topic")
        for r in range(max(n_sys, identities // 2)):
            sid, env = systems[r % n_sys]
            rid = f"{sid}:res/{r}"
            res_by_sys[sid].append(rid)
            row("resources", rid, kinds[r % len(kinds)], f"resource-{r}", sid, env)

        ident_ids: list[tuple[str, str, str]] = []
        cred_ids: list[tuple[str, str]] = []
        step = max(1, identities // 100)
        for i in range(identities):
            sid, env = systems[rng.randrange(n_sys)]
            kind = "iam_role" if rng.random() < 0.55 else "iam_user" if rng.random() < 0.7 else "service_account"
            iid = f"{sid}:{'role' if kind == 'iam_role' else 'user'}/nhi-{i}"
            bu = BUSINESS_UNITS[i % len(BUSINESS_UNITS)]
            owned = rng.random() < 0.75
            roles = [rng.choice(owners_pool) if owned and rng.random() < p else "" for p in (0.6, 0.9, 0.4, 0.5)]
            row("identities", iid, kind, f"nhi-{i}", sid, env, bu, "active", _ts(as_of, rng.uniform(30, 2000)),
                *roles)
            ident_ids.append((iid, sid, env))
            # credentials: 2.5 per identity on average, a long tail of stale keys
            for k in range(rng.choice((1, 2, 2, 3, 3, 4))):
                cid = f"cred:{i}-{k}"
                created = rng.uniform(1, 1500)
                last_used = "" if rng.random() < 0.15 else _ts(as_of, rng.uniform(0, min(created, 400)))
                row("credentials", cid, "access_key", f"key {i}-{k}", iid, f"AKIASYN{i:09d}{k}",
                    "active" if rng.random() < 0.85 else "inactive", _ts(as_of, created),
                    _ts(as_of, rng.uniform(0, created)), last_used, env, "true" if rng.random() < 0.002 else "")
                cred_ids.append((cid, env))
            # grants: 3 per identity in its own system, 1% admin on the whole account
            pool = res_by_sys[sid]
            for _ in range(3):
                level = rng.choice(("read", "read", "write"))
                row("grants", iid, rng.choice(pool), level, "s3:GetObject" if level == "read" else "s3:PutObject")
            if rng.random() < 0.01:
                row("grants", iid, sid, "admin", "*")
            if progress and i % step == 0:
                progress(i, identities)

        # role chains inside an account, with some cycles
        by_sys: dict[str, list[str]] = {}
        for iid, sid, _ in ident_ids:
            by_sys.setdefault(sid, []).append(iid)
        for sid, members in by_sys.items():
            roles = [m for m in members if ":role/" in m]
            for m in members:
                if roles and rng.random() < 0.3:
                    target = rng.choice(roles)
                    if target != m:
                        row("trusts", m, target, "trust", "")
        # third parties trusting roles, some without an external id
        vendors = [f"vendor:{v}" for v in range(max(5, identities // 2000))]
        for v in vendors:
            held = rng.choice(cred_ids)[0]
            row("vendors", v, "saas_provider", f"vendor-{v}", held)
            target = rng.choice(ident_ids)[0]
            row("trusts", v, target, "trust", "true" if rng.random() < 0.5 else "false")
        # secret stores: vault paths and CI variables keeping credentials (some readable: second order)
        for s in range(max(3, identities // 5)):
            sid, env = systems[s % n_sys]
            stored = ";".join(rng.choice(cred_ids)[0] for _ in range(rng.choice((1, 1, 2))))
            kind = "vault_path" if s % 3 else "ci_variable"
            store = f"{sid}:store/{s}"
            row("secret_stores", store, kind, f"store-{s}", sid, env, stored)
            if rng.random() < 0.2:
                row("grants", rng.choice(ident_ids)[0], store, "read", "read")
        # workflows using credentials; some shared
        for w in range(max(2, identities // 10)):
            creds = [rng.choice(cred_ids)[0] for _ in range(rng.choice((1, 1, 2)))]
            governed = rng.random() < 0.4
            row("workflows", f"wf:{w}", "ci_pipeline" if w % 4 else "scheduled_job", f"workflow-{w}",
                ENVS[w % 4], BUSINESS_UNITS[w % 8], ";".join(creds), str(governed).lower(),
                str(governed).lower(), rng.choice(teams) if governed else "", rng.choice(teams) if governed else "")
        # connectors between SaaS platforms, duplicated across business units
        for c in range(max(4, identities // 200)):
            a, b = rng.sample(saas, 2)
            row("connectors", f"connector:{c}", "sync", f"connector-{c}", a, b, rng.choice(cred_ids)[0],
                BUSINESS_UNITS[c % 8], "" if rng.random() < 0.7 else "ipaas")
        for x in range(max(1, identities // 100)):
            row("exceptions", f"exception:{x}", "waiver", f"exception-{x}", rng.choice(cred_ids)[0],
                rng.choice(people), "" if rng.random() < 0.2 else _ts(as_of, rng.uniform(-200, 200)))
    if progress:
        progress(identities, identities)
    return counts
