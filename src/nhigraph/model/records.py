"""Normalised records as ingesters return them, and their validation against the model.

An ingester returns a :class:`Batch`: node and edge records as plain dicts (``label``/``type`` plus the
model's properties), each with an :class:`Origin` saying which file and record it came from, so that any
problem can be reported as one line naming both. Values are coerced to the model's types here, once.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from ..errors import InputError
from ..secrets import fingerprint
from .schema import EdgeKind, NodeKind, Prop
from .vocabulary import MODEL


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from: a file and a record within it (``row 7``, ``item 3``, ``line 12``).

    One exists per record of a large export, so it has slots and its path text is shared (interned)."""

    path: str
    record: str

    def __post_init__(self) -> None:
        if type(self.path) is str:
            object.__setattr__(self, "path", sys.intern(self.path))

    def error(self, message: str) -> InputError:
        return InputError(self.path, self.record, message)


@dataclass
class Batch:
    """What one ingester run produced: validated node and edge records with their origins."""

    source: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    node_origins: list[Origin] = field(default_factory=list)
    edge_origins: list[Origin] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: a source whose export was partial (a bad file or record) must not trigger stale cleanup
    partial: bool = False

    def add_node(self, record: dict[str, Any], origin: Origin, stub: bool = False) -> dict[str, Any] | None:
        """Validate and add a node record; on a bad record, keep the error and return None."""
        try:
            node = coerce_node(record, origin, self.source)
        except InputError as exc:
            self.errors.append(exc)
            self.partial = True
            return None
        if stub:
            node["_stub"] = True
        self.nodes.append(node)
        self.node_origins.append(origin)
        return node

    def add_edge(self, record: dict[str, Any], origin: Origin) -> dict[str, Any] | None:
        try:
            edge = coerce_edge(record, origin, self.source)
        except InputError as exc:
            self.errors.append(exc)
            self.partial = True
            return None
        self.edges.append(edge)
        self.edge_origins.append(origin)
        return edge

    def fail(self, error: InputError) -> None:
        self.errors.append(error)
        self.partial = True

    def extend(self, other: "Batch") -> None:
        self.nodes += other.nodes
        self.edges += other.edges
        self.node_origins += other.node_origins
        self.edge_origins += other.edge_origins
        self.errors += other.errors
        self.warnings += other.warnings
        self.partial = self.partial or other.partial


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$", re.I)
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


_BLANK_TEXT = frozenset(("", "N/A", "n/a", "null", "None"))


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return value.strip() in _BLANK_TEXT
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in _BLANK_TEXT


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 date or date-time; a time without offset is taken as UTC. Returns an aware UTC datetime."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # epoch seconds (or milliseconds when implausibly large)
        seconds = value / 1000 if value > 1e11 else value
        try:
            dt = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # NaN, infinity, beyond year 9999
            raise ValueError(f"not a date: {value!r} is out of range as epoch seconds") from None
    elif isinstance(value, str):
        return _parse_datetime_text(str(value))
    else:
        raise ValueError(f"not a date: {value!r}")
    return _utc(dt, value)


@lru_cache(maxsize=1 << 16)
def _parse_datetime_text(value: str) -> datetime:
    """A date text parsed once: exports repeat the same dates and times (creation days, report times), and
    the datetimes are immutable, so equal texts share one object (fewer parses, less memory)."""
    text = value.strip()
    if _DATE_ONLY.match(text):
        dt = datetime.fromisoformat(text)
    elif _ISO.match(text):
        text = text.replace(" ", "T", 1)
        if text[-1] in "zZ":
            text = text[:-1] + "+00:00"
        if "." in text:
            frac = re.search(r"\.(\d+)", text)
            if frac and len(frac.group(1)) > 6:  # nanoseconds: Python keeps microseconds
                text = text.replace(frac.group(0), "." + frac.group(1)[:6])
        dt = datetime.fromisoformat(text)
    else:
        raise ValueError(f"not an ISO 8601 date or date-time: {value!r} (use e.g. 2026-01-31 or "
                         "2026-01-31T12:00:00Z)")
    return _utc(dt, value)


def _utc(dt: datetime, value: Any) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(f"not a date: {value!r} is out of range") from None


