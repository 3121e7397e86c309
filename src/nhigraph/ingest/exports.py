"""Helpers shared by the SaaS, CI, Vault and scanner ingesters: which org, repo or cluster an export is for,
reading paginated API output, and the access-level and environment rules.

**The file-name convention.** Most API responses do not say which repository, org or cluster they describe
(``GET /repos/{o}/{r}/actions/secrets`` returns only secret names). The scope is then taken from the file
name: the parts before the last ``__`` are the scope and the last part is what the file holds, so
``gh api --paginate /repos/acme/api/actions/secrets > acme__api__actions-secrets.json`` is the Actions
secrets of ``acme/api``. Where the response names its scope itself (an installation's account, a webhook's
URL, a grant's issuer) that wins over the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import ParseResult, urlparse

from ..errors import InputError
from ..model.records import Batch, Origin, coerce_edge, coerce_node, edge_key, parse_datetime
from ..model.vocabulary import LEVELS
from . import stream

SEP = "__"
LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS, 1)}


@dataclass(frozen=True)
class NameScope:
    """``acme__api__actions-secrets.json`` -> parts ``("acme", "api")``, what ``"actions-secrets"``
    (a name without ``__`` has no parts)."""

    parts: tuple[str, ...]
    what: str

    @classmethod
    def of(cls, path: Path) -> "NameScope":
        stem = path.name
        for suffix in (".jsonl", ".json", ".yaml", ".yml", ".hcl", ".ndjson", ".txt"):
            if stem.lower().endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        pieces = [p for p in stem.split(SEP)]
        if len(pieces) < 2 or not all(pieces):
            return cls((), stem)
        return cls(tuple(pieces[:-1]), pieces[-1])

    @property
    def kind(self) -> str:
        """What the file holds, lower case (``actions-secrets``)."""
        return self.what.lower()


def json_values(path: Path) -> list[Any]:
    """Every JSON document in the file, in order.

    ``gh api --paginate`` writes one document per page back to back (``{...}{...}``); ``--slurp`` wraps the
    pages in one array. Both, and a plain single document, are accepted.
    """
    return list(stream.json_values(path))


def paged_items(values: Iterable[Any], key: str | None) -> list[Any]:
    """The items of a paginated listing: pages that are objects holding ``key``, or bare arrays."""
    items: list[Any] = []

    def take(v: Any) -> None:
        if key and isinstance(v, dict) and key in v:
            got = v[key]
            items.extend(got if isinstance(got, list) else [got])
        elif isinstance(v, list):
            for x in v:
                if (key and isinstance(x, dict) and key in x) or isinstance(x, list):
                    take(x)  # --slurp: an array of pages
                else:
                    items.append(x)
        else:
            items.append(v)

    for v in values:
        take(v)
    return items


def max_level(levels: Iterable[str | None]) -> str | None:
    best = None
    for lvl in levels:
        if lvl and (best is None or LEVEL_RANK[lvl] > LEVEL_RANK[best]):
            best = lvl
    return best


def combine_edges(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Fold a repeat of an edge into the first record, in place: lists united, the higher level kept, other
    properties filled where missing."""
    for k, v in new.items():
        if isinstance(v, list):
            old[k] = sorted(set(old.get(k) or []) | set(v))
        elif k == "level":
            old[k] = max_level([old.get(k), v])
        elif old.get(k) is None:
            old[k] = v


_ENV_NAMES = {
    "prod": ("prod", "production", "prd", "live"),
    "staging": ("staging", "stage", "stg", "preprod", "pre-prod", "uat"),
    "dev": ("dev", "development", "develop"),
    "test": ("test", "testing", "qa"),
}


def environment_of(name: str | None) -> str | None:
    """The model's environment for a deployment environment name (``production`` -> ``prod``), if clear."""
    if not name:
        return None
    low = name.strip().lower()
    for env, names in _ENV_NAMES.items():
        if low in names:
            return env
    for env, names in _ENV_NAMES.items():
        if any(re.search(rf"(^|[-_./ ]){re.escape(n)}($|[-_./ ])", low) for n in names):
            return env
    return None


