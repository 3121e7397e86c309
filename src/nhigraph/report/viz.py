"""Interactive graph views: a credential's blast radius, unowned paths, duplicate connectors.

A view is built from the estate as a :class:`GraphView` (nodes in priority order, edges, legend), cut to
``max_nodes`` (500 by default; the page says so and offers a filter box), assembled with pyvis and written as
ONE self-contained HTML page: the vis-network JavaScript and CSS that pyvis ships (``pyvis/lib``) are inlined,
nothing is fetched, and a Content Security Policy lets only the page's own scripts run (by hash).

Names are untrusted. Labels are drawn on a canvas (never parsed as HTML); tooltips are HTML in
vis-network, so every tooltip is built here from escaped text, and the page turns it into an element.
"""

from __future__ import annotations

import base64
import hashlib
import html
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from ..analysis.estate import LEVEL_RANK, Estate
from ..analysis.reach import BlastRadius, ReachIndex

MAX_NODES = 500
LABEL_COLORS = {
    "Credential": "#e8710a", "Identity": "#1a73e8", "Resource": "#34a853", "SecretStore": "#a142f4",
    "System": "#5f6368", "Connector": "#00897b", "Workflow": "#f9ab00", "Vendor": "#d93025", "Owner": "#8d6e63",
    "PolicyException": "#9aa0a6",
}
LEVEL_SIZE = {"read": 14, "write": 22, "admin": 32}
LEVEL_EDGE = {"read": "#4285f4", "write": "#e8710a", "admin": "#a50e0e"}
SHAPES = {"Credential": "diamond", "Identity": "dot", "Resource": "square", "SecretStore": "triangle",
          "System": "hexagon", "Connector": "box", "Workflow": "box", "Vendor": "triangleDown", "Owner": "ellipse"}
ALERT = "#d93025"


@dataclass
class ViewNode:
    id: str
    label: str          # model label: Identity, Credential, ...
    text: str           # what is drawn under the node
    details: list[str]  # tooltip lines (plain text; escaped when rendered)
    size: int = 16
    highlight: bool = False
    alert: bool = False  # e.g. no active owner
    level: int | None = None

    @property
    def search(self) -> str:
        return f"{self.id} {self.text} {self.label}".lower()


@dataclass
class ViewEdge:
    source: str
    target: str
    label: str
    details: list[str] = field(default_factory=list)
    color: str = "#9aa0a6"
    dashes: bool = False


@dataclass
class GraphView:
    kind: str
    title: str
    subtitle: str
    nodes: list[ViewNode]
    edges: list[ViewEdge]
    notes: list[str] = field(default_factory=list)
    hierarchical: bool = False
    total_nodes: int = 0
    total_edges: int = 0
    max_nodes: int = MAX_NODES
    filter_text: str | None = None
    #: nodes left after the filter, before the cap
    matched: int = 0

    def __post_init__(self) -> None:
        self.total_nodes = self.total_nodes or len(self.nodes)
        self.total_edges = self.total_edges or len(self.edges)
        self.matched = self.matched or len(self.nodes)

    @property
    def truncated(self) -> bool:
        """Some nodes were left out by the ``max_nodes`` cap (not by the filter)."""
        return len(self.nodes) < self.matched

    def legend(self) -> list[tuple[str, str]]:
        seen = dict.fromkeys(n.label for n in self.nodes)
        return [(label, LABEL_COLORS.get(label, "#9aa0a6")) for label in seen]

    def limited(self, max_nodes: int = MAX_NODES, filter_text: str | None = None) -> "GraphView":
        """The view with at most ``max_nodes`` nodes (highest priority first), optionally only the nodes
        whose id, name or label contains ``filter_text`` (the highlighted node is always kept)."""
        nodes = self.nodes
        if filter_text:
            q = filter_text.lower()
            nodes = [n for n in nodes if n.highlight or q in n.search]
        matched = len(nodes)
        nodes = nodes[:max_nodes]
        keep = {n.id for n in nodes}
        edges = [e for e in self.edges if e.source in keep and e.target in keep]
        return replace(self, nodes=nodes, edges=edges, total_nodes=len(self.nodes), total_edges=len(self.edges),
                       max_nodes=max_nodes, filter_text=filter_text, matched=matched)

    def to_json(self) -> dict[str, Any]:
        return {"view": self.kind, "title": self.title, "nodes": len(self.nodes), "edges": len(self.edges),
                "total_nodes": self.total_nodes, "total_edges": self.total_edges, "matched": self.matched,
                "truncated": self.truncated,
                "max_nodes": self.max_nodes, "filter": self.filter_text}


