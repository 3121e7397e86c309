"""README stays true: its generated sections match the code, and every command is documented."""

from __future__ import annotations

from pathlib import Path

import click

from nhigraph.cli import cli
from nhigraph.docs import SECTIONS, render_readme

README = Path(__file__).parent.parent / "README.md"


def test_generated_sections_are_fresh() -> None:
    text = README.read_text()
    for name in SECTIONS:
        assert f"<!-- generated:{name} -->" in text, f"README lacks the generated {name} section"
    assert render_readme(text) == text, "README is stale: run `make docs`"


def test_every_command_is_documented() -> None:
    ctx = click.Context(cli)
    text = README.read_text()

    def walk(group, prefix):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert cmd.help and len(cmd.help) > 40, f"{prefix} {name} has no real help text"
            assert f"`{prefix} {name}`" in text, f"README does not list `{prefix} {name}`"
            if isinstance(cmd, click.Group):
                walk(cmd, f"{prefix} {name}")

    walk(cli, "nhigraph")


def test_quickstart_has_the_two_commands() -> None:
    text = README.read_text()
    quick = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    assert "make demo" in quick and "make test" in quick
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci
