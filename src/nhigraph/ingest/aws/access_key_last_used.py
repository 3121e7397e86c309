"""``aws iam get-access-key-last-used``: when, where and for what service a key was last used, merged into
the key's ``Credential`` ``aws:key:<AccessKeyId>``.

The output names neither the key nor the account (``{"UserName": ..., "AccessKeyLastUsed": {...}}``), so the
key id must be in the file name (``AKIAIOSFODNN7EXAMPLE.json``, ``last-used-AKIA....json``); the account, as
for ``list-access-keys``, from ``--scope`` or a 12-digit id in the file or folder name. Without an account
the key's last use is still recorded, but not which user it authenticates (a warning says so). A key never
used has no ``LastUsedDate`` and ``N/A`` service and region.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InputError
from ...model.records import Batch, Origin, is_blank
from ..base import Format, load_json, looks_like_json
from . import common
from .access_keys import key_credential

EXPORT = "access-key-last-used"
KEY_ID_IN_NAME = re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z0-9]{12,})(?![A-Z0-9])")


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and not is_blank(value) else None


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("AccessKeyLastUsed"), dict):
        raise InputError(path, None, "not an `aws iam get-access-key-last-used` output: needs an "
                                     "AccessKeyLastUsed object")
    m = KEY_ID_IN_NAME.search(path.name)
    if m is None:
        raise InputError(path, None, "the output does not name its key: put the access key id in the file name "
                                     "(e.g. AKIAIOSFODNN7EXAMPLE.json)")
    key_id = m.group(1)
    used = doc["AccessKeyLastUsed"]
    origin = Origin(str(path), "AccessKeyLastUsed")
    batch = Batch(source=common.source_name(EXPORT, key_id, scope))
    service, region = _text(used.get("ServiceName")), _text(used.get("Region"))
    where = " in ".join(x for x in (service, region) if x)
    node = key_credential(key_id, name=None, last_used_at=used.get("LastUsedDate"),
                          description=f"last used with {where}" if where else None)
    if batch.add_node(node, origin) is None:
        return [batch]
    user = _text(doc.get("UserName"))
    account = common.account_from_path(path, scope)
    if user is None:
        return [batch]
    if account is None:
        batch.warnings.append(f"{path}: no account id in the file or folder name, nor --scope: the key's user "
                              f"{user} is not linked")
        return [batch]
    common.add_account(batch, account, Origin(str(path), "account"), stub=True)
    identity = common.add_user_stub(batch, account, user, Origin(str(path), "UserName"))
    batch.add_edge({"type": "AUTHENTICATES", "start": node["id"], "end": identity}, origin)
    return [batch]


def _detect(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and b'"AccessKeyLastUsed"' in head


FORMAT = Format("aws-access-key-last-used", "AWS IAM access key last use",
                "`aws iam get-access-key-last-used --access-key-id AKIA... > 123456789012/AKIA....json` (the "
                "key id must be in the file name; the account as for list-access-keys)", _detect, parse)
