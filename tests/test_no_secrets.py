"""A secret value in an export is fingerprinted on sight and never reaches the disk or the terminal.

The scan looks at every file's raw bytes and, because parquet pages are compressed, at every decoded
parquet value too. A control value put in a stored column (``description``) must be found by the same
scan, which proves the scan would see a secret if one were stored.

The same holds for every export format at once: copies of every fixture with unique canary values planted in
every field that carries secret material (and control values in ordinary fields), through ingest, every
reading command, the report, the views and the OpenGraph export; ``nhigraph reach -`` reads a raw secret from
standard input only.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from ingest_support import scan

from nhigraph.cli import cli
from nhigraph.export.opengraph import to_opengraph
from nhigraph.ingest import registry
from nhigraph.ingest.github.workflows import _Loader as WorkflowLoader
from nhigraph.ingest.inventory import parse_json, table_for
from nhigraph.ingest.registry import BY_NAME
from nhigraph.model.ids import credential_for_key_id
from nhigraph.workspace.ingest import ingest
from nhigraph.workspace.merge import merge
from nhigraph.workspace.store import Workspace


def _values(path: Path) -> str:
    """Every decoded value of a parquet file, as text."""
    return json.dumps(pq.read_table(path).to_pylist(), default=str)


def sha256(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def canaries() -> dict[str, str]:
    return {name: f"nhigraph-canary-{name}-{uuid.uuid4()}" for name in ("csv", "bad_row", "identity", "json",
                                                                         "opengraph")}


@pytest.fixture
def control() -> str:
    return f"nhigraph-control-{uuid.uuid4()}"


def _exports(tmp_path: Path, canaries: dict[str, str], control: str) -> Path:
    src = tmp_path / "exports"
    src.mkdir()
    (src / "credentials.csv").write_text(
        "id,kind,name,identity,secret,description\n"
        f"cred:leaky,api_token,leaky token,id:ci-deployer,{canaries['csv']},{control}\n"
        f"cred:bad-kind,robot_key,bad kind,id:ci-deployer,{canaries['bad_row']},\n")
    (src / "old-credentials.csv").write_text(  # a ragged row: the whole file is rejected
        f"id,kind,name,secret\ncred:ragged,pat,ragged,{canaries['bad_row']},extra\n")
    (src / "acme-identities.csv").write_text(
        f"id,kind,name,secret\nid:wrong-place,bot,misplaced,{canaries['identity']}\n")
    (src / "inventory.json").write_text(json.dumps({"nhigraph_inventory": 1, "keys": [
        {"id": "cred:json", "kind": "pat", "identity": "id:sf-sync", "secret": canaries["json"]},
        {"id": "cred:json-bad", "kind": "pat", "secret": canaries["bad_row"], "expires_at": "31/12/2026"}]}))
    (src / "scanner.json").write_text(json.dumps({"metadata": {"source_kind": "Scanner"}, "graph": {
        "nodes": [{"id": "cred:og", "kinds": ["Credential"],
                   "properties": {"kind": "pat", "secret": canaries["opengraph"], "leaked": True}}],
        "edges": []}}))
    return src


def test_no_secret_reaches_the_workspace_or_the_terminal(estate_ws, tmp_path, canaries, control):
    src = _exports(tmp_path, canaries, control)
    runner = CliRunner()
    outputs = []
    r = runner.invoke(cli, ["ingest", str(src), "-w", str(estate_ws.path)])
    outputs.append(r.output)
    assert r.exit_code == 2  # the bad rows
    errors = r.stderr.splitlines()
    assert len(errors) == 4, errors
    # whole-file failures first, then record errors, each in file order
    assert errors[0] == f"Error: {src / 'old-credentials.csv'}: line 2: has 5 fields but the header has 4"
    assert errors[1].startswith(f"Error: {src / 'acme-identities.csv'}: line 2: unknown column 'secret' for "
                                "the identities table (expected: ")
    assert errors[2].startswith(f"Error: {src / 'credentials.csv'}: line 3: Credential kind 'robot_key' is not")
    assert errors[3] == (f"Error: {src / 'inventory.json'}: keys[2]: Credential expires_at: not an ISO 8601 date "
                         "or date-time: '31/12/2026' (use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)")
    r = runner.invoke(cli, ["ingest", str(src), "-w", str(estate_ws.path), "--json"])
    outputs.append(r.stdout + r.stderr)
    assert r.exit_code == 2 and json.loads(r.stdout)["errors"]
    for args in (["stats"], ["stats", "--json"], ["snapshots"], ["snapshots", "--json"]):
        r = runner.invoke(cli, args + ["-w", str(estate_ws.path)])
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
    export = tmp_path / "export.json"
    r = runner.invoke(cli, ["export", "opengraph", str(export), "-w", str(estate_ws.path)])
    assert r.exit_code == 0
    outputs.append(r.output)

    for name, canary in canaries.items():
        assert scan(estate_ws.path, canary) == [], name
        assert canary not in export.read_text(), name
        for out in outputs:
            assert canary not in out, name

    # the scan works: the control value, stored in a description, is found in the parquet table
    assert scan(estate_ws.path, control) == [f"snapshots/{n}/nodes/Credential.parquet"
                                             for n in estate_ws.snapshot_names()[1:]]

    nodes = estate_ws.load().nodes
    assert nodes["cred:leaky"]["fingerprint"] == sha256(canaries["csv"])
    assert nodes["cred:json"]["fingerprint"] == sha256(canaries["json"])
    assert nodes["cred:og"]["fingerprint"] == sha256(canaries["opengraph"])
    assert not {"cred:bad-kind", "cred:ragged", "cred:json-bad", "id:wrong-place"} & set(nodes)
    assert all("secret" not in n for n in nodes.values())
    assert not [n for n in json.loads(export.read_text())["graph"]["nodes"] if "secret" in n["properties"]]


def test_the_installed_command_does_not_print_a_secret(estate_ws, tmp_path, canaries, control):
    import subprocess
    import sys

    src = _exports(tmp_path, canaries, control)
    nhigraph = Path(sys.executable).parent / "nhigraph"
    for extra in ([], ["--json"]):
        proc = subprocess.run([str(nhigraph), "ingest", str(src), "-w", str(estate_ws.path), *extra],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        for canary in canaries.values():
            assert canary not in proc.stdout and canary not in proc.stderr
        assert "Traceback" not in proc.stderr
    for canary in canaries.values():
        assert scan(estate_ws.path, canary) == []


def test_the_fingerprint_ignores_surrounding_whitespace_only(ws, tmp_path):
    f = tmp_path / "credentials.csv"
    f.write_text("id,kind,secret\nc1,pat,  s3cr3t  \nc2,pat,s3cr3t\nc3,pat,S3CR3T\n")
    assert ingest([f], ws).ok
    nodes = ws.load().nodes
    assert nodes["c1"]["fingerprint"] == nodes["c2"]["fingerprint"] == sha256("s3cr3t")
    assert nodes["c3"]["fingerprint"] == sha256("S3CR3T") != nodes["c1"]["fingerprint"]


# ---------------------------------------------------------------------------------------------------------------
# Every export format: canaries planted in every field that carries secret material, and controls planted in
# ordinary fields, through ingest, every reading command, the report, the views and the OpenGraph export.
# ---------------------------------------------------------------------------------------------------------------
FIXTURES = Path(__file__).parent / "fixtures"
OBSERVED_AT = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)
#: fields that hold secret material in any export format nhigraph reads (a key's value, a client secret, a
#: scanner's match, a Secret's data): whatever their value, it must never be stored or printed
SECRET_FIELDS = frozenset({
    "secret", "client_secret", "secretText", "hint", "privateKeyData", "private_key", "SecretAccessKey",
    "SessionToken", "password", "token", "client_token", "secret_id", "Secret", "Match", "Line", "Raw", "RawV2",
    "Redacted"})
#: ordinary fields, shown and stored as they are: a control value appended there is expected to be stored
CONTROL_FIELDS = frozenset({"displayName", "description", "label", "title", "token_name", "clientName", "File",
                            "file", "UserName", "app_slug", "login", "principalDisplayName", "resourceDisplayName"})
#: formats whose other fields are ids or enums: where a control goes instead (appended with "-" to an id)
CONTROL_EXTRA = {"opengraph": {"name"}, "inventory-json": {"name"}, "slack-apps": {"name"},
                 "azure-oauth2-grants": {"scope"}, "gcp-asset-iam-export": {"name"},
                 "gcp-asset-iam-search": {"resource"}, "gcp-service-account-keys": {"name"}}


class Planter:
    """Plants unique canary values (secret fields) and control values (ordinary fields) and remembers them."""

    def __init__(self) -> None:
        self.canaries: dict[str, str] = {}   # value -> where it was planted
        self.hashed: dict[str, str] = {}     # canaries a format reads to fingerprint (value -> where)
        self.controls: dict[str, str] = {}   # value -> format

    def canary(self, where: str, hashed: bool = False) -> str:
        value = f"nhigraph-canary-{len(self.canaries)}-{uuid.uuid4().hex[:12]}"
        self.canaries[value] = where
        if hashed:
            self.hashed[value] = where
        return value

    def control(self, fmt: str) -> str:
        value = f"nhigraph-control-{len(self.controls)}-{uuid.uuid4().hex[:12]}"
        self.controls[value] = fmt
        return value

    # -- JSON-like documents --------------------------------------------------------------------------------
    def plant(self, doc, fmt: str, where: str):
        controls = CONTROL_EXTRA.get(fmt, set()) | (CONTROL_FIELDS if fmt != "opengraph" else set())
        joiner = "-" if fmt.startswith("gcp-") else " "
        stack = [doc]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
                continue
            if not isinstance(node, dict):
                continue
            for key in list(node):
                if key in SECRET_FIELDS and (node[key] is None or isinstance(node[key], str)):
                    node[key] = self._secret_value(fmt, key, node, f"{where}: {key}")
                elif fmt == "kubernetes" and key in ("data", "stringData") and isinstance(node[key], dict):
                    for k in node[key]:  # a Secret's values, base64 in data
                        value = self.canary(f"{where}: {key}.{k}")
                        node[key][k] = base64.b64encode(value.encode()).decode() if key == "data" else value
                elif key == "annotations" and isinstance(node[key], dict):
                    node[key]["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(
                        {"kind": "Secret", "data": {"token": self.canary(f"{where}: last-applied-configuration")}})
                elif key in controls and isinstance(node[key], str):
                    node[key] = f"{node[key]}{joiner}{self.control(fmt)}"
                elif fmt == "kubernetes" and node.get("type") == "Opaque" and isinstance(node.get("metadata"), dict):
                    node["metadata"]["name"] += "-" + self.control(fmt)  # a secret's name is kept (no value)
                    stack.append(node[key])
                else:
                    stack.append(node[key])
        self._additions(doc, fmt, where)
        return doc

    def _secret_value(self, fmt: str, key: str, node: dict, where: str) -> str:
        old = node[key] if isinstance(node[key], str) else ""
        if key in ("Secret", "Raw") and credential_for_key_id(old):
            return old  # a provider key id is an id, not a secret: it stays and names the credential
        if key == "RawV2" and credential_for_key_id(old.split(":", 1)[0]):
            return old.split(":", 1)[0] + ":" + self.canary(where, hashed=True)
        hashed = (fmt, key) in {("okta-api", "client_secret"), ("gitleaks", "Secret"), ("trufflehog", "Raw"),
                                ("azure-applications", "secretText"), ("azure-service-principals", "secretText"),
                                ("opengraph", "secret"), ("inventory-json", "secret")}
        value = self.canary(where, hashed=hashed)
        return f"api_key = {value}" if key in ("Match", "Line") else value

    def _additions(self, doc, fmt: str, where: str) -> None:
        """Secret material the fixture lacks but the format can carry."""
        def each(key: str):
            stack = [doc]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    if isinstance(node.get(key), list):
                        yield from (x for x in node[key] if isinstance(x, dict))
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)

        def put(node: dict, key: str, what: str, hashed: bool = False) -> None:
            if not str(node.get(key)).startswith("nhigraph-canary-"):  # not planted already
                node[key] = self.canary(f"{where}: {what}", hashed=hashed)

        if fmt in ("azure-applications", "azure-service-principals"):
            for cred in each("passwordCredentials"):
                put(cred, "secretText", "secretText", hashed=True)
                put(cred, "hint", "hint")
            for cred in each("keyCredentials"):
                put(cred, "key", "keyCredentials.key")
        elif fmt == "gcp-service-account-keys":
            for key in each("keys"):
                put(key, "privateKeyData", "privateKeyData")
        elif fmt == "aws-list-access-keys":
            for key in each("AccessKeyMetadata"):
                put(key, "SecretAccessKey", "SecretAccessKey")
        elif fmt == "github-api":
            for item in each("variables"):
                put(item, "value", "variables.value")
            for item in (doc if isinstance(doc, list) else []):
                if isinstance(item, dict) and isinstance(item.get("config"), dict):
                    put(item["config"], "secret", "config.secret")
                if isinstance(item, dict) and "read_only" in item:
                    put(item, "key", "deploy key")
        elif fmt == "okta-api":
            for item in (doc if isinstance(doc, list) else []):
                if isinstance(item, dict) and "tokenWindow" in item:
                    put(item, "token", "api token value")
        elif fmt == "vault" and isinstance(doc, dict):
            doc["auth"] = {"client_token": self.canary(f"{where}: auth.client_token")}
            data = doc.get("data")
            if isinstance(data, dict):
                put(data, "secret_id", "data.secret_id")
                if isinstance(data.get("custom_metadata"), dict):
                    put(data["custom_metadata"], "password", "custom_metadata.password")
        elif fmt == "inventory-json" and isinstance(doc, dict):
            for row in doc.get("credentials") or []:
                row["secret"] = self.canary(f"{where}: credentials.secret", hashed=True)
        elif fmt == "opengraph":
            for node in doc["graph"]["nodes"]:
                if "Credential" in node["kinds"]:
                    node["properties"]["secret"] = self.canary(f"{where}: properties.secret", hashed=True)

    # -- other syntaxes ---------------------------------------------------------------------------------------
    def plant_csv(self, text: str, fmt: str, where: str, credentials_table: bool) -> str:
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header = rows[0]
        if len(rows) > 1 and fmt == "aws-credential-report":
            control = self.control(fmt)  # the user's name, in its ARN too
            user, arn = header.index("user"), header.index("arn")
            rows[1][user], rows[1][arn] = rows[1][user] + control, rows[1][arn] + control
        col = next((header.index(c) for c in ("name", "description") if c in header), None)
        if col is not None and len(rows) > 1:
            rows[1][col] = f"{rows[1][col]} {self.control(fmt)}"
        if credentials_table:
            if "secret" not in header:
                header.append("secret")
                for row in rows[1:]:
                    row.append("")
            i = header.index("secret")
            for n, row in enumerate(rows[1:], 2):
                row[i] = self.canary(f"{where}: line {n} secret", hashed=True)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue()

    def plant_workflow(self, text: str, where: str) -> str:
        doc = yaml.load(text, Loader=WorkflowLoader)  # noqa: S506 - a SafeLoader
        doc["name"] = f"{doc.get('name') or 'workflow'} {self.control('github-actions')}"
        doc.setdefault("env", {})["DEPLOY_TOKEN"] = self.canary(f"{where}: env.DEPLOY_TOKEN", hashed=True)
        for job in doc["jobs"].values():
            if isinstance(job, dict):  # a copy: jobs may share one env block through a YAML anchor
                job["env"] = {**(job.get("env") or {}), "API_KEY": self.canary(f"{where}: job env.API_KEY",
                                                                               hashed=True)}
        return yaml.safe_dump(doc, sort_keys=False)


def _plant_all(planter: Planter, dest: Path) -> dict[str, str]:
    """Copies of every fixture export under ``dest``, planted; returns file -> format."""
    files = {}
    for f in sorted(FIXTURES.rglob("*")):
        rel = f.relative_to(FIXTURES)
        if not f.is_file() or rel.parts[0] == "fuzz-corpus" or f.name.startswith(("README", "LICENSE")):
            continue
        fmt = registry.detect(f).name
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        text = f.read_text(encoding="utf-8")
        where = str(rel)
        if fmt in ("inventory-csv", "aws-credential-report"):
            table = table_for(f) if fmt == "inventory-csv" else None
            text = planter.plant_csv(text, fmt, where, table is not None and table.name == "credentials")
        elif fmt == "github-actions":
            text = planter.plant_workflow(text, where)
        elif fmt == "vault" and f.suffix == ".hcl":
            pass  # a policy: paths and capabilities, nothing secret, nothing free-form
        elif fmt == "trufflehog":
            lines = []
            for line in text.splitlines():
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError:
                    lines.append(line)
                    continue
                lines.append(json.dumps(planter.plant(doc, fmt, where)))
            text = "\n".join(lines) + "\n"
        else:
            try:
                doc = json.loads(text)
            except json.JSONDecodeError:  # newline-delimited JSON
                text = "\n".join(json.dumps(planter.plant(json.loads(line), fmt, where))
                                 for line in text.splitlines() if line.strip()) + "\n"
            else:
                text = json.dumps(planter.plant(doc, fmt, where), indent=1)
        out.write_text(text, encoding="utf-8")
        files[str(out)] = fmt
    # an OpenGraph export of the estate, with a secret on every credential
    m = merge({}, {}, parse_json(FIXTURES / "inventory" / "inventory.json"), OBSERVED_AT)
    doc = json.loads(json.dumps(to_opengraph(m.nodes, m.edges), default=str))
    for node in doc["graph"]["nodes"]:
        node["id"] = "og:" + node["id"]
    for edge in doc["graph"]["edges"]:
        edge["start"]["value"], edge["end"]["value"] = "og:" + edge["start"]["value"], "og:" + edge["end"]["value"]
    og = dest / "opengraph" / "estate.json"
    og.parent.mkdir()
    og.write_text(json.dumps(planter.plant(doc, "opengraph", "opengraph/estate.json")))
    files[str(og)] = "opengraph"
    return files


def _texts(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text, parquet files as their decoded values too."""
    out = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            text = f.read_bytes().decode("utf-8", "replace")
            out[str(f)] = text + ("\n" + _values(f) if f.suffix == ".parquet" else "")
    return out


