"""Fingerprints of secret values. A secret value is hashed on sight and never kept, logged or printed."""

from __future__ import annotations

import hashlib

PREFIX = "sha256:"


def fingerprint(value: str | bytes) -> str:
    """SHA-256 fingerprint of a secret value, as ``sha256:<hex>``. Surrounding whitespace is ignored."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    return PREFIX + hashlib.sha256(value.strip()).hexdigest()


def redact(value: str, keep: int = 4) -> str:
    """A display form of an identifier that may be sensitive: its first characters and its length."""
    if len(value) <= keep:
        return "*" * len(value)
    return value[:keep] + "…" + f"({len(value)} chars)"
