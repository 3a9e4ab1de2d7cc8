"""`pai`: the group, the configuration its commands share, and the cockpit when no command is
given. Each command group lives in a module of its own (ask, route, skill, doctor, config, keys),
imported only when that command runs: parse arguments, build a Cockpit, nothing else.

Exit codes: 0 fine, 1 a check failed, 2 usage or configuration error.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, ClassVar

import click

from pai_tui import __version__
from pai_tui.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from click.formatting import HelpFormatter

EXIT_CONFIG = 2


def config_for(ctx: click.Context) -> Config:
    """The configuration, loaded on first use: every command calls this before doing anything,
    and `--help` (handled before a command runs) works even when config.toml is broken."""
    root = ctx.find_root()
    if root.obj is None:
        try:
            root.obj = load_config()
        except ConfigError as error:
            from pai_tui.cli.output import warn  # not at startup (tests/e2e/test_imports.py)

            warn(f"pai: configuration error: {error}")
            warn("pai: fix the file (it was not changed) and run pai again.")
            ctx.exit(EXIT_CONFIG)
    return root.obj


class PaiGroup(click.Group):
    """`pai`: command groups live in modules of their own, imported when used, so starting the
    cockpit pays nothing for them."""

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {
        "ask": ("pai_tui.cli.ask", "ask_command"),
        "config": ("pai_tui.cli.config", "config_group"),
        "doctor": ("pai_tui.cli.doctor", "doctor"),
        "keys": ("pai_tui.cli.keys", "keys"),
        "route": ("pai_tui.cli.route", "route"),
        "skill": ("pai_tui.cli.skill", "skill"),
    }
    # The first paragraph of each lazy command's help, for `pai --help`: listing the commands
    # imports none of them. tests/test_imports.py checks that these match the commands.
    SUMMARY: ClassVar[dict[str, str]] = {
        "ask": "Ask a model and stream the answer to stdout; saved to history like a chat turn.",
        "config": "Where pai's settings live.",
        "doctor": "Check that pai can run here, and say how to fix what is wrong.",
        "keys": "List every key binding: id, keys (after your [keymap]), and what it does.",
        "route": "Say which skill a message (TEXT, or stdin) would go to, and why.",
        "skill": "Skills: folders with a SKILL.md (and Fabric patterns) that pai can run.",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def format_commands(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        """As click's, with a command not imported yet standing in by its SUMMARY."""
        commands = [(name, self.commands.get(name) or click.Command(name, help=self.SUMMARY[name]))
                    for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if not command.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit))
                                    for name, command in commands])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY and name not in self.commands:
            import importlib

            module, attribute = self.LAZY[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's; a mistyped name is matched against every command, imported or not
        (click 8.4's "Did you mean" looks only at the commands already imported)."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if hasattr(error, "command_name") and not getattr(error, "possibilities", None):
                raise type(error)(error.command_name, possibilities=self.list_commands(ctx),
                                  ctx=ctx) from None
            raise


@click.group(cls=PaiGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="pai")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pai: a personal AI cockpit in the terminal.

    Without a command, opens the cockpit: Chat, Agents, History and Upgrades panes.
    Settings and data live in PAI_HOME (default ~/.pai); `pai config path` prints where.
    """
    if ctx.invoked_subcommand is None:
        _run_app(ctx, config_for(ctx))
    else:
        gc.enable()


def _run_app(ctx: click.Context, config: Config) -> None:
    import sys

    from pai_tui.cockpit import Cockpit
    from pai_tui.ui.app import PaiApp

    try:
        config.home.ensure()
    except OSError as error:
        from pai_tui.cli.output import warn

        warn(f"pai: cannot use PAI_HOME {config.home.root}: {error.strerror} "
             f"({error.filename}). Set PAI_HOME to a folder you own.")
        ctx.exit(EXIT_CONFIG)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from pai_tui.cli.output import warn

        warn("pai: the cockpit is a full-screen app and needs a terminal (stdin or stdout is "
             "not one here). From a script or a pipe, ask with: pai ask \"your question\"")
        ctx.exit(EXIT_CONFIG)
    cockpit = Cockpit(config)
    try:
        app = PaiApp(cockpit)
        app.run()
    finally:
        cockpit.close()
    ctx.exit(app.return_code or 0)


def main() -> None:
    # Start-up makes some 60,000 objects that live as long as the process, and the collector
    # scanned them again and again before the cockpit's first frame (~15 ms, for some 3,600
    # objects of garbage). It resumes when a command runs, and in the cockpit after its first
    # frame (ui/app.py freezes what start-up made, then enables it).
    gc.disable()
    cli(prog_name="pai")
