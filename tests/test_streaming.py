"""Large exports are read a window at a time (nhigraph.ingest.stream) with exactly the values and errors of a
whole-file json.loads, and an ingest that would not fit in memory is refused before anything is read."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.errors import InputError
from nhigraph.ingest import stream
from nhigraph.ingest.aws import authz
from nhigraph.ingest.base import csv_rows, load_json
from nhigraph.workspace import memory
from nhigraph.workspace.ingest import ingest, parse_files
from nhigraph.workspace.store import Workspace

from ingest_support import whole_file_entries

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = "123456789012"
JSON_FIXTURES = sorted(p for p in FIXTURES.rglob("*.json") if "fuzz-corpus" not in p.parts)


@pytest.fixture(params=[7, 1 << 20], ids=["7-byte-window", "1MB-window"])
def window(request, monkeypatch) -> int:
    """Run with a tiny window too, so that values, keys, escapes and multi-byte characters cross its edge."""
    monkeypatch.setattr(stream, "CHUNK", request.param)
    return request.param


def old_error(path: Path) -> str:
    """What the whole-file reader said about a file."""
    data = path.read_bytes()
    if not data.strip():
        return f"{path}: file is empty"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"{path}: line {line}: not UTF-8 text (byte {exc.start})"
    if not text.strip():
        return f"{path}: file is empty"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}"
    except RecursionError:
        return f"{path}: invalid JSON: nested too deeply"
    return "no error"


def new_error(path: Path) -> str:
    try:
        load_json(path)
    except InputError as exc:
        return str(exc)
    return "no error"


# -- the reader --------------------------------------------------------------------------------------------


def test_documents_equal_json_loads(window):
    assert len(JSON_FIXTURES) > 40
    for path in JSON_FIXTURES:
        text = path.read_bytes().decode("utf-8-sig")
        try:
            expected = json.loads(text)
        except ValueError:
            continue
        assert load_json(path) == expected, path
        assert list(stream.json_entries(path)) == list(whole_file_entries(path)), path


BAD = {
    "truncated-in-a-string": b'{"RoleDetailList": [{"RoleName": "a"}, {"RoleName": "unfinish',
    "truncated-after-a-comma": b'[\n  {"a": 1},\n  {"b": 2},\n',
    "truncated-in-a-number": b'{"a": [1, 2, 12345',
    "missing-comma": b'[\n{"a": 1}\n{"b": 2}]',
    "missing-comma-between-members": b'{"a": [1]\n "b": 2}',
    "missing-colon": b'{"a" [1]}',
    "key-not-a-string": b'{"a": 1, b: 2}',
    "trailing-comma-array": b'[1, 2,]',
    "trailing-comma-object": b'{"a": [1],}',
    "extra-data": b'{"a": 1}\n\n{"b": 2}',
    "bad-literal": b'[true, nul]',
    "bad-escape": b'["a\\qb"]',
    "control-character": b'["a\x00b"]',
    "nul-between-items": b'[1,\x00 2]',
    "bad-unicode-escape": b'["\\u12"]',
    "not-utf8": b'[\n"caf\xe9"\n]',
    "not-utf8-late": b'[' + b'"x",\n' * 5000 + b'"\xff"]',
    "not-utf8-after-bom": b'\xef\xbb\xbf["\xff"]',
    "empty": b"",
    "blank": b" \n\t\r\n",
    "only-a-bom": b"\xef\xbb\xbf",
    "bom-and-blank": b"\xef\xbb\xbf  \n",
    "only-a-bracket": b"[",
    "only-a-brace": b"{",
    "deep": b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    "deep-item": b"[" + b"[" * 100000 + b"]" * 100000 + b"]",
    "nothing-json": b"hello",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_equal_json_loads(tmp_path, window, name):
    path = tmp_path / f"{name}.json"
    path.write_bytes(BAD[name])
    expected = old_error(path)
    assert expected != "no error"
    assert new_error(path) == expected
    assert "\n" not in new_error(path)


def test_every_cut_of_a_document_errs_as_json_loads(tmp_path, window):
    text = json.dumps({"UserDetailList": [{"UserName": "u\u00e9\u4e2d", "n": [1.5, -2e3, None, True]}],
                       "IsTruncated": False, "RoleDetailList": [], "Policies": [{"a": "\\\"x"}]}, indent=1,
                      ensure_ascii=False).encode()
    path = tmp_path / "cut.json"
    for cut in range(len(text)):
        path.write_bytes(text[:cut])
        assert new_error(path) == old_error(path), text[:cut]


def test_values_keep_their_types(tmp_path, window):
    path = tmp_path / "numbers.json"
    path.write_text('{"a": [1, 2.5, 1e400, -0, 12345678901234567890, NaN, "\\ud800", {"k": 1, "k": 2}]}')
    doc = load_json(path)
    got = doc["a"]
    assert [type(x) for x in got[:5]] == [int, float, float, int, int]
    assert got[2] == float("inf") and got[5] != got[5]  # NaN, as json.loads reads it
    assert got[6] == "\ud800" and got[7] == {"k": 2}  # a lone surrogate kept; the last duplicate key wins


def test_concatenated_pages(tmp_path, window):
    from nhigraph.ingest.exports import json_values

    path = tmp_path / "acme__installations.json"
    path.write_text('{"total_count": 2, "installations": [{"id": 1}]}\n{"installations": [{"id": 2}]}[3]')
    assert json_values(path) == [{"total_count": 2, "installations": [{"id": 1}]}, {"installations": [{"id": 2}]},
                                 [3]]
    path.write_text('{"a": 1}{"b": ')
    with pytest.raises(InputError, match=r"line 1: invalid JSON: Expecting value"):
        json_values(path)


def test_lines_split_as_before(tmp_path, window):
    text = "a,b\r\n1,\"x\ny\"\r2,3\n\x0c4,5\u2028\u00e96\r\n\r\n8,9"
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    assert list(stream.text_lines(path, csv_newlines=True)) == list(io.StringIO(text, newline=""))
    assert [line.splitlines()[0] for line in stream.text_lines(path)] == text.splitlines()
    header, rows = csv_rows(path)
    assert header == ["a", "b"]
    assert [(line, row["b"]) for line, row in rows] == [(2, "x\ny"), (4, "3"), (5, "5\u2028\u00e96"), (7, "9")]


# -- a large export -----------------------------------------------------------------------------------------


def big_authz(roles: int) -> dict:
    policies = [{"PolicyName": f"managed-{m}", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/managed-{m}",
                 "DefaultVersionId": "v2", "PolicyVersionList": [
                     {"VersionId": "v1", "IsDefaultVersion": False, "Document": {"Statement": []}},
                     {"VersionId": "v2", "IsDefaultVersion": True, "Document": {"Statement": [
                         {"Effect": "Allow", "Action": "dynamodb:GetItem",
                          "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{m}"}]}}]}
                for m in range(20)]
    users = [{"UserName": f"deployer-{u}", "UserId": f"AIDA{u:017d}",
              "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer-{u}", "CreateDate": "2024-01-01T00:00:00Z", "GroupList": [],
              "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument": {"Statement": [
                  {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}]}
             for u in range(10)]
    role_list = []
    for i in range(roles):
        trust = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/deployer-{i % 10}"} if i % 2 else {"Service": "ec2.amazonaws.com"}
        role_list.append({
            "RoleName": f"app-{i}", "RoleId": f"AROA{i:017d}", "Arn": f"arn:aws:iam::{ACCOUNT}:role/app-{i}",
            "CreateDate": "2024-01-02T03:04:05Z",
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": trust,
                                                        "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "data", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                 "Resource": f"arn:aws:s3:::bucket-{i % 50}/*"}]}}],
            "AttachedManagedPolicies": [{"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/managed-{i % 20}"}],
            "Tags": [{"Key": "env", "Value": "prod" if i % 3 else "dev"}, {"Key": "owner", "Value": f"team:t{i % 7}"}]})
    return {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": role_list, "Policies": policies,
            "IsTruncated": False}


def as_tuples(batches) -> list:
    return [(b.source, b.nodes, b.edges, [str(e) for e in b.errors], b.warnings, b.partial) for b in batches]


def test_large_authz_export_streamed_equals_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK", 16 * 1024)  # many window refills
    path = tmp_path / f"{ACCOUNT}-authz.json"
    path.write_text(json.dumps(big_authz(1000), indent=4))
    assert path.stat().st_size > 500_000
    streamed = authz.parse(path)
    with monkeypatch.context() as m:
        m.setattr(stream, "json_entries", whole_file_entries)
        whole = authz.parse(path)
    assert as_tuples(streamed) == as_tuples(whole)

    main = streamed[0]
    nodes = {n["id"]: n for n in main.nodes}
    edges = {(e["type"], e["start"], e["end"]): e for e in main.edges}
    role = f"aws:{ACCOUNT}:role/app-999"
    assert nodes[role]["provider_id"] == f"arn:aws:iam::{ACCOUNT}:role/app-999"
    assert nodes[role]["environment"] == "dev" and nodes[f"aws:{ACCOUNT}:role/app-998"]["environment"] == "prod"
    assert sum(n["kind"] == "iam_role" for n in main.nodes) == 1000
    assert edges[("HAS_ACCESS", role, "arn:aws:s3:::bucket-49")]["actions"] == ["s3:GetObject", "s3:PutObject"]
    dynamo = edges[("HAS_ACCESS", role, f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t19")]  # a managed policy
    assert dynamo["level"] == "read"
    assert edges[("CAN_ASSUME", f"aws:{ACCOUNT}:user/deployer-9", role)]["via"] == "trust"
    assert not any(b.errors for b in streamed)


def test_large_export_cut_in_the_middle(tmp_path):
    ws = Workspace(tmp_path / "ws")
    first = ingest([FIXTURES / "kubernetes" / "prod-eks.json"], ws)
    assert first.ok and first.snapshot
    before = (ws.current_name(), ws.manifest()["counts"])

    text = json.dumps(big_authz(300), indent=4)
    path = tmp_path / f"{ACCOUNT}-authz.json"
    path.write_text(text[: len(text) // 2])
    try:
        json.loads(text[: len(text) // 2])
    except json.JSONDecodeError as exc:
        expected = f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}"
    result = ingest([path], ws)
    assert [str(e) for e in result.errors] == [expected]
    assert result.snapshot is None
    assert (ws.current_name(), ws.manifest()["counts"]) == before
    assert len(ws.snapshot_names()) == 1


def test_kubectl_list_streamed_equals_whole_file(tmp_path, monkeypatch):
    items = [{"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": {"name": f"sa-{i}", "namespace": f"ns-{i % 9}", "uid": f"u-{i}"}} for i in range(1500)]
    path = tmp_path / "big-cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {}}, indent=4))
    streamed, _, errors = parse_files([path])
    assert not errors
    monkeypatch.setattr(stream, "json_entries", whole_file_entries)
    whole, _, _ = parse_files([path])
    assert as_tuples(streamed) == as_tuples(whole)
    assert sum(n["kind"] == "k8s_service_account" for b in streamed for n in b.nodes) == 1500


# -- the memory pre-check --------------------------------------------------------------------------------------


@pytest.fixture
def little_memory(monkeypatch):
    monkeypatch.delenv(memory.ENV_SKIP, raising=False)
    monkeypatch.setattr(memory, "_meminfo_available", lambda: 64 * 2**20)
    monkeypatch.setattr(memory, "_cgroup_room", lambda: None)


def test_ingest_refused_when_memory_is_short(tmp_path, little_memory):
    ws = tmp_path / "ws"
    export = tmp_path / f"{ACCOUNT}-authz.json"
    export.write_text(json.dumps(big_authz(50), indent=4))
    result = CliRunner().invoke(cli, ["ingest", str(export), str(FIXTURES / "kubernetes"), "-w", str(ws)],
                                prog_name="nhigraph")
    assert result.exit_code == 7
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert re.match(r"Error: not enough memory to ingest \d+ file\(s\): needs about \d+\.\d MB, ", lines[0])
    assert "64.0 MB available (MemAvailable)" in lines[0]
    assert f"largest: {export} (" in lines[0] and "--scope" in lines[0] and "--no-memory-check" in lines[0]
    assert not ws.exists()  # nothing read, nothing written

    ok = CliRunner().invoke(cli, ["ingest", str(export), "-w", str(ws), "--no-memory-check"], prog_name="nhigraph")
    assert ok.exit_code == 0, ok.output
    before = Workspace(ws).current_name()
    again = CliRunner().invoke(cli, ["ingest", str(export), "-w", str(ws)], prog_name="nhigraph")
    assert again.exit_code == 7 and Workspace(ws).current_name() == before
    env = CliRunner().invoke(cli, ["ingest", str(export), "-w", str(ws)], prog_name="nhigraph",
                             env={memory.ENV_SKIP: "1"})
    assert env.exit_code == 0, env.output


def test_estimate_grows_with_the_inputs(tmp_path, monkeypatch):
    small, big = tmp_path / "a.json", tmp_path / f"{ACCOUNT}-authz.json"
    small.write_text("[]")
    big.write_text(json.dumps(big_authz(20)))
    need_small, _ = memory.needed_bytes([small])
    need_big, biggest = memory.needed_bytes([small, big])
    assert need_big - need_small == int(big.stat().st_size * memory.FACTORS["authz"])
    assert biggest[0][0] == big
    assert memory.needed_bytes([small], existing_records=1000)[0] == need_small + 1000 * memory.PER_EXISTING_RECORD
    assert memory.family(tmp_path / "x.csv") == "lines"
    monkeypatch.setattr(memory, "_meminfo_available", lambda: 10 * 2**30)
    monkeypatch.setattr(memory, "_cgroup_room", lambda: 2 * 2**30)
    assert memory.available_bytes() == (2 * 2**30, "cgroup memory limit")
    assert memory.check([small]).fits