# ------------------------------------------------------------------------------------------------
# Building views from the estate
# ------------------------------------------------------------------------------------------------

def _short(estate: Estate, n: str, limit: int = 36) -> str:
    d = estate.node(n)
    text = str(d.get("name") or n)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _details(estate: Estate, n: str, *extra: str) -> list[str]:
    d = estate.node(n)
    lines = [f"{d['label']} · {d.get('kind') or '?'}", n]
    if d.get("name") and d["name"] != n:
        lines.append(f"name: {d['name']}")
    env = estate.environment(n)
    if env:
        lines.append(f"environment: {env}")
    if d["label"] in ("Identity", "Credential", "Connector", "Workflow") and estate.has_owner_register:
        owners = sorted({o for v in estate.owners(n).values() for o in v})
        lines.append("active owners: " + (", ".join(owners[:5]) + (" …" if len(owners) > 5 else "") if owners
                                          else "NONE"))
    if d.get("status"):
        lines.append(f"status: {d['status']}")
    if d.get("leaked"):
        lines.append(f"LEAKED {d.get('leaked_at') or ''} {d.get('leak_location') or ''}".strip())
    return lines + [x for x in extra if x]


def _node(estate: Estate, n: str, *extra: str, size: int = 16, level: int | None = None,
          highlight: bool = False, alert: bool | None = None) -> ViewNode:
    label = estate.label(n)
    if alert is None:
        alert = label in ("Identity", "Credential") and estate.has_owner_register and not estate.accountable(n)
    return ViewNode(n, label, _short(estate, n), _details(estate, n, *extra), size, highlight, alert, level)


def blast_radius_view(estate: Estate, cred: str, br: BlastRadius | None = None) -> GraphView:
    """What ``cred`` reaches: identities it becomes, resources by level, second order through stored keys."""
    br = br or ReachIndex(estate).blast_radius(cred)
    order: dict[str, ViewNode] = {}
    node_depth: dict[str, int] = {cred: 0}
    for t in br.targets.values():
        for i, n in enumerate(t.path):
            node_depth[n] = min(node_depth.get(n, i), i)
    for i, dpt in br.identities.items():
        node_depth[i] = min(node_depth.get(i, dpt), dpt)

    d = estate.node(cred)
    order[cred] = _node(estate, cred, f"reaches {len(br.resources)} resource(s), {br.share:.0%} of the estate",
                        size=40, level=0, highlight=True)
    for i in sorted(br.identities, key=lambda x: (br.identities[x], x)):
        order[i] = _node(estate, i, f"assumed at depth {br.identities[i]}", size=18, level=node_depth.get(i))
    for c in sorted(br.credentials, key=lambda x: (br.credentials[x], x)):
        if c != cred:
            order[c] = _node(estate, c, f"second order: readable through a reached store (order {br.credentials[c]})",
                             size=20, level=node_depth.get(c))
    targets = sorted(br.targets.values(), key=lambda t: (t.order, -LEVEL_RANK[t.level], t.environment != "prod", t.id))
    for t in targets:
        order[t.id] = _node(estate, t.id, f"access: {t.level}" + (" (second order)" if t.order else ""),
                            "path: " + " › ".join(t.path), size=LEVEL_SIZE[t.level], level=node_depth.get(t.id),
                            alert=False)
    for t in targets:  # systems on a path that were not targets themselves
        for n in t.path:
            if n not in order:
                order[n] = _node(estate, n, size=16, level=node_depth.get(n), alert=False)

    edges: dict[tuple[str, str, str], ViewEdge] = {}
    inside = set(order)
    for u in inside:
        for _, v, e in estate.g.out_edges(u, data=True):
            if v not in inside:
                continue
            t = e["type"]
            if t == "AUTHENTICATES":
                edges[(u, v, t)] = ViewEdge(u, v, "authenticates as", color="#5f6368")
            elif t == "CAN_ASSUME":
                edges[(u, v, t)] = ViewEdge(u, v, "can assume", [f"via {e.get('via') or '?'}"], color="#1a73e8")
            elif t == "HAS_ACCESS":
                acts = e.get("actions") or []
                edges[(u, v, t)] = ViewEdge(u, v, e["level"], [f"actions: {', '.join(map(str, acts))}"] if acts else [],
                                            color=LEVEL_EDGE.get(e["level"], "#9aa0a6"))
            elif t == "STORES":
                edges[(u, v, t)] = ViewEdge(u, v, "stores", ["a copy of the credential is kept here"],
                                            color=ALERT, dashes=True)
    for t in targets:
        for a, b in zip(t.path, t.path[1:]):
            if estate.label(a) == "System" and (a, b, "contains") not in edges:
                edges[(a, b, "contains")] = ViewEdge(a, b, "contains", [f"{t.level} through the system grant"],
                                                     color=LEVEL_EDGE[t.level], dashes=True)
    counts = br.counts()
    sub = (f"{d.get('kind') or 'credential'} {cred}: reaches {counts['total']} resource(s), {br.share:.0%} of the "
           f"estate ({counts['admin']} admin, {counts['write']} write, {counts['read']} read; {counts['prod']} in prod, "
           f"{counts['second_order']} second order) through {counts['identities']} identit(ies).")
    notes = ["Node size: access level (read < write < admin). Red border: no active owner. Dashed: stored "
             "copies and access through a system grant."]
    if d.get("leaked"):
        when = d.get("leaked_at")
        when = when.strftime("%Y-%m-%d %H:%M UTC") if hasattr(when, "strftime") else (when or "date unknown")
        notes.insert(0, f"LEAKED {when} at {d.get('leak_location') or 'unknown location'}: revoke first.")
    return GraphView("reach", f"Blast radius of {d.get('name') or cred}", sub, list(order.values()),
                     list(edges.values()), notes, hierarchical=True)


