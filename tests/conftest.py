"""Shared pytest fixtures."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

# ------------------------------------------------------------------------------------------------
# Foundation fixtures: the hand-built inventory estate and throw-away workspaces
# (tests/fixtures/inventory/README.md lists what the estate contains and its known answers)
# ------------------------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
INVENTORY = FIXTURES / "inventory"
#: the estate as one CSV file per table
INVENTORY_CSV = INVENTORY / "csv"
#: the same estate as one JSON inventory
INVENTORY_JSON = INVENTORY / "inventory.json"
#: a fixed observation time, so first_seen/last_seen are known answers
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def inventory_dir(tmp_path: Path) -> Path:
    """A private copy of the CSV estate that a test may edit."""
    dest = tmp_path / "inventory"
    shutil.copytree(INVENTORY_CSV, dest)
    return dest


@pytest.fixture
def ws(tmp_path: Path):
    """An empty workspace in a temporary folder."""
    from nhigraph.workspace.store import Workspace

    return Workspace(tmp_path / "ws")


@pytest.fixture
def estate_ws(ws, inventory_dir):
    """A workspace holding one snapshot: the CSV estate ingested at ``OBSERVED``."""
    from nhigraph.workspace.ingest import ingest

    result = ingest([inventory_dir], ws, observed_at=OBSERVED)
    assert result.ok, result.errors
    return ws
