"""The `pai` command group (click): its commands live in modules of their own, imported when
used. Bare `pai` opens the cockpit without this module (see `main` in __init__.py)."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, ClassVar

import click

from pai_tui import __version__
from pai_tui.cli import config_for, run_cockpit

if TYPE_CHECKING:
    from click.formatting import HelpFormatter


class PaiGroup(click.Group):
    """`pai`: command groups live in modules of their own, imported when used, so starting the
    cockpit pays nothing for them."""

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {
        "agent": ("pai_tui.cli.agent", "agent"),
        "ask": ("pai_tui.cli.ask", "ask_command"),
        "config": ("pai_tui.cli.config", "config_group"),
        "daemon": ("pai_tui.cli.daemon", "daemon"),
        "db": ("pai_tui.cli.db", "db"),
        "doctor": ("pai_tui.cli.doctor", "doctor"),
        "history": ("pai_tui.cli.history", "history"),
        "hooks": ("pai_tui.cli.hooks", "hooks"),
        "keys": ("pai_tui.cli.keys", "keys"),
        "notes": ("pai_tui.cli.notes", "notes"),
        "route": ("pai_tui.cli.route", "route"),
        "runs": ("pai_tui.cli.timeline", "runs"),
        "say": ("pai_tui.cli.voice", "say_command"),
        "secrets": ("pai_tui.cli.secrets", "secrets_group"),
        "skill": ("pai_tui.cli.skill", "skill"),
        "sync": ("pai_tui.cli.sync", "sync"),
        "telos": ("pai_tui.cli.telos", "telos"),
        "trace": ("pai_tui.cli.timeline", "trace"),
        "upgrade": ("pai_tui.cli.upgrade", "upgrade"),
        "voice": ("pai_tui.cli.voice", "voice"),
    }
    # The first paragraph of each lazy command's help, for `pai --help`: listing the commands
    # imports none of them. tests/test_imports.py checks that these match the commands.
    SUMMARY: ClassVar[dict[str, str]] = {
        "agent": "Named agents: Markdown files (Claude Code's and PAI's format) that pai can run.",
        "ask": "Ask a model and stream the answer to stdout; saved to history like a chat turn.",
        "config": "Where pai's settings live.",
        "daemon": "Run the upgrade scheduler in the foreground: poll the sources that are due, "
                  "write the daily digest.",
        "db": "The history's database: copy it into another (SQLite into PostgreSQL).",
        "doctor": "Check that pai can run here, and say how to fix what is wrong.",
        "history": "Your history: search it, show a session, export it, import your other "
                   "chats.",
        "hooks": "Lifecycle hooks (Claude Code's format): list, check and try them.",
        "keys": "List every key binding: id, keys (after your [keymap]), and what it does.",
        "notes": "What pai remembers: learnings, decisions, research and preferences.",
        "route": "Say which skill a message (TEXT, or stdin) would go to, and why.",
        "runs": "List chat turns and agents' runs from the timeline, newest first (pai trace ID "
                "shows one).",
        "say": "Say TEXT (or what stdin holds) in the main voice, an agent's or any voice id.",
        "secrets": "Secrets: scan files or staged changes for keys, a pre-commit hook, and key "
                   "rotation.",
        "skill": "Skills: folders with a SKILL.md (and Fabric patterns) that pai can run.",
        "sync": "One history across machines: what each host has written to the shared "
                "database.",
        "telos": "Your TELOS: mission, goals, problems... in $PAI_HOME/telos/, read by id (G1, "
                 "P1...).",
        "trace": "Print the timeline of a turn or an agent's run: its model calls, tool runs, "
                 "questions and the runs it started (pai runs lists the ids).",
        "upgrade": "The upgrade feed: AI news sources watched, ranked against your goals, "
                   "proposed as changes.",
        "voice": "Voices: every agent speaks in its own, offline (espeak-ng).",
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
        ctx.exit(run_cockpit(config_for(ctx)))
    gc.enable()
