"""notebooks/explore.ipynb runs top to bottom on the demo estate (made by the notebook itself)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "explore.ipynb"


def _kernel(tmp_path: Path, monkeypatch) -> str:
    """A kernelspec for this very interpreter, so the kernel imports the nhigraph under test."""
    spec = tmp_path / "jupyter" / "kernels" / "nhigraph-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nhigraph test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "nhigraph-test"


def test_notebook_runs_on_the_demo(tmp_path, monkeypatch) -> None:
    for var in ("NHIGRAPH_WORKSPACE", "NHIGRAPH_KEY", "NEO4J_URI", "NHIGRAPH_QUERY", "NHIGRAPH_NEO4J_PUSH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the demo and the report land here
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = NotebookClient(nb, kernel_name=_kernel(tmp_path, monkeypatch), timeout=180,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()

    def text(cell) -> str:
        out = []
        for o in cell.get("outputs", []):
            out.append(o.get("text", ""))
            data = o.get("data", {})
            out.append(data.get("text/plain", "") + data.get("text/html", ""))
        return "".join(out)

    outputs = [text(c) for c in nb.cells if c.cell_type == "code"]
    everything = "\n".join(outputs)
    assert "workspace:" in outputs[0] and str(tmp_path) in outputs[0]
    assert "75 nodes, 153 edges" in everything
    assert "aws:key:AKIAACMECIDEPLOY0001 reaches 4 resource(s)" in everything  # largest blast radius
    assert "<iframe srcdoc=" in everything and "vis-network" in everything
    assert "NHIG-SEC-007" in everything and "salesforce -&gt; snowflake" in everything
    assert "Only one snapshot" in everything
    assert "report.html" in everything
    assert "NEO4J_URI is not set: skipping the Neo4j part." in everything
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