def unowned_view(estate: Estate, metrics: Iterable) -> GraphView:
    """Access paths no active owner is accountable for, and NHIs whose owners have all left."""
    by_id = {m.id: m for m in metrics}
    unowned = by_id.get("ownership.unowned_paths")
    departed = by_id.get("ownership.departed_owner")
    order: dict[str, ViewNode] = {}
    edges: dict[tuple[str, str, str], ViewEdge] = {}
    notes = []
    if unowned is None or unowned.unknown:
        notes.append("Ownership is unknown: no owner register was ingested.")
    index = ReachIndex(estate)
    if unowned is not None and not unowned.unknown:
        for off in unowned.offenders:
            cred = off["subject"]
            br = index.blast_radius(cred)
            order.setdefault(cred, _node(estate, cred, f"reaches {off.get('paths', 0)} resource(s) only "
                                         "through NHIs with no active owner", size=26, highlight=True))
            for culprit in off.get("unowned", []):
                order.setdefault(culprit, _node(estate, culprit, "no active owner", size=22, alert=True))
            for res in off.get("resources", []):
                t = br.targets.get(res)
                if t is None:
                    continue
                for n in t.path:
                    if n not in order:
                        order[n] = _node(estate, n, size=LEVEL_SIZE[t.level] if n == res else 16,
                                         alert=None if estate.label(n) in ("Identity", "Credential") else False)
                for a, b in zip(t.path, t.path[1:]):
                    key = (a, b, "path")
                    if key not in edges:
                        edges[key] = _path_edge(estate, a, b, t.level)
    if departed is not None and not departed.unknown:
        for off in departed.offenders:
            ident = off["subject"]
            order.setdefault(ident, _node(estate, ident, "every owner has left", size=22, alert=True))
            for owner in off.get("departed", []):
                od = estate.node(owner)
                order.setdefault(owner, ViewNode(owner, "Owner", _short(estate, owner),
                                                 _details(estate, owner, f"departed {od.get('departed_at') or ''}".strip()),
                                                 14, alert=True))
                roles = sorted(r for r, v in estate.owners(ident, active_only=False).items() if owner in v)
                edges[(owner, ident, "owns")] = ViewEdge(owner, ident, "owned (left)", ["roles: " + ", ".join(roles)],
                                                         color="#8d6e63", dashes=True)
    n_paths = unowned.numerator if unowned is not None and not unowned.unknown else 0
    n_dep = len(departed.offenders) if departed is not None and not departed.unknown else 0
    sub = (f"{n_paths} credential-to-resource path(s) with no accountable owner; {n_dep} identit(ies) whose "
           "owners have all left.")
    notes.append("Red: identities and credentials with no active owner (a credential inherits its identity's "
                 "owners). Dashed brown: ownership by people who left.")
    return GraphView("unowned", "Unowned access paths and departed owners", sub, list(order.values()),
                     list(edges.values()), notes)


