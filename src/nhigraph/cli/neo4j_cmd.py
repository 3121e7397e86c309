"""`nhigraph neo4j`: a local developer server, and pushing a workspace snapshot into Neo4j."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import NhigraphError
from .options import connect_neo4j, connection_options, console, emit, json_option, workspace_option
from .render import table

HOME_ENV = "NHIGRAPH_NEO4J_HOME"


def default_home() -> Path:
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "nhigraph" / "neo4j"


home_option = click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=None, show_envvar=True,
    envvar=HOME_ENV, help="Folder holding the developer server's database and logs "
                          "[default: ~/.local/share/nhigraph/neo4j].")


class DevServerFailed(NhigraphError):
    exit_code = 6


def _devserver():
    from ..neo4j import devserver

    return devserver


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@click.group()
def neo4j() -> None:
    """Neo4j: run a local developer server, push a workspace snapshot into Neo4j.

    Once pushed, every analysis command runs on Neo4j with --backend neo4j, and `nhigraph query` runs
    the Cypher query library (queries/*.cypher). The connection comes from --neo4j-uri/$NEO4J_URI and
    --neo4j-user/$NEO4J_USER; the password from $NEO4J_PASSWORD or, on a terminal, a hidden prompt when the
    server asks for one (--ask-password prompts always), never from the command line, and it is never printed.
    """


@neo4j.command()
@home_option
@click.option("--port", type=click.IntRange(0, 65535), default=7687, show_default=True,
              help="Bolt port on 127.0.0.1 (0: any free port).")
@json_option
def start(home: Path | None, port: int, as_json: bool) -> None:
    """Start a local Neo4j developer server in the background and print its URI.

    A DEVELOPER server for trying nhigraph on Neo4j and for tests: embedded Neo4j Community 5.26, bound
    to the loopback interface (127.0.0.1) only, one database in --home. Authentication is off unless
    $NEO4J_PASSWORD is set (then user neo4j has that password). Not for production: run a real Neo4j
    server or Aura for shared or long-lived use. The first start builds the launcher with Maven (needs
    Java 17+ and mvn) and caches it. Stop it with `nhigraph neo4j stop`.
    """
    from ..neo4j.connect import password_from_env

    ds = _devserver()
    home = home or default_home()
    out = console()
    try:
        info = ds.start(home, port=port, password=password_from_env(), detach=True,
                        progress=None if as_json else (lambda msg: click.echo(msg, err=True)))
    except ds.DevServerError as exc:
        raise DevServerFailed(f"could not start the Neo4j dev server: {_first_line(exc)} "
                              f"(log: {home / 'logs' / 'devserver.log'})") from None
    data = {**info.as_dict(), "running": True}

    def render() -> None:
        out.print(f"Neo4j dev server running at {info.uri} (pid {info.pid}, home {info.home})", markup=False)
        out.print(f"Use it with: export NEO4J_URI={info.uri}; nhigraph neo4j push; nhigraph debt --backend neo4j",
                  markup=False)

    emit(data, as_json, render)


@neo4j.command()
@home_option
@json_option
def stop(home: Path | None, as_json: bool) -> None:
    """Stop the local Neo4j developer server started by `nhigraph neo4j start` for --home."""
    ds = _devserver()
    home = home or default_home()
    try:
        stopped = ds.stop(home)
    except ds.DevServerError as exc:
        raise DevServerFailed(f"could not stop the Neo4j dev server: {_first_line(exc)}") from None
    emit({"stopped": stopped, "home": str(home)}, as_json,
         lambda: console().print("Stopped the Neo4j dev server." if stopped
                                 else f"No Neo4j dev server was running for {home}.", markup=False))


@neo4j.command()
@home_option
@json_option
def status(home: Path | None, as_json: bool) -> None:
    """Whether the local Neo4j developer server for --home is running, and its URI."""
    ds = _devserver()
    home = home or default_home()
    st = ds.status(home)
    data = st if st is not None else {"running": False, "home": str(home)}

    def render() -> None:
        if st is None:
            console().print(f"No Neo4j dev server is running for {home}.", markup=False)
        else:
            console().print(table("Neo4j dev server", ["uri", "pid", "started", "bolt reachable", "auth", "home"],
                                  [(st["uri"], st["pid"], st.get("started_at"), "yes" if st["bolt_reachable"] else "NO",
                                    "on" if st.get("auth") else "off", st["home"])]))

    emit(data, as_json, render)


@neo4j.command()
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
@click.option("--batch-size", type=click.IntRange(1), default=None,
              help="Node rows per transaction (edges: a quarter of it) [default: 10000 nodes, 2500 edges].")
@click.option("--bulk", is_flag=True,
              help="First load of the dev server of --home, whose database must be empty: Neo4j's offline bulk "
                   "importer instead of Bolt writes, several times faster. The database is offline for the "
                   "import (a few seconds to minutes).")
@home_option
@connection_options
@json_option
def push(workspace: Path, snapshot: str | None, batch_size: int | None, bulk: bool, home: Path | None,
         neo4j_uri: str, neo4j_user: str, neo4j_database: str | None, as_json: bool) -> None:
    """Push a workspace snapshot into Neo4j (idempotent), then remove what its sources no longer report.

    Creates the model's constraints and indexes, writes every node and edge in batched MERGE
    transactions stamped with a new run id, records the snapshot's observation time (the "now" of
    time-based metrics), then deletes nodes and edges of older runs whose sources were all re-reported
    completely. Sources the snapshot marks partial are never cleaned up, and nothing is cleaned up if
    the push fails: push again to finish. The workspace is only read.

    With --bulk (the local dev server only, for a first load into its empty database) the snapshot is
    written as CSV files straight from its tables, the dev server imports them with Neo4j's offline
    importer in its own process, on the same port, then the constraints and indexes are created. The
    graph is the one a Bolt push writes, and later pushes update it as usual.
    """
    from ..neo4j.loader import push as do_push
    from ..workspace.store import Workspace

    ws = Workspace(workspace)
    ws.manifest(snapshot)  # a missing workspace or snapshot is reported before connecting
    if bulk:
        if batch_size is not None:
            raise click.UsageError("--batch-size applies to Bolt pushes, not --bulk")
        from ..neo4j.bulk import devserver_state

        home = (home or default_home()).expanduser().resolve()
        state = devserver_state(home)
        ctx = click.get_current_context()
        if ctx.get_parameter_source("neo4j_uri") == click.core.ParameterSource.COMMANDLINE and neo4j_uri != state["uri"]:
            raise click.UsageError(f"--bulk loads the dev server of --home ({state['uri']}), not {neo4j_uri}")
        neo4j_uri = state["uri"]
    driver = connect_neo4j(neo4j_uri, neo4j_user, neo4j_database)
    quiet = as_json or not sys.stderr.isatty()
    try:
        from .render import progress_bar

        with progress_bar(disable=quiet) as bar:
            task = bar.add_task("pushing", total=None)

            def progress(done: int, total: int, what: str) -> None:
                bar.update(task, completed=done, total=total or None, description=f"pushing {what}")

            if bulk:
                from ..neo4j.bulk import bulk_push

                result = bulk_push(ws, driver, home, snapshot=snapshot, database=neo4j_database, progress=progress)
            else:
                result = do_push(ws, driver, neo4j_database, batch_size=batch_size, progress=progress,
                                 snapshot=snapshot)
    finally:
        driver.close()
    data = result.to_json()

    def render() -> None:
        out = console()
        how = " (bulk import)" if result.method == "bulk" else ""
        out.print(table(f"Pushed snapshot {result.snapshot}{how}", ["nodes", "edges", "seconds", "rows/s",
                                                                    "deleted nodes", "deleted edges", "run"],
                        [(f"{result.nodes:,}", f"{result.edges:,}", f"{result.seconds:.1f}",
                          f"{result.rows_per_s:,.0f}", result.deleted_nodes, result.deleted_edges, result.run)]))
        if result.partial_sources:
            out.print(table("Not cleaned up (partial in this snapshot)", ["source"],
                            [(s,) for s in result.partial_sources]))

    emit(data, as_json, render)


__all__ = ["neo4j", "connection_options", "default_home"]
