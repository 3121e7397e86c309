"""A synthetic estate of any size written as the real export files nhigraph ingests, with its known answers.

Layout of ``OUT`` (each family's module says which command produces each file)::

    OUT/planted.json          the planted problems and their concrete ids (not an export: not under exports/)
    OUT/exports/aws/<account>/{authz.json, credential-report.csv, list-access-keys-<user>.json}
    OUT/exports/gcp/<project>/{service-accounts.json, <project>.json, <project>__iam-search.json,
                               keys/<SA_EMAIL>.json, sa-policies/<SA_EMAIL>.json}
    OUT/exports/azure/{<tenant>.applications.json, <tenant>.service-principals.json,
                       owners/<appId>.owners.json, app-role-assignments/<sp>.app-role-assignments.json}
    OUT/exports/kubernetes/<cluster>.json
    OUT/exports/vault/<cluster>__...{.json,.hcl}
    OUT/exports/github/api/<org>[__<repo>]__actions-{secrets,variables}.json
    OUT/exports/github/workflows/<org>__<repo>__<file>.yml
    OUT/exports/scans/<org>__<repo>__gitleaks.json
    OUT/exports/inventory/{owners,ownership,systems,connectors,exceptions}.csv

Ingest with ``nhigraph ingest OUT/exports --observed-at <as_of>`` (``as_of`` is in planted.json; ages and
expiries are relative to it). The same seed, size and ``as_of`` give the same bytes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import aws, azure, gcp, github, gitleaks, kubernetes, vault
from .common import Ctx, Planted
from .plan import make_plan
from .registers import Owners, write_registers

DEFAULT_AS_OF = datetime(2026, 10, 1, tzinfo=timezone.utc)
FORMAT_VERSION = 1
#: keys of planted.json that list problems (each also has a count in "counts")
PLANTED_KEYS = ("leaked_keys", "leaked_inactive_keys", "leaked_unknown_secrets", "gcp_exposed_keys_disabled",
                "stale_keys", "unowned_credentials", "unowned_identities", "departed_owner_identities",
                "tag_only_owner_identities", "human_used_identities", "shared_ci_credentials",
                "duplicate_connector_groups", "agent_tools_without_broker", "vendor_trust_without_external_id",
                "vendor_trust_with_external_id", "oidc_trust_without_subject", "azure_third_party_apps",
                "expired_exceptions", "exceptions_without_expiry", "valid_exceptions")
MARKER = ".nhigraph-synth"


@dataclass
class SynthResult:
    out: Path
    exports: Path
    seed: int
    identities: int
    as_of: datetime
    files: int
    written: dict[str, int]
    plan: dict[str, int]
    planted: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "exports": str(self.exports), "seed": self.seed,
                "identities_requested": self.identities, "as_of": self.as_of.isoformat(), "files": self.files,
                "identities_written": dict(sorted(self.written.items())),
                "identities_total": sum(self.written.values()), "plan": self.plan,
                "planted_counts": self.planted.get("counts", {}), "planted": str(self.out / "planted.json")}


def prepare(out: Path) -> None:
    """Make ``out`` ready for a new estate: create it, or empty one a previous run made (never anything else)."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise FileExistsError(f"{out} is not empty and was not made by `nhigraph synth`; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by nhigraph synth\n")


def write_estate(out: Path, identities: int, seed: int = 7, as_of: datetime | None = None,
                 progress: Callable[[int, int], None] | None = None, cap: int = 1000) -> SynthResult:
    """Write the estate under ``out/exports`` and its answers to ``out/planted.json``; return both.

    ``progress(done, total)`` is called as identities are written. Lists in planted.json hold at most ``cap``
    ids each (counts are always exact)."""
    as_of = (as_of or DEFAULT_AS_OF).astimezone(timezone.utc).replace(microsecond=0)
    prepare(out)
    planted = Planted(cap=cap)
    planted.declare(*PLANTED_KEYS)
    ctx = Ctx(out / "exports", seed, as_of, planted)
    ctx.plan = make_plan(ctx, identities)
    total = ctx.plan.identities
    done = [0]
    if progress:
        def tick(n: int) -> None:
            done[0] += n
            progress(min(done[0], total), total)
        ctx.progress = tick
    ctx.owners = Owners(ctx)
    for family in (aws, gcp, azure, kubernetes, vault, github, gitleaks):
        family.write(ctx)
    ctx.owners.close()
    write_registers(ctx)
    doc = {"nhigraph_synth": FORMAT_VERSION, "seed": seed, "identities_requested": identities,
           "as_of": as_of.isoformat(),
           "ingest": "nhigraph ingest OUT/exports --observed-at " + as_of.strftime("%Y-%m-%dT%H:%M:%S"),
           "plan": ctx.plan.summary(), "identities_written": dict(sorted(ctx.identities.items())),
           "counts": dict(sorted(planted.counts.items())), "truncated": planted.truncated(),
           **{k: planted.lists[k] for k in sorted(planted.lists)}, **dict(sorted(planted.extra.items()))}
    (out / "planted.json").write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    if progress:
        progress(total, total)
    return SynthResult(out, out / "exports", seed, identities, as_of, ctx.files, dict(ctx.identities),
                       ctx.plan.summary(), doc)
