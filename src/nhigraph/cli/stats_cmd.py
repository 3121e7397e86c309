"""`nhigraph stats`, `nhigraph snapshots` and `nhigraph formats`: what is in the workspace and what it reads."""

from __future__ import annotations

from pathlib import Path

import click

from .options import console, emit, json_option, workspace_option
from .render import table


@click.command()
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
@json_option
def stats(workspace: Path, snapshot: str | None, as_json: bool) -> None:
    """Count nodes by label and kind, edges by type, and list the sources of a snapshot."""
    from ..workspace.stats import snapshot_stats
    from ..workspace.store import Workspace

    data = snapshot_stats(Workspace(workspace).load(snapshot))

    def render() -> None:
        out = console()
        out.print(f"Snapshot {data['snapshot']} (observed {data['observed_at']}): "
                  f"{data['total_nodes']} nodes, {data['total_edges']} edges")
        out.print(table("Nodes", ["label", "kind", "count"],
                        [(lab, kind, n) for lab, kinds in data["nodes"].items() for kind, n in kinds.items()]))
        out.print(table("Edges", ["type", "count"], data["edges"].items()))
        out.print(table("Sources", ["source", "last ingested", "partial", "files"],
                        [(s, v.get("last_ingested"), "yes" if v.get("partial") else "", len(v.get("files", [])))
                         for s, v in data["sources"].items()]))

    emit(data, as_json, render)


@click.command()
@workspace_option
@json_option
def snapshots(workspace: Path, as_json: bool) -> None:
    """List the workspace's snapshots, oldest first; the current one is marked."""
    from ..workspace.store import Workspace

    ws = Workspace(workspace)
    current = ws.current_name()
    rows = []
    for name in ws.snapshot_names():
        m = ws.manifest(name)
        rows.append({"snapshot": name, "current": name == current, "created_at": m.get("created_at"),
                     "observed_at": m.get("observed_at"), "nodes": m["counts"]["total_nodes"],
                     "edges": m["counts"]["total_edges"]})

    def render() -> None:
        console().print(table(f"Snapshots in {workspace}", ["snapshot", "current", "observed", "nodes", "edges"],
                              [(r["snapshot"], "*" if r["current"] else "", r["observed_at"], r["nodes"],
                                r["edges"]) for r in rows]))

    emit(rows, as_json, render)


@click.command()
@json_option
def formats(as_json: bool) -> None:
    """List the export formats `nhigraph ingest` reads and the command that produces each."""
    from ..ingest import FORMATS

    rows = [{"name": f.name, "title": f.title, "produced_by": f.produced_by} for f in FORMATS]
    emit(rows, as_json, lambda: console().print(
        table("Supported formats", ["format", "what", "produced by"],
              [(r["name"], r["title"], r["produced_by"]) for r in rows])))
