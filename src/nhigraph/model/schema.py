"""The building blocks of the graph model: property, node kind and edge kind declarations.

Everything else (validation, workspace columns, Neo4j constraints and MERGE statements, the README
model table, the inventory column set) is derived from instances of these classes, declared once in
:mod:`nhigraph.model.vocabulary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PropType = Literal["str", "int", "float", "bool", "datetime", "list"]


@dataclass(frozen=True)
class Prop:
    """One declared property of a node or an edge."""

    name: str
    type: PropType = "str"
    doc: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    #: a secret-bearing input field that must be fingerprinted and dropped, never stored
    secret: bool = False

    def __post_init__(self) -> None:
        if self.choices and self.type not in ("str", "list"):
            raise ValueError(f"{self.name}: choices only apply to str or list properties")


#: Properties every node carries, whatever its label.
COMMON_NODE_PROPS: tuple[Prop, ...] = (
    Prop("id", "str", "globally unique, stable id, e.g. `aws:123456789012:user/ci-deployer`", required=True),
    Prop("kind", "str", "sub-kind within the label (see Kinds)", required=True),
    Prop("name", "str", "display name", required=True),
    Prop("source", "str", "the export that first reported it, e.g. `inventory:credentials`", required=True),
    Prop("sources", "list", "every export that reports it"),
    Prop("first_seen", "datetime", "first time an export reported it (UTC)"),
    Prop("last_seen", "datetime", "last time an export reported it (UTC)"),
)

#: Properties every edge carries, whatever its type.
COMMON_EDGE_PROPS: tuple[Prop, ...] = (
    Prop("start", "str", "id of the start node", required=True),
    Prop("end", "str", "id of the end node", required=True),
    Prop("source", "str", "the export that first reported it", required=True),
    Prop("sources", "list", "every export that reports it"),
)


@dataclass(frozen=True)
class NodeKind:
    """A node label: its sub-kinds and its properties beyond the common ones."""

    label: str
    doc: str
    kinds: tuple[str, ...]
    props: tuple[Prop, ...] = ()
    #: properties worth an index in Neo4j (besides `id`, which gets a uniqueness constraint)
    indexed: tuple[str, ...] = ()

    @property
    def all_props(self) -> tuple[Prop, ...]:
        return COMMON_NODE_PROPS + self.props

    def prop(self, name: str) -> Prop:
        for p in self.all_props:
            if p.name == name:
                return p
        raise KeyError(f"{self.label} has no property {name!r}")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.all_props)


@dataclass(frozen=True)
class EdgeKind:
    """A relationship type: which labels it joins and its properties."""

    type: str
    doc: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    props: tuple[Prop, ...] = ()
    #: properties that are part of the edge's identity: two edges between the same pair with a different
    #: value are distinct (e.g. OWNS with role approve and OWNS with role revoke)
    key: tuple[str, ...] = ()

    @property
    def all_props(self) -> tuple[Prop, ...]:
        return COMMON_EDGE_PROPS + self.props

    def prop(self, name: str) -> Prop:
        for p in self.all_props:
            if p.name == name:
                return p
        raise KeyError(f"{self.type} has no property {name!r}")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.all_props)


@dataclass(frozen=True)
class Model:
    nodes: tuple[NodeKind, ...]
    edges: tuple[EdgeKind, ...]
    _by_label: dict[str, NodeKind] = field(default_factory=dict, compare=False, repr=False)
    _by_type: dict[str, EdgeKind] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_label.update({n.label: n for n in self.nodes})
        self._by_type.update({e.type: e for e in self.edges})
        if len(self._by_label) != len(self.nodes) or len(self._by_type) != len(self.edges):
            raise ValueError("duplicate label or edge type in the model")
        for spec in self.nodes + self.edges:
            names = [p.name for p in spec.all_props]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                what = spec.label if isinstance(spec, NodeKind) else spec.type
                raise ValueError(f"{what} declares property {dupes[0]!r} twice")
        for e in self.edges:
            for lab in e.start + e.end:
                if lab not in self._by_label:
                    raise ValueError(f"edge {e.type} names unknown label {lab}")
            for k in e.key:
                if k not in e.columns:
                    raise ValueError(f"edge {e.type} key names unknown property {k!r}")
            if any(p.secret for p in e.props):
                raise ValueError(f"edge {e.type}: only node properties can be secret (edges are stored as is)")

    def node(self, label: str) -> NodeKind:
        try:
            return self._by_label[label]
        except KeyError:
            raise KeyError(f"unknown node label {label!r} (known: {', '.join(self._by_label)})") from None

    def edge(self, type_: str) -> EdgeKind:
        try:
            return self._by_type[type_]
        except KeyError:
            raise KeyError(f"unknown edge type {type_!r} (known: {', '.join(self._by_type)})") from None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._by_label)

    @property
    def edge_types(self) -> tuple[str, ...]:
        return tuple(self._by_type)

    def label_of_kind(self) -> dict[str, str]:
        """Sub-kind -> label, for sub-kinds unique to one label."""
        seen: dict[str, list[str]] = {}
        for n in self.nodes:
            for k in n.kinds:
                seen.setdefault(k, []).append(n.label)
        return {k: v[0] for k, v in seen.items() if len(v) == 1}
