"""The query library: one ``.cypher`` file per analysis or exploration query, with a header saying what it is.

Each file in ``queries/`` starts with a comment block::

    // name: long_lived_credentials
    // description: Active credentials not rotated for more than $rotation_days days ...
    //   (an indented continuation line extends the previous field)
    // params: $rotation_days:int=90 threshold in days; $now:datetime=@observed_at observation time
    // owasp: NHI7
    // nist: PR.AA-01
    // metric: security.long_lived          (analyses only: the debt metric it computes)
    // returns: one row: numerator, denominator, offenders [...]

``params`` is ``none`` or ``;``-separated ``$name:type[=default] description`` items. Types: str, int, float,
bool, datetime, list, map. A default is a JSON value, or a value the Neo4j backend computes: ``@observed_at``
(the observation time of the snapshot last pushed: the backend's "now"), ``@chains`` and ``@owned_chains``
(each credential's credentials reached through stored copies, all of them or through accountable
credentials and identities only). A parameter without a default is required. Values only ever reach
Cypher as parameters.

The folder is ``nhigraph/queries`` inside the package (in a source checkout a symlink to the repository's
top-level ``queries/``, in an installed package a copy), else the repository's ``queries/``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError, NotFoundError

PARAM_TYPES = ("str", "int", "float", "bool", "datetime", "list", "map")
OBSERVED_AT = "@observed_at"
#: defaults the Neo4j backend computes (see the module docstring)
AUTO = (OBSERVED_AT, "@chains", "@owned_chains")
FIELDS = ("name", "description", "params", "owasp", "nist", "returns", "metric")
REQUIRED_FIELDS = ("name", "description", "params", "owasp", "nist", "returns")

_HEADER = re.compile(r"^//\s*([a-z_]+):\s?(.*)$")
_CONTINUATION = re.compile(r"^//\s{2,}(\S.*)$")
_PARAM_HEAD = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*):([a-z]+)")
_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    doc: str = ""
    default: Any = None
    required: bool = True
    #: the default is computed by the backend (one of ``AUTO``)
    auto: str | None = None

    def coerce(self, value: Any) -> Any:
        """A value from the command line (text) or from Python, as this parameter's type."""
        if value is None:
            return None
        t = self.type
        try:
            if t == "str":
                return value if isinstance(value, str) else str(value)
            if t == "int":
                if isinstance(value, bool):
                    raise ValueError("not an integer")
                return int(value)
            if t == "float":
                return float(value)
            if t == "bool":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in ("true", "yes", "1", "y"):
                    return True
                if text in ("false", "no", "0", "n"):
                    return False
                raise ValueError("expected true or false")
            if t == "datetime":
                from ..model.records import parse_datetime

                return parse_datetime(value)
            if t == "list":
                if isinstance(value, (list, tuple, set)):
                    return list(value)
                text = str(value).strip()
                if text.startswith("["):
                    out = json.loads(text)
                    if not isinstance(out, list):
                        raise ValueError("expected a JSON list")
                    return out
                return [v.strip() for v in text.split(",") if v.strip()]
            if t == "map":
                if isinstance(value, dict):
                    return value
                out = json.loads(str(value))
                if not isinstance(out, dict):
                    raise ValueError("expected a JSON object")
                return out
        except (ValueError, TypeError, OverflowError) as exc:
            raise InputError(None, None, f"parameter ${self.name}: {exc} (expected {t})") from None
        raise AssertionError(t)


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    params: tuple[Param, ...]
    owasp: tuple[str, ...]
    nist: tuple[str, ...]
    returns: str
    cypher: str
    path: Path
    metric: str | None = None
    header: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def used_params(self) -> set[str]:
        """Parameter names the Cypher body refers to."""
        body = "\n".join(line for line in self.cypher.splitlines() if not line.lstrip().startswith("//"))
        return set(_PARAM_USE.findall(body))

    def bind(self, given: dict[str, Any] | None = None, auto: dict[str, Any] | None = None) -> dict[str, Any]:
        """The full parameter map: given values coerced, defaults filled in, unknown or missing ones refused.

        ``auto`` maps ``@observed_at``/``@chains``/``@owned_chains`` to their values, or to callables that
        compute them (called only when a parameter needs one)."""
        given = dict(given or {})
        auto = auto or {}
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            known = ", ".join(f"${p.name}" for p in self.params) or "none"
            raise InputError(None, None, f"query {self.name} has no parameter ${unknown[0]} (parameters: {known})")
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in given:
                out[p.name] = p.coerce(given[p.name])
            elif p.auto:
                value = auto.get(p.auto)
                value = value() if callable(value) else value
                if value is None and p.auto == OBSERVED_AT:
                    raise NotFoundError(f"query {self.name} needs ${p.name} and nothing was pushed to this database "
                                        "yet to take it from; run `nhigraph neo4j push` or pass it")
                out[p.name] = value
            elif p.required:
                raise InputError(None, None, f"query {self.name} needs ${p.name} ({p.type}): {p.doc}")
            else:
                out[p.name] = p.default
        return {k: utc(v) for k, v in out.items()}

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "metric": self.metric,
                "owasp": list(self.owasp), "nist": list(self.nist), "returns": self.returns,
                "params": [{"name": p.name, "type": p.type, "required": p.required,
                            "default": p.auto or p.default, "doc": p.doc} for p in self.params],
                "file": self.path.name}


