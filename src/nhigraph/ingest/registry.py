"""Every supported export format, in detection order."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import inventory, opengraph
from . import azure, gcp, kubernetes
from . import github, okta, scanners, slack, vault
from .aws import access_key_last_used as aws_access_key_last_used
from .aws import access_keys as aws_access_keys
from .aws import authz as aws_authz
from .aws import credential_report as aws_credential_report
from .base import HEAD_BYTES, Format

FORMATS: tuple[Format, ...] = (
    inventory.JSON_FORMAT,
    opengraph.FORMAT,
    aws_authz.FORMAT,
    aws_credential_report.FORMAT,
    aws_access_keys.FORMAT,
    aws_access_key_last_used.FORMAT,
    gcp.SERVICE_ACCOUNTS_FORMAT,
    gcp.KEYS_FORMAT,
    gcp.ASSET_EXPORT_FORMAT,
    gcp.ASSET_SEARCH_FORMAT,
    gcp.POLICY_FORMAT,
    azure.SERVICE_PRINCIPALS_FORMAT,
    azure.APPLICATIONS_FORMAT,
    azure.APP_ROLE_ASSIGNMENTS_FORMAT,
    azure.OAUTH2_GRANTS_FORMAT,
    azure.OWNERS_FORMAT,
    kubernetes.FORMAT,
    github.REST_FORMAT,
    github.WORKFLOW_FORMAT,
    okta.FORMAT,
    slack.FORMAT,
    vault.FORMAT,
    scanners.GITLEAKS,
    scanners.TRUFFLEHOG,
    inventory.CSV_FORMAT,
)

BY_NAME = {f.name: f for f in FORMATS}


def detect(path: Path) -> Format:
    """The format of one file, from its name and first bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if not head.strip():
        raise InputError(path, None, "file is empty")
    for fmt in FORMATS:
        if fmt.detect(path, head):
            return fmt
    raise InputError(path, None, "unrecognised export format; pass --format "
                     f"({', '.join(BY_NAME)}) or see `nhigraph formats`")


def get(name: str) -> Format:
    try:
        return BY_NAME[name]
    except KeyError:
        raise InputError(None, None, f"unknown format {name!r} (known: {', '.join(BY_NAME)})") from None