def _path_edge(estate: Estate, a: str, b: str, level: str) -> ViewEdge:
    la, lb = estate.label(a), estate.label(b)
    if la == "Credential" and lb == "Identity":
        return ViewEdge(a, b, "authenticates as", color="#5f6368")
    if la == "Identity" and lb == "Identity":
        return ViewEdge(a, b, "can assume", color="#1a73e8")
    if lb == "Credential":
        return ViewEdge(a, b, "stores", color=ALERT, dashes=True)
    if la == "System":
        return ViewEdge(a, b, "contains", color=LEVEL_EDGE[level], dashes=True)
    return ViewEdge(a, b, "access", color=LEVEL_EDGE.get(level, "#9aa0a6"))


def duplicates_view(estate: Estate, metrics: Iterable) -> GraphView:
    """Connectors built more than once between the same two platforms, with their credentials."""
    by_id = {m.id: m for m in metrics}
    dup = by_id.get("integration.duplicate_connectors")
    order: dict[str, ViewNode] = {}
    edges: dict[tuple[str, str, str], ViewEdge] = {}
    groups = dup.offenders if dup is not None else []
    for g in groups:
        for c in g["connectors"]:
            cd = estate.node(c)
            for s, _ in estate.out(c, "CONNECTS_FROM"):
                order.setdefault(s, _node(estate, s, f"platform {estate.node(s).get('platform') or '?'}", size=22,
                                          level=0, alert=False))
            order.setdefault(c, _node(estate, c, f"group: {g['subject']} ({len(g['connectors'])} connectors)",
                                      f"business unit: {cd.get('business_unit') or 'unknown'}",
                                      f"schedule: {cd.get('schedule')}" if cd.get("schedule") else "",
                                      size=20, level=1, highlight=False))
            for s, _ in estate.out(c, "CONNECTS_FROM"):
                edges[(s, c, "from")] = ViewEdge(s, c, "read by", color="#00897b")
            for s, _ in estate.out(c, "CONNECTS_TO"):
                order.setdefault(s, _node(estate, s, f"platform {estate.node(s).get('platform') or '?'}", size=22,
                                          level=2, alert=False))
                edges[(c, s, "to")] = ViewEdge(c, s, "writes to", color="#00897b")
            for cr, _ in estate.out(c, "USES"):
                order.setdefault(cr, _node(estate, cr, size=16, level=2))
                edges[(c, cr, "uses")] = ViewEdge(c, cr, "uses", color="#e8710a", dashes=True)
    excess = dup.numerator if dup is not None else 0
    sub = (f"{len(groups)} group(s) of connectors between the same two platforms; {excess} connector(s) more "
           "than needed.")
    notes = ["Each connector is another credential to rotate and another path to monitor: consolidate each group "
             "onto one owned connector."]
    return GraphView("duplicates", "Duplicate connectors", sub, list(order.values()), list(edges.values()), notes,
                     hierarchical=True)


# ------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------

def tooltip(lines: Iterable[str]) -> str:
    """Tooltip HTML for vis-network from plain text lines: every line escaped, joined by <br>."""
    return "<br>".join(html.escape(str(line), quote=True) for line in lines)


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """(vis-network JS, CSS) as shipped inside the pyvis package."""
    lib = resources.files("pyvis") / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("vis-network assets cannot be inlined safely")
    return js, css