def test_no_planted_secret_survives_any_format_or_command(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    planter = Planter()
    src = tmp_path / "exports"
    files = _plant_all(planter, src)
    assert set(files.values()) == set(BY_NAME)  # every format is planted and ingested
    planted = "\n".join(Path(f).read_text() for f in files)
    assert [w for c, w in planter.canaries.items() if c not in planted
            and base64.b64encode(c.encode()).decode() not in planted and json.dumps(c)[1:-1] not in planted] == []
    ws = tmp_path / "ws"
    runner = CliRunner()
    outputs: dict[str, str] = {}

    def run(*args, stdin: str | None = None, ok=(0,)) -> None:
        r = runner.invoke(cli, [*args], input=stdin)
        assert r.exit_code in ok, (args, r.output)
        outputs[" ".join(args)] = r.stdout + r.stderr + (repr(r.exception) if r.exception else "")

    # workflow folders are hidden (.github) and skipped inside a folder: named explicitly
    inputs = [str(src), *sorted({str(Path(f).parent) for f, fmt in files.items() if fmt == "github-actions"})]
    run("ingest", *inputs, "-w", str(ws), "--observed-at", "2026-01-31", ok=(0, 2))
    run("ingest", *inputs, "-w", str(ws), "--observed-at", "2026-01-31", "--json", ok=(0, 2))
    result = ingest(inputs, Workspace(tmp_path / "lib-ws"), observed_at=OBSERVED_AT)  # exception messages
    assert set(files) <= set(Workspace(ws).manifest()["files"])  # every planted file was ingested
    outputs["library errors"] = "\n".join(map(str, result.errors)) + "\n".join(result.warnings)
    for args in (["stats"], ["stats", "--json"], ["snapshots", "--json"], ["debt"], ["debt", "--json"],
                 ["findings"], ["findings", "--json"]):
        run(*args, "-w", str(ws))
    nodes = Workspace(ws).load().nodes
    fingerprints = {n.get("fingerprint") for n in nodes.values()}
    leaked = sorted(n for n, d in nodes.items() if d["label"] == "Credential" and d.get("leaked"))
    for key in (leaked[0], "aws:key:AKIAIOSFODNN7EXAMPLE"):
        run("reach", key, "-w", str(ws))
        run("reach", key, "-w", str(ws), "--json")
        run("reach", key, "-w", str(ws), "--md")
    found_by_stdin = 0
    for canary in list(planter.hashed)[:6]:  # a raw secret on stdin finds its credential by fingerprint
        r = runner.invoke(cli, ["reach", "-", "-w", str(ws), "--json"], input=canary)
        outputs[f"reach - {canary[:20]}"] = r.stdout + r.stderr
        found_by_stdin += r.exit_code == 0
    report_dir, views = tmp_path / "report", tmp_path / "views"
    run("report", "-w", str(ws), "-o", str(report_dir))
    run("viz", leaked[0], "-w", str(ws), "-o", str(views / "reach.html"))
    run("viz", "-", "-w", str(ws), "-o", str(views / "stdin.html"), stdin=next(iter(planter.hashed)), ok=(0, 4))
    run("viz", "--unowned", "-w", str(ws), "-o", str(views / "unowned.html"))
    run("viz", "--duplicates", "-w", str(ws), "-o", str(views / "duplicates.html"))
    export = tmp_path / "export" / "graph.json"
    run("export", "opengraph", str(export), "-w", str(ws))
    outputs["logs"] = caplog.text

    texts = {**_texts(ws), **_texts(tmp_path / "lib-ws"), **_texts(report_dir), **_texts(views),
             **_texts(export.parent), **{f"output of `nhigraph {k}`": v for k, v in outputs.items()}}
    assert {"report.html", "report.md", "findings.csv", "metrics.json"} <= {Path(p).name for p in texts}
    haystack = "\n".join(texts.values())
    leaks = {}
    for canary, where in planter.canaries.items():
        b64 = base64.b64encode(canary.encode()).decode()
        if canary in haystack or b64 in haystack:
            leaks[where] = [name for name, text in texts.items() if canary in text or b64 in text]
    assert leaks == {}, "secret values were stored or printed"

    # the test can see: a control value in every format's ordinary fields is stored and found by the same scan,
    # and controls show in every kind of output scanned
    found = {fmt for value, fmt in planter.controls.items() if value in haystack}
    assert found == set(BY_NAME)
    for channel in (ws, report_dir, views, export.parent, "output of"):
        assert any(c in text for name, text in texts.items() if str(channel) in name for c in planter.controls), \
            channel
    # and the secret fields were read: each one a format fingerprints is fingerprinted by its reader (and the
    # fingerprint stored, unless another export reports the same credential with another value)
    parsed = {n.get("fingerprint") for f, fmt in files.items() for b in BY_NAME[fmt].parse(Path(f), None)
              for n in b.nodes}
    assert {where for canary, where in planter.hashed.items() if sha256(canary) not in parsed} == set()
    assert sum(sha256(c) in fingerprints for c in planter.hashed) >= len(planter.hashed) // 2
    assert found_by_stdin == 6
    print(f"{len(planter.canaries)} canaries planted in {len(files)} files of {len(set(files.values()))} formats, "
          f"{len(texts)} outputs scanned: 0 found; {len(found)} formats' controls found")


def test_reach_reads_a_raw_secret_from_stdin_only(estate_ws, tmp_path, monkeypatch):
    help_text = " ".join(CliRunner().invoke(cli, ["reach", "--help"]).stdout.split())
    assert "or - to read the raw secret from standard input" in help_text
    assert "never from the command line or the environment" in help_text
    assert 'printf %s "$LEAKED" | nhigraph reach -' in help_text
    f = tmp_path / "credentials.csv"
    f.write_text("id,kind,name,secret\ncred:stdin,pat,stdin token,nhigraph-stdin-secret-1\n")
    assert ingest([f], estate_ws, observed_at=OBSERVED_AT).ok
    runner = CliRunner()
    r = runner.invoke(cli, ["reach", "-", "-w", str(estate_ws.path), "--json"], input="nhigraph-stdin-secret-1\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["credential"]["id"] == "cred:stdin"
    assert "nhigraph-stdin-secret-1" not in r.stdout + r.stderr
    # not from the environment: with the secret in every likely variable and nothing on stdin, nothing is found
    for var in ("NHIGRAPH_SECRET", "NHIGRAPH_KEY", "SECRET", "KEY", "LEAKED"):
        monkeypatch.setenv(var, "nhigraph-stdin-secret-1")
    r = runner.invoke(cli, ["reach", "-", "-w", str(estate_ws.path)], input="")
    assert r.exit_code == 4 and "no secret on standard input" in r.stderr
    # a wrong secret is reported without being echoed
    r = runner.invoke(cli, ["reach", "-", "-w", str(estate_ws.path)], input="nhigraph-wrong-secret-2")
    assert r.exit_code == 4 and "nhigraph-wrong-secret-2" not in r.stdout + r.stderr
