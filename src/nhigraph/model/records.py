"""Normalised records as ingesters return them, and their validation against the model.

An ingester returns a :class:`Batch`: node and edge records as plain dicts (``label``/``type`` plus the
model's properties), each with an :class:`Origin` saying which file and record it came from, so that any
problem can be reported as one line naming both. Values are coerced to the model's types here, once.
"""

from __future__ import annotations

import math
import re
import sys
from array import array
from collections.abc import Iterable, Iterator, MutableSequence
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


#: an :class:`Origins` code keeps the number of the record (``12`` of ``line 12``) above this many bits, and
#: below them the index of its form (the path and the texts around the number)
_FORM_BITS = 20
_FORM_MASK = (1 << _FORM_BITS) - 1
_DIGITS = "0123456789"


class Origins(MutableSequence[Origin]):
    """The origins of a batch's records, in order: a list of :class:`Origin`, kept compactly.

    A large export has millions of records, and an origin object with its text costs about 100 bytes. Most
    origins are a number in a fixed text (``line 12``, ``item 3``, ``identities[7]``): those are kept as one
    8-byte code, the number and the index of the form (path, text before and after the number), each form
    once. Any other origin is kept as it is. Reading gives equal :class:`Origin` objects back."""

    __slots__ = ("_codes", "_forms", "_form_index", "_others", "_last", "_last_code", "_last_form")

    def __init__(self, origins: Iterable[Origin] = ()) -> None:
        self._codes = array("q")
        self._forms: list[tuple[str, str, str]] = []
        self._form_index: dict[tuple[str, str, str], int] = {}
        self._others: list[Origin] = []
        # an ingester often gives one origin to a node and its edges, and the next record has the same form
        self._last: Origin | None = None
        self._last_code = 0
        self._last_form: tuple[str | None, str, str, int] = (None, "", "", 0)
        self.extend(origins)

    def _encode(self, origin: Origin) -> int:
        if origin is self._last:
            return self._last_code
        path, before, after, index = self._last_form
        record = origin.record
        code = None
        if origin.path is path and type(record) is str and record.startswith(before) and record.endswith(after):
            digits = record[len(before):len(record) - len(after)]
            if digits.isdigit() and digits.isascii() and (digits[0] != "0" or digits == "0") and len(digits) < 12:
                code = int(digits) << _FORM_BITS | index
        self._last, self._last_code = origin, self._encode_new_form(origin) if code is None else code
        return self._last_code

    def _encode_new_form(self, origin: Origin) -> int:
        record = origin.record
        if type(record) is str and type(origin.path) is str:
            body, after = (record[:-1], "]") if record.endswith("]") else (record, "")
            before = body.rstrip(_DIGITS)
            digits = body[len(before):]
            if digits and (digits[0] != "0" or digits == "0") and len(digits) < 12:
                form = (origin.path, before, after)
                index = self._form_index.get(form)
                if index is None and len(self._forms) <= _FORM_MASK:
                    index = self._form_index[form] = len(self._forms)
                    self._forms.append(form)
                if index is not None:
                    self._last_form = (*form, index)
                    return int(digits) << _FORM_BITS | index
        self._others.append(origin)
        return ~(len(self._others) - 1)

    def _decode(self, code: int) -> Origin:
        if code < 0:
            return self._others[~code]
        path, before, after = self._forms[code & _FORM_MASK]
        return Origin(path, f"{before}{code >> _FORM_BITS}{after}")

    def append(self, origin: Origin) -> None:
        self._codes.append(self._encode(origin))

    def insert(self, index: int, origin: Origin) -> None:
        self._codes.insert(index, self._encode(origin))

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self._decode(c) for c in self._codes[index]]
        return self._decode(self._codes[index])

    def __setitem__(self, index, value) -> None:  # type: ignore[override]
        if isinstance(index, slice):
            self._codes[index] = array("q", map(self._encode, value))
        else:
            self._codes[index] = self._encode(value)

    def __delitem__(self, index) -> None:  # type: ignore[override]
        del self._codes[index]

    def __iter__(self) -> Iterator[Origin]:
        return map(self._decode, self._codes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (Origins, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"Origins({list(self)!r})"

    def paths(self) -> set[str]:
        """The paths of the origins kept (without reading every origin)."""
        import numpy as np

        codes = np.frombuffer(self._codes, dtype=np.int64)
        forms = np.unique(codes[codes >= 0] & _FORM_MASK).tolist()
        return {self._forms[i][0] for i in forms} | {o.path for o in self._others}


def origin_paths(origins: Iterable[Origin]) -> set[str]:
    """The paths of a batch's origins (:class:`Origins`, or a plain list a link step made)."""
    return origins.paths() if isinstance(origins, Origins) else {o.path for o in origins}


@dataclass
class Batch:
    """What one ingester run produced: validated node and edge records with their origins."""

    source: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    node_origins: MutableSequence[Origin] = field(default_factory=Origins)
    edge_origins: MutableSequence[Origin] = field(default_factory=Origins)
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
_SECONDS_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
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
    if _SECONDS_UTC.match(text):  # the most common form, parsed as the general case below would
        return _utc(datetime.fromisoformat(text[:-1] + "+00:00"), value)
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
#: short texts (kinds, statuses, environments, levels, regions...) repeat across millions of records: each
#: property's first distinct ones are shared, so each is kept once; a property with more distinct values than
#: that (names, key ids) is mostly unique, and its further values are not looked up
_SHARED_TEXT = 24
_SHARED_VALUES = 4096
_shared: dict[str, dict[str, str]] = {}


def _share(name: str, text: str) -> str:
    """``text``, as the one copy kept for property ``name`` when there is one."""
    values = _shared.get(name)
    if values is None:
        values = _shared[name] = {}
    found = values.get(text)
    if found is None:
        found = text
        if len(values) < _SHARED_VALUES:
            values[text] = text
    return found


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


_KNOWN: dict[int, tuple[NodeKind | EdgeKind, dict[str, Prop], tuple[str, ...]]] = {}


def _spec_props(spec: NodeKind | EdgeKind) -> tuple[dict[str, Prop], tuple[str, ...]]:
    """The spec's properties by name, and the names of the required ones (built once per spec: this runs for
    every record)."""
    hit = _KNOWN.get(id(spec))
    if hit is None or hit[0] is not spec:
        props = spec.all_props
        hit = _KNOWN[id(spec)] = (spec, {p.name: p for p in props}, tuple(p.name for p in props if p.required))
    return hit[1], hit[2]


def _known(spec: NodeKind | EdgeKind) -> dict[str, Prop]:
    return _spec_props(spec)[0]


def _check_required(spec: NodeKind | EdgeKind, out: dict[str, Any], origin: Origin) -> None:
    for name in _spec_props(spec)[1]:
        if name not in out:
            what = spec.label if isinstance(spec, NodeKind) else spec.type
            raise origin.error(f"{what} is missing required {name!r}")


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
                    if name in _ID_PROPS:
                        text = sys.intern(text)
                    elif len(text) <= _SHARED_TEXT:
                        text = _share(name, text)
                    out[name] = text
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
    _check_required(spec, out, origin)
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
    _check_required(spec, out, origin)
    out["type"] = spec.type
    return out


def edge_key(edge: dict[str, Any]) -> tuple:
    """The identity of an edge: type, endpoints and the type's key properties."""
    spec = MODEL.edge(edge["type"])
    return (edge["type"], edge["start"], edge["end"]) + tuple(edge.get(k) for k in spec.key)


@lru_cache(maxsize=None)
def endpoint_labels(type_: str) -> tuple[frozenset[str], frozenset[str]]:
    """The labels an edge type may start and end at."""
    spec = MODEL.edge(type_)
    return frozenset(spec.start), frozenset(spec.end)


def endpoint_error(edge: dict[str, Any], start_label: str | None, end_label: str | None) -> str | None:
    """Why an edge cannot join nodes of these labels (a label None: no such node), or None if it can."""
    spec = MODEL.edge(edge["type"])
    for end, label, allowed in (("start", start_label, spec.start), ("end", end_label, spec.end)):
        if label is None:
            return f"{spec.type} {end} {edge[end]!r} is not a known node (unknown reference)"
        if label not in allowed:
            return f"{spec.type} cannot {end} at a {label} ({edge[end]!r}); allowed: {', '.join(allowed)}"
    return None

