"""Helpers the cloud ingesters (GCP, Azure, Kubernetes) share for reading provider JSON exports.

Provider exports come as a bare JSON list (``gcloud ... --format=json``, ``az ... list``), as a response
object wrapping the list (``{"value": [...]}``, ``{"accounts": [...]}``, ``{"items": [...]}``) or as
newline-delimited JSON (Cloud Asset Inventory exports). :func:`items` turns each into ``(origin, item)``
pairs whose origin names the record the way the file spells it (``[3]``, ``value[3]``, ``line 4``).
Unknown fields are ignored (providers add fields all the time); a missing required field is an
:class:`~nhigraph.errors.InputError` naming the file and the record.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..model.records import Batch, Origin
from . import stream

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def items(path: Path, doc: Any, wrappers: tuple[str, ...]) -> Iterator[tuple[Origin, Any]]:
    """The records of a list export, or of a response object wrapping the list under one of ``wrappers``."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            yield Origin(str(path), f"[{i}]"), item
        return
    if isinstance(doc, dict):
        for key in wrappers:
            if key in doc:
                value = doc[key]
                if value is None:
                    return
                if not isinstance(value, list):
                    raise InputError(path, key, "expected a list of records")
                for i, item in enumerate(value):
                    yield Origin(str(path), f"{key}[{i}]"), item
                return
    expected = " or ".join(["a JSON list"] + [f"an object with {k!r}" for k in wrappers])
    raise InputError(path, None, f"expected {expected}")


def json_lines(path: Path) -> Iterator[tuple[Origin, Any]]:
    """Records of newline-delimited JSON (or of one JSON list), read a line (an item) at a time. A bad line is a
    record error, not a file error."""
    lines = stream.text_lines(path)
    n, line = 0, ""
    for n, line in enumerate(lines, 1):  # up to the first line that is not blank
        if line.strip():
            break
    if line.lstrip()[:1] == "[":
        lines.close()
        entries = stream.json_entries(path)
        next(entries)  # the array
        for _, i, item in entries:
            yield Origin(str(path), f"[{i}]"), item
        return
    for n, line in itertools.chain([(n, line)], enumerate(lines, n + 1)):
        if not line.strip():
            continue
        line = line.splitlines()[0]
        origin = Origin(str(path), f"line {n}")
        try:
            yield origin, json.loads(line)
        except json.JSONDecodeError as exc:
            yield origin, InputError(path, f"line {n}", f"invalid JSON: {exc.msg}")
        except RecursionError:
            yield origin, InputError(path, f"line {n}", "invalid JSON: nested too deeply")


def obj(item: Any, origin: Origin, what: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise origin.error(f"expected {what} (a JSON object), got {type(item).__name__}")
    return item


def req(item: dict[str, Any], key: str, origin: Origin) -> str:
    """A required text field: present, a non-empty string."""
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        what = "missing" if value is None else "not text"
        raise origin.error(f"required field {key!r} is {what}")
    return value.strip()


def opt(item: dict[str, Any], key: str) -> str | None:
    """An optional text field: None when absent, blank or not text."""
    value = item.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def opt_list(item: dict[str, Any], key: str) -> list[Any]:
    value = item.get(key)
    return value if isinstance(value, list) else []


def source_name(provider: str, scope: str | None, *parts: str) -> str:
    """``gcp:my-project:service-accounts``; with ``--scope``, ``gcp:<scope>:my-project:service-accounts``."""
    return ":".join([provider] + ([scope] if scope else []) + [p for p in parts if p])


@dataclass
class ExportBatch(Batch):
    """A batch that adds each stub node and each structural edge once, however often an export names it."""

    _once: set = field(default_factory=set, repr=False)

    def stub(self, record: dict[str, Any], origin: Origin) -> str:
        """Add a stub node (once per id); returns its id."""
        if record["id"] not in self._once:
            self._once.add(record["id"])
            self.add_node(record, origin, stub=True)
        return record["id"]

    def link(self, type_: str, start: str, end: str, origin: Origin, **props: Any) -> None:
        """Add an edge once per (type, start, end, properties)."""
        key = (type_, start, end, tuple(sorted(props.items())))
        if key not in self._once:
            self._once.add(key)
            self.add_edge({"type": type_, "start": start, "end": end, **props}, origin)


class Batches:
    """One batch per source, created on first use, in first-use order."""

    def __init__(self) -> None:
        self._by_source: dict[str, ExportBatch] = {}

    def get(self, source: str) -> ExportBatch:
        if source not in self._by_source:
            self._by_source[source] = ExportBatch(source=source)
        return self._by_source[source]

    def all(self) -> list[Batch]:
        """Every batch; if any record of the file was bad, all are partial (a bad record may have been the one
        telling which source it belonged to, so no source of the file may be cleaned up)."""
        batches = list(self._by_source.values())
        if any(b.partial for b in batches):
            for b in batches:
                b.partial = True
        return batches


def subject_from_name(path: Path, suffixes: tuple[str, ...] = ()) -> str:
    """A file's name without ``.json``/``.ndjson`` and without one of ``suffixes`` (``.iam-policy``); in the
    ``subject__what.json`` convention of the other exports, the part before the first ``__``."""
    name = path.name
    for ext in (".json", ".ndjson", ".jsonl", ".txt"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
            break
    if "__" in name.strip("_"):
        return name.split("__", 1)[0]
    for suffix in suffixes:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
