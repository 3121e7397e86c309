"""The embedded backend: the workspace snapshot loaded into networkx."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ..analysis import incident
from ..analysis.debt import DebtAnalysis, Metric, Thresholds
from ..analysis.estate import Estate
from ..analysis.reach import BlastRadius, ReachIndex


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, workspace=None, snapshot: str | None = None, estate: Estate | None = None) -> None:
        self._workspace, self._snapshot = workspace, snapshot
        if estate is not None:
            self.__dict__["estate"] = estate

    @cached_property
    def estate(self) -> Estate:
        return Estate.load(self._workspace, self._snapshot)

    @cached_property
    def reach(self) -> ReachIndex:
        return ReachIndex(self.estate)

    def resolve_key(self, key: str) -> str:
        return incident.resolve_key(self.estate, key)

    def credential_context(self, cred: str) -> dict[str, Any]:
        return incident.context(self.estate, cred)

    def blast_radius(self, cred: str) -> BlastRadius:
        return self.reach.blast_radius(cred)

    def blast_radii(self) -> dict[str, dict[str, Any]]:
        return self.reach.summaries()

    def metrics(self, thresholds: Thresholds | None = None) -> list[Metric]:
        return DebtAnalysis(self.estate, thresholds, self.reach).metrics()

    def credentials_of(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self.estate.nodes_of("Credential"):
            for i, _ in self.estate.out(c, "AUTHENTICATES"):
                out.setdefault(i, []).append(c)
        return {k: sorted(v) for k, v in out.items()}

    def scopes(self) -> dict[str, dict[str, set[str]]]:
        from ..analysis.score import scopes_from_estate

        return scopes_from_estate(self.estate)

    def close(self) -> None:
        pass
