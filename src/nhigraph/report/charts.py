"""The report's charts: matplotlib figures rendered to inline SVG (no JavaScript, no network).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global state, no display).
Text is kept as SVG ``<text>`` (selectable, small); matplotlib escapes it as XML. Names are untrusted: a
``$`` would start mathtext, so it is escaped, and long names are shortened. Element ids are prefixed per
chart so several SVGs can share one HTML page.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

from markupsafe import Markup

SEVERITY_COLORS = {"critical": "#a50e0e", "high": "#e8710a", "medium": "#f4b400", "low": "#9aa0a6"}
LEVEL_COLORS = {"admin": "#a50e0e", "write": "#e8710a", "read": "#4285f4"}
INK, GRID, ACCENT = "#202124", "#e0e0e0", "#1a73e8"
FONT = {"font.family": "DejaVu Sans", "font.size": 9, "axes.edgecolor": "#9aa0a6", "axes.labelcolor": INK,
        "xtick.color": INK, "ytick.color": INK, "svg.fonttype": "none", "axes.spines.top": False,
        "axes.spines.right": False}


@dataclass
class Chart:
    key: str
    title: str
    svg: Markup
    caption: str = ""
    wide: bool = False


def label(text: object, limit: int = 42) -> str:
    """A name safe for matplotlib: no mathtext, no control characters, at most ``limit`` characters."""
    s = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("$", r"\$")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=96)
    return fig


def to_svg(fig, key: str, alt: str) -> Markup:
    """The figure as an inline ``<svg>`` element, ids prefixed with ``key``, scaled to its container."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": key}):
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08, transparent=True,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    prefix = re.sub(r"[^a-zA-Z0-9_-]", "-", key)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = text.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    m = re.match(r"<svg\b([^>]*)>", text)
    attrs = m.group(1)
    w = re.search(r'\bwidth="([\d.]+)pt"', attrs)
    attrs = re.sub(r'\s(width|height)="[^"]*"', "", attrs)
    style = f' style="max-width:{float(w.group(1)) * 4 / 3:.0f}px"' if w else ""
    text = (f'<svg{attrs} class="chart-svg" role="img" aria-label="{html.escape(alt, quote=True)}"{style}>'
            + text[m.end():])
    return Markup(text)


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color="#5f6368", transform=ax.transAxes)
    ax.set_axis_off()


def _rc():
    import matplotlib

    return matplotlib.rc_context(FONT)


def findings_by_category(by_cat: dict[str, dict[str, int]], titles: dict[str, str],
                         previous: dict[str, int] | None = None) -> Chart:
    """Stacked horizontal bars: findings per debt category by severity; a tick at last period's total."""
    with _rc():
        cats = [c for c in by_cat]
        fig = _figure(6.4, 0.42 * len(cats) + 1.1)
        ax = fig.add_subplot()
        y = list(range(len(cats)))[::-1]
        left = [0] * len(cats)
        for sev in ("critical", "high", "medium", "low"):
            vals = [by_cat[c].get(sev, 0) for c in cats]
            ax.barh(y, vals, left=left, color=SEVERITY_COLORS[sev], label=sev, height=0.62)
            left = [a + b for a, b in zip(left, vals)]
        for yi, total in zip(y, left):
            ax.text(total + 0.2, yi, str(total), va="center", fontsize=8, color=INK)
        if previous is not None:
            ax.scatter([previous.get(c, 0) for c in cats], y, marker="|", s=260, color=INK, linewidths=2,
                       label="previous period", zorder=3)
        ax.set_yticks(y, [label(titles.get(c, c).split(":")[0]) for c in cats])
        ax.set_xlabel("findings")
        ax.grid(axis="x", color=GRID)
        ax.set_axisbelow(True)
        ax.set_xlim(0, max(left + list((previous or {}).values()) + [1]) * 1.12 + 0.5)
        ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.45, -0.22 if len(cats) > 3 else -0.35),
                  frameon=False, fontsize=8)
        return Chart("debt-by-category", "Findings by debt category and severity",
                     to_svg(fig, "c-cat", "Findings by debt category and severity"),
                     "A black tick marks the previous period's total." if previous is not None else "")


def integration_scores(rows: list[dict], limit: int = 12) -> Chart:
    """Worst integration-debt scores, business units and systems."""
    rows = rows[:limit]
    with _rc():
        fig = _figure(6.4, 0.34 * max(len(rows), 3) + 0.9)
        ax = fig.add_subplot()
        if not rows:
            _empty(ax, "No integration debt: every score is 0")
        else:
            y = list(range(len(rows)))[::-1]
            colors = [ACCENT if r["scope"] == "bu" else "#34a853" for r in rows]
            ax.barh(y, [r["score"] for r in rows], color=colors, height=0.62)
            for yi, r in zip(y, rows):
                ax.text(r["score"] + 1, yi, f"{r['score']:g}", va="center", fontsize=8)
            ax.set_yticks(y, [label(("BU " if r["scope"] == "bu" else "") + r["display"], 38) for r in rows])
            ax.set_xlabel("score = 100 × (3·dup + 2·sprawl + 2·shared + 1·p2p) / (connectors + credentials)")
            ax.set_xlim(0, max(r["score"] for r in rows) * 1.15 + 1)
            ax.grid(axis="x", color=GRID)
            ax.set_axisbelow(True)
        return Chart("integration-scores", "Integration-debt score by business unit and system",
                     to_svg(fig, "c-score", "Integration-debt score by business unit and system"),
                     "Blue: business units; green: systems. 0 is clean.")


