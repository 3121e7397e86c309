"""What the AWS ingesters share: ARNs, which account a file belongs to, node records every export names
(the account, its identities, external principals) and the `owner`/`team`/`vendor`/`env` tag conventions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote

from ...model import ids
from ...model.records import Batch, Origin

ACCOUNT_ID = re.compile(r"^\d{12}$")
_ACCOUNT_IN_NAME = re.compile(r"(?<!\d)(\d{12})(?!\d)")
#: how many enclosing folders are searched for an account id (``exports/123456789012/keys/bob.json``)
ACCOUNT_FOLDER_DEPTH = 2

#: the RACI role an ``owner``/``team`` tag gives its owner, unless the caller passes another
DEFAULT_OWNER_ROLE = "implement"
#: suffix of the source that reports owner and vendor stubs named only by tags (see ``README.md`` of the
#: fixtures and :func:`tag_only`): an owner no other source reports is unverified
TAG_SOURCE_SUFFIX = ":tags"

#: tag values (lower case) meaning each environment
ENVIRONMENT_WORDS = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging", "pre-prod": "staging",
    "pre-production": "staging",
    "dev": "dev", "development": "dev", "develop": "dev", "sandbox": "dev", "sbx": "dev",
    "test": "test", "testing": "test", "tst": "test", "qa": "test", "uat": "test",
    "shared": "shared", "common": "shared", "global": "shared",
}
OWNER_TAGS = ("owner", "team")
VENDOR_TAGS = ("vendor",)
ENV_TAGS = ("env", "environment")
BU_TAGS = ("business_unit", "business-unit", "businessunit", "bu")


@dataclass(frozen=True)
class Arn:
    """``arn:partition:service:region:account:resource``."""

    raw: str
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """``user`` for ``user/path/name``, ``function`` for ``function:name``."""
        return re.split(r"[/:]", self.resource, 1)[0]

    @property
    def name(self) -> str:
        """The last path segment: ``name`` for ``user/path/name``."""
        return self.resource.rsplit("/", 1)[-1]


def parse_arn(value: Any) -> Arn | None:
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(value.strip(), *parts[1:])


def account_from_path(path: Path, scope: str | None = None) -> str | None:
    """The account an export without ARNs belongs to: ``--scope`` when it is a 12-digit account id, else a
    12-digit number in the file name or one of its two enclosing folders (nearest first)."""
    if scope and ACCOUNT_ID.match(scope.strip()):
        return scope.strip()
    for part in [path.name] + [p.name for p in list(path.resolve().parents)[:ACCOUNT_FOLDER_DEPTH]]:
        m = _ACCOUNT_IN_NAME.search(part)
        if m:
            return m.group(1)
    return None


def source_name(export: str, key: str, scope: str | None) -> str:
    """``aws:<export>:<key>``; a scope that is not the account id itself is put in front."""
    if scope and scope.strip() != key and not ACCOUNT_ID.match(scope.strip()):
        return f"aws:{scope.strip()}:{export}:{key}"
    return f"aws:{export}:{key}"


def decode_document(value: Any) -> dict[str, Any]:
    """A policy document as a dict: the CLI gives an object; the API (and some CLI versions) a URL-encoded
    JSON string (RFC 3986), and some tools a plain JSON string."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ValueError(f"policy document must be an object or a JSON string, got {type(value).__name__}")
    text = value.strip()
    if not text.startswith("{"):
        text = unquote(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"policy document is not JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise ValueError("policy document must be a JSON object")
    return doc


def as_list(value: Any) -> list[Any]:
    """A JSON value that may be one item or a list of them (IAM accepts both), as a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def compact_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- records every AWS export names ---------------------------------------------------------------------


def account_node(account: str, external: bool = False) -> dict[str, Any]:
    return {"label": "System", "id": ids.aws_account(account), "kind": "aws_account", "name": account,
            "provider_id": account, "platform": "AWS", "external": external}


def add_account(batch: Batch, account: str, origin: Origin, stub: bool = False) -> None:
    batch.add_node(account_node(account), origin, stub=stub)


def external_account_node(account: str) -> dict[str, Any]:
    """A foreign account named by a trust (emit as a stub: the account's own export, if ingested, wins)."""
    return {**account_node(account, external=True),
            "description": "AWS account outside the exports, trusted by a role"}


def vendor_for_account(account: str) -> str:
    return f"vendor:aws:{account}"


def vendor_node(account: str) -> dict[str, Any]:
    """The unknown third party behind a foreign account (emit as a stub: an inventory vendor with the same
    id names it)."""
    vendor_id = vendor_for_account(account)
    return {"label": "Vendor", "id": vendor_id, "kind": "unknown_external", "name": f"AWS account {account}",
            "external_ids": [account],
            "description": f"unknown third party operating AWS account {account}; add a vendor with id "
                           f"{vendor_id} to the inventory to name it"}


def user_id(account: str, name: str) -> str:
    return ids.aws_principal(account, "user", name)


def role_id(account: str, name: str) -> str:
    return ids.aws_principal(account, "role", name)


def root_id(account: str) -> str:
    """The account's root user (``aws:<account>:root``)."""
    return f"{ids.aws_account(account)}:root"


def add_user_stub(batch: Batch, account: str, name: str, origin: Origin) -> str:
    """An IAM user an export names but does not describe (a credential report row, a key listing)."""
    node_id = user_id(account, name)
    batch.add_node({"label": "Identity", "id": node_id, "kind": "iam_user", "name": name, "external": False},
                   origin, stub=True)
    batch.add_edge({"type": "PART_OF", "start": node_id, "end": ids.aws_account(account)}, origin)
    return node_id


def add_root(batch: Batch, account: str, origin: Origin, **props: Any) -> str:
    """The root user: not an IAM user, but it can hold access keys and has every permission."""
    node_id = root_id(account)
    batch.add_node({"label": "Identity", "id": node_id, "kind": "human_user", "name": f"root ({account})",
                    "provider_id": f"arn:aws:iam::{account}:root", "external": False,
                    "description": "AWS account root user", **props}, origin)
    batch.add_edge({"type": "PART_OF", "start": node_id, "end": ids.aws_account(account)}, origin)
    batch.add_edge({"type": "HAS_ACCESS", "start": node_id, "end": ids.aws_account(account), "level": "admin",
                    "actions": ["*"]}, origin)
    return node_id


# -- tags -------------------------------------------------------------------------------------------------


def tag_pairs(value: Any) -> list[tuple[str, str]]:
    """``[{"Key": k, "Value": v}]`` (IAM) as ``(k, v)`` pairs; blank values dropped."""
    out = []
    for tag in as_list(value):
        if isinstance(tag, dict) and isinstance(tag.get("Key"), str):
            v = tag.get("Value")
            if isinstance(v, str) and v.strip():
                out.append((tag["Key"].strip(), v.strip()))
    return out


def environment(value: str) -> str:
    return ENVIRONMENT_WORDS.get(value.strip().lower(), "unknown")


def tag_properties(tags: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Node properties from tags: ``env``/``environment`` and ``business_unit``/``bu``."""
    props: dict[str, Any] = {}
    for k, v in tags:
        key = k.lower()
        if key in ENV_TAGS:
            props["environment"] = environment(v)
        elif key in BU_TAGS:
            props["business_unit"] = v
    return props


def owner_id(value: str) -> str:
    """An owner named by a tag: a value that already is an owner id (``team:platform``, ``person:alice``,
    ``owner:x``) is used as is; anything else becomes ``owner:<value>`` (lower case, spaces as ``-``)."""
    v = value.strip()
    if re.match(r"^(team|person|owner):\S", v):
        return v
    return "owner:" + re.sub(r"\s+", "-", v.lower())


def vendor_id(value: str) -> str:
    v = value.strip()
    if v.startswith("vendor:"):
        return v
    return "vendor:" + re.sub(r"\s+", "-", v.lower())


def add_tag_links(tag_batch: Batch, subject: str, tags: Iterable[tuple[str, str]], origin: Origin,
                  owner_role: str = DEFAULT_OWNER_ROLE) -> None:
    """OWNS edges from ``owner``/``team`` tags and HOLDS edges from ``vendor`` tags, with stub nodes.

    The stubs go in the tag batch (source ``...:tags``): an owner that only tags name, and that no owner
    register reports, is *unverified* (see :func:`tag_only`)."""
    for k, v in tags:
        key = k.lower()
        if key in OWNER_TAGS:
            oid = owner_id(v)
            email = "@" in v and " " not in v.strip()
            kind = "person" if email or oid.startswith("person:") else "team"
            tag_batch.add_node({"label": "Owner", "id": oid, "kind": kind, "name": v,
                                "email": v.strip() if email else None}, origin, stub=True)
            tag_batch.add_edge({"type": "OWNS", "start": oid, "end": subject, "role": owner_role}, origin)
        elif key in VENDOR_TAGS:
            vid = vendor_id(v)
            tag_batch.add_node({"label": "Vendor", "id": vid, "kind": "vendor", "name": v}, origin, stub=True)
            tag_batch.add_edge({"type": "HOLDS", "start": vid, "end": subject}, origin)


def tag_only(node: dict[str, Any]) -> bool:
    """Whether a node is known only from tags (every source reporting it is a tag source): an owner named by
    an ``owner`` tag that no owner register lists. Analyses should treat such an owner as no owner."""
    sources = node.get("sources") or [node.get("source") or ""]
    return all(s.endswith(TAG_SOURCE_SUFFIX) for s in sources)
