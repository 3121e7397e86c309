"""The IAM credential report (``aws iam get-credential-report``): every user's access keys and signing
certificates as ``Credential`` nodes with their status, creation, rotation and last use.

Columns (AWS IAM User Guide, "Generate credential reports"): ``user, arn, user_creation_time,
password_enabled, password_last_used, password_last_changed, password_next_rotation, mfa_active,
access_key_{1,2}_active, access_key_{1,2}_last_rotated, access_key_{1,2}_last_used_date,
access_key_{1,2}_last_used_region, access_key_{1,2}_last_used_service, cert_{1,2}_active,
cert_{1,2}_last_rotated``. ``N/A``, ``no_information`` and ``not_supported`` mean no value. The row
``<root_account>`` (ARN ``...:root``) is the account's root user: an ``Identity`` ``aws:<account>:root`` with
admin on the account.

**Which key is which.** The report has no key ids, only slots 1 and 2. A slot's ``last_rotated`` is the
creation time of the key in it (access keys are never changed in place), and ``list-access-keys`` gives each
key's id and ``CreateDate``. So the report looks for ``list-access-keys`` outputs in its own folder and, for
the same user and creation time (to the second), names the key ``aws:key:<AccessKeyId>``: the node
``list-access-keys``, ``get-access-key-last-used`` and secret scanners use. A slot it cannot match is
``aws:<account>:user/<name>/access-key-<n>`` (``.../root/access-key-<n>`` for the root user), and becomes
the canonical node the next time the report is ingested beside the listing: the slot node is then no longer
reported and is cleaned up. The report's own JSON output (``{"Content": <base64>, ...}``) is read too.

A user whose console password was used (``password_enabled`` and ``password_last_used``) is marked
``human_used``. Users are stubs here: ``get-account-authorization-details`` describes them.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from ...errors import InputError
from ...model import ids
from ...model.records import Batch, Origin, parse_datetime
from .. import stream
from ..base import HEAD_BYTES, Format, first_char, load_json, looks_like_json
from . import access_keys, common

EXPORT = "credential-report"
HEADER_START = "user,arn,user_creation_time"
REQUIRED = ("user", "arn")
NO_VALUE = {"", "n/a", "no_information", "not_supported"}
ROOT_USER = "<root_account>"
#: how far apart a slot's last_rotated and a listed key's CreateDate may be and still be the same key
MATCH_TOLERANCE = timedelta(seconds=1)


def _value(row: dict[str, str], column: str) -> str | None:
    v = (row.get(column) or "").strip()
    return None if v.lower() in NO_VALUE else v


def _flag(row: dict[str, str], column: str) -> bool:
    return (_value(row, column) or "").lower() == "true"


def _rows(path: Path, lines: Iterable[str], first_line: int = 1) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(lines, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise InputError(path, f"line {first_line}", f"malformed CSV: {exc}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(path, f"line {first_line}", f"not a credential report: needs column(s) "
                                                     f"{', '.join(missing)}")
    while True:
        line = reader.line_num + first_line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(path, f"line {line}", f"malformed CSV: {exc}") from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"line {line}", f"has {len(row)} fields but the header has {len(header)}")
        yield line, dict(zip(header, row))


def _report_lines(path: Path) -> Iterable[str]:
    """The CSV lines: the file's own, read a line at a time, or those of the base64 ``Content`` of
    ``get-credential-report``'s JSON output."""
    if first_char(path) != "{":
        return stream.text_lines(path, csv_newlines=True)
    doc = load_json(path)
    content = doc.get("Content") if isinstance(doc, dict) else None
    if not isinstance(content, str):
        raise InputError(path, None, "not a credential report: the JSON output needs a base64 Content")
    try:
        return io.StringIO(base64.b64decode(content, validate=True).decode("utf-8-sig"), newline="")
    except (binascii.Error, UnicodeDecodeError):
        raise InputError(path, "Content", "not base64-encoded UTF-8 text") from None


def sibling_keys(path: Path, account: str, scope: str | None = None) -> dict[str, list[access_keys.KeyMetadata]]:
    """``list-access-keys`` outputs in the report's folder (of the same account, when they say): user -> keys.
    A sibling that cannot be read is skipped here (it is reported when it is ingested itself)."""
    out: dict[str, list[access_keys.KeyMetadata]] = {}
    for f in sorted(path.parent.glob("*.json")):
        if f.name.startswith(".") or f == path:
            continue
        try:
            with open(f, "rb") as fh:
                head = fh.read(HEAD_BYTES)
            if not access_keys.detect(f, head):
                continue
            other = common.account_from_path(f, scope)
            if other is not None and other != account:
                continue
            items, _ = access_keys.read_metadata(f)
        except (OSError, InputError):
            continue
        for item in items:
            if isinstance(item, access_keys.KeyMetadata) and item.user and item.created:
                out.setdefault(item.user, []).append(item)
    return out


