"""Hostile input: every ingester, fuzzed with hypothesis, raises nothing but ``InputError``.

Three kinds of input, for every format in :data:`nhigraph.ingest.registry.FORMATS`:

- **structured**: the fixture exports of that format (tests/fixtures/, and an OpenGraph export of the inventory
  estate), parsed, with random fields removed, values of the wrong type, huge strings, deep nesting, unicode
  (lone surrogates too), NUL bytes and duplicate keys, written back in the file's own syntax (JSON, JSON lines,
  YAML, CSV, HCL) under the fixture's own file name (the name carries scope and format);
- **raw bytes**: the fixture's bytes flipped, cut, spliced and padded, and random bytes, through the real entry
  point (``registry.detect`` then ``Format.parse``) and through the format's ``parse`` directly;
- **a corrupt file among good ones**: ``nhigraph.workspace.ingest.ingest`` of a good inventory table beside a
  fuzzed file ingests the good one, and every error names the fuzzed file.

Whatever parses must also survive the rest of the pipeline: the link step, the merge, the conversion to the
workspace's Arrow tables and the OpenGraph export (a value that parses but cannot be written would make the
whole ingest fail, every other file with it).

Failing inputs found so far are kept in tests/fixtures/fuzz-corpus/ and replayed by
:func:`test_fuzz_corpus_regressions`. Bounded by default (12 examples per format and strategy, about 600 cases,
derandomised so CI is repeatable); ``NHIGRAPH_FUZZ_EXAMPLES=N`` runs N per format and strategy, randomised, and
prints how many ran::

    NHIGRAPH_FUZZ_EXAMPLES=1000 .venv/bin/python -m pytest tests/test_fuzz.py -p no:cacheprovider -s
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
import signal
import tempfile
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhigraph.errors import InputError
from nhigraph.export.opengraph import to_opengraph
from nhigraph.ingest import links, registry
from nhigraph.ingest.inventory import parse_json
from nhigraph.ingest.registry import BY_NAME, FORMATS
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.merge import merge
from nhigraph.workspace.tables import edge_schema, node_schema, to_table

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "fuzz-corpus"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)

LONG_RUN = int(os.environ.get("NHIGRAPH_FUZZ_EXAMPLES") or 0)
#: examples per format and strategy: bounded by default, NHIGRAPH_FUZZ_EXAMPLES for a longer run
EXAMPLES = LONG_RUN or 12
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG_RUN, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
#: fuzz cases run, by (format, strategy): printed at the end of the module (pytest -s)
RUN: Counter = Counter()


# ------------------------------------------------------------------------------------------------ seeds
class Raw(str):
    """Text written into a JSON document as it is (a banner line, duplicate keys, deep nesting)."""


class DupKeys(dict):
    """An object written with one key twice (JSON keeps the last; a reader must not care)."""

    def __init__(self, base: dict, key: str, first: Any) -> None:
        super().__init__(base)
        self.dup_key, self.first = key, first


@dataclass(frozen=True)
class Seed:
    fmt: str
    rel: str            # path below the fuzz folder: keeps the file name and the folders that carry scope
    data: bytes
    syntax: str         # json, jsonl, yaml, csv, text
    doc: Any            # the parsed document (rows for CSV, lines for JSON lines, text for HCL)


def _opengraph_seed() -> bytes:
    batches = parse_json(FIXTURES / "inventory" / "inventory.json")
    m = merge({}, {}, batches, OBSERVED)
    return json.dumps(to_opengraph(m.nodes, m.edges), default=str, indent=1).encode()


def _syntax(rel: str, data: bytes) -> tuple[str, Any]:
    text = data.decode("utf-8-sig")
    if rel.endswith((".yml", ".yaml")):
        return "yaml", yaml.safe_load(text)
    if rel.endswith(".csv"):
        return "csv", [row for row in csv.reader(io.StringIO(text, newline=""))]
    if rel.endswith(".hcl"):
        return "text", text
    try:
        return "json", json.loads(text)
    except json.JSONDecodeError:
        lines = []
        for line in text.splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                lines.append(Raw(line))  # a banner line, a blank line
        return "jsonl", lines


def load_seeds() -> dict[str, list[Seed]]:
    seeds: dict[str, list[Seed]] = {f.name: [] for f in FORMATS}
    files = sorted(f for f in FIXTURES.rglob("*") if f.is_file() and CORPUS not in f.parents
                   and not f.name.startswith(("README", "LICENSE")))
    for f in files:
        fmt = registry.detect(f).name
        rel = str(f.relative_to(FIXTURES))
        data = f.read_bytes()
        seeds[fmt].append(Seed(fmt, rel, data, *_syntax(rel, data)))
    data = _opengraph_seed()
    seeds["opengraph"].append(Seed("opengraph", "opengraph/estate.json", data, "json", json.loads(data)))
    return seeds


SEEDS = load_seeds()


def test_every_format_has_a_seed() -> None:
    assert [f for f, s in SEEDS.items() if not s] == []


# ------------------------------------------------------------------------------------------------ values
def deep(n: int, kind: str) -> Raw:
    return Raw(("[" * n + "]" * n) if kind == "list" else ('{"a":' * n + "null" + "}" * n))


TRICKY_TEXT = ["", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ufeff", "é☃😀\u202e\u200b", "null", "N/A",
               "None", "true", "0", "-1", "1e309", "NaN", "9999-99-99", "2026-02-30", "0001-01-01T00:00:00+14:00",
               "9999-12-31T23:59:59-14:00", "10-19-2003", "[bold red]x[/]", "<script>alert(1)</script>",
               '"><img src=x onerror=alert(1)>', "=HYPERLINK(\"http://x\")", "})-[:X]->(n) //", "`x`", "'", '"',
               "../../etc/passwd", "/", "*", "+", "__", "::", "arn:aws:iam::*:*", "arn:aws:iam::1:role/", "@",
               "http://[bad", "https://[::1", "//host", "a" * 5000, "\n\r\t", "${{ secrets.X }}", "%s%n%x",
               "AKIA" + "A" * 16, "sha256:" + "0" * 64, "secrets[matrix.k]"]
HUGE = "h" * 300_000

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2 ** 63, max_value=2 ** 70).map(lambda n: -n),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Mn", "Lo", "So"]), max_size=10),  # surrogates too
    st.sampled_from(TRICKY_TEXT), st.just(HUGE),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    stack = [(doc, prefix)]
    while stack:
        node, p = stack.pop()
        if isinstance(node, dict):
            children = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        for k, v in children:
            out.append(p + (k,))
            stack.append((v, p + (k,)))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


@st.composite
def mutated(draw, doc: Any) -> Any:
    """``doc`` with 1-4 random edits."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "replace", "replace", "nest", "dupkey", "addkey", "retype", "scalar"]))
        paths = _paths(doc)
        if op == "scalar":  # a list or an object where the reader iterates: `for x in value or []` on a number
            paths = [p for p in paths if p and isinstance(_get(doc, p), (dict, list))] or paths
        path = draw(st.sampled_from(paths))
        if not path:
            if op in ("replace", "retype"):
                doc = draw(values)
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        if isinstance(parent, Raw):
            continue
        if op == "delete":
            del parent[key]
        elif op == "scalar":
            parent[key] = draw(st.sampled_from([True, 1, -1, 1.5, "x", "", 0, None]))
        elif op in ("replace", "addkey") or not isinstance(parent, (dict, list)):
            if op == "addkey" and isinstance(parent, dict):
                key = draw(st.one_of(st.text(max_size=12), st.sampled_from(TRICKY_TEXT[:12])))
            parent[key] = draw(values)
        elif op == "nest":
            parent[key] = deep(draw(st.sampled_from([10, 200, 900, 990, 2000, 50_000])),
                               draw(st.sampled_from(["list", "dict"])))
        elif op == "dupkey" and isinstance(parent, dict):
            parent_of = _get(doc, path[:-2]) if len(path) >= 2 else None
            replaced = DupKeys(parent, str(key), draw(values))
            if parent_of is None:
                doc = replaced
            else:
                parent_of[path[-2]] = replaced
        else:  # retype: the same value wrapped in, or unwrapped from, a list or an object
            value = parent[key]
            parent[key] = draw(st.sampled_from([[value], {"value": value}, str(value)[:100], json.dumps(value)[:100]
                                                if not isinstance(value, Raw) else "x"]))
    return doc


