"""`pai config ...`: where pai's settings live."""

from __future__ import annotations

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say


@click.group("config")
def config_group() -> None:
    """Where pai's settings live."""


@config_group.command("path")
@click.option("--home", is_flag=True, help="Print the PAI_HOME folder instead of config.toml.")
@click.pass_context
def config_path(ctx: click.Context, home: bool) -> None:
    """Print the path of config.toml (or, with --home, of PAI_HOME)."""
    paths = config_for(ctx).home
    say(paths.root if home else paths.config)
