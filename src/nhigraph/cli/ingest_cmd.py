"""`nhigraph ingest`: read export files into the workspace."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from .options import console, emit, json_option, workspace_option
from .render import counts_table, printable, progress_bar


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@workspace_option
@click.option("--format", "fmt", metavar="NAME",
              help="Force a format for every file instead of auto-detecting (see `nhigraph formats`).")
@click.option("--scope", metavar="NAME",
              help="Name this set of exports (e.g. a business unit) so it is merged and cleaned up apart "
                   "from others of the same format.")
@click.option("--strict", is_flag=True, help="Write nothing if any file or record is bad.")
@click.option("--no-cleanup", is_flag=True,
              help="Only add and update: keep records these sources no longer report.")
@click.option("--observed-at", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), metavar="DATE",
              help="When the exports were taken (UTC), if not now; sets first/last seen.")
@click.option("--no-memory-check", is_flag=True,
              help="Ingest even if the exports look too large for the memory available (also "
                   "NHIGRAPH_NO_MEMORY_CHECK=1).")
@json_option
def ingest(paths: tuple[Path, ...], workspace: Path, fmt: str | None, scope: str | None, strict: bool,
           no_cleanup: bool, observed_at: datetime | None, no_memory_check: bool, as_json: bool) -> None:
    """Ingest export files and folders into a new workspace snapshot.

    Each file's format is detected from its name and content. Records are merged by id into the current
    graph; a source ingested again replaces what it reported before (records it no longer reports are
    removed, unless the run had errors or --no-cleanup is given). The previous snapshot is kept, and a
    crash never leaves a half-written one.

    Bad files and records are reported one per line, naming the file and the record, and skipped; the
    exit status is then 2. Secret values in the exports are fingerprinted (SHA-256) and never stored.

    Large exports are read an item or a line at a time. Before reading, the memory the ingest will need is
    estimated from the files' sizes and compared with what the machine (or container) has available; if it
    would not fit, nothing is read or written, the largest files are named and the exit status is 7. Split
    the export or ingest it in parts (--scope), or pass --no-memory-check to ingest anyway.
    """
    from datetime import timezone

    from ..workspace.ingest import ingest as run_ingest

    obs = observed_at.replace(tzinfo=timezone.utc) if observed_at else None
    with progress_bar(disable=as_json) as bar:
        task = bar.add_task("Reading exports", total=None)

        def progress(done: int, total: int, path: Path) -> None:
            bar.update(task, completed=done, total=total, description=f"Reading {path.name[:40]}")

        result = run_ingest(paths, workspace, fmt=fmt, scope=scope, strict=strict, cleanup=not no_cleanup,
                            observed_at=obs, progress=progress, memory_check=not no_memory_check)

    def render() -> None:
        out = console()
        m = result.merge
        if m is not None:
            out.print(counts_table("Ingested", {
                "added": {**m.added_nodes, **m.added_edges},
                "updated": m.updated_nodes,
                "removed": {**m.removed_nodes, **m.removed_edges},
            }))
        if result.snapshot:
            out.print(f"Snapshot {result.snapshot} written to {workspace}: "
                      f"{result.totals['nodes']} nodes, {result.totals['edges']} edges "
                      f"from {len(result.files)} file(s).")
        elif result.errors and strict:
            out.print("Nothing written (--strict): fix the errors below and ingest again.")

    emit(result.to_json(), as_json, render)
    for warning in result.warnings:  # one line each, whatever the export put in a name
        click.echo(f"Warning: {printable(warning, keep='')}", err=True)
    for error in result.errors:
        click.echo(f"Error: {printable(str(error), keep='')}", err=True)
    if result.errors:
        raise SystemExit(2)