APP_JS = """(function () {
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  function tip(escapedHtml) {  // tooltips are built from escaped text by nhigraph
    var d = document.createElement("div");
    d.className = "tip";
    d.innerHTML = escapedHtml;
    return d;
  }
  data.nodes.forEach(function (n) { if (n.title) { n.title = tip(n.title); } });
  data.edges.forEach(function (e) { if (e.title) { e.title = tip(e.title); } });
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
  network.once("afterDrawing", function () {
    // a fixed (hierarchical) layout never stabilises: size to the container and fit once drawn
    network.setSize(container.clientWidth + "px", container.clientHeight + "px");
    network.redraw();
    network.fit({animation: false});
    document.body.setAttribute("data-ready", "1");
  });
  network.once("stabilizationIterationsDone", function () { network.fit(); });
  var input = document.getElementById("filter");
  var count = document.getElementById("shown");
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    nodes.update(data.nodes.map(function (n) {
      var hit = !q || n.search.indexOf(q) >= 0 || n.centre;
      if (hit) { shown += 1; }
      return {id: n.id, hidden: !hit};
    }));
    count.textContent = String(shown);
  });
  window.nhigraphNetwork = network;
})();"""


def _options(view: GraphView) -> dict[str, Any]:
    big = len(view.nodes) > 150
    opts: dict[str, Any] = {
        "nodes": {"font": {"size": 13, "face": "DejaVu Sans, sans-serif", "color": "#202124"}, "borderWidth": 2},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.6}}, "width": 1.5,
                  "font": {"size": 11, "align": "middle", "color": "#5f6368", "strokeWidth": 3},
                  "smooth": {"type": "continuous"} if not view.hierarchical else {"type": "cubicBezier",
                                                                                   "forceDirection": "horizontal"}},
        "interaction": {"hover": True, "tooltipDelay": 120, "keyboard": True},
    }
    if view.hierarchical:
        opts["layout"] = {"hierarchical": {"enabled": True, "direction": "LR", "sortMethod": "directed",
                                           "levelSeparation": 260, "nodeSpacing": 110, "treeSpacing": 120}}
        opts["physics"] = {"enabled": False}
    else:
        opts["layout"] = {"improvedLayout": not big}
        opts["physics"] = {"solver": "forceAtlas2Based", "stabilization": {"iterations": 250 if not big else 120},
                           "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 120}}
    return opts


def network_data(view: GraphView) -> dict[str, Any]:
    """Nodes, edges and options for vis-network, assembled with pyvis."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    for n in view.nodes:
        color = LABEL_COLORS.get(n.label, "#9aa0a6")
        border = ALERT if n.alert else ("#202124" if n.highlight else color)
        opts: dict[str, Any] = {
            "title": tooltip(n.details), "size": n.size, "shape": "star" if n.highlight and n.label == "Credential"
            else SHAPES.get(n.label, "dot"),
            "color": {"background": "#fbbc04" if n.highlight else color, "border": border,
                      "highlight": {"background": "#fde293", "border": "#202124"}},
            "borderWidth": 5 if n.highlight else (4 if n.alert else 2),
            "search": n.search, "centre": n.highlight,
        }
        if n.highlight:
            opts["font"] = {"size": 16, "bold": True}
        if n.label in ("Connector", "Workflow"):
            opts["font"] = {"color": "#ffffff"}
        if view.hierarchical and n.level is not None:
            opts["level"] = n.level
        net.add_node(n.id, label=n.text, **opts)
    for e in view.edges:
        net.add_edge(e.source, e.target, label=e.label, title=tooltip([e.label, *e.details]) if e.details else None,
                     color=e.color, dashes=e.dashes)
    nodes, edges, _heading, _height, _width, _options_unused = net.get_network_data()
    for e in edges:  # pyvis keeps None titles; vis-network wants no key
        if e.get("title") is None:
            e.pop("title", None)
    return {"nodes": nodes, "edges": edges, "options": _options(view)}


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def render_view(view: GraphView) -> str:
    """The view as one self-contained HTML page."""
    from markupsafe import Markup

    from .html import environment

    js, css = vis_assets()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src {_csp_hash(js)} {_csp_hash(APP_JS)}")
    return environment().get_template("viz.html.j2").render(
        view=view, data=network_data(view), vis_js=Markup(js), vis_css=Markup(css), app_js=Markup(APP_JS), csp=csp,
        colors=LABEL_COLORS)


def write_view(view: GraphView, out, max_nodes: int = MAX_NODES, filter_text: str | None = None) -> GraphView:
    """Cut the view to ``max_nodes`` (and ``filter_text``), write it to ``out``; return what was drawn."""
    from ..util.files import atomic_write_text

    shown = view.limited(max_nodes, filter_text)
    atomic_write_text(out, render_view(shown))
    from . import readable

    readable(out)
    return shown
