"""The Neo4j server the Neo4j tests share: ``$NEO4J_URI`` when set (its database is cleared between estates:
point it at a scratch database), else a dev server started on a free port for the session and stopped at
the end. The password, if any, comes from ``$NEO4J_PASSWORD``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory):
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield uri
        return
    from nhigraph.neo4j import devserver

    home = tmp_path_factory.mktemp("neo4j-session-home")
    info = devserver.start(home, port=0, detach=False, timeout=240, heap="1g", pagecache="256m")
    try:
        yield info.uri
    finally:
        info.stop()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_uri: str):
    from nhigraph.neo4j.connect import connect

    driver = connect(neo4j_uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_DATABASE"))
    yield driver
    driver.close()


@pytest.fixture
def neo4j_db(neo4j_driver):
    """The shared database, emptied (the schema stays)."""
    from nhigraph.neo4j import loader

    loader.clear(neo4j_driver, os.environ.get("NEO4J_DATABASE"))
    return neo4j_driver


@pytest.fixture
def demo_ws(tmp_path: Path):
    """A workspace holding the demo estate, ingested at a fixed time."""
    from nhigraph.demo.estate import write_inventory
    from nhigraph.workspace.ingest import ingest
    from nhigraph.workspace.store import Workspace

    from neo4j_support import OBSERVED

    write_inventory(tmp_path / "inventory", as_of=OBSERVED)
    ws = Workspace(tmp_path / "ws")
    result = ingest([tmp_path / "inventory"], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    return ws
