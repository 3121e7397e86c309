"""The nhigraph command line: a thin click layer over the library. Each command lives in its own module."""

from __future__ import annotations

from .app import cli, main

__all__ = ["cli", "main"]