# ---------------------------------------------------------------------------------------------- parsing

def _parse_params(text: str, where: str) -> tuple[Param, ...]:
    text = text.strip()
    if text in ("none", "-", ""):
        return ()
    out: list[Param] = []
    rest = text
    while rest:
        m = _PARAM_HEAD.match(rest)
        if not m:
            raise ValueError(f"{where}: bad params entry {rest[:40]!r} (expected $name:type[=default] description)")
        name, type_ = m.group(1), m.group(2)
        if type_ not in PARAM_TYPES:
            raise ValueError(f"{where}: ${name} has unknown type {type_!r} (types: {', '.join(PARAM_TYPES)})")
        rest = rest[m.end():]
        default, required, auto = None, True, None
        if rest.startswith("="):
            rest = rest[1:]
            token = next((a for a in AUTO if rest.startswith(a)
                          and not (rest[len(a):len(a) + 1].isalnum() or rest[len(a):len(a) + 1] == "_")), None)
            if rest.startswith("@") and token is None:
                raise ValueError(f"{where}: ${name} has an unknown computed default {rest.split()[0]!r} "
                                 f"(known: {', '.join(AUTO)})")
            if token:
                auto, required = token, False
                rest = rest[len(token):]
            else:
                try:
                    default, end = json.JSONDecoder().raw_decode(rest)
                except ValueError:
                    raise ValueError(f"{where}: ${name} default is not a JSON value: {rest[:40]!r}") from None
                rest = rest[end:]
                required = False
        doc, sep, rest = rest.partition(";")
        out.append(Param(name, type_, doc.strip(), default, required, auto))
        rest = rest.strip()
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: a parameter is declared twice")
    return tuple(out)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c for c in (x.strip() for x in text.replace(";", ",").split(",")) if c and c != "-")


