"""`nhigraph reach KEY`: the incident responder's command."""

from __future__ import annotations

from pathlib import Path

import click

from .options import backend_options, console, emit, json_option, open_backend_from, workspace_option
from .render import printable, table


@click.command()
@click.argument("key")
@workspace_option
@click.option("--snapshot", metavar="NAME", help="A snapshot other than the current one.")
@backend_options
@click.option("--md", "as_md", is_flag=True, help="Print a Markdown ticket body.")
@json_option
def reach(key: str, workspace: Path, snapshot: str | None, backend: str, neo4j_uri: str, neo4j_user: str,
          neo4j_database: str | None, as_md: bool, as_json: bool) -> None:
    """What a credential reaches, who owns it, and how to revoke it.

    KEY is a credential id, a provider key id (e.g. an AWS access key id), a fingerprint (sha256:<hex>),
    or - to read the raw secret from standard input. A secret is read only from stdin (never from the
    command line or the environment), hashed locally with SHA-256, matched by fingerprint, and never
    stored, logged or printed:

        printf %s "$LEAKED" | nhigraph reach -

    Prints the credential and where it is kept and used, its blast radius (resources by level, prod
    first, second-order reach through credentials it can read), the owners to contact with the
    revocation owner first, and a remediation checklist.

    On the embedded backend only the credential's neighbourhood is read from the snapshot files (the same
    answer as the whole estate gives), so it answers in seconds even for estates too large to load.
    """
    from ..analysis.incident import report, to_markdown

    if backend == "embedded":
        # one credential's neighbourhood, read from the snapshot tables: the same answer as the whole
        # estate in seconds, without loading it (see nhigraph.analysis.focus)
        from ..analysis.focus import FocusedBackend

        be = FocusedBackend(workspace, snapshot)
    else:
        be = open_backend_from(backend, workspace, snapshot, neo4j_uri, neo4j_user, neo4j_database)
    try:
        rep = report(be, key)
    finally:
        be.close()
    if as_md:
        click.echo(printable(to_markdown(rep)))
        return
    emit(rep, as_json, lambda: render(rep))


def render(rep: dict) -> None:
    out = console()
    c = rep["credential"]
    br = rep["blast_radius"]
    n = br["counts"]
    status = c.get("status") or "status unknown"
    out.print(table(None, ["credential", "kind", "status", "leaked", "created", "last used"],
                    [(c["id"], c.get("kind"), status, "LEAKED" if c.get("leaked") else "no",
                      c.get("created_at"), c.get("last_used_at"))]))
    rows = [("authenticates as", i["id"], i["kind"], i["environment"]) for i in rep["identities"]]
    rows += [("stored in", s["id"], s["kind"], s["environment"]) for s in rep["stores"]]
    rows += [("used by", u["id"], u["kind"], u["environment"]) for u in rep["users"]]
    rows += [("held by", v["id"], v["kind"], "") for v in rep["vendors"]]
    out.print(table("Where it lives", ["relation", "id", "kind", "env"], rows))
    out.print(f"Blast radius: reaches {n['total']} resource(s), {br['share']:.1%} of the estate: "
              f"{n['admin']} admin, {n['write']} write, {n['read']} read; {n['prod']} in prod "
              f"({n['prod_write']} with write/admin); {n['second_order']} second-order; "
              f"{n['systems']} system(s); {n['identities']} identit(ies) traversed.")
    targets = sorted(br["targets"], key=lambda t: (t["environment"] != "prod", -"rwa".index(t["level"][0]), t["id"]))
    out.print(table("Reached", ["resource", "level", "env", "order", "shortest path"],
                    [(t["id"], t["level"], t["environment"], t["order"], " > ".join(t["path"]))
                     for t in targets]))
    if not rep["ownership_known"]:
        out.print("Owners: unknown (no owner register ingested).")
    else:
        out.print(table("Contacts (revocation first)", ["role", "owner", "status", "email", "escalation"],
                        [(o["role"], f"{o['name']} ({o['id']})", "active" if o["active"] else "DEPARTED",
                          o.get("email"), o.get("escalation_contact")) for o in rep["contacts"]]
                        or [("-", "no owner recorded", "", "", "")]))
    out.print(table("Remediation checklist", ["#", "step"], [(i, s) for i, s in enumerate(rep["checklist"], 1)]))
