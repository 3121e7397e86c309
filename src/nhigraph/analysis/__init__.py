"""Analyses over a loaded estate (networkx): blast radius, debt metrics and findings.

Each analysis has a Cypher twin in ``queries/`` that the Neo4j backend runs; parity tests prove they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .debt import Metric, Thresholds
from .estate import Estate, paused_gc
from .findings import Finding, build_findings
from .reach import ReachIndex


@dataclass
class Analysis:
    metrics: list[Metric]
    findings: list[Finding]
    blast_radii: dict[str, dict[str, Any]]
    integration_scores: list[dict[str, Any]]

    def categories(self) -> dict[str, list[Metric]]:
        out: dict[str, list[Metric]] = {}
        for m in self.metrics:
            out.setdefault(m.category, []).append(m)
        return out


def analyze(estate: Estate, thresholds: Thresholds | None = None) -> Analysis:
    """Every metric, every finding and every credential's blast radius, sharing one reach index."""
    from ..backends.embedded import EmbeddedBackend

    return analyze_backend(EmbeddedBackend(estate=estate), thresholds)


def analyze_backend(backend, thresholds: Thresholds | None = None) -> Analysis:
    """The same, from any backend's answers."""
    from .score import integration_scores

    with paused_gc():
        metrics = backend.metrics(thresholds)
        summaries = backend.blast_radii()
        return Analysis(metrics, build_findings(metrics, summaries, backend.credentials_of()), summaries,
                        integration_scores(metrics, backend.scopes()))


__all__ = ["Analysis", "Estate", "Metric", "Finding", "Thresholds", "ReachIndex", "analyze", "analyze_backend"]
