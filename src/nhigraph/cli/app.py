"""The root command group: global options, lazy sub-commands and one-line errors."""

from __future__ import annotations

import importlib
import sys

import click

from ..errors import NhigraphError

#: command name -> "module:attribute", imported only when the command runs (keeps --help fast)
COMMANDS = {
    "ingest": "nhigraph.cli.ingest_cmd:ingest",
    "stats": "nhigraph.cli.stats_cmd:stats",
    "snapshots": "nhigraph.cli.stats_cmd:snapshots",
    "formats": "nhigraph.cli.stats_cmd:formats",
    "export": "nhigraph.cli.export_cmd:export",
    "demo": "nhigraph.cli.demo_cmd:demo",
    "reach": "nhigraph.cli.reach_cmd:reach",
    "debt": "nhigraph.cli.debt_cmd:debt",
    "findings": "nhigraph.cli.debt_cmd:findings",
    "report": "nhigraph.cli.report_cmd:report",
    "diff": "nhigraph.cli.report_cmd:diff",
    "viz": "nhigraph.cli.viz_cmd:viz",
    "synth": "nhigraph.cli.synth_cmd:synth",
    "neo4j": "nhigraph.cli.neo4j_cmd:neo4j",
    "query": "nhigraph.cli.query_cmd:query",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NhigraphError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="nhigraph")
def cli() -> None:
    """nhigraph: map non-human identities, their credentials and owners, and measure NHI debt.

    Ingest offline exports (cloud IAM, SaaS, CI/CD, vaults, scanners, CMDB inventories) into a workspace,
    then ask what a leaked key reaches, who owns it, and where the integration, coordination,
    orchestration and security debt is. Start with `nhigraph demo`.

    The workspace is ./nhigraph-workspace unless --workspace or $NHIGRAPH_WORKSPACE says otherwise.
    """


def main() -> None:
    sys.exit(cli.main(prog_name="nhigraph", standalone_mode=True))
