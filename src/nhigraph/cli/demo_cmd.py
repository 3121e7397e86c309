"""`nhigraph demo`: generate a realistic estate as export files, ingest it, and show what is found."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from .options import console, emit, json_option
from .render import table


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="nhigraph-demo",
              show_default=True, help="Folder for the demo's export files and workspace (replaced).")
@json_option
def demo(out: Path, as_json: bool) -> None:
    """Run the whole product on a demo estate, on the embedded backend (no server needed).

    Writes a small company's exports (inventory CSV) under OUT/exports, ingests them into a fresh
    workspace OUT/workspace, and prints counts, the debt metrics per category and the top findings. Also
    writes the debt report to OUT/report/ and the leaked key's blast-radius view to OUT/reach-leaked-key.html.
    Explore further with e.g. `nhigraph -h` and `nhigraph reach AKIAACMECIDEPLOY0001 -w OUT/workspace`.
    """
    from ..analysis import analyze
    from ..analysis.estate import Estate
    from ..demo.estate import write_inventory
    from ..workspace.ingest import ingest

    if out.exists():
        marker = out / ".nhigraph-demo"
        if not marker.exists():
            raise click.UsageError(f"{out} exists and was not made by `nhigraph demo`; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / ".nhigraph-demo").write_text("made by nhigraph demo\n")
    files = write_inventory(out / "exports")
    result = ingest([out / "exports"], out / "workspace")
    estate = Estate.load(out / "workspace")
    a = analyze(estate)
    from ..report.demo import write_demo_artifacts

    artifacts = write_demo_artifacts(out, estate, a, out / "workspace")
    by_cat: dict[str, list] = {}
    for f in a.findings:
        by_cat.setdefault(f.category, []).append(f)
    data = {
        "exports": str(out / "exports"), "workspace": str(out / "workspace"), "files": len(files),
        "snapshot": result.snapshot, "totals": result.totals,
        "metrics": {m.id: {"numerator": m.numerator, "denominator": m.denominator} for m in a.metrics},
        "findings": {cat: len(fs) for cat, fs in by_cat.items()},
        "top_findings": [f.to_json() for cat in by_cat for f in by_cat[cat][:1]],
        "report": artifacts["report"], "view": artifacts["view"],
    }

    def render() -> None:
        c = console()
        c.print(f"Demo estate written to {out / 'exports'} ({len(files)} inventory files) and ingested into "
                f"{out / 'workspace'}: {result.totals['nodes']} nodes, {result.totals['edges']} edges.")
        counts: dict[str, int] = {}
        for _, d in estate.g.nodes(data=True):
            counts[d["label"]] = counts.get(d["label"], 0) + 1
        c.print(table("Estate", ["label", "nodes"], sorted(counts.items())))
        c.print(table("Debt", ["category", "metric", "offenders", "of"],
                      [(m.category, m.title, m.numerator, f"{m.denominator} {m.population}") for m in a.metrics]))
        c.print(table(f"Top finding per category ({len(a.findings)} findings in all)",
                      ["category", "severity", "rule", "subject", "finding", "OWASP"],
                      [(cat, fs[0].severity.upper(), fs[0].rule, fs[0].subject, fs[0].title, " ".join(fs[0].owasp))
                       for cat, fs in by_cat.items()]))
        c.print(f"Report: {artifacts['report']}  (also report.md, findings.csv, metrics.json)", markup=False)
        c.print(f"View:   {artifacts['view']}  (the leaked key's blast radius; opens offline)", markup=False)
        c.print(f"Next: nhigraph reach AKIAACMECIDEPLOY0001 -w {out / 'workspace'}   (the leaked CI key)")
        c.print(f"      nhigraph findings -w {out / 'workspace'} --severity high")

    emit(data, as_json, render)
