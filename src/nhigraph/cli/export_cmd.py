"""`nhigraph export`: write the workspace graph in formats other tools read."""

from __future__ import annotations

from pathlib import Path

import click

from .options import console, dumps, workspace_option


@click.group()
def export() -> None:
    """Write the workspace graph for other tools."""


@export.command("opengraph")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
def export_opengraph(out: Path, workspace: Path, snapshot: str | None) -> None:
    """Write the graph as BloodHound OpenGraph JSON to OUT (load it in BloodHound CE: Administration >
    File Ingest). `nhigraph ingest` reads the file back."""
    from ..export.opengraph import to_opengraph
    from ..util.files import atomic_write_text
    from ..workspace.store import Workspace

    snap = Workspace(workspace).load(snapshot)
    doc = to_opengraph(snap.nodes, snap.edges)
    atomic_write_text(out, dumps(doc))
    console().print(f"Wrote {len(doc['graph']['nodes'])} nodes and {len(doc['graph']['edges'])} edges to {out}")
