"""What the export-format generators share: deterministic randomness, ids, timestamps, streaming writers, the
catalog of cross-references between families and the planted answers.

Determinism: every container (an AWS account, a GCP project, a cluster...) draws from its own random stream,
seeded from the run's seed and the container's name (:func:`Ctx.rng`), so a family can recompute what another
one generated (an IRSA role name, a service account email) without keeping it, and the bytes written depend
only on the seed, the size and ``as_of``.
"""

from __future__ import annotations

import csv
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterable

BUSINESS_UNITS = ("Platform", "Data", "Payments", "Sales", "Finance", "Marketing", "Support", "Security", "HR",
                  "Logistics")
WORDS = ("orders", "billing", "ledger", "search", "catalog", "checkout", "inventory", "shipping", "reports",
         "events", "metrics", "audit", "backup", "export", "import", "sync", "etl", "ml", "pricing", "fraud",
         "identity", "notify", "email", "media", "images", "pdf", "geo", "quotes", "claims", "risk", "crm",
         "loyalty", "refunds", "tax", "payroll", "hiring", "support", "tickets", "chat", "docs", "wiki", "cms",
         "feeds", "ingest", "stream", "warehouse", "lake", "cache", "gateway", "auth")
FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
         "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe", "amir", "bea", "chen",
         "dimitri", "esra", "farah", "goran", "hana", "igor", "jana", "kofi", "lena", "mateo", "nora", "omar")
LAST = ("ng", "ortiz", "diaz", "kim", "smith", "mueller", "rossi", "tanaka", "silva", "novak", "khan", "haddad",
        "berg", "costa", "dubois", "evans", "fischer", "garcia", "hughes", "ivanova", "jensen", "kowalski")
DOMAIN = "corp.example"


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


