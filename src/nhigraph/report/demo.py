"""What `nhigraph demo` writes besides the workspace: the report and the leaked key's blast-radius view."""

from __future__ import annotations

from pathlib import Path

from ..analysis import Analysis
from ..analysis.estate import Estate
from ..demo.estate import PLANTED
from ..workspace.store import Workspace


def write_demo_artifacts(out: Path, estate: Estate, analysis: Analysis, workspace: Path) -> dict[str, str]:
    """Write OUT/report/ (every report file) and OUT/reach-leaked-key.html; return their paths."""
    from . import build_report, write_report
    from .build import facts_from_estate
    from .diff import Side, SnapshotInfo
    from .viz import blast_radius_view, write_view

    info = SnapshotInfo.from_manifest(Workspace(workspace).manifest(None), workspace)
    paths = write_report(build_report(Side(info, analysis, estate, facts_from_estate(estate))), out / "report")
    view = out / "reach-leaked-key.html"
    write_view(blast_radius_view(estate, PLANTED["leaked_credential"]), view)
    return {"report": str(paths["report.html"]), "report_dir": str(out / "report"), "view": str(view)}
