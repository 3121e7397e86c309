"""The report and a graph view in headless Chromium: they render, log no error, fetch nothing, and the XSS
canaries planted in the estate's names never run. Screenshots go to test-artifacts/browser/.

Needs Debian's `chromium` (/usr/bin/chromium) and the playwright Python package, which drives that binary
(no `playwright install`, no browser download).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhigraph.cli import cli

sys.path.insert(0, str(Path(__file__).parent.parent))
from report_estates import EVIL_IMG, EVIL_KEY, EVIL_SCRIPT, add_evil, demo_exports, ingest_ok  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts" / "browser"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed (/usr/bin/chromium): "
                                                     "apt-get install -y chromium"),
]


def run(*args: str):
    r = CliRunner().invoke(cli, list(args), prog_name="nhigraph")
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The report and views of the demo estate with names that are XSS canaries."""
    tmp = tmp_path_factory.mktemp("browser")
    exports = demo_exports(tmp / "exports")
    add_evil(exports)
    ingest_ok(exports, tmp / "ws")
    ws = str(tmp / "ws")
    run("report", "-w", ws, "--out", str(tmp / "report"))
    run("viz", "AKIAACMECIDEPLOY0001", "-w", ws, "-o", str(tmp / "reach.html"))
    run("viz", "-w", ws, "-o", str(tmp / "evil-reach.html"), "--", EVIL_KEY)
    run("viz", "--unowned", "-w", ws, "-o", str(tmp / "unowned.html"))
    run("viz", "--duplicates", "-w", ws, "-o", str(tmp / "duplicates.html"))
    return {"report": tmp / "report" / "report.html", "reach": tmp / "reach.html",
            "evil-reach": tmp / "evil-reach.html", "unowned": tmp / "unowned.html",
            "duplicates": tmp / "duplicates.html"}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
            viewport={"width": 1400, "height": 1000})
        yield context
        context.close()


class Watched:
    """A page with everything that must not happen recorded: errors, dialogs, requests off the file."""

    def __init__(self, context, path: Path) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs  # alert(1) from the <img onerror> canary never fired
        assert self.page.evaluate("typeof window.__xss") == "undefined"  # the <script> canary never ran
        assert self.page.evaluate("document.querySelectorAll('img').length") == 0
        offsite = [u for u in self.requests if u != self.url and not u.startswith("data:")]
        assert offsite == [], offsite  # nothing fetched: works offline

    def shot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(out), full_page=full_page)
        assert out.stat().st_size > 10_000
        return out


def test_report_renders_with_charts_and_no_xss(browser, pages) -> None:
    w = Watched(browser, pages["report"])
    page = w.page
    assert page.title() == "NHI debt report 2026-Q3"
    charts = page.evaluate("Array.from(document.querySelectorAll('figure.chart svg'))"
                           ".map(s => s.getBoundingClientRect().width)")
    assert len(charts) == 5 and all(width > 200 for width in charts)
    assert page.locator("#findings tbody tr").count() > 55
    body = page.inner_text("body")
    assert EVIL_IMG in body and EVIL_SCRIPT in body  # shown as text
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    w.shot("report-top")
    w.shot("report", full_page=True)
    w.assert_clean()


def test_reach_view_renders_the_graph(browser, pages) -> None:
    w = Watched(browser, pages["reach"])
    page = w.page
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    canvas = page.locator("#graph canvas")
    assert canvas.count() == 1
    box = canvas.bounding_box()
    assert box["width"] > 800 and box["height"] > 400
    assert page.evaluate("window.nhigraphNetwork.body.data.nodes.length") == 11
    # something is drawn: the canvas is not blank
    assert page.evaluate("""(() => { const c = document.querySelector('#graph canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) ink++; } return ink; })()""") > 5000
    w.shot("reach")
    # the filter box hides what does not match
    page.fill("#filter", "s3/")
    assert page.inner_text("#shown") == "3"  # the credential and two buckets
    page.fill("#filter", "")
    assert page.inner_text("#shown") == "11"
    w.assert_clean()


def test_views_with_untrusted_names(browser, pages) -> None:
    for name in ("evil-reach", "unowned", "duplicates"):
        w = Watched(browser, pages[name])
        w.page.wait_for_selector("body[data-ready='1']", timeout=20_000)
        assert w.page.locator("#graph canvas").count() == 1
        # hovering every node opens its tooltip: built from escaped text, it must not run anything
        positions = w.page.evaluate("""(() => { const n = window.nhigraphNetwork;
            return n.body.data.nodes.getIds().map(id => n.canvasToDOM(n.getPosition(id))); })()""")
        box = w.page.locator("#graph canvas").bounding_box()
        for p in positions:
            w.page.mouse.move(box["x"] + p["x"], box["y"] + p["y"])
            w.page.wait_for_timeout(200)
        tips = w.page.evaluate("Array.from(document.querySelectorAll('.vis-tooltip')).map(t => t.innerText)")
        if name == "evil-reach":
            assert any(EVIL_IMG in t or EVIL_SCRIPT in t for t in tips), tips
        w.shot(name)
        w.assert_clean()

