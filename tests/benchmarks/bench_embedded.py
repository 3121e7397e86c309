"""Embedded-backend benchmark: synth -> ingest -> load -> reach -> all blast radii -> debt.

Not part of the test suite. Run::

    .venv/bin/python tests/benchmarks/bench_embedded.py --identities 100000
    .venv/bin/python tests/benchmarks/bench_embedded.py --identities 10000 --json results.json
    .venv/bin/python tests/benchmarks/bench_embedded.py --identities 10000 --format inventory

``--format real`` (the default) generates the estate as the platforms' own export files (AWS, GCP, Entra ID,
Kubernetes, Vault, GitHub, gitleaks and the inventory registers: ``nhigraph synth``), so ingest time includes
format detection and every ingester; ``--format inventory`` generates nhigraph inventory CSV tables only.

It compares, in the same run, the component-merging all-credential blast radius against the naive way
(one breadth-first search per credential, timed on a random sample and extrapolated, since running it on
every credential of a large estate takes too long) and prints the ratio. Figures depend on the machine:
the header says which one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GB RAM, {cpu}, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identities", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", choices=("real", "inventory"), default="real",
                    help="real: platform export files (nhigraph synth); inventory: inventory CSV tables")
    ap.add_argument("--samples", type=int, default=1000, help="credentials timed for reach latency")
    ap.add_argument("--naive-sample", type=int, default=2000, help="credentials searched the naive way")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--cold-samples", type=int, default=30,
                    help="credentials asked the way `nhigraph reach` does, from the snapshot files (no load)")
    ap.add_argument("--ingest-only", action="store_true",
                    help="stop after ingest and cold reach (for estates too large to load into memory)")
    args = ap.parse_args()

    from nhigraph.analysis.debt import DebtAnalysis
    from nhigraph.analysis.estate import Estate
    from nhigraph.analysis.reach import ReachIndex
    from nhigraph.synth.estate import write_estate as write_real
    from nhigraph.synth.inventory import write_estate as write_inventory
    from nhigraph.workspace.ingest import ingest

    work = args.workdir or Path(tempfile.mkdtemp(prefix="nhigraph-bench-"))
    for sub in ("exports", "ws", "synth"):
        shutil.rmtree(work / sub, ignore_errors=True)
    results: dict = {"machine": machine(), "format": args.format, "identities": args.identities}
    print(f"machine: {results['machine']}")

    t = time.perf_counter()
    observed_at = None
    if args.format == "real":
        synth = write_real(work / "synth", args.identities, seed=args.seed)
        results["synth_s"] = time.perf_counter() - t
        exports, observed_at = synth.exports, synth.as_of
        results["identities_written"] = sum(synth.written.values())
        results["export_files"] = synth.files
    else:
        exports = work / "exports"
        counts = write_inventory(exports, args.identities, seed=args.seed)
        results["synth_s"] = time.perf_counter() - t
        results["export_rows"] = sum(counts.values())
    results["export_mb"] = du(exports) / 2**20

    t = time.perf_counter()
    res = ingest([exports], work / "ws", observed_at=observed_at)
    results["ingest_s"] = time.perf_counter() - t
    assert res.ok, res.errors[:3]
    results["nodes"], results["edges"] = res.totals["nodes"], res.totals["edges"]
    results["ingest_rows_per_s"] = (results["nodes"] + results["edges"]) / results["ingest_s"]
    results["workspace_mb"] = du(work / "ws" / "snapshots" / res.snapshot) / 2**20
    results["ingest_peak_rss_mb"] = peak_rss_mb()

    # `nhigraph reach KEY` on the embedded backend: one credential's neighbourhood read from the snapshot
    # files, no estate loaded (nhigraph.analysis.focus); a fresh read per question, as the CLI does
    from nhigraph.analysis import incident
    from nhigraph.analysis.focus import FocusedBackend
    import pyarrow.parquet as pq

    snap_dir = work / "ws" / "snapshots" / res.snapshot
    cred_ids = pq.read_table(snap_dir / "nodes" / "Credential.parquet", columns=["id"]).column("id").to_pylist()
    rng = random.Random(args.seed)
    cold = []
    for c in rng.sample(cred_ids, min(args.cold_samples, len(cred_ids))):
        t0 = time.perf_counter()
        incident.report(FocusedBackend(work / "ws"), c)
        cold.append((time.perf_counter() - t0) * 1000)
    cold.sort()
    results["reach_cold_ms_median"] = statistics.median(cold)
    results["reach_cold_ms_p95"] = cold[max(0, int(len(cold) * 0.95) - 1)]
    if args.ingest_only:
        results["peak_rss_mb"] = peak_rss_mb()
        _print(results, args)
        return

    t = time.perf_counter()
    estate = Estate.load(work / "ws")
    results["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    index = ReachIndex(estate)
    results["reach_index_s"] = time.perf_counter() - t

    creds = index.credentials
    results["credentials"] = len(creds)
    lat = []
    for c in rng.sample(creds, min(args.samples, len(creds))):
        t0 = time.perf_counter()
        index.blast_radius(c)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    results["reach_ms_median"] = statistics.median(lat)
    results["reach_ms_p95"] = lat[int(len(lat) * 0.95) - 1]

    t = time.perf_counter()
    summaries = index.summaries()
    results["all_blast_radii_s"] = time.perf_counter() - t

    sample = rng.sample(creds, min(args.naive_sample, len(creds)))
    t = time.perf_counter()
    for c in sample:
        br = index.blast_radius(c)
        assert br.counts()["total"] == summaries[c]["counts"]["total"], c
    naive_sample_s = time.perf_counter() - t
    results["naive_all_blast_radii_s_extrapolated"] = naive_sample_s * len(creds) / len(sample)
    results["speedup_vs_naive"] = results["naive_all_blast_radii_s_extrapolated"] / results["all_blast_radii_s"]

    t = time.perf_counter()
    metrics = DebtAnalysis(estate, reach=index).metrics()
    results["debt_s"] = time.perf_counter() - t
    results["metrics"] = len(metrics)
    results["peak_rss_mb"] = peak_rss_mb()
    _print(results, args)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


def _print(results: dict, args) -> None:
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v:,.2f}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
