"""Large-export benchmark: one big ``aws iam get-account-authorization-details`` file, read streamed vs whole.

Not part of the test suite. Run::

    .venv/bin/python tests/benchmarks/bench_large_export.py --mb 200
    .venv/bin/python tests/benchmarks/bench_large_export.py --mb 50 --json results.json

It writes an export of about ``--mb`` megabytes in the AWS CLI's own layout (``indent=4``: users with groups,
inline and attached policies, roles with trust policies, tags and last use, groups, managed policies with
several versions), then runs ``nhigraph ingest`` on it in a fresh child process per mode and reports each
child's wall time, rows/s (nodes + edges written) and peak RSS (``ru_maxrss`` of the child):

- ``streamed``: the reader as shipped (the file walked an item at a time, never held whole);
- ``whole-file``: the reader before streaming, emulated in the same run: the file read as bytes, decoded
  and parsed with ``json.loads`` into one document that is held while the records are made.

Both modes must give the same graph (the benchmark checks the node and edge counts). ``--parse-only`` stops
after parsing (no link, merge or snapshot), which isolates the reader. The memory pre-check's factor for this
format family is peak RSS over file size (net of the interpreter's own baseline), printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACCOUNT = "123456789012"
SERVICES = ("s3", "dynamodb", "sqs", "sns", "kms", "secretsmanager", "lambda", "logs")
ACTIONS = {"s3": ("GetObject", "PutObject", "ListBucket", "DeleteObject"),
           "dynamodb": ("GetItem", "PutItem", "Query", "Scan"), "sqs": ("SendMessage", "ReceiveMessage"),
           "sns": ("Publish",), "kms": ("Decrypt", "Encrypt"), "secretsmanager": ("GetSecretValue",),
           "lambda": ("InvokeFunction",), "logs": ("PutLogEvents", "CreateLogStream")}


def _arn(service: str, name: str) -> str:
    if service == "s3":
        return f"arn:aws:s3:::{name}/*"
    if service in ("sqs", "sns"):
        return f"arn:aws:{service}:us-east-1:{ACCOUNT}:{name}"
    return f"arn:aws:{service}:us-east-1:{ACCOUNT}:{'table' if service == 'dynamodb' else 'key'}/{name}"


def _document(rnd: random.Random, statements: int) -> dict:
    out = []
    for _ in range(statements):
        svc = rnd.choice(SERVICES)
        out.append({"Effect": "Allow",
                    "Action": sorted({f"{svc}:{a}" for a in rnd.sample(ACTIONS[svc], k=min(2, len(ACTIONS[svc])))}),
                    "Resource": [_arn(svc, f"app-{rnd.randrange(5000)}-{svc}")]})
    return {"Version": "2012-10-17", "Statement": out}


def _tags(rnd: random.Random, i: int) -> list[dict]:
    return [{"Key": "owner", "Value": f"team:t{rnd.randrange(200)}"},
            {"Key": "env", "Value": rnd.choice(("prod", "staging", "dev"))},
            {"Key": "cost-center", "Value": f"cc-{i % 97:04d}"}]


def write_export(path: Path, megabytes: float, seed: int = 7) -> dict[str, int]:
    """An authorization-details export of about ``megabytes`` MB; returns how many of each it holds."""
    rnd = random.Random(seed)
    policies = []
    for i in range(400):
        versions = [{"Document": _document(rnd, 3), "VersionId": f"v{v}", "IsDefaultVersion": v == 3,
                     "CreateDate": "2024-03-01T10:00:00Z"} for v in (1, 2, 3)]
        policies.append({"PolicyName": f"managed-{i}", "PolicyId": f"ANPA{i:017d}",
                         "Arn": f"arn:aws:iam::{ACCOUNT}:policy/managed-{i}", "Path": "/",
                         "DefaultVersionId": "v3", "AttachmentCount": 3, "PermissionsBoundaryUsageCount": 0,
                         "IsAttachable": True, "CreateDate": "2023-01-01T00:00:00Z",
                         "UpdateDate": "2024-03-01T10:00:00Z", "PolicyVersionList": versions})
    groups = [{"Path": "/", "GroupName": f"group-{g}", "GroupId": f"AGPA{g:017d}",
               "Arn": f"arn:aws:iam::{ACCOUNT}:group/group-{g}", "CreateDate": "2023-01-01T00:00:00Z",
               "GroupPolicyList": [{"PolicyName": "inline", "PolicyDocument": _document(rnd, 2)}],
               "AttachedManagedPolicies": [{"PolicyName": f"managed-{g}",
                                            "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/managed-{g}"}]}
              for g in range(100)]

    def user(i: int) -> dict:
        return {"Path": "/", "UserName": f"svc-user-{i}", "UserId": f"AIDA{i:017d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/svc-user-{i}", "CreateDate": "2024-01-02T03:04:05Z",
                "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": _document(rnd, 2)}],
                "GroupList": [f"group-{rnd.randrange(100)}"],
                "AttachedManagedPolicies": [{"PolicyName": f"managed-{m}",
                                             "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/managed-{m}"}
                                            for m in rnd.sample(range(400), 2)],
                "Tags": _tags(rnd, i)}

    def role(i: int) -> dict:
        trust = ({"Service": "lambda.amazonaws.com"} if i % 3 else
                 {"AWS": f"arn:aws:iam::{ACCOUNT}:user/svc-user-{rnd.randrange(max(1, i))}"})
        return {"Path": "/", "RoleName": f"app-role-{i}", "RoleId": f"AROA{i:017d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/app-role-{i}", "CreateDate": "2024-01-02T03:04:05Z",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}]},
                "InstanceProfileList": [],
                "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": _document(rnd, 3)}],
                "AttachedManagedPolicies": [{"PolicyName": f"managed-{m}",
                                             "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/managed-{m}"}
                                            for m in rnd.sample(range(400), 2)],
                "Tags": _tags(rnd, i), "RoleLastUsed": {"LastUsedDate": "2026-09-01T00:00:00Z",
                                                        "Region": "us-east-1"},
                "MaxSessionDuration": 3600}

    def written(x: dict) -> int:
        return len(json.dumps(x, indent=4).replace("\n", "\n        ")) + 10

    sample = sum(written(role(i)) + written(user(i)) for i in range(50)) / 50
    fixed = sum(written(x) for x in policies + groups)
    pairs = max(1, int((megabytes * 1e6 - fixed) / sample))
    rnd.seed(seed)
    with open(path, "w", encoding="utf-8") as fh:  # written section by section, as the CLI's output reads
        fh.write('{\n    "UserDetailList": ')
        _write_list(fh, (user(i) for i in range(pairs)))
        fh.write(',\n    "GroupDetailList": ')
        _write_list(fh, iter(groups))
        fh.write(',\n    "RoleDetailList": ')
        _write_list(fh, (role(i) for i in range(pairs)))
        fh.write(',\n    "Policies": ')
        _write_list(fh, iter(policies))
        fh.write(',\n    "IsTruncated": false\n}\n')
    return {"users": pairs, "roles": pairs, "groups": len(groups), "policies": len(policies)}


def _write_list(fh, items) -> None:
    fh.write("[")
    first = True
    for item in items:
        fh.write("\n        " if first else ",\n        ")
        fh.write(json.dumps(item, indent=4).replace("\n", "\n        "))
        first = False
    fh.write("\n    ]")


# -- the child: one ingest in a fresh process ------------------------------------------------------------

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, export, ws, parse_only = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
import nhigraph.ingest.stream as stream
from nhigraph.workspace.ingest import ingest, parse_files
if mode == "whole-file":  # the reader before streaming: whole bytes, whole text, whole document
    from ingest_support import whole_file_entries
    stream.json_entries = whole_file_entries
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if parse_only:
    batches, _, errors = parse_files([export])
    rows = sum(len(b.nodes) + len(b.edges) for b in batches)
    ok = not errors and not any(b.errors for b in batches)
else:
    r = ingest([export], ws, memory_check=False)
    rows = r.totals["nodes"] + r.totals["edges"]
    ok = r.ok
secs = time.perf_counter() - t
print(json.dumps({"mode": mode, "seconds": secs, "rows": rows, "ok": ok, "baseline_mb": base / 1024,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(mode: str, export: Path, work: Path, parse_only: bool) -> dict:
    ws = work / f"ws-{mode}"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(root / "src"), str(root / "tests")))}
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(export), str(ws), "1" if parse_only else "0"],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200, help="size of the export in MB (default 200)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--parse-only", action="store_true", help="stop after parsing (no merge, no snapshot)")
    ap.add_argument("--modes", default="streamed,whole-file")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {mem:.0f} GB RAM, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="nhigraph-bench-large-") as tmp:
        work = Path(tmp)
        export = work / f"{ACCOUNT}-authz.json"
        t = time.perf_counter()
        counts = write_export(export, args.mb, args.seed)
        size = export.stat().st_size
        print(f"export: {size / 1e6:.1f} MB, {counts['users']:,} users, {counts['roles']:,} roles, "
              f"{counts['groups']} groups, {counts['policies']} policies (written in "
              f"{time.perf_counter() - t:.1f} s)")
        results = {"size_bytes": size, "counts": counts, "parse_only": args.parse_only, "runs": []}
        for mode in args.modes.split(","):
            r = run_child(mode, export, work, args.parse_only)
            r["rows_per_s"] = r["rows"] / r["seconds"]
            r["factor"] = (r["peak_mb"] - r["baseline_mb"]) * 2**20 / size
            r["load_average"] = os.getloadavg()[0]
            results["runs"].append(r)
            print(f"{mode:>10}: {r['seconds']:6.1f} s, {r['rows']:,} rows ({r['rows_per_s']:,.0f}/s), peak RSS "
                  f"{r['peak_mb']:,.0f} MB (baseline {r['baseline_mb']:.0f} MB; {r['factor']:.1f}x the file), "
                  f"load {r['load_average']:.2f}, ok={r['ok']}")
        rows = {r["rows"] for r in results["runs"]}
        if len(rows) > 1:
            raise SystemExit(f"the modes disagree on the graph: {rows}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
