"""Analyses over a loaded estate (networkx): blast radius, debt metrics and findings.

Each analysis has a Cypher twin in ``queries/`` that the Neo4j backend runs; parity tests prove they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .debt import DebtAnalysis, Metric, Thresholds
from .estate import Estate
from .findings import Finding, build_findings
from .reach import ReachIndex


@dataclass
class Analysis:
    metrics: list[Metric]
    findings: list[Finding]
    blast_radii: dict[str, dict[str, Any]]

    def categories(self) -> dict[str, list[Metric]]:
        out: dict[str, list[Metric]] = {}
        for m in self.metrics:
            out.setdefault(m.category, []).append(m)
        return out


def analyze(estate: Estate, thresholds: Thresholds | None = None) -> Analysis:
    """Every metric, every finding and every credential's blast radius, sharing one reach index."""
    reach = ReachIndex(estate)
    metrics = DebtAnalysis(estate, thresholds, reach).metrics()
    summaries = reach.summaries()
    return Analysis(metrics, build_findings(metrics, summaries, estate), summaries)


__all__ = ["Analysis", "Estate", "Metric", "Finding", "Thresholds", "ReachIndex", "analyze"]
