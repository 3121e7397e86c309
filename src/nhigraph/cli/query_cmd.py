"""`nhigraph query NAME`: run a query of the Cypher library (queries/*.cypher) on Neo4j."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from ..errors import InputError
from .options import connection_options, console, dumps, emit, json_option, open_backend_from
from .render import table


def _cell(value: Any) -> Any:
    """A cell for people: nested lists and maps as compact JSON, dates as ISO text."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ", ".join(value)
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(None, None, f"--param {pair!r}: expected KEY=VALUE")
        out[key.strip().lstrip("$")] = value
    return out


@click.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter (repeatable); lists as JSON or comma-separated, maps as JSON.")
@click.option("--list", "list_", is_flag=True, help="List the queries with their parameters and mappings.")
@connection_options
@json_option
def query(name: str | None, params: tuple[str, ...], list_: bool, neo4j_uri: str, neo4j_user: str,
          neo4j_database: str | None, as_json: bool) -> None:
    """Run a query from the Cypher library on Neo4j, or list the library with --list.

    One .cypher file per analysis (blast radius, unowned paths, long-lived credentials, ...) and per
    exploration question (credential_context, owners_of, who_can_reach, stale_summary), each with its
    OWASP NHI Top 10 and NIST CSF 2.0 mapping. Values are passed only as parameters; $now defaults to
    the observation time of the snapshot last pushed. Push a snapshot first with `nhigraph neo4j push`.

        nhigraph query long_lived_credentials --param rotation_days=30
        nhigraph query credential_context -p credential=aws:key:AKIA...
    """
    from ..neo4j import queries as Q

    if list_ or not name:
        library = Q.list_queries()
        data = {"queries": [q.to_json() for q in library]}

        def render() -> None:
            console().print(table(f"{len(library)} queries in {Q.queries_dir()}",
                                  ["name", "params", "OWASP", "NIST", "description"],
                                  [(q.name, " ".join(f"${p.name}" for p in q.params), " ".join(q.owasp),
                                    " ".join(q.nist), _first_sentence(q.description)) for q in library]))

        emit(data, as_json, render)
        return
    q = Q.get(name)
    given = _params(params)
    q.bind(given, {a: "offline check" for a in Q.AUTO})  # bad or missing parameters fail here, before connecting
    be = open_backend_from("neo4j", None, None, neo4j_uri, neo4j_user, neo4j_database)
    try:
        rows = be.run(name, **given)
    finally:
        be.close()
    if as_json:
        click.echo(dumps({"query": name, "rows": Q.jsonable(rows)}))
        return
    out = console()
    if len(rows) == 1 and isinstance(rows[0].get("offenders"), list):
        row = rows[0]
        head = {k: v for k, v in row.items() if k != "offenders"}
        out.print(table(q.name, list(head), [[_cell(v) for v in head.values()]]))
        offenders = row["offenders"]
        cols = list(dict.fromkeys(["subject"] + [k for o in offenders for k in o if not k.startswith("_")]))
        out.print(table(f"{len(offenders)} offender(s)", cols or ["subject"],
                        [[_cell(o.get(c)) for c in cols] for o in offenders]))
        return
    if not rows:
        out.print(f"{q.name}: no rows.", markup=False)
        return
    cols = list(dict.fromkeys(k for r in rows for k in r if not k.startswith("_")))
    out.print(table(f"{q.name}: {len(rows)} row(s)", cols, [[_cell(r.get(c)) for c in cols] for r in rows]))


def _first_sentence(text: str) -> str:
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text
