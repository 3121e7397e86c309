"""Options shared by every command, and the output helpers that honour them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import click

workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), envvar="NHIGRAPH_WORKSPACE",
    default="nhigraph-workspace", show_default=True, show_envvar=True,
    help="Workspace folder holding the snapshots.")

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print machine-readable JSON (stable schema) instead of tables.")


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=_default, ensure_ascii=False)


def emit(data: Any, as_json: bool, render: Callable[[], None]) -> None:
    """Print ``data`` as JSON, or call ``render`` to print it for people."""
    if as_json:
        click.echo(dumps(data))
    else:
        render()


def console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)