def credential_ages(hist: dict[str, int], rotation_days: int) -> Chart:
    with _rc():
        fig = _figure(4.6, 2.6)
        ax = fig.add_subplot()
        keys = [k for k in hist if k != "unknown" or hist[k]]
        if not sum(hist.values()):
            _empty(ax, "No active credentials")
        else:
            limits = {"≤ 30 d": 30, "31–90 d": 90, "91–180 d": 180, "181–365 d": 365, "> 1 year": 10 ** 6}
            colors = ["#9aa0a6" if k == "unknown" else ("#e8710a" if limits[k] > rotation_days else ACCENT)
                      for k in keys]
            bars = ax.bar(keys, [hist[k] for k in keys], color=colors)
            ax.bar_label(bars, fontsize=8)
            ax.set_ylabel("active credentials")
            ax.tick_params(axis="x", labelsize=8)
            ax.grid(axis="y", color=GRID)
            ax.set_axisbelow(True)
            ax.margins(y=0.15)
        return Chart("credential-age", "Credential age since last rotation",
                     to_svg(fig, "c-age", "Credential age distribution"),
                     f"Orange: older than the rotation threshold ({rotation_days} days).")


def owners_per_nhi(hist: dict[str, int] | None) -> Chart:
    with _rc():
        fig = _figure(4.6, 2.6)
        ax = fig.add_subplot()
        if hist is None:
            _empty(ax, "Ownership unknown: no owner register")
        elif not sum(hist.values()):
            _empty(ax, "No NHIs")
        else:
            keys = list(hist)
            bars = ax.bar(keys, [hist[k] for k in keys], color=["#a50e0e"] + [ACCENT] * (len(keys) - 1))
            ax.bar_label(bars, fontsize=8)
            ax.set_xlabel("active owners (any RACI role)")
            ax.set_ylabel("identities and credentials")
            ax.grid(axis="y", color=GRID)
            ax.set_axisbelow(True)
            ax.margins(y=0.15)
        return Chart("owners-per-nhi", "Active owners per NHI", to_svg(fig, "c-own", "Active owners per NHI"),
                     "Red: NHIs nobody active owns.")


def top_blast_radius(rows: list[dict]) -> Chart:
    with _rc():
        fig = _figure(10, 0.3 * max(len(rows), 3) + 0.9)
        ax = fig.add_subplot()
        if not rows:
            _empty(ax, "No credential reaches any resource")
        else:
            y = list(range(len(rows)))[::-1]
            left = [0] * len(rows)
            for lvl in ("admin", "write", "read"):
                vals = [r[lvl] for r in rows]
                ax.barh(y, vals, left=left, color=LEVEL_COLORS[lvl], label=lvl, height=0.62)
                left = [a + b for a, b in zip(left, vals)]
            for yi, r in zip(y, rows):
                extra = f"  {r['share']:.0%}" + (f" · {r['prod_write']} prod w/a" if r["prod_write"] else "")
                ax.text(r["total"] + 0.15, yi, extra, va="center", fontsize=8)
            ax.set_yticks(y, [label(r["credential"], 40) for r in rows])
            ax.set_xlabel("resources reached (share of the estate; prod with write or admin)")
            ax.set_xlim(0, max(left) * 1.45 + 1)
            ax.grid(axis="x", color=GRID)
            ax.set_axisbelow(True)
            ax.legend(ncols=3, loc="lower right", frameon=False, fontsize=8)
        return Chart("top-blast-radius", "Top 10 credentials by blast radius",
                     to_svg(fig, "c-br", "Top 10 credentials by blast radius"),
                     "Resources reached by level, including second order through stored credentials.", wide=True)


def severity_trend(previous: dict[str, int], current: dict[str, int], prev_label: str, cur_label: str) -> Chart:
    with _rc():
        fig = _figure(4.6, 2.6)
        ax = fig.add_subplot()
        sevs = list(current)
        x = list(range(len(sevs)))
        b1 = ax.bar([i - 0.2 for i in x], [previous.get(s, 0) for s in sevs], width=0.4, color="#bdc1c6",
                    label=label(prev_label, 30))
        b2 = ax.bar([i + 0.2 for i in x], [current[s] for s in sevs], width=0.4,
                    color=[SEVERITY_COLORS[s] for s in sevs], label=label(cur_label, 30))
        ax.bar_label(b1, fontsize=7)
        ax.bar_label(b2, fontsize=7)
        ax.set_xticks(x, sevs)
        ax.set_ylabel("findings")
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
        ax.margins(y=0.18)
        ax.legend(frameon=False, fontsize=8, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.12))
        return Chart("severity-trend", "Findings by severity, previous period and now",
                     to_svg(fig, "c-trend", "Findings by severity, previous period and now"))


def report_charts(report) -> list[Chart]:
    """Every chart of a :class:`~nhigraph.report.build.Report`, in page order."""
    from .build import CATEGORY_TITLES

    prev_by_cat = None
    charts = []
    if report.previous is not None:
        prev = report.category_severity(report.previous.analysis.findings)
        prev_by_cat = {c: sum(v.values()) for c, v in prev.items()}
    charts.append(findings_by_category(report.category_severity(), CATEGORY_TITLES, prev_by_cat))
    if report.previous is not None:
        charts.append(severity_trend(report.severity_counts(report.previous.analysis.findings),
                                     report.severity_counts(), f"previous ({report.previous.info.name})",
                                     f"now ({report.snapshot.name})"))
    scores = integration_scores(report.scores())
    scores.wide = report.previous is not None  # keeps the two-column grid without a hole
    charts.append(scores)
    charts.append(top_blast_radius(report.top_blast_radius(10)))
    charts.append(credential_ages(report.facts.age_histogram(), report.thresholds.rotation_days))
    charts.append(owners_per_nhi(report.facts.owner_histogram() if report.facts.ownership_known else None))
    return charts
