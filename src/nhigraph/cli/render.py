"""Rich tables and progress bars. Every untrusted value goes in as rich Text, never as markup, and with its
control characters made visible."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text


#: C0 and C1 control characters, DEL, and the bidirectional overrides and isolates that reorder what is shown
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(value: str, keep: str = "\t\n") -> str:
    """``value`` with its control characters written as escapes (``\\x1b``, ``\\u202e``), except those in ``keep``.

    Names come from untrusted exports: printed raw, an escape sequence in one could clear the screen, retitle
    the terminal, write the clipboard or hide the rest of a line, and a bidirectional override could make an
    id read as another."""
    def escape(m: re.Match[str]) -> str:
        c = m.group()
        return c if c in keep else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    return _CONTROL.sub(escape, value)


def text(value: Any) -> Text:
    """A table cell that shows the value as it is: markup in untrusted names is not interpreted, control
    characters are shown as escapes."""
    if value is None:
        return Text("")
    if isinstance(value, (list, tuple, set)):
        return Text(printable(", ".join(map(str, value))))
    return Text(printable(str(value)))


def table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[Any]], **kw: Any) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold", **kw)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*[text(v) for v in row])
    return t


def counts_table(title: str, columns: dict[str, dict[str, int]]) -> Table:
    """One row per label/edge type, one column per count kind."""
    keys = sorted({k for counts in columns.values() for k in counts})
    rows = [[k] + [counts.get(k, 0) or "" for counts in columns.values()] for k in keys]
    t = table(title, ["kind", *columns], rows)
    if not rows:
        t.add_row(text("(nothing)"), *[text("") for _ in columns])
    return t


@contextmanager
def progress_bar(disable: bool = False) -> Iterator[Progress]:
    from rich.console import Console

    err = Console(stderr=True)
    # off when stderr is not a terminal: a transient bar still leaves a blank line in a log or a pipe
    # file names are shown as they are: a name with "[/]" in it is not markup
    bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True, disable=disable or not err.is_terminal)
    with bar:
        yield bar
