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
    """Output for people. Piped output is 120 columns wide rather than rich's 80, so ids stay readable.

    Everything printed is literal text: rich markup (``[bold]``, ``[/]``) and emoji codes (``:key:``) are not
    interpreted, since names come from untrusted exports and paths from the user (``out[/].json`` would
    otherwise raise, and ``aws:key:...`` print a key emoji)."""
    import sys

    from rich.console import Console

    width = None if sys.stdout.isatty() else 120
    return Console(highlight=False, soft_wrap=False, width=width, markup=False, emoji=False)


ASK_PASSWORD_KEY = "nhigraph.neo4j.ask_password"


def _remember_ask_password(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[ASK_PASSWORD_KEY] = True


def connection_options(f: Callable) -> Callable:
    """The Neo4j connection options. The password comes only from $NEO4J_PASSWORD or a prompt, never from an
    option; --ask-password is not passed to the command (see :func:`connect_neo4j`)."""
    f = click.option("--ask-password", is_flag=True, expose_value=False, callback=_remember_ask_password,
                     help="Prompt for the Neo4j password (input hidden) instead of reading $NEO4J_PASSWORD; "
                          "when standard input is not a terminal, read it from its first line. Without this "
                          "flag, a terminal is prompted only when the server demands a password and "
                          "$NEO4J_PASSWORD is not set.")(f)
    f = click.option("--neo4j-database", envvar="NEO4J_DATABASE", default=None, show_envvar=True,
                     help="Neo4j database name (default: the server's default).")(f)
    f = click.option("--neo4j-user", envvar="NEO4J_USER", default="neo4j", show_default=True, show_envvar=True,
                     help="Neo4j user; the password comes from $NEO4J_PASSWORD or a hidden prompt, never from "
                          "the command line.")(f)
    f = click.option("--neo4j-uri", envvar="NEO4J_URI", default="bolt://127.0.0.1:7687", show_default=True,
                     show_envvar=True, help="Neo4j URI (bolt://, neo4j://, neo4j+s:// for Aura and clusters).")(f)
    return f


def backend_options(f: Callable) -> Callable:
    """--backend and the Neo4j connection options (see :func:`connection_options`)."""
    f = connection_options(f)
    f = click.option("--backend", type=click.Choice(["embedded", "neo4j"]), default="embedded", show_default=True,
                     help="Run on the embedded workspace (networkx) or on Neo4j (queries/*.cypher).")(f)
    return f


def stdin_is_terminal() -> bool:
    import sys

    return sys.stdin is not None and sys.stdin.isatty()


def _password_prompt(uri: str, user: str) -> Callable[[], str]:
    """Ask for the password: hidden on a terminal, else the first line of standard input. The answer goes
    only to the driver: never echoed, printed, logged or kept."""
    import sys

    from ..neo4j.connect import redact_uri

    def ask() -> str:
        if not stdin_is_terminal():
            return sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
        try:
            return click.prompt(f"Neo4j password for {user} at {redact_uri(uri)}", hide_input=True, err=True,
                                default="", show_default=False)
        except (click.Abort, EOFError):
            return ""

    return ask


def connect_neo4j(uri: str, user: str, database: str | None):
    """The CLI's Neo4j driver: password from $NEO4J_PASSWORD, or prompted (--ask-password, or a terminal
    when the server demands one). Closed when the command ends."""
    from ..neo4j.connect import connect

    ctx = click.get_current_context(silent=True)
    ask = bool(ctx and ctx.meta.get(ASK_PASSWORD_KEY))
    prompt = _password_prompt(uri, user) if ask or stdin_is_terminal() else None
    driver = connect(uri, user, database, prompt=prompt, ask=ask)
    if ctx is not None:
        ctx.call_on_close(driver.close)
    return driver


def open_backend_from(backend: str, workspace: Path, snapshot: str | None, neo4j_uri: str, neo4j_user: str,
                      neo4j_database: str | None):
    from ..backends import open_backend

    if backend == "neo4j":
        return open_backend("neo4j", uri=neo4j_uri, user=neo4j_user, database=neo4j_database,
                            driver=connect_neo4j(neo4j_uri, neo4j_user, neo4j_database))
    return open_backend("embedded", workspace, snapshot)
