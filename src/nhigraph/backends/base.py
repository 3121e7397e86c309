"""What a backend must answer. Return shapes are plain data, identical across backends."""

from __future__ import annotations

from typing import Any, Protocol

from ..analysis.debt import Metric, Thresholds
from ..analysis.reach import BlastRadius


class Backend(Protocol):
    name: str

    def resolve_key(self, key: str) -> str:
        """A credential id from an id, a provider key id or a fingerprint; NotFoundError with the closest
        matches otherwise."""

    def credential_context(self, cred: str) -> dict[str, Any]:
        """What the credential is and where it lives: see :func:`nhigraph.analysis.incident.context`."""

    def blast_radius(self, cred: str) -> BlastRadius:
        """Full blast radius of one credential, with the shortest path to each target."""

    def blast_radii(self) -> dict[str, dict[str, Any]]:
        """Per-credential blast radius counts for every credential."""

    def metrics(self, thresholds: Thresholds | None = None) -> list[Metric]:
        """Every debt metric, in report order."""

    def credentials_of(self) -> dict[str, list[str]]:
        """Identity id -> ids of the credentials that authenticate as it (for severity weighting)."""

    def scopes(self) -> dict[str, dict[str, set[str]]]:
        """``system:<id>``/``bu:<name>`` -> {"connectors", "credentials", "workflows"} ids (integration score)."""

    def close(self) -> None: ...
