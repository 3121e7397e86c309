"""report.md: the report as Markdown for a wiki page or a ticket.

Names are untrusted: every value goes through :func:`cell`, which backslash-escapes the characters that
would start markup (``<`` and ``>`` included, so a name can never become raw HTML) and flattens newlines.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from .build import CATEGORY_TITLES, CONCEPTS, Report

#: rows shown per offender table (every finding is always listed)
TABLE_LIMIT = 50
#: rows of the list of findings formatted at a time
FINDINGS_CHUNK = 1_000
_SPECIAL = "\\`*_[]<>|&~!#"
#: the characters cell() rewrites: markup escaped, line breaks and tabs to spaces, other controls dropped
_CELL_TABLE = {**{ord(c): "\\" + c for c in _SPECIAL}, **{ord(c): " " for c in "\r\n\t"},
               **{i: None for i in (*range(32), 127) if chr(i) not in "\r\n\t"}}
_CELL_NEEDS = re.compile("[" + re.escape(_SPECIAL) + "\x00-\x1f\x7f]")


def cell(value: Any) -> str:
    """A value as literal Markdown text."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(map(str, value))
    text = str(value)
    if _CELL_NEEDS.search(text) is None:
        return text
    return text.translate(_CELL_TABLE)


def when(value: Any) -> str:
    """A time for people: minutes, UTC."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "unknown" if value in (None, "") else cell(value)


def code(value: Any) -> str:
    """An id in a table cell. Plain escaped text: a code span cannot hold every untrusted string safely."""
    return cell(value)


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return lines + [""]


def _delta(d) -> str:
    if d is None:
        return "–"
    return "±0" if d == 0 else (f"+{d:g}" if d > 0 else f"−{-d:g}")


def _more(rows: list, limit: int) -> list[str]:
    return [f"_Showing {limit} of {len(rows)}; every one is in findings.csv and metrics.json._", ""] \
        if len(rows) > limit else []


def render_markdown(report: Report) -> str:
    """The report as one Markdown text."""
    return "".join(markdown_chunks(report))


def markdown_chunks(report: Report) -> Iterator[str]:
    """The report as Markdown, in pieces: everything up to the list of findings, then that list
    :data:`FINDINGS_CHUNK` rows at a time (a large estate's list is most of the text)."""
    r, a = report, report.analysis
    snap = r.snapshot
    lines = [f"# {cell(r.title)} {r.period}", "",
             f"Snapshot `{cell(snap.name)}` observed {when(snap.observed_at)}; {snap.total_nodes} nodes, "
             f"{snap.total_edges} edges. "
             + (f"Compared with `{cell(r.previous.info.name)}` observed {when(r.previous.info.observed_at)}. "
                if r.previous else "No earlier period to compare with. ")
             + f"Backend: {r.backend}. Generated {when(r.generated_at)}.", "",
             "## Executive summary", ""]
    rows = []
    for h in r.headlines():
        value = "unknown" if h.unknown else (f"{h.value} of {h.of}" if h.of is not None else str(h.value))
        rows.append((cell(h.label), value, "–" if h.previous is None else h.previous, _delta(h.delta)))
    lines += _table(["measure", "now", "last period", "change"], rows)
    lines += [f"- {cell(s)}" for s in r.summary_lines()] + [""]

    if r.diff:
        d = r.diff
        lines += [f"## Changes since {cell(d.old.name)}", ""]
        lines += [f"### New findings ({len(d.new_findings)})", ""]
        lines += _table(["severity", "rule", "subject", "finding", "id"],
                        [(f.severity.upper(), f.rule, code(f.subject), cell(f.title), code(f.id))
                         for f in d.new_findings]) if d.new_findings else ["None.", ""]
        lines += [f"### Resolved findings ({len(d.resolved_findings)})", ""]
        lines += _table(["severity", "rule", "subject", "finding", "id"],
                        [(f.severity.upper(), f.rule, code(f.subject), cell(f.title), code(f.id))
                         for f in d.resolved_findings]) if d.resolved_findings else ["None.", ""]
        lines += ["### Credentials whose blast radius grew", ""]
        lines += _table(["credential", "before", "now", "prod write/admin"],
                        [(code(g["credential"]), g["old_total"], g["new_total"],
                          f"{g['old_prod_write']} → {g['new_prod_write']}") for g in d.blast_radius_growth]) \
            if d.blast_radius_growth else ["None.", ""]
        lines += ["### Owners who left while NHIs they own are still active", ""]
        if d.owners_left is None:
            lines += ["Unknown: owner status needs both snapshots on the embedded backend.", ""]
        elif d.owners_left:
            lines += _table(["owner", "departed", "active NHIs", "now with no active owner"],
                            [(f"{cell(o['name'])} ({code(o['owner'])})", when(o["departed_at"]),
                              cell([n["id"] for n in o["nhis"]]), o["orphaned"]) for o in d.owners_left])
        else:
            lines += ["None.", ""]
        lines += ["### Every metric, then and now", ""]
        lines += _table(["metric", "before", "now", "change"],
                        [(cell(m["title"]),
                          "unknown" if m["old"]["unknown"] else f"{m['old']['numerator']} / {m['old']['denominator']}",
                          "unknown" if m["new"]["unknown"] else f"{m['new']['numerator']} / {m['new']['denominator']}",
                          _delta(m["delta"])) for m in d.metric_deltas])

    for key, title, cats, text in CONCEPTS:
        lines += [f"## {title}", "", text, ""]
        lines += _metric_rows(r, r.metrics_of(*cats))
        if key == "integration":
            dup = r.metric("integration.duplicate_connectors")
            lines += [f"### Duplicate-connector groups ({len(dup.offenders)})", ""]
            lines += _table(["platforms", "connectors", "business units", "credentials", "excess"],
                            [(cell(g["subject"]), cell(g["connectors"]), cell(g["business_units"]),
                              cell(g["credentials"]), g["excess"]) for g in dup.offenders[:TABLE_LIMIT]]) \
                if dup.offenders else ["None.", ""]
            lines += _more(dup.offenders, TABLE_LIMIT)
            scores = r.scores(15)
            lines += ["### Integration-debt score (worst first)", ""]
            lines += _table(["scope", "name", "score", "dup", "sprawl", "shared", "p2p", "population"],
                            [(cell(s["scope"]), cell(s["display"]), s["score"], s["duplicate_excess"], s["sprawl"],
                              s["shared"], s["point_to_point"], s["population"]) for s in scores]) \
                if scores else ["Every score is 0.", ""]
        elif key == "coordination":
            raci = r.metric("coordination.raci_gaps")
            lines += ["### Ownership and RACI gaps", ""]
            if raci.unknown:
                lines += ["Unknown: no owner register was ingested.", ""]
            else:
                lines += _table(["subject", "kind", "missing roles", "teams"],
                                [(code(o["subject"]), o["label"], cell(o["missing_roles"]) or "–", cell(o["teams"]))
                                 for o in raci.offenders[:TABLE_LIMIT]]) if raci.offenders else ["None.", ""]
                lines += _more(raci.offenders, TABLE_LIMIT)
            un = r.metric("ownership.unowned_paths")
            if un.offenders:
                lines += ["### Access paths with no accountable owner", ""]
                lines += _table(["credential", "resources", "reached only unaccountably", "unaccountable NHIs"],
                                [(code(o["subject"]), o["paths"], cell(o["resources"]), cell(o["unowned"]))
                                 for o in un.offenders[:TABLE_LIMIT]])
                lines += _more(un.offenders, TABLE_LIMIT)
        elif key == "orchestration":
            orc = r.metric("orchestration.ungoverned_automation")
            if orc.offenders:
                lines += _table(["automation", "kind", "gaps"],
                                [(code(o["subject"]), cell(o["kind"]), cell(o["gaps"]))
                                 for o in orc.offenders[:TABLE_LIMIT]])
        elif key == "security":
            lines += _table(["metric", "subjects"],
                            [(cell(m.title), cell([o["subject"] for o in m.offenders[:12]])
                              + (f" and {len(m.offenders) - 12} more" if len(m.offenders) > 12 else ""))
                             for m in r.metrics_of("security") if m.offenders])

    lines += [f"## {CATEGORY_TITLES['third_party']}", ""]
    lines += _metric_rows(r, r.metrics_of("third_party"))
    tp = r.metric("third_party.vendor_access")
    noext = {o["subject"] for o in r.metric("third_party.no_external_id").offenders}
    lines += _table(["NHI", "third parties", "how", "resources reachable", "external-id check"],
                    [(code(o["subject"]), cell(o["vendors"]), cell(o["how"]), o["blast_radius"],
                      "missing" if o["subject"] in noext else ("required" if "trusted" in o["how"] else "n/a"))
                     for o in tp.offenders[:TABLE_LIMIT]]) if tp.offenders else ["None.", ""]

    lines += [f"## All findings ({len(a.findings)})", ""]
    lines += _table(["severity", "rule", "subject", "finding", "OWASP NHI", "NIST CSF", "id"] + (["status"] if r.diff else []),
                    [])[:-1]  # the header: its rows follow; the text ends with the last row and one newline
    yield "\n".join(lines) + "\n"
    findings = a.findings
    for i in range(0, len(findings), FINDINGS_CHUNK):
        yield "".join(["| " + " | ".join(row) + " |\n" for row in
                       ((f.severity.upper(), f.rule, code(f.subject), cell(f.title), " ".join(f.owasp), " ".join(f.nist),
                         code(f.id)) + ((r.status(f),) if r.diff else ()) for f in findings[i:i + FINDINGS_CHUNK])])


def _metric_rows(r: Report, metrics) -> list[str]:
    rows = []
    for m in metrics:
        md = r.metric_delta(m.id)
        rows.append((cell(m.title), cell(m.population),
                     "unknown" if m.unknown else f"{m.numerator} / {m.denominator}",
                     "" if m.unknown else f"{m.ratio:.0%}") + ((_delta(md["delta"] if md else None),) if r.diff else ()))
    return _table(["metric", "population", "offenders", "ratio"] + (["change"] if r.diff else []), rows)
