"""The CLI on Neo4j: push with a summary, queries, the dev server commands, and one clear error line when
the server is unreachable or refuses the password (never a traceback, never the password)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli
from nhigraph.neo4j import devserver

pytestmark = pytest.mark.neo4j

PASSWORD = "pw-that-must-never-print"


def run(*args: str, env: dict | None = None, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
    return result


def conn(uri: str) -> list[str]:
    out = ["--neo4j-uri", uri]
    if os.environ.get("NEO4J_DATABASE"):
        out += ["--neo4j-database", os.environ["NEO4J_DATABASE"]]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_error_line(result) -> str:
    err = result.stderr.strip()
    assert result.exit_code != 0
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in result.output + result.stderr
    return err


def test_unreachable_server(tmp_path: Path, demo_ws) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    for args in (["neo4j", "push", "-w", str(demo_ws.path)], ["debt", "--backend", "neo4j"],
                 ["reach", "AKIAACMECIDEPLOY0001", "--backend", "neo4j"], ["query", "snapshot"]):
        result = run(*args, "--neo4j-uri", uri)
        err = one_error_line(result)
        assert "cannot reach Neo4j" in err and uri in err, err
    before = sorted(p.name for p in demo_ws.path.rglob("*"))
    assert sorted(p.name for p in demo_ws.path.rglob("*")) == before  # workspace untouched


def test_bad_uri() -> None:
    err = one_error_line(run("query", "snapshot", "--neo4j-uri", "http://127.0.0.1:1"))
    assert "URI" in err


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("neo4j-cli-auth")
    info = devserver.start(home, port=0, password=PASSWORD, detach=False, timeout=240, heap="512m", pagecache="64m")
    yield info
    info.stop()


def test_wrong_and_right_password(auth_server, demo_ws) -> None:
    base = ["neo4j", "push", "-w", str(demo_ws.path), "--neo4j-uri", auth_server.uri]
    for env in ({"NEO4J_PASSWORD": "wrong"}, {"NEO4J_PASSWORD": ""}):
        result = run(*base, env=env)
        err = one_error_line(result)
        assert "refused the credentials" in err or "authentication" in err.lower(), err
        assert PASSWORD not in result.output + result.stderr
    result = run(*base, "--json", env={"NEO4J_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["nodes"] == len(demo_ws.load().nodes)
    result = run("debt", "--backend", "neo4j", "--neo4j-uri", auth_server.uri, "--json",
                 env={"NEO4J_PASSWORD": PASSWORD})
    assert result.exit_code == 0 and PASSWORD not in result.output + result.stderr
    # the password is never an option
    assert "password" not in [p.name for p in cli.get_command(None, "query").params]


def test_push_and_query(neo4j_db, neo4j_uri, demo_ws) -> None:
    result = run("neo4j", "push", "-w", str(demo_ws.path), *conn(neo4j_uri))
    assert result.exit_code == 0, result.stderr
    for word in ("nodes", "edges", "seconds", "rows/s", str(len(demo_ws.load().nodes))):
        assert word in result.stdout
    result = run("neo4j", "push", "-w", str(demo_ws.path), "--batch-size", "5", "--json", *conn(neo4j_uri))
    data = json.loads(result.stdout)
    assert data["deleted_nodes"] == 0 and data["node_batch"] == 5 and data["rows_per_s"] > 0

    result = run("query", "--list")
    assert result.exit_code == 0 and "long_lived_credentials" in result.stdout and "NHI7" in result.stdout
    listed = json.loads(run("query", "--list", "--json").stdout)["queries"]
    assert any(q["name"] == "blast_radius" and q["params"][0]["name"] == "credential" for q in listed)

    result = run("query", "long_lived_credentials", "--param", "rotation_days=30", "--json", *conn(neo4j_uri))
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert rows[0]["numerator"] >= 4 and all(o["age_days"] > 30 for o in rows[0]["offenders"])
    result = run("query", "credential_context", "-p", "credential=aws:key:AKIAACMECIDEPLOY0001", *conn(neo4j_uri))
    assert result.exit_code == 0 and "ci-deployer" in result.stdout
    result = run("query", "owners_of", "-p", "id=[bold]nope[/bold]", *conn(neo4j_uri))
    assert result.exit_code == 0 and "no rows" in result.stdout

    err = one_error_line(run("query", "credential_context", *conn(neo4j_uri)))
    assert "needs $credential" in err
    err = one_error_line(run("query", "nope", *conn(neo4j_uri)))
    assert "no query 'nope'" in err
    err = one_error_line(run("query", "long_lived_credentials", "-p", "rotation_days=soon", *conn(neo4j_uri)))
    assert "rotation_days" in err

    # the analysis commands read the same on both backends
    emb = json.loads(run("debt", "-w", str(demo_ws.path), "--json").stdout)
    neo = json.loads(run("debt", "--backend", "neo4j", "--json", *conn(neo4j_uri)).stdout)
    assert emb == neo
    emb = json.loads(run("reach", "AKIAACMECIDEPLOY0001", "-w", str(demo_ws.path), "--json").stdout)
    neo = json.loads(run("reach", "AKIAACMECIDEPLOY0001", "--backend", "neo4j", "--json", *conn(neo4j_uri)).stdout)
    for rep in (emb, neo):
        for t in rep["blast_radius"]["targets"]:
            t["path"] = len(t["path"])
    assert emb == neo


def test_dev_server_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"NHIGRAPH_NEO4J_HOME": str(home), "NEO4J_PASSWORD": ""}
    assert "No Neo4j dev server is running" in run("neo4j", "status", env=env).stdout
    assert json.loads(run("neo4j", "status", "--json", env=env).stdout)["running"] is False
    result = run("neo4j", "start", "--port", "0", "--json", env=env)
    assert result.exit_code == 0, result.stderr
    started = json.loads(result.stdout)
    try:
        assert started["uri"].startswith("bolt://127.0.0.1:") and Path(started["home"]) == home.resolve()
        st = json.loads(run("neo4j", "status", "--json", env=env).stdout)
        assert st["running"] and st["bolt_reachable"] and st["uri"] == started["uri"]
        err = one_error_line(run("neo4j", "start", "--port", "0", env=env))
        assert "already running" in err
    finally:
        result = run("neo4j", "stop", env=env)
    assert result.exit_code == 0 and "Stopped" in result.stdout
    assert "No Neo4j dev server" in run("neo4j", "stop", env=env).stdout
    help_text = run("neo4j", "start", "--help").stdout
    assert "DEVELOPER server" in help_text and "127.0.0.1" in help_text and "Not for production" in help_text


def _no_password_anywhere(result, *roots: Path) -> None:
    assert PASSWORD not in result.output + result.stderr
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file():
                assert PASSWORD.encode() not in p.read_bytes(), p


def test_password_prompt(auth_server, demo_ws, monkeypatch) -> None:
    """--ask-password reads the password (hidden on a terminal, else stdin's first line); a terminal with
    no $NEO4J_PASSWORD is prompted when the server demands one. Never echoed, printed or written."""
    from nhigraph.cli import options

    env = {"NEO4J_PASSWORD": "", "NEO4J_URI": auth_server.uri}
    push = ["neo4j", "push", "-w", str(demo_ws.path), "--json"]
    # piped stdin: the first line, no prompt text
    result = run(*push, "--ask-password", env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["nodes"] == len(demo_ws.load().nodes) and not result.stderr
    _no_password_anywhere(result, demo_ws.path)
    result = run("query", "snapshot", "--ask-password", "--json", env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["rows"], result.stderr
    # a terminal: a hidden prompt on stderr, only when the server asks (no $NEO4J_PASSWORD)
    monkeypatch.setattr(options, "stdin_is_terminal", lambda: True)
    result = run("debt", "--backend", "neo4j", "--json", env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    assert f"Neo4j password for neo4j at {auth_server.uri}" in result.stderr
    assert json.loads(result.stdout)["metrics"]
    _no_password_anywhere(result, demo_ws.path)
    result = run(*push, "--ask-password", env=env, input=PASSWORD + "\n")
    assert result.exit_code == 0 and "Neo4j password for" in result.stderr, result.stderr
    _no_password_anywhere(result, demo_ws.path)
    # $NEO4J_PASSWORD set: no prompt
    result = run("query", "snapshot", "--json", env={**env, "NEO4J_PASSWORD": PASSWORD}, input="")
    assert result.exit_code == 0 and "password" not in result.stderr, result.stderr
    # a wrong password typed at the prompt: the one-line auth error, asked once
    result = run(*push, env=env, input="wrong-typed\n" + PASSWORD + "\n")
    err = result.stderr.strip().splitlines()
    assert result.exit_code != 0 and "Traceback" not in result.output + result.stderr
    assert err[0].startswith("Neo4j password for") and len(err) == 2, err
    assert "refused the credentials (check the user and the password entered)" in err[-1], err
    assert "wrong-typed" not in result.output + result.stderr
    _no_password_anywhere(result, demo_ws.path)
    # piped: a wrong first line is one error line; an empty one is refused before connecting
    monkeypatch.setattr(options, "stdin_is_terminal", lambda: False)
    err = one_error_line(run(*push, "--ask-password", env=env, input="wrong-piped\n"))
    assert "refused the credentials" in err and "wrong-piped" not in err
    err = one_error_line(run(*push, "--ask-password", env=env, input=""))
    assert "no Neo4j password entered" in err
    # never a password option, on any command that connects
    for path in (("neo4j", "push"), ("query",), ("debt",), ("findings",), ("reach",), ("report",)):
        cmd = cli
        for name in path:
            cmd = cmd.get_command(None, name)
        names = {o for p in cmd.params for o in p.opts}
        assert "--ask-password" in names and not any(o in names for o in ("--password", "--neo4j-password")), path