def parse(text: str, path: Path | str = "<query>") -> Query:
    """Parse one query file; raises ValueError naming the file on a bad or incomplete header."""
    path = Path(path)
    where = path.name
    header: dict[str, str] = {}
    last: str | None = None
    body_start = 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        cont = _CONTINUATION.match(stripped)
        m = _HEADER.match(stripped)
        if cont and last is not None:
            header[last] += " " + cont.group(1).strip()
        elif m and m.group(1) in FIELDS:
            last = m.group(1)
            if last in header:
                raise ValueError(f"{where}: header field {last!r} given twice")
            header[last] = m.group(2).strip()
        elif stripped.startswith("//") and last is not None:
            raise ValueError(f"{where}: unknown header line {stripped[:60]!r}")
        else:
            body_start = i
            break
    else:
        body_start = len(lines)
    missing = [f for f in REQUIRED_FIELDS if not header.get(f)]
    if missing:
        raise ValueError(f"{where}: header lacks {', '.join(missing)}")
    cypher = "\n".join(lines[body_start:]).strip()
    if not cypher:
        raise ValueError(f"{where}: no Cypher after the header")
    q = Query(name=header["name"], description=header["description"], params=_parse_params(header["params"], where),
              owasp=_codes(header["owasp"]), nist=_codes(header["nist"]), returns=header["returns"],
              cypher=cypher, path=path, metric=header.get("metric") or None, header=header)
    if q.name != path.stem and path.suffix == ".cypher":
        raise ValueError(f"{where}: name {q.name!r} differs from the file name")
    declared = {p.name for p in q.params}
    used = q.used_params
    if used - declared:
        raise ValueError(f"{where}: uses undeclared parameter ${sorted(used - declared)[0]}")
    if declared - used:
        raise ValueError(f"{where}: declares ${sorted(declared - used)[0]} but never uses it")
    return q


# ---------------------------------------------------------------------------------------------- the library

def queries_dir() -> Path:
    """The folder holding the ``.cypher`` files (packaged copy or symlink first, then the source checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "queries", here.parents[2] / "queries"):
        if candidate.is_dir() and any(candidate.glob("*.cypher")):
            return candidate
    raise NotFoundError("the query library (queries/*.cypher) is missing from this installation")


@lru_cache(maxsize=4)
def _load(folder: str) -> dict[str, Query]:
    out: dict[str, Query] = {}
    for f in sorted(Path(folder).glob("*.cypher")):
        q = parse(f.read_text(encoding="utf-8"), f)
        out[q.name] = q
    return out


def load_all(folder: Path | None = None) -> dict[str, Query]:
    return _load(str(folder or queries_dir()))


def list_queries(folder: Path | None = None) -> list[Query]:
    return list(load_all(folder).values())


def get(name: str, folder: Path | None = None) -> Query:
    library = load_all(folder)
    try:
        return library[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(library), n=3, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise NotFoundError(f"no query {name!r}{hint} (see `nhigraph query --list`)") from None


def utc(value: Any) -> Any:
    """Datetimes as offset-based UTC. Neo4j orders two datetimes at the same instant by their zone, so a
    zone-named UTC (pytz, zoneinfo) compares unequal to the offset-based UTC the loader stores."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    return value


def native(value: Any) -> Any:
    """Neo4j values as plain Python: temporal types as datetime/date, nodes as property dicts, recursively."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if isinstance(value, list):
        return [native(v) for v in value]
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    if hasattr(value, "element_id") and hasattr(value, "items"):  # a Node or Relationship
        return {k: native(v) for k, v in value.items()}
    return value


def run(driver, name: str, params: dict[str, Any] | None = None, *, database: str | None = None,
        auto: dict[str, Any] | None = None, folder: Path | None = None) -> list[dict[str, Any]]:
    """Run a library query in a read transaction and return its rows as plain dicts (see
    :meth:`Query.bind` for ``auto``; the Neo4j backend's ``run`` fills it for you)."""
    q = get(name, folder)
    bound = q.bind(params, auto)
    return run_query(driver, q, bound, database=database)


def run_query(driver, q: Query, bound: dict[str, Any], *, database: str | None = None) -> list[dict[str, Any]]:
    def work(tx):
        return [{k: native(v) for k, v in rec.items()} for rec in tx.run(q.cypher, bound)]

    with (driver.session(database=database) if database else driver.session()) as s:
        return s.execute_read(work)


def jsonable(value: Any) -> Any:
    """For --json output of arbitrary query results."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


__all__ = ["AUTO", "OBSERVED_AT", "Param", "Query", "get", "jsonable", "list_queries", "load_all", "native", "parse",
           "queries_dir", "run", "run_query"]
