"""Helpers for the SaaS, CI, Vault and scanner ingester tests (tests/test_ingest_*.py, test_cross_source.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import pyarrow.parquet as pq

from nhigraph.errors import InputError
from nhigraph.ingest import links, stream
from nhigraph.ingest.registry import detect
from nhigraph.workspace.ingest import IngestResult, ingest
from nhigraph.workspace.store import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
GITHUB = FIXTURES / "github"
WORKFLOWS = GITHUB / "repos" / "acme" / "api" / ".github" / "workflows"
WEB_WORKFLOWS = GITHUB / "repos" / "acme" / "web" / ".github" / "workflows"
VAULT = FIXTURES / "vault"
SCANNERS = FIXTURES / "scanners"
SAAS = FIXTURES / "saas"
CROSS = FIXTURES / "cross_source"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)


def link_step(monkeypatch) -> None:
    """Run :func:`nhigraph.ingest.links.resolve` inside ``nhigraph ingest`` as the proposed wiring does:
    over the run's batches and the previous snapshot, just before the merge. Idempotent, so harmless once
    workspace/ingest.py calls it itself."""
    import nhigraph.workspace.ingest as wi

    real = wi.merge

    def merge_linked(nodes, edges, batches, observed_at):
        links.resolve(batches, nodes, edges)
        return real(nodes, edges, batches, observed_at)

    monkeypatch.setattr(wi, "merge", merge_linked)


def run(paths: Iterable[Path | str], ws: Workspace, observed_at: datetime = OBSERVED, **kw: Any) -> IngestResult:
    return ingest(list(paths), ws, observed_at=observed_at, **kw)


def exports(folder: Path) -> list[Path]:
    """The export files of a fixture folder (not its README or licence)."""
    return sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(("README", "LICENSE")))


def edges_of(snap, type_: str) -> set[tuple[str, str]]:
    return {(k[1], k[2]) for k in snap.edges if k[0] == type_}


def edge(snap, type_: str, start: str, end: str) -> dict[str, Any]:
    matches = [e for k, e in snap.edges.items() if k[:3] == (type_, start, end)]
    assert len(matches) == 1, (type_, start, end, matches)
    return matches[0]


def ids_of(snap, label: str, prefix: str = "") -> set[str]:
    return {n for n, d in snap.nodes.items() if d["label"] == label and n.startswith(prefix)}


def formats(paths: Iterable[Path]) -> dict[str, str]:
    return {p.name: detect(p).name for p in paths}


def _values(path: Path) -> str:
    return json.dumps(pq.read_table(path).to_pylist(), default=str)


def scan(folder: Path, needle: str) -> list[str]:
    """Files under ``folder`` whose bytes, or decoded parquet values, contain ``needle``."""
    hits = []
    for f in sorted(folder.rglob("*")):
        if f.is_file() and (needle.encode() in f.read_bytes() or (f.suffix == ".parquet" and needle in _values(f))):
            hits.append(str(f.relative_to(folder)))
    return hits


def whole_file_entries(path: Path):
    """The old reader: the whole text, one json.loads, then the same walk over the document."""
    text = Path(path).read_bytes().decode("utf-8-sig")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {exc.lineno}", f"invalid JSON: {exc.msg}") from None
    if isinstance(doc, dict):
        yield stream.Entry(None, None, stream.OBJECT)
        for key, value in doc.items():
            if isinstance(value, list):
                yield stream.Entry(key, None, stream.ARRAY)
                for i, item in enumerate(value):
                    yield stream.Entry(key, i, item)
            else:
                yield stream.Entry(key, None, value)
    elif isinstance(doc, list):
        yield stream.Entry(None, None, stream.ARRAY)
        for i, item in enumerate(doc):
            yield stream.Entry(None, i, item)
    else:
        yield stream.Entry(None, None, doc)
