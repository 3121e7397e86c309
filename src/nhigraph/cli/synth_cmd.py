"""`nhigraph synth`: write a synthetic estate of any size as export files, for scale tests and benchmarks."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from .options import console, emit, json_option
from .render import progress_bar, table


@click.command()
@click.option("--identities", "-n", type=click.IntRange(min=50), default=10_000, show_default=True,
              help="How many non-human identities (split across AWS, GCP, Azure, Kubernetes and Vault).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write (created; a folder a previous `nhigraph synth` made is replaced).")
@click.option("--seed", type=int, default=7, show_default=True, help="The same seed and size give the same bytes.")
@click.option("--format", "fmt", type=click.Choice(["real", "inventory"]), default="real", show_default=True,
              help="real: the platforms' own export formats, with planted.json; inventory: nhigraph inventory "
                   "CSV tables only (the older generator).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None, metavar="DATE",
              help="'Now' of the estate: ages, last uses and expiries are relative to it (default 2026-10-01). "
                   "Ingest with the same --observed-at.")
@json_option
def synth(identities: int, out: Path, seed: int, fmt: str, as_of: datetime | None, as_json: bool) -> None:
    """Write a synthetic estate of N identities as export files, with the answers planted in it.

    With --format real (the default) OUT/exports holds what the platforms' own CLIs write, laid out as a user
    would keep them: AWS authorization details, credential reports and key listings per account; GCP service
    accounts, keys and IAM policies per project; Entra ID app and service principal lists with owners and
    permissions; one kubectl export per cluster; Vault roles, policies and KV metadata; GitHub Actions
    workflows and secret listings; gitleaks reports; and the owner, ownership, systems, connectors and
    exception registers as inventory CSV. OUT/planted.json lists the problems planted in it with their ids
    (leaked keys, duplicate connectors, departed owners, unowned credentials, a role chain to admin, vendor
    trust without an external id, expired exceptions...). Then run
    `nhigraph ingest OUT/exports --observed-at DATE` with the estate's date.
    """
    from ..synth.estate import DEFAULT_AS_OF, prepare, write_estate

    when = as_of.replace(tzinfo=timezone.utc) if as_of else DEFAULT_AS_OF
    c = console()
    with progress_bar(disable=as_json or identities < 5000) as bar:
        task = bar.add_task("synth identities", total=identities)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            if fmt == "real":
                result = write_estate(out, identities, seed=seed, as_of=when, progress=progress)
                data = {"format": "real", **result.to_json()}
            else:
                from ..synth.inventory import write_estate as write_inventory

                prepare(out)
                rows = write_inventory(out / "exports", identities, seed=seed, as_of=when, progress=progress)
                data = {"format": "inventory", "out": str(out), "exports": str(out / "exports"), "seed": seed,
                        "identities_requested": identities, "as_of": when.isoformat(), "rows": rows,
                        "files": len(rows)}
        except FileExistsError as exc:
            raise click.UsageError(str(exc)) from None

    def render() -> None:
        if fmt == "real":
            c.print(f"Wrote {data['files']} export files for {data['identities_total']} identities to "
                    f"{data['exports']}; planted answers in {data['planted']}.", markup=False)
            c.print(table("Identities written", ["family", "identities"], sorted(data["identities_written"].items())))
            c.print(table("Estate", ["what", "count"], sorted(data["plan"].items())))
            c.print(table("Planted problems", ["problem", "count"],
                          [(k, v) for k, v in sorted(data["planted_counts"].items()) if v]))
        else:
            c.print(f"Wrote inventory CSV tables for {identities} identities to {data['exports']}.", markup=False)
            c.print(table("Rows", ["table", "rows"], sorted(data["rows"].items())))
        c.print(f"Next: nhigraph ingest {data['exports']} --observed-at {when.strftime('%Y-%m-%d')}", markup=False)

    emit(data, as_json, render)
