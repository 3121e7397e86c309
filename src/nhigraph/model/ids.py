"""Id conventions shared by every ingester, so the same thing seen in two exports is one node.

Ids are ``<provider>:<scope>:<local name>``. Credentials whose provider key id is globally unique get an
id from the key id alone (no account), so a secret scanner, a CI variable inventory and a credential
report that only share the key id still name the same node; a credential known only by its value gets
an id from its fingerprint.
"""

from __future__ import annotations

import re

from ..secrets import PREFIX

AWS_KEY_ID = re.compile(r"^(AKIA|ASIA|ABIA|ACCA|AROA|AIDA|ANPA|ANVA|APKA|AGPA)[A-Z0-9]{12,}$")


def aws_account(account: str) -> str:
    return f"aws:{account}"


def aws_principal(account: str, kind: str, name: str) -> str:
    """``aws:123456789012:user/ci``, ``...:role/deployer``, ``...:group/admins``."""
    return f"aws:{account}:{kind}/{name}"


def aws_access_key(key_id: str) -> str:
    return f"aws:key:{key_id}"


def secret_by_fingerprint(fp: str) -> str:
    """A credential known only by its value's fingerprint (``sha256:<hex>``)."""
    if not fp.startswith(PREFIX):
        raise ValueError("expected a sha256: fingerprint")
    return f"secret:{fp}"


def credential_for_key_id(key_id: str) -> str | None:
    """The canonical credential id for a provider key id that is globally unique, if recognised."""
    if AWS_KEY_ID.match(key_id) and key_id[:4] in ("AKIA", "ASIA"):
        return aws_access_key(key_id)
    return None
