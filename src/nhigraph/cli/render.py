"""Rich tables and progress bars. Every untrusted value goes in as rich Text, never as markup."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text


def text(value: Any) -> Text:
    """A table cell that shows the value as it is: markup in untrusted names is not interpreted."""
    if value is None:
        return Text("")
    if isinstance(value, (list, tuple, set)):
        return Text(", ".join(map(str, value)))
    return Text(str(value))


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
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=disable or not err.is_terminal)
    with bar:
        yield bar
