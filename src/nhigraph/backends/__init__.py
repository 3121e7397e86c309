"""Two backends, one behaviour: every analysis command asks a backend, embedded (networkx) or Neo4j.

A backend answers the questions in :class:`~nhigraph.backends.base.Backend`; the CLI and the report
build everything else from those answers, so both backends print the same thing.
"""

from __future__ import annotations

from .base import Backend

BACKENDS = ("embedded", "neo4j")


def open_backend(name: str, workspace=None, snapshot: str | None = None, **neo4j_options) -> Backend:
    if name == "embedded":
        from .embedded import EmbeddedBackend

        return EmbeddedBackend(workspace, snapshot)
    if name == "neo4j":
        from ..neo4j.backend import Neo4jBackend

        return Neo4jBackend(**neo4j_options)
    raise ValueError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")


__all__ = ["Backend", "BACKENDS", "open_backend"]
