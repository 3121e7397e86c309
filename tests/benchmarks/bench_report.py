"""Report benchmark: how long `nhigraph report` takes, phase by phase. Not part of the test suite. Run::

    .venv/bin/python tests/benchmarks/bench_report.py                      # the demo estate
    .venv/bin/python tests/benchmarks/bench_report.py --identities 2000    # a synthetic estate (inventory format)
    .venv/bin/python tests/benchmarks/bench_report.py --workspace WS       # an existing workspace, as it is
    .venv/bin/python tests/benchmarks/bench_report.py --identities 2000 --naive   # also the reference writers

Phases: first the whole command in a fresh process (interpreter start-up, imports, writing and syncing the
files and freeing memory at exit included), then, in this process: load the snapshot into networkx, the blast
radius of every credential, the 18 debt metrics, findings, integration scores and the report's facts (together
what ``load_side`` does), charts (matplotlib to SVG), report.html, report.md, findings.csv and metrics.json. Each
phase shows wall and CPU seconds: on a shared machine the CPU figure is the steadier one. ``--naive`` also times
the reference writers the fast ones are tested against (``csv.writer`` row by row, the standard library's
indenting JSON encoder) and checks they give the same bytes. Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: the same phases before the report was sped up (README, 100k identities, inventory synth, 2 cores)
BEFORE_100K = {"load + analyse": 78.0, "charts": 1.4, "report.html": 1.7, "report.md": 7.4, "findings.csv": 18.9,
               "metrics.json": 14.8, "`nhigraph report` (process)": 135.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--identities", type=int, default=0, help="synthetic estate size (0: the demo estate)")
    ap.add_argument("--workspace", type=Path, help="benchmark this workspace's current snapshot instead (not modified)")
    ap.add_argument("--naive", action="store_true", help="also time the reference CSV and JSON writers")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nhigraph-bench-report-"))
    if args.workspace:
        ws = args.workspace
    else:
        from nhigraph.workspace.ingest import ingest

        if args.identities:
            from nhigraph.synth.inventory import write_estate

            write_estate(tmp / "exports", identities=args.identities)
        else:
            from nhigraph.demo.estate import write_inventory

            write_inventory(tmp / "exports")
        ws = tmp / "ws"
        ingest([tmp / "exports"], ws)
    print(f"{os.cpu_count()} CPU(s), load average {'/'.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min)")

    def timed(label, fn):
        w, c = time.perf_counter(), time.process_time()
        value = fn()
        took = time.perf_counter() - w
        timed.total[label] = took
        print(f"{label:<32} {took:8.2f} s  (CPU {time.process_time() - c:6.2f} s)", flush=True)
        return value

    timed.total = {}
    # the whole command first, while this process is small (a forked child starts with its parent's pages)
    exe = Path(sys.executable).with_name("nhigraph")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    subprocess.run([str(exe), "report", "-w", str(ws), "--out", str(tmp / "out"), "--json"], check=True,
                   capture_output=True)
    took = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    timed.total["`nhigraph report` (process)"] = took
    print(f"{'`nhigraph report` (process)':<32} {took:8.2f} s  (CPU {cpu:6.2f} s, of which system "
          f"{after.ru_stime - before.ru_stime:.2f} s; peak RSS {after.ru_maxrss / 1e6:.1f} GB)")

    from nhigraph.analysis import Analysis
    from nhigraph.analysis.findings import build_findings
    from nhigraph.analysis.estate import Estate, paused_gc
    from nhigraph.analysis.score import integration_scores
    from nhigraph.backends.embedded import EmbeddedBackend
    from nhigraph.report import _atomic_file, build_report, dumps_naive, write_json
    from nhigraph.report.build import facts_from_estate
    from nhigraph.report.charts import report_charts
    from nhigraph.report.csv import findings_csv_naive, write_findings_csv
    from nhigraph.report.diff import Side, SnapshotInfo
    from nhigraph.report.html import render_html
    from nhigraph.report.markdown import markdown_chunks
    from nhigraph.workspace.store import Workspace

    w = Workspace(ws)
    with paused_gc():  # as `nhigraph report` runs
        start = time.perf_counter()
        estate = timed("load into networkx", lambda: Estate.load(w))
        print(f"estate: {estate.g.number_of_nodes():,} nodes, {estate.g.number_of_edges():,} edges")
        be = EmbeddedBackend(estate=estate)
        summaries = timed("blast radius, every credential", be.blast_radii)
        metrics = timed("debt (18 metrics)", be.metrics)
        findings = timed("findings", lambda: build_findings(metrics, summaries, be.credentials_of()))
        scores = timed("integration scores", lambda: integration_scores(metrics, be.scopes()))
        facts = timed("report facts", lambda: facts_from_estate(estate))
        timed.total["load + analyse"] = time.perf_counter() - start
        print(f"{'load + analyse':<32} {timed.total['load + analyse']:8.2f} s")
        info = SnapshotInfo.from_manifest(w.manifest(None), w.path)
        side = Side(info, Analysis(metrics, findings, summaries, scores), estate, facts)
        report = build_report(side)
        charts = timed("charts", lambda: report_charts(report))
        files = tmp / "files"
        files.mkdir()

        def write(name, fill, binary=False):
            with _atomic_file(files / name, binary=binary) as fh:
                fill(fh)

        # the files as write_report writes them: streamed, synced
        timed("report.html", lambda: write("report.html", lambda fh: fh.write(render_html(report, charts))))
        timed("report.md", lambda: write("report.md", lambda fh: fh.writelines(markdown_chunks(report))))
        timed("findings.csv", lambda: write("findings.csv", lambda fh: write_findings_csv(fh, report.findings)))
        data = report.to_json()
        timed("metrics.json", lambda: write("metrics.json", lambda fh: write_json(fh, data), binary=True))
        if args.naive:
            same_csv = timed("findings.csv, csv.writer", lambda: findings_csv_naive(report.findings)).encode() \
                == (files / "findings.csv").read_bytes()
            same_json = timed("metrics.json, json.dumps", lambda: dumps_naive(data)).encode() \
                == (files / "metrics.json").read_bytes()
            print(f"reference writers give the same bytes: findings.csv {same_csv}, metrics.json {same_json}")
    print(f"{len(report.findings):,} findings; "
          + ", ".join(f"{name} {(files / name).stat().st_size / 1e6:,.1f} MB" for name in
                      ("report.html", "report.md", "findings.csv", "metrics.json")))
    print(f"load average {'/'.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min)")
    if args.identities == 100_000 or (args.workspace and 400_000 < estate_nodes(w) < 500_000):
        print("\nbefore (README, 100k identities, 2 cores, loaded machine) -> now:")
        for label, old in BEFORE_100K.items():
            new = timed.total.get(label)
            if new is not None:
                print(f"  {label:<30} {old:7.1f} s -> {new:6.1f} s ({old / new:.1f}x)")


def estate_nodes(ws) -> int:
    return int(ws.manifest(None).get("counts", {}).get("total_nodes", 0))


if __name__ == "__main__":
    main()