def _encodable(text: str) -> str:
    """``text``, if it can be written as UTF-8: a lone surrogate (``"\\ud800"`` in JSON) cannot, and would make
    the whole snapshot unwritable."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"not valid Unicode text (a lone surrogate at character {exc.start})") from None
    return text


#: properties whose values are node ids: interned, so the many edges naming a node share its id's text
_ID_PROPS = frozenset(("id", "start", "end"))
#: short texts (kinds, statuses, environments, levels, regions...) repeat across millions of records: interned
#: too, so each distinct value is kept once
_SHARED_TEXT = 24


def _checked_text(prop: Prop, text: str) -> str:
    """A stripped text value of a ``str`` property, if it is valid UTF-8, has no NUL and is one of the choices."""
    if not text.isascii():
        _encodable(text)
    if "\x00" in text:
        raise ValueError("contains a NUL byte")
    if prop.choices and text not in prop.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(prop.choices)}")
    return text


def _coerce(prop: Prop, value: Any) -> Any:
    if prop.type == "str":
        if isinstance(value, (dict, list)):
            raise ValueError(f"expected text, got {type(value).__name__}")
        return _checked_text(prop, str(value).strip())
    if prop.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if prop.type == "int":
        if isinstance(value, bool):
            raise ValueError(f"expected an integer, got {value!r}")
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    if prop.type == "float":
        return float(value)
    if prop.type == "datetime":
        return parse_datetime(value)
    if prop.type == "list":
        if isinstance(value, str):
            items = [v.strip() for v in value.split(";")]
        elif isinstance(value, (list, tuple, set)):
            items = [str(v).strip() for v in value if not isinstance(v, (dict, list))]
        else:
            items = [str(value).strip()]
        items = sorted({sys.intern(_encodable(v)) for v in items if v})  # actions, scopes: few distinct values
        if prop.choices:
            bad = [v for v in items if v not in prop.choices]
            if bad:
                raise ValueError(f"{bad[0]!r} is not one of {', '.join(prop.choices)}")
        return items
    raise AssertionError(prop.type)


_KNOWN: dict[int, tuple[NodeKind | EdgeKind, dict[str, Prop]]] = {}


def _known(spec: NodeKind | EdgeKind) -> dict[str, Prop]:
    """The spec's properties by name (built once per spec: this runs for every record)."""
    hit = _KNOWN.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = _KNOWN[id(spec)] = (spec, {p.name: p for p in spec.all_props})
    return hit[1]


def _coerce_props(spec: NodeKind | EdgeKind, record: dict[str, Any], origin: Origin,
                  skip: str) -> dict[str, Any]:
    known = _known(spec)
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name == skip or name.startswith("_"):
            continue
        prop = known.get(name)
        if prop is None:
            what = spec.label if isinstance(spec, NodeKind) else spec.type
            raise origin.error(f"{what} has no property {name!r} (known: {', '.join(sorted(known))})")
        try:
            if type(value) is str:  # the common case (CSV cells, JSON strings), checked inline
                text = value.strip()
                if text in _BLANK_TEXT:
                    continue
                if prop.type == "str":
                    text = _checked_text(prop, text)
                    out[name] = sys.intern(text) if name in _ID_PROPS or len(text) <= _SHARED_TEXT else text
                    continue
                if prop.type == "datetime":
                    out[name] = _parse_datetime_text(text)
                    continue
            elif is_blank(value) or (prop.type == "list" and value == []):
                continue
            value = _coerce(prop, value)
        except (ValueError, TypeError, OverflowError) as exc:
            what = spec.label if isinstance(spec, NodeKind) else spec.type
            raise origin.error(f"{what} {name}: {exc}") from None
        out[name] = sys.intern(value) if name in _ID_PROPS and type(value) is str else value
    return out


def coerce_node(record: dict[str, Any], origin: Origin, source: str) -> dict[str, Any]:
    """Validate a node record against the model and return it with typed values.

    A ``secret`` value is replaced by its fingerprint here, the first place it is seen.
    """
    label = record.get("label")
    try:
        spec = MODEL.node(str(label))
    except KeyError as exc:
        raise origin.error(str(exc.args[0])) from None
    rec = dict(record)
    secret = rec.pop("secret", None)
    if not is_blank(secret):
        if not isinstance(secret, str):
            raise origin.error(f"{spec.label} secret: expected text")
        rec["fingerprint"] = fingerprint(secret)
    del secret
    rec.setdefault("source", source)
    if is_blank(rec.get("name")):
        rec["name"] = rec.get("id")
    out = _coerce_props(spec, rec, origin, skip="label")
    for prop in spec.all_props:
        if prop.required and prop.name not in out:
            raise origin.error(f"{spec.label} is missing required {prop.name!r}")
    if out["kind"] not in spec.kinds:
        raise origin.error(f"{spec.label} kind {out['kind']!r} is not one of {', '.join(spec.kinds)}")
    out["label"] = spec.label
    return out


def coerce_edge(record: dict[str, Any], origin: Origin, source: str) -> dict[str, Any]:
    type_ = record.get("type")
    try:
        spec = MODEL.edge(str(type_))
    except KeyError as exc:
        raise origin.error(str(exc.args[0])) from None
    rec = dict(record)
    rec.setdefault("source", source)
    out = _coerce_props(spec, rec, origin, skip="type")
    for prop in spec.all_props:
        if prop.required and prop.name not in out:
            raise origin.error(f"{spec.type} is missing required {prop.name!r}")
    out["type"] = spec.type
    return out


def edge_key(edge: dict[str, Any]) -> tuple:
    """The identity of an edge: type, endpoints and the type's key properties."""
    spec = MODEL.edge(edge["type"])
    return (edge["type"], edge["start"], edge["end"]) + tuple(edge.get(k) for k in spec.key)


def check_endpoints(edge: dict[str, Any], labels: dict[str, str], origin: Origin) -> None:
    """Raise if an edge names a node that does not exist or joins labels the model does not allow."""
    spec = MODEL.edge(edge["type"])
    for end, allowed in (("start", spec.start), ("end", spec.end)):
        node_id = edge[end]
        label = labels.get(node_id)
        if label is None:
            raise origin.error(f"{spec.type} {end} {node_id!r} is not a known node (unknown reference)")
        if label not in allowed:
            raise origin.error(f"{spec.type} cannot {end} at a {label} ({node_id!r}); "
                               f"allowed: {', '.join(allowed)}")