def _match(keys: list[access_keys.KeyMetadata], created: datetime | None) -> str | None:
    if created is None:
        return None
    hits = [k.key_id for k in keys if k.created and abs(k.created - created) <= MATCH_TOLERANCE]
    return hits[0] if len(hits) == 1 else None


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    lines = _report_lines(path)
    batches: dict[str, Batch] = {}
    siblings: dict[str, dict[str, list[access_keys.KeyMetadata]]] = {}

    def batch_for(account: str) -> Batch:
        if account not in batches:
            batches[account] = Batch(source=common.source_name(EXPORT, account, scope))
            common.add_account(batches[account], account, Origin(str(path), "account"), stub=True)
            siblings[account] = sibling_keys(path, account, scope)
        return batches[account]

    rows = list(_rows(path, lines))
    for line, row in rows:
        origin = Origin(str(path), f"line {line}")
        arn = common.parse_arn(row["arn"])
        if arn is None or not common.ACCOUNT_ID.match(arn.account):
            err = origin.error(f"arn {row['arn']!r} is not an IAM user or root ARN")
            if batches:
                next(iter(batches.values())).fail(err)
                continue
            raise err
        batch = batch_for(arn.account)
        try:
            _row(batch, row, arn, origin, siblings[arn.account])
        except ValueError as exc:
            batch.fail(origin.error(str(exc)))
    if not batches:
        account = common.account_from_path(path, scope)
        if account is None:
            raise InputError(path, None, "the report has no rows to take the account id from: name the file "
                                         "after the account (123456789012-credential-report.csv) or pass "
                                         "--scope <account id>")
        batch_for(account)
    return list(batches.values())


def _date(row: dict[str, str], column: str) -> datetime | None:
    v = _value(row, column)
    if v is None:
        return None
    try:
        return parse_datetime(v)
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None


def _row(batch: Batch, row: dict[str, str], arn: common.Arn, origin: Origin,
         listed: dict[str, list[access_keys.KeyMetadata]]) -> None:
    account, user = arn.account, row["user"].strip()
    root = user == ROOT_USER or arn.resource == "root"
    human = _flag(row, "password_enabled") or root
    human_used = True if human and _date(row, "password_last_used") else None
    if root:
        identity = common.add_root(batch, account, origin, created_at=_date(row, "user_creation_time"),
                                   human_used=human_used)
        slot_base = f"{ids.aws_account(account)}:root"
    else:
        identity = common.user_id(account, arn.name)
        batch.add_node({"label": "Identity", "id": identity, "kind": "iam_user", "name": arn.name,
                        "provider_id": arn.raw, "created_at": _date(row, "user_creation_time"),
                        "human_used": human_used, "external": False}, origin, stub=True)
        batch.add_edge({"type": "PART_OF", "start": identity, "end": ids.aws_account(account)}, origin)
        slot_base = identity
    keys = listed.get(arn.name, []) if not root else []
    for n in (1, 2):
        p = f"access_key_{n}_"
        active, rotated = _flag(row, p + "active"), _date(row, p + "last_rotated")
        if not active and rotated is None:
            continue  # no key in this slot
        key_id = _match(keys, rotated)
        service, region = _value(row, p + "last_used_service"), _value(row, p + "last_used_region")
        where = " in ".join(x for x in (service, region) if x)
        props: dict[str, Any] = {
            "name": f"{'root' if root else arn.name} access key {key_id or n}",
            "status": "active" if active else "inactive", "created_at": rotated, "last_rotated_at": rotated,
            "last_used_at": _date(row, p + "last_used_date"),
            "description": f"last used with {where}" if where else None}
        if key_id:
            node = access_keys.key_credential(key_id, **props)
        else:
            node = {"label": "Credential", "id": f"{slot_base}/access-key-{n}", "kind": "access_key", **props}
        if batch.add_node(node, origin) is not None:
            batch.add_edge({"type": "AUTHENTICATES", "start": node["id"], "end": identity}, origin)
    for n in (1, 2):
        p = f"cert_{n}_"
        active, rotated = _flag(row, p + "active"), _date(row, p + "last_rotated")
        if not active and rotated is None:
            continue
        node = {"label": "Credential", "id": f"{slot_base}/signing-certificate-{n}", "kind": "certificate",
                "name": f"{'root' if root else arn.name} signing certificate {n}",
                "status": "active" if active else "inactive", "last_rotated_at": rotated}
        if batch.add_node(node, origin) is not None:
            batch.add_edge({"type": "AUTHENTICATES", "start": node["id"], "end": identity}, origin)


def _detect(path: Path, head: bytes) -> bool:
    if looks_like_json(head):
        return b'"ReportFormat"' in head and b'"Content"' in head
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return first.startswith(HEADER_START)


FORMAT = Format("aws-credential-report", "AWS IAM credential report",
                "`aws iam generate-credential-report`, then `aws iam get-credential-report --query Content "
                "--output text`, base64-decoded (`base64 -d > 123456789012-credential-report.csv`); the JSON "
                "output of `get-credential-report` is read as is", _detect, parse)
