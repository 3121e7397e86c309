"""Report benchmark: how long `nhigraph report` takes, phase by phase. Not part of the test suite. Run::

    .venv/bin/python tests/benchmarks/bench_report.py                      # the demo estate
    .venv/bin/python tests/benchmarks/bench_report.py --identities 2000    # a synthetic estate

Phases: load and analyse the snapshot (every metric, finding and blast radius), charts (matplotlib to SVG),
report.html, report.md, findings.csv and metrics.json, and the whole command in a fresh process (which adds
interpreter start-up and imports). Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--identities", type=int, default=0, help="synthetic estate size (0: the demo estate)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nhigraph-bench-report-"))
    from nhigraph.workspace.ingest import ingest

    if args.identities:
        from nhigraph.synth.inventory import write_estate

        write_estate(tmp / "exports", identities=args.identities)
    else:
        from nhigraph.demo.estate import write_inventory

        write_inventory(tmp / "exports")
    result = ingest([tmp / "exports"], tmp / "ws")
    print(f"estate: {result.totals['nodes']} nodes, {result.totals['edges']} edges; {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f}")

    def timed(label, fn):
        t = time.perf_counter()
        value = fn()
        print(f"{label:<28} {time.perf_counter() - t:8.3f} s")
        return value

    from nhigraph.report import build_report, dumps, load_side
    from nhigraph.report.charts import report_charts
    from nhigraph.report.csv import findings_csv
    from nhigraph.report.html import render_html
    from nhigraph.report.markdown import render_markdown

    side = timed("load + analyse", lambda: load_side(None, tmp / "ws"))
    report = build_report(side)
    charts = timed("charts (first, cold)", lambda: report_charts(report))
    timed("charts (warm)", lambda: report_charts(report))
    html = timed("report.html", lambda: render_html(report, charts))
    timed("report.md", lambda: render_markdown(report))
    timed("findings.csv", lambda: findings_csv(report.findings))
    timed("metrics.json", lambda: dumps(report.to_json()))
    print(f"{len(report.findings)} findings; report.html {len(html.encode()) / 1e6:.1f} MB")
    exe = Path(sys.executable).with_name("nhigraph")
    timed("`nhigraph report` (process)", lambda: subprocess.run(
        [str(exe), "report", "-w", str(tmp / "ws"), "--out", str(tmp / "out"), "--json"], check=True,
        capture_output=True))


if __name__ == "__main__":
    main()
