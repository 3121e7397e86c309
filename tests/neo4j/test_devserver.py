"""Tests of the embedded Neo4j dev server (real Neo4j, real Bolt; nothing mocked).

The first run builds the Java launcher with Maven (a few seconds with a warm ~/.m2); each server start
takes a few seconds. Two servers are started: one detached without auth, one attached with a password.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import neo4j
import pytest
from neo4j.exceptions import AuthError

from nhigraph.neo4j import devserver
from nhigraph.neo4j.devserver import DevServerError

pytestmark = pytest.mark.neo4j

PASSWORD = "dev-secret-pw"


def _gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not devserver._pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("neo4j-home")
    info = devserver.start(home, port=0, detach=True, timeout=180)
    yield info
    devserver.stop(home)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("neo4j-auth-home")
    info = devserver.start(home, port=0, password=PASSWORD, detach=False, timeout=180)
    yield info
    info.stop()


def test_build_is_cached() -> None:
    first = devserver.build()
    assert (first / devserver.JAR_NAME).is_file()
    assert any((first / "lib").glob("neo4j-bolt-5.26.*.jar"))
    t0 = time.monotonic()
    assert devserver.build() == first
    assert time.monotonic() - t0 < 1.0
    assert first.name == devserver.source_hash()


def test_query_roundtrip(server: devserver.ServerInfo) -> None:
    assert server.uri == f"bolt://127.0.0.1:{server.port}"
    with neo4j.GraphDatabase.driver(server.uri, auth=None) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS x")
        assert records[0]["x"] == 1
        driver.execute_query("CREATE (:DevServerTest {name: $name})", name="alpha")
        records, _, _ = driver.execute_query(
            "MATCH (n:DevServerTest) RETURN n.name AS name", routing_=neo4j.RoutingControl.READ
        )
        assert [r["name"] for r in records] == ["alpha"]
        records, _, _ = driver.execute_query("CALL dbms.components() YIELD versions RETURN versions[0] AS v")
        assert records[0]["v"].startswith("5.26.")


def test_status_and_state_file(server: devserver.ServerInfo) -> None:
    st = devserver.status(server.home)
    assert st is not None
    assert st["running"] and st["bolt_reachable"]
    assert st["pid"] == server.pid and st["uri"] == server.uri and st["port"] == server.port
    assert (server.home / devserver.STATE_FILE).is_file()
    assert "started_at" in st


def test_second_start_on_same_home_fails(server: devserver.ServerInfo) -> None:
    with pytest.raises(DevServerError, match="already running"):
        devserver.start(server.home, port=0)
    # the running server is unaffected
    assert devserver.status(server.home)["pid"] == server.pid


def test_launcher_refuses_locked_home(server: devserver.ServerInfo) -> None:
    """The Java side refuses a second instance on the same home by itself (exit code 3)."""
    artifacts = devserver.build()
    cp = f"{artifacts / devserver.JAR_NAME}{os.pathsep}{artifacts / 'lib' / '*'}"
    proc = subprocess.run(
        [devserver._java(), "-cp", cp, devserver.MAIN_CLASS, "--home", str(server.home), "--port", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert "already running" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_port_in_use(server: devserver.ServerInfo, tmp_path: Path) -> None:
    with pytest.raises(DevServerError, match="already in use"):
        devserver.start(tmp_path / "other", port=server.port, timeout=60)


def test_refuses_non_loopback(tmp_path: Path) -> None:
    with pytest.raises(DevServerError, match="invalid arguments"):
        devserver.start(tmp_path / "h", port=0, host="0.0.0.0", timeout=60)
    assert "non-loopback" in (tmp_path / "h" / "logs" / "devserver.log").read_text()


def test_stop(server: devserver.ServerInfo) -> None:
    pid = server.pid
    assert devserver.stop(server.home) is True
    assert _gone(pid, timeout=5)
    assert devserver.status(server.home) is None
    assert not (server.home / devserver.STATE_FILE).exists()
    assert devserver.stop(server.home) is False
    assert "stopped" in (server.home / "logs" / "devserver.log").read_text()


def test_auth(auth_server: devserver.ServerInfo) -> None:
    with neo4j.GraphDatabase.driver(auth_server.uri, auth=("neo4j", "wrong-password")) as driver:
        with pytest.raises(AuthError):
            driver.verify_connectivity()
    with neo4j.GraphDatabase.driver(auth_server.uri, auth=("neo4j", PASSWORD)) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS x")
        assert records[0]["x"] == 1
    # the password never appears on the command line or in the launcher's output
    cmdline = Path(f"/proc/{auth_server.pid}/cmdline").read_bytes()
    assert PASSWORD.encode() not in cmdline
    for name in ("devserver.log", "debug.log", "security.log"):
        assert PASSWORD not in (auth_server.home / "logs" / name).read_text()


def test_closing_stdin_stops_attached_server(auth_server: devserver.ServerInfo) -> None:
    proc = auth_server.process
    assert proc is not None and proc.poll() is None
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    assert devserver.status(auth_server.home) is None
    assert "stdin closed" in (auth_server.home / "logs" / "devserver.log").read_text()
