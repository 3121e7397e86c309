"""Markdown documentation generated from the code: the model table, the inventory format, the supported
formats and the command reference. README keeps them between ``<!-- generated:NAME -->`` markers;
`make docs` refreshes them and a test fails when README is stale."""

from __future__ import annotations

import re
from pathlib import Path

from .model.vocabulary import MODEL


def _props(props) -> str:
    out = []
    for p in props:
        if p.secret:
            continue
        t = p.type + ("" if not p.choices else ": " + "/".join(p.choices))
        out.append(f"`{p.name}` ({t})")
    return ", ".join(out) or "-"


def model_table() -> str:
    lines = ["| node label | what it is | kinds | properties (besides id, kind, name, source, first/last seen) |",
             "|---|---|---|---|"]
    for n in MODEL.nodes:
        lines.append(f"| `{n.label}` | {n.doc} | {', '.join(n.kinds)} | {_props(n.props)} |")
    lines += ["", "| edge type | from | to | meaning | properties |", "|---|---|---|---|---|"]
    for e in MODEL.edges:
        key = f" (key: {', '.join(e.key)})" if e.key else ""
        lines.append(f"| `{e.type}` | {', '.join(e.start)} | {', '.join(e.end)} | {e.doc} | {_props(e.props)}{key} |")
    return "\n".join(lines)


def inventory_table() -> str:
    from .ingest.inventory import EDGE_TABLES, NODE_TABLES

    lines = ["| table (file name) | one row is | columns | link columns (ids, `;`-separated) |", "|---|---|---|---|"]
    for t in NODE_TABLES:
        link_cols = {link.column for link in t.links}
        cols = [c for c in t.columns if c not in link_cols]
        links = ", ".join(f"`{link.column}` → {link.edge}" for link in t.links)
        lines.append(f"| `{t.name}.csv` | a `{t.label}` | {', '.join(f'`{c}`' for c in cols)} | {links} |")
    for t in EDGE_TABLES:
        what = f"a `{t.edge}` edge" if t.edge else "any edge (`type` column)"
        lines.append(f"| `{t.name}.csv` | {what} | {', '.join(f'`{c}`' for c in t.columns)} | |")
    return "\n".join(lines)


def formats_table() -> str:
    from .ingest import FORMATS

    lines = ["| format | what | produced by |", "|---|---|---|"]
    lines += [f"| `{f.name}` | {f.title} | {f.produced_by} |" for f in FORMATS]
    return "\n".join(lines)


def commands_table() -> str:
    """Every command with the first line of its help: the full text is `nhigraph COMMAND --help`."""
    import click

    from .cli import cli

    ctx = click.Context(cli)
    lines = ["| command | what it does |", "|---|---|"]

    def walk(group, prefix):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            lines.append(f"| `{prefix} {name}` | {cmd.get_short_help_str(limit=200)} |")
            if isinstance(cmd, click.Group):
                walk(cmd, f"{prefix} {name}")

    walk(cli, "nhigraph")
    return "\n".join(lines)


SECTIONS = {"model": model_table, "inventory": inventory_table, "formats": formats_table,
            "commands": commands_table}


def render_readme(text: str) -> str:
    """README text with every generated section replaced by its current content."""
    for name, fn in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + fn() + "\n" + m.group(2), text)
    return text


def update_readme(path: Path) -> bool:
    old = path.read_text()
    new = render_readme(old)
    if new != old:
        path.write_text(new)
    return new != old
