"""Errors a user can act on. The CLI prints them as one line and exits non-zero, never a traceback."""

from __future__ import annotations

from pathlib import Path


class NhigraphError(Exception):
    """Base class for every error meant for the user."""

    exit_code = 1


class InputError(NhigraphError):
    """A bad export file or record: names the file and the record."""

    exit_code = 2

    def __init__(self, path: str | Path | None, record: str | None, message: str) -> None:
        self.path = str(path) if path is not None else None
        self.record = record
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.path, self.record) if p)
        return f"{where}: {self.message}" if where else self.message


class WorkspaceError(NhigraphError):
    """The workspace is missing, locked or unreadable."""

    exit_code = 3


class NotFoundError(NhigraphError):
    """A key, snapshot or query was not found."""

    exit_code = 4