def dump_json(value: Any) -> str:
    """JSON with :class:`Raw` pieces and :class:`DupKeys` objects; NaN and Infinity as Python writes them."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
        if isinstance(value, DupKeys):
            pairs.insert(0, (value.dup_key, value.first))
        return "{" + ",".join(json.dumps(k) + ":" + dump_json(v) for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump_json(v) for v in value) + "]"
    return json.dumps(value)


def dump(seed: Seed, doc: Any, pretty: bool) -> bytes:
    if seed.syntax == "jsonl":
        lines = doc if isinstance(doc, list) else [doc]
        return "\n".join(dump_json(line) for line in lines).encode("utf-8", "surrogatepass")
    if seed.syntax == "yaml" and pretty:
        try:  # YAML proper when the document has nothing JSON-only in it; JSON is YAML too
            return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")
        except yaml.YAMLError:
            pass
    return dump_json(doc).encode("utf-8", "surrogatepass")


@st.composite
def csv_mutated(draw, rows: list[list[str]]) -> bytes:
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["cell", "cell", "drop-column", "drop-cell", "add-cell", "dup-row", "dup-header",
                                   "drop-row"]))
        row = rows[r]
        c = draw(st.integers(0, max(len(row) - 1, 0)))
        if op == "cell" and row:
            row[c] = draw(st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=20), st.just(HUGE)))
        elif op == "drop-column" and rows[0]:
            rows = [x[:c] + x[c + 1:] for x in rows]
        elif op == "drop-cell" and row:
            del row[c]
        elif op == "add-cell":
            row.append(draw(st.sampled_from(TRICKY_TEXT)))
        elif op == "dup-row":
            rows.insert(r, list(row))
        elif op == "dup-header" and rows[0]:
            rows[0][min(c, len(rows[0]) - 1)] = rows[0][draw(st.integers(0, len(rows[0]) - 1))]
        elif op == "drop-row" and len(rows) > 1:
            del rows[r]
    buf = io.StringIO()
    csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows(rows)
    return buf.getvalue().encode("utf-8", "surrogatepass")


@st.composite
def text_mutated(draw, text: str) -> bytes:
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 200)))
        piece = draw(st.one_of(st.sampled_from(TRICKY_TEXT + ["{", "}", '"', "[", "]", "#", "/*", "path", "="]),
                               st.text(max_size=20)))
        text = text[:i] + (piece if draw(st.booleans()) else piece + text[i:j]) + text[j:]
    return text.encode("utf-8", "surrogatepass")


@st.composite
def structured(draw, seed: Seed) -> bytes:
    if seed.syntax == "csv":
        return draw(csv_mutated(seed.doc))
    if seed.syntax == "text":
        return draw(text_mutated(seed.doc))
    return dump(seed, draw(mutated(seed.doc)), pretty=draw(st.booleans()))


@st.composite
def raw_mutated(draw, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "splice", "bom", "invalid-utf8"]))
        i = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            i = min(i, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(max_size=16))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        elif op == "splice":
            j = draw(st.integers(0, len(data)))
            data[i:i] = data[j:j + draw(st.integers(1, 256))]
        elif op == "bom":
            data[0:0] = b"\xef\xbb\xbf"
        else:
            data[i:i] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xe2\x82"]))
    return bytes(data)


# ------------------------------------------------------------------------------------------------ checks
def pipeline(batches) -> None:
    """What happens to parsed batches in a real ingest, minus the disk: link, merge, Arrow tables, export."""
    for b in batches:
        assert all(isinstance(e, InputError) for e in b.errors)
        assert all(isinstance(w, str) for w in b.warnings)
    links.resolve(batches, {}, {})
    m = merge({}, {}, batches, OBSERVED)
    by_label: dict[str, list] = {}
    for n in m.nodes.values():
        by_label.setdefault(n["label"], []).append(n)
    for label, recs in by_label.items():
        to_table(recs, node_schema(label))
    by_type: dict[str, list] = {}
    for e in m.edges.values():
        by_type.setdefault(e["type"], []).append(e)
    for type_, recs in by_type.items():
        to_table(recs, edge_schema(type_))
    json.dumps(to_opengraph(m.nodes, m.edges), default=str)


def check(path: Path, fmt: str | None) -> None:
    """Parse ``path`` as ``fmt`` (or as detected): an ``InputError`` or batches the pipeline takes."""
    try:
        format_ = BY_NAME[fmt] if fmt else registry.detect(path)
        batches = format_.parse(path, None)
    except InputError as exc:
        assert str(exc)  # a message a user can act on
        return
    pipeline(batches)


def write(folder: Path, rel: str, data: bytes) -> Path:
    path = folder / uuid.uuid4().hex / rel
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory, request) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
    if LONG_RUN:
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\nfuzz cases run (format, strategy: examples):")
            for (fmt, strategy), n in sorted(RUN.items()):
                print(f"  {fmt:32} {strategy:12} {n}")
            print(f"  total {sum(RUN.values())}")


FORMAT_NAMES = [f.name for f in FORMATS]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_structured_fuzz_raises_only_input_errors(fmt, fuzz_dir) -> None:
    seeds = SEEDS[fmt]

    @FUZZ
    @given(st.sampled_from(seeds).flatmap(lambda s: st.tuples(st.just(s), structured(s))))
    def run(case) -> None:
        seed, data = case
        RUN[fmt, "structured"] += 1
        path = write(fuzz_dir, seed.rel, data)
        check(path, fmt)
        check(path, None)
        shutil.rmtree(path.parents[len(Path(seed.rel).parts) - 1])

    run()


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_raw_bytes_fuzz_raises_only_input_errors(fmt, fuzz_dir) -> None:
    seeds = SEEDS[fmt]
    data = st.one_of(st.sampled_from(seeds).flatmap(lambda s: st.tuples(st.just(s), raw_mutated(s.data))),
                     st.tuples(st.sampled_from(seeds), st.binary(max_size=512)))

    @FUZZ
    @given(data)
    def run(case) -> None:
        seed, data = case
        RUN[fmt, "raw"] += 1
        path = write(fuzz_dir, seed.rel, data)
        check(path, None)  # the real entry point: detect, then parse
        check(path, fmt)
        shutil.rmtree(path.parents[len(Path(seed.rel).parts) - 1])

    run()


GOOD = b"id,kind,name\nid:fuzz-good,bot,the good file\n"


@FUZZ
@given(st.sampled_from([s for seeds in SEEDS.values() for s in seeds]).flatmap(
    lambda s: st.tuples(st.just(s), st.one_of(structured(s), raw_mutated(s.data), st.binary(max_size=256)))))
def test_a_corrupt_file_never_poisons_the_others(case) -> None:
    seed, data = case
    RUN["*", "multi-file"] += 1
    root = Path(tempfile.mkdtemp(prefix="nhigraph-fuzz-"))
    try:
        good = root / "in" / "identities.csv"
        good.parent.mkdir(parents=True)
        good.write_bytes(GOOD)
        bad = write(root / "in", seed.rel, data)
        result = ingest([good, bad], root / "ws", observed_at=OBSERVED)
        assert result.snapshot is not None
        from nhigraph.workspace.store import Workspace

        nodes = Workspace(root / "ws").load().nodes
        assert nodes["id:fuzz-good"]["name"] == "the good file"
        for error in result.errors:
            assert error.path == str(bad), str(error)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ corpus
CORPUS_CASES = sorted(p for p in CORPUS.glob("*/*") if p.is_file()) if CORPUS.is_dir() else []


@contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (an input that once made a reader run for ever)."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("path", CORPUS_CASES, ids=lambda p: p.parent.name)
def test_fuzz_corpus_regressions(path: Path, tmp_path) -> None:
    """Inputs that once crashed or hung an ingester (folder ``<format>--<what>/<file name the format needs>``)."""
    fmt = path.parent.name.split("--", 1)[0]
    assert fmt in BY_NAME, path
    copy_ = tmp_path / path.name
    shutil.copyfile(path, copy_)
    with time_limit(30):
        check(copy_, fmt)
        check(copy_, None)
        result = ingest([copy_], tmp_path / "ws", observed_at=OBSERVED)
    assert all(e.path == str(copy_) for e in result.errors)


def test_the_corpus_covers_what_it_says() -> None:
    assert CORPUS_CASES, "tests/fixtures/fuzz-corpus/ is empty"
    assert {p.parent.name.split("--", 1)[0] for p in CORPUS_CASES} <= set(BY_NAME)
    assert len({p.parent.name for p in CORPUS_CASES}) == len(CORPUS_CASES)  # one input per case


def test_an_unexpected_parser_bug_is_reported_against_its_file(tmp_path, monkeypatch) -> None:
    """The last line of defence: a reader that crashes on one file costs that file, not the run, and the
    message names the file and the bug without echoing the input (which may hold a secret)."""
    import dataclasses

    good = tmp_path / "identities.csv"
    good.write_bytes(GOOD)
    bad = tmp_path / "acme__api__trufflehog.jsonl"
    bad.write_text('{"SourceMetadata": {}, "DetectorName": "AWS", "Raw": "hunter2-canary"}\n')

    def broken(path, scope=None):
        raise TypeError("unhashable: 'hunter2-canary'")

    fmt = BY_NAME["trufflehog"]
    monkeypatch.setattr(registry, "FORMATS", tuple(dataclasses.replace(f, parse=broken) if f is fmt else f
                                                   for f in registry.FORMATS))
    result = ingest([good, bad], tmp_path / "ws", observed_at=OBSERVED)
    assert [e.path for e in result.errors] == [str(bad)]
    message = str(result.errors[0])
    assert "TypeError" in message and "trufflehog" in message and "hunter2" not in message
    assert result.snapshot is not None
