"""Ingesters: pure functions from export files to normalised records, one module per source."""

from .registry import FORMATS, detect, get

__all__ = ["FORMATS", "detect", "get"]