class Rng(random.Random):
    """``random.Random`` with the few draws the generators need."""

    def chance(self, p: float) -> bool:
        return self.random() < p

    def guid(self) -> str:
        return str(uuid.UUID(int=self.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return f"{self.getrandbits(4 * n):0{n}x}"

    def digits(self, n: int) -> str:
        return "".join(self.choice("0123456789") for _ in range(n))

    def aws_key_id(self) -> str:
        return "AKIA" + "".join(self.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))

    def pick(self, seq, k: int) -> list:
        return self.sample(seq, min(k, len(seq)))

    def sizes(self, total: int, parts: int, minimum: int = 1, alpha: float = 1.6) -> list[int]:
        """``parts`` heavy-tailed sizes (Pareto weights) adding up to ``total`` (each at least ``minimum``)."""
        if parts <= 0:
            return []
        weights = [min(self.paretovariate(alpha), 25.0) for _ in range(parts)]
        spare = max(0, total - minimum * parts)
        s = sum(weights)
        out = [minimum + int(spare * w / s) for w in weights]
        for i in range(total - sum(out)):
            out[i % parts] += 1
        return out


@dataclass
class Planted:
    """The known answers: lists of concrete ids per problem, capped (counts are always exact)."""

    cap: int = 1000
    lists: dict[str, list[Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, item: Any) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1
        items = self.lists.setdefault(key, [])
        if len(items) < self.cap:
            items.append(item)

    def declare(self, *keys: str) -> None:
        for k in keys:
            self.lists.setdefault(k, [])
            self.counts.setdefault(k, 0)

    def truncated(self) -> list[str]:
        return sorted(k for k, n in self.counts.items() if n > len(self.lists.get(k, [])))


class Reservoir:
    """A uniform sample of at most ``k`` items of a stream (memory independent of the stream's length)."""

    def __init__(self, k: int, rng: random.Random) -> None:
        self.k, self.rng, self.items, self.seen = k, rng, [], 0

    def add(self, item: Any) -> None:
        self.seen += 1
        if len(self.items) < self.k:
            self.items.append(item)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.k:
                self.items[j] = item


@dataclass
class Catalog:
    """Cross-references one family leaves for the families generated after it (bounded or proportional to a
    small fraction of the estate)."""

    #: org index -> the access key id of its shared CI user (kept in the org variable AWS_ACCESS_KEY_ID)
    org_ci_key: dict[int, str] = field(default_factory=dict)
    #: global repo index -> its own CI key id (kept in the repository variable AWS_ACCESS_KEY_ID)
    repo_ci_key: dict[int, str] = field(default_factory=dict)
    #: (key id, active, global repo index) of AWS keys a secret scan finds
    leaks: list[tuple[str, bool, int]] = field(default_factory=list)
    #: AWS key ids kept in Vault KV (custom metadata key_id)
    vault_keys: list[str] = field(default_factory=list)
    #: credentials connectors use: (credential id, system id it belongs to, business unit)
    integration_creds: Reservoir | None = None
    #: subjects a policy exception can waive: (id, what)
    exception_subjects: Reservoir | None = None


class Ctx:
    """One generation run: where to write, the seed, "now", the plan, the registers and the answers."""

    def __init__(self, out: Path, seed: int, as_of: datetime, planted: Planted) -> None:
        self.out = out
        self.seed = seed
        self.as_of = as_of
        self.planted = planted
        self.catalog = Catalog()
        self.catalog.integration_creds = Reservoir(4000, self.rng("reservoir", "integration"))
        self.catalog.exception_subjects = Reservoir(4000, self.rng("reservoir", "exceptions"))
        self.files = 0
        self.identities: dict[str, int] = {}
        #: connectors GitHub workflows create: (id, from platform, to platform, business unit)
        self.connectors: list[tuple[str, str, str, str | None]] = []
        self.plan: Any = None
        self.owners: Any = None
        self.progress: Callable[[int], None] = lambda n: None

    def rng(self, *parts: Any) -> Rng:
        return Rng(f"{self.seed}:" + ":".join(map(str, parts)))

    def count(self, family: str, n: int = 1) -> None:
        self.identities[family] = self.identities.get(family, 0) + n
        self.progress(n)

    # -- time ---------------------------------------------------------------------------------------------
    def when(self, days_ago: float) -> datetime:
        return (self.as_of - timedelta(days=days_ago)).replace(microsecond=0)

    # -- files --------------------------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        p = self.out.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        self.files += 1
        return p

    def write_json(self, value: Any, *parts: str, indent: int | None = 2, sort_keys: bool = False) -> Path:
        p = self.path(*parts)
        with open(p, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(value, fh, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
            fh.write("\n")
        return p

    def write_text(self, text: str, *parts: str) -> Path:
        p = self.path(*parts)
        p.write_text(text, encoding="utf-8", newline="\n")
        return p


def z(dt: datetime) -> str:
    """RFC 3339 with ``Z`` (gcloud, GitHub, Kubernetes, Microsoft Graph)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plus00(dt: datetime) -> str:
    """ISO 8601 with ``+00:00`` (AWS IAM)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class JsonList:
    """Writes a JSON array one item at a time (the file is never held in memory)."""

    def __init__(self, fh: IO[str], indent: int | None = 2, sort_keys: bool = False) -> None:
        self.fh, self.indent, self.sort_keys, self.n = fh, indent, sort_keys, 0
        fh.write("[")

    def add(self, item: Any) -> None:
        text = json.dumps(item, indent=self.indent, sort_keys=self.sort_keys, ensure_ascii=False)
        if self.indent:
            pad = " " * self.indent
            text = "\n".join(pad + line for line in text.split("\n"))
            self.fh.write(("," if self.n else "") + "\n" + text)
        else:
            self.fh.write(("," if self.n else "") + text)
        self.n += 1

    def close(self) -> None:
        self.fh.write("\n]\n" if self.indent and self.n else "]\n")


class CsvTable:
    """A CSV file written row by row with a fixed header."""

    def __init__(self, ctx: Ctx, columns: Iterable[str], *parts: str) -> None:
        self.columns = list(columns)
        self.fh = open(ctx.path(*parts), "w", encoding="utf-8", newline="")
        self.w = csv.writer(self.fh, lineterminator="\n")
        self.w.writerow(self.columns)
        self.rows = 0

    def row(self, **values: Any) -> None:
        unknown = set(values) - set(self.columns)
        if unknown:
            raise KeyError(f"unknown column(s) {sorted(unknown)}")
        self.w.writerow(["" if values.get(c) is None else _cell(values[c]) for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        self.fh.close()


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return z(v)
    if isinstance(v, (list, tuple)):
        return ";".join(map(str, v))
    return str(v)