def when(value: Any) -> Any:
    """A provider timestamp, or None when it is empty or unreadable (never raises)."""
    if value in (None, "", 0):
        return None
    try:
        return parse_datetime(value)
    except (ValueError, TypeError, OverflowError, OSError):
        return None


def obj_at(value: Any, *keys: str) -> dict[str, Any]:
    """The object at ``value[k1][k2]...``; ``{}`` when a step is missing or not an object (an export is
    untrusted: ``settings`` may be a string, ``oauthClient`` a number)."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def list_of(value: Any) -> list[Any]:
    """A list value; ``[]`` when absent or anything else."""
    return value if isinstance(value, list) else []


def texts(value: Any) -> list[str]:
    """The non-empty strings of a list value (anything else in it, or a value that is no list, is ignored)."""
    return [v for v in list_of(value) if isinstance(v, str) and v.strip()]


def url_of(value: Any) -> ParseResult | None:
    """A URL's parts, or None when it is not text or does not parse (``https://[bad`` makes
    :func:`urllib.parse.urlparse` raise)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return urlparse(value)
    except ValueError:
        return None


def source_name(provider: str, scope: str | None, rest: str) -> str:
    return f"{provider}:{scope}:{rest}" if scope else f"{provider}:{rest}"


class Emitter:
    """Adds records to a batch, collapsing repeats of one node or edge within the export.

    A node reported twice by the same export (a credential found by two findings, an org named by every
    item) is written once: a full record wins over a stub, and a repeat only fills what the first lacks.
    An edge reported twice is written once, with list properties united and the highest level kept.
    """

    def __init__(self, batch: Batch, path: Path) -> None:
        self.batch = batch
        self.path = str(path)
        self._nodes: dict[str, dict[str, Any]] = {}
        self._edges: dict[tuple, dict[str, Any]] = {}

    def origin(self, record: str) -> Origin:
        return Origin(self.path, record)

    def has(self, node_id: str) -> bool:
        return node_id in self._nodes

    def node(self, record: dict[str, Any], where: str, stub: bool = False) -> bool:
        origin = self.origin(where)
        try:
            rec = coerce_node({k: v for k, v in record.items() if v is not None and v != []}, origin,
                              self.batch.source)
        except InputError as exc:
            self.batch.fail(exc)
            return False
        old = self._nodes.get(rec["id"])
        if old is None:
            if stub:
                rec["_stub"] = True
            self.batch.nodes.append(rec)
            self.batch.node_origins.append(origin)
            self._nodes[rec["id"]] = rec
            return True
        if old["label"] != rec["label"]:
            self.batch.fail(origin.error(f"id {rec['id']!r} is reported as a {old['label']} and a "
                                         f"{rec['label']}"))
            return False
        named = {k: v for k, v in (("name", old.get("name")),) if v and v != old["id"]}
        if old.get("_stub") and not stub:
            merged = {**old, **rec}
            merged.pop("_stub", None)
            if rec.get("name") == rec["id"]:
                merged.update(named)
            old.clear()
            old.update(merged)
        else:
            for k, v in rec.items():
                if k == "name":
                    if not named and v != rec["id"]:
                        old["name"] = v
                elif old.get(k) is None:
                    old[k] = v
        return True

    def stub(self, record: dict[str, Any], where: str) -> bool:
        return self.node(record, where, stub=True)

    def edge(self, type_: str, start: str, end: str, where: str, **props: Any) -> None:
        origin = self.origin(where)
        try:
            rec = coerce_edge({"type": type_, "start": start, "end": end,
                               **{k: v for k, v in props.items() if v is not None and v != []}},
                              origin, self.batch.source)
        except InputError as exc:
            self.batch.fail(exc)
            return
        key = edge_key(rec)
        old = self._edges.get(key)
        if old is None:
            self.batch.edges.append(rec)
            self.batch.edge_origins.append(origin)
            self._edges[key] = rec
            return
        combine_edges(old, rec)

    def warn(self, where: str | None, message: str) -> None:
        text = f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}"
        if text not in self.batch.warnings:
            self.batch.warnings.append(text)

    def fail(self, where: str | None, message: str) -> None:
        self.batch.fail(InputError(self.path, where, message))
