"""Estates for the report, diff, viz and browser tests: the demo exports at a fixed time, edited in place.

Not a test module (no ``test_`` prefix); imported by tests/test_report.py, test_diff.py, test_viz.py and
tests/browser/test_browser.py.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nhigraph.demo.estate import P111, write_inventory
from nhigraph.workspace.ingest import ingest

#: the demo's "now", in 2026-Q3; the second snapshot of the diff tests is a day later, in 2026-Q4
AS_OF = datetime(2026, 9, 30, 12, 0, tzinfo=timezone.utc)
LATER = AS_OF + timedelta(days=1)

EVIL_IMG = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "<script>window.__xss=1</script>"
EVIL_IDENTITY = f"evil:user/{EVIL_IMG}"
EVIL_KEY = f"-evil-key{EVIL_SCRIPT}"       # starts with "-": a spreadsheet formula unless quoted
EVIL_CONNECTOR = "=evil-connector"          # starts with "=": likewise
EVIL_SYSTEM = "saas:evil-snowflake"

LEAKED = "aws:key:AKIAACMECIDEPLOY0001"
NEW_KEY = "aws:key:AKIAACMEREPORTS00001"
NEW_IDENTITY = f"{P111}:user/reporting-export"
RELEASE_KEY = "github:acme:app/release-bot/key-1"


def _d(days: int) -> str:
    return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_table(path: Path, rows: list[dict[str, str]]) -> None:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, restval="")
        w.writeheader()
        w.writerows(rows)


def add_rows(path: Path, *rows: dict[str, str]) -> None:
    write_table(path, read_table(path) + list(rows))


def demo_exports(dest: Path) -> Path:
    write_inventory(dest, AS_OF)
    return dest


def ingest_ok(exports: Path, ws: Path, observed: datetime = AS_OF) -> str:
    result = ingest([exports], ws, observed_at=observed)
    assert result.ok, [str(e) for e in result.errors]
    return result.snapshot


def add_evil(exports: Path) -> None:
    """Untrusted names in every place the report and views show one; ids that look like formulas."""
    add_rows(exports / "systems.csv", dict(id=EVIL_SYSTEM, kind="saas", name=EVIL_IMG, environment="prod",
                                           platform="Snowflake", business_unit=EVIL_SCRIPT))
    add_rows(exports / "identities.csv", dict(id=EVIL_IDENTITY, kind="service_account", name=EVIL_IMG,
                                              system=P111, environment="prod", implementer="person:bob"))
    add_rows(exports / "credentials.csv", dict(id=EVIL_KEY, kind="api_token", name=EVIL_SCRIPT,
                                               identity=EVIL_IDENTITY, status="active", created_at=_d(400),
                                               business_unit=EVIL_IMG))
    add_rows(exports / "grants.csv", dict(identity=EVIL_IDENTITY, target=f"{P111}:s3/acme-customer-data",
                                          level="write", actions="s3:PutObject"))
    add_rows(exports / "connectors.csv", dict(id=EVIL_CONNECTOR, kind="sync", name=EVIL_SCRIPT,
                                              from_system="saas:salesforce", to_system=EVIL_SYSTEM,
                                              credentials=EVIL_KEY, business_unit=EVIL_IMG))


def fix_one_add_one(exports: Path) -> None:
    """The quarter's changes: the leak is dealt with (one finding resolved), a new never-used key appears (one
    new finding), Alice leaves (an owner who left with NHIs still active) and the release bot gets one more
    grant (its blast radius grows). None of the other changes adds or resolves a finding."""
    creds = read_table(exports / "credentials.csv")
    for row in creds:
        if row["id"] == LEAKED:
            row["leaked"] = "false"
    write_table(exports / "credentials.csv", creds + [dict(
        id=NEW_KEY, kind="access_key", name="reporting export key", identity=NEW_IDENTITY,
        key_id="AKIAACMEREPORTS00001", status="active", created_at=_d(30), environment="prod")])
    add_rows(exports / "identities.csv", dict(
        id=NEW_IDENTITY, kind="iam_user", name="user/reporting-export", system=P111, environment="prod",
        approver="team:security", implementer="team:platform", monitor="team:security", revoker="team:security"))
    owners = read_table(exports / "owners.csv")
    for row in owners:
        if row["id"] == "person:alice":
            row["active"] = "false"
            row["departed_at"] = _d(-1)
    write_table(exports / "owners.csv", owners)
    add_rows(exports / "grants.csv", dict(identity="github:acme:app/release-bot", target="aws:222222222222:s3/dev-scratch",
                                          level="read", actions="s3:GetObject"))
