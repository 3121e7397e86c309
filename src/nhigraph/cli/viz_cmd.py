"""`nhigraph viz`: interactive graph views as self-contained HTML pages."""

from __future__ import annotations

from pathlib import Path

import click

from .options import console, emit, json_option, workspace_option
from .render import printable


@click.command()
@click.argument("key", required=False)
@click.option("--unowned", is_flag=True, help="Draw the access paths no active owner is accountable for, and the "
                                              "identities whose owners have all left.")
@click.option("--duplicates", is_flag=True, help="Draw the duplicate-connector groups with their systems and "
                                                 "credentials.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write. Default: reach.html, unowned.html or duplicates.html.")
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
@click.option("--max-nodes", type=click.IntRange(1), default=500, show_default=True,
              help="Draw at most this many nodes, most important first; the page says when some were left out.")
@click.option("--filter", "filter_text", metavar="TEXT",
              help="Draw only nodes whose id, name or label contains TEXT (the credential itself is always drawn).")
@json_option
def viz(key: str | None, unowned: bool, duplicates: bool, out: Path | None, workspace: Path, snapshot: str | None,
        max_nodes: int, filter_text: str | None, as_json: bool) -> None:
    """Write an interactive graph view: a credential's blast radius, unowned paths or duplicate connectors.

    KEY (a credential id, provider key id, sha256: fingerprint, or - for a raw secret on stdin) draws what the
    credential reaches, left to right: the identities it becomes, the roles they can assume and the resources
    and systems reached, sized by access level (read < write < admin), coloured by kind, the credential
    highlighted and every edge labelled. --unowned and --duplicates draw those debts instead.

    The page is one self-contained HTML file that works offline (vis-network, shipped with pyvis, is inlined):
    drag, zoom, hover for details, and filter nodes by text. Huge graphs are cut to --max-nodes and the page
    says so. Names from the exports are shown as text, never interpreted.
    """
    from ..analysis.debt import DebtAnalysis
    from ..analysis.estate import Estate
    from ..report.viz import blast_radius_view, duplicates_view, unowned_view, write_view

    chosen = [x for x in (key is not None, unowned, duplicates) if x]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of KEY, --unowned or --duplicates")
    cred = None
    if key is not None:
        # like `reach`: the credential's neighbourhood only, read from the snapshot files (same picture)
        from ..analysis.focus import FocusedBackend

        focused = FocusedBackend(workspace, snapshot)
        cred = focused.resolve_key(key)
        view = blast_radius_view(focused.estate_of(cred), cred, focused.blast_radius(cred))
        default = "reach.html"
    elif unowned:
        estate = Estate.load(workspace, snapshot)
        d = DebtAnalysis(estate)
        view, default = unowned_view(estate, [d.unowned_paths(), d.departed_owners()]), "unowned.html"
    else:
        estate = Estate.load(workspace, snapshot)
        view, default = duplicates_view(estate, [DebtAnalysis(estate).duplicate_connectors()]), "duplicates.html"
    out = out or Path(default)
    shown = write_view(view, out, max_nodes, filter_text)
    data = {"out": str(out), "credential": cred, **shown.to_json()}

    def render() -> None:
        more = f" (cut from {shown.matched} nodes: --max-nodes {max_nodes})" if shown.truncated else ""
        console().print(f"Wrote {out}: {printable(shown.title)}, {len(shown.nodes)} nodes and {len(shown.edges)} "
                        f"edges{more}. "
                        "Open it in a browser (works offline).", markup=False)

    emit(data, as_json, render)
