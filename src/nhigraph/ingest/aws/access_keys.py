"""``aws iam list-access-keys``: each access key as a ``Credential`` ``aws:key:<AccessKeyId>`` (the id every
other export that knows the key id uses, see :mod:`nhigraph.model.ids`) that ``AUTHENTICATES`` its user.

The output names the user but not the account, so the account comes from ``--scope <account id>`` or a
12-digit account id in the file name or one of its two enclosing folders (``123456789012/bob.json``,
``123456789012-list-access-keys-bob.json``); without one the file is an error. Each file is its own source
(``aws:list-access-keys:<account>:<file stem>``), so re-exporting a user's keys to the same file name
replaces what it said before (a deleted key goes). A file may also hold a JSON list of such outputs. An item
without ``UserName`` (the API returns the caller's keys when no user is given, including the root user's)
is attributed to the account's root user, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...model import ids
from ...model.records import Batch, Origin, parse_datetime
from ..base import Format, load_json, looks_like_json
from . import common

EXPORT = "list-access-keys"
STATUSES = {"active": "active", "inactive": "inactive", "expired": "expired"}


@dataclass(frozen=True)
class KeyMetadata:
    """One ``AccessKeyMetadata`` item."""

    key_id: str
    user: str | None
    status: str | None
    created: datetime | None
    origin: Origin


def read_metadata(path: Path) -> tuple[list[KeyMetadata | InputError], bool]:
    """The items of one export (one output or a list of outputs), a bad item as an InputError in its place,
    and whether the listing is truncated (``IsTruncated``)."""
    doc = load_json(path)
    truncated = False
    docs = doc if isinstance(doc, list) else [doc]
    out: list[KeyMetadata | InputError] = []
    for d_i, d in enumerate(docs):
        prefix = f"[{d_i}]." if isinstance(doc, list) else ""
        if not isinstance(d, dict) or not isinstance(d.get("AccessKeyMetadata"), list):
            raise InputError(path, prefix.rstrip(".") or None,
                             "not an `aws iam list-access-keys` output: needs an AccessKeyMetadata list")
        for i, item in enumerate(d["AccessKeyMetadata"]):
            origin = Origin(str(path), f"{prefix}AccessKeyMetadata[{i}]")
            if not isinstance(item, dict) or not isinstance(item.get("AccessKeyId"), str) \
                    or not item["AccessKeyId"].strip():
                out.append(origin.error("needs an AccessKeyId"))
                continue
            user = item.get("UserName")
            status = item.get("Status")
            try:
                created = parse_datetime(item["CreateDate"]) if item.get("CreateDate") else None
            except ValueError as exc:
                out.append(origin.error(f"CreateDate: {exc}"))
                continue
            out.append(KeyMetadata(item["AccessKeyId"].strip(), user.strip() if isinstance(user, str) else None,
                                   status if isinstance(status, str) else None, created, origin))
        truncated = truncated or d.get("IsTruncated") is True
    return out, truncated


def key_credential(key_id: str, **props: Any) -> dict[str, Any]:
    return {"label": "Credential", "id": ids.credential_for_key_id(key_id) or ids.aws_access_key(key_id),
            "kind": "access_key", "key_id": key_id, **props}


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    items, truncated = read_metadata(path)
    account = common.account_from_path(path, scope)
    if account is None:
        raise InputError(path, None, "cannot tell the AWS account of these keys: put a 12-digit account id in the "
                                     "file or folder name (123456789012/list-access-keys-bob.json) or pass "
                                     "--scope <account id>")
    batch = Batch(source=common.source_name(EXPORT, f"{account}:{path.stem}", scope))
    origin0 = Origin(str(path), "account")
    common.add_account(batch, account, origin0, stub=True)
    if truncated:
        batch.warnings.append(f"{path}: the listing is truncated (IsTruncated): keys may be missing; stale "
                              "keys are kept (run it without --max-items)")
        batch.partial = True
    users: set[str] = set()
    for item in items:
        if isinstance(item, InputError):
            batch.fail(item)
            continue
        if item.user is None:
            batch.warnings.append(f"{item.origin.path}: {item.origin.record}: no UserName; attributed to the "
                                  f"root user of {account}")
            identity = common.root_id(account)
            if identity not in users:
                batch.add_node({"label": "Identity", "id": identity, "kind": "other", "name": f"root ({account})",
                                "description": "AWS account root user"}, item.origin, stub=True)
                batch.add_edge({"type": "PART_OF", "start": identity, "end": ids.aws_account(account)}, item.origin)
        else:
            identity = common.user_id(account, item.user)
            if identity not in users:
                common.add_user_stub(batch, account, item.user, item.origin)
        users.add(identity)
        name = f"{item.user or 'root'} access key {item.key_id}"
        status = STATUSES.get((item.status or "").lower())
        node = key_credential(item.key_id, name=name, status=status, created_at=item.created,
                              last_rotated_at=item.created)
        if batch.add_node(node, item.origin) is not None:
            batch.add_edge({"type": "AUTHENTICATES", "start": node["id"], "end": identity}, item.origin)
    return [batch]


def detect(path: Path, head: bytes) -> bool:
    """A ``list-access-keys`` output (its first bytes name ``AccessKeyMetadata``)."""
    return looks_like_json(head) and b'"AccessKeyMetadata"' in head


FORMAT = Format("aws-list-access-keys", "AWS IAM access keys of a user",
                "`aws iam list-access-keys --user-name bob > 123456789012/list-access-keys-bob.json` (no "
                "account in the output: a 12-digit account id in the file or folder name, or `--scope "
                "<account id>`)", detect, parse)
