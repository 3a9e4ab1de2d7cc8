"""`pai` and its sub-commands: parse arguments, build a Cockpit, nothing else.

Exit codes: 0 fine, 1 a check failed, 2 usage or configuration error.
"""

from __future__ import annotations

import sys
from typing import ClassVar

import click

from pai_tui import __version__
from pai_tui.config import Config, ConfigError, load_config

EXIT_CONFIG = 2


def _config(ctx: click.Context) -> Config:
    """The configuration, loaded on first use: every command calls this before doing anything,
    and `--help` (handled before a command runs) works even when config.toml is broken."""
    root = ctx.find_root()
    if root.obj is None:
        try:
            root.obj = load_config()
        except ConfigError as error:
            click.echo(f"pai: configuration error: {error}", err=True)
            click.echo("pai: fix the file (it was not changed) and run pai again.", err=True)
            ctx.exit(EXIT_CONFIG)
    return root.obj


class PaiGroup(click.Group):
    """`pai`: command groups that live in modules of their own are imported when used, so
    starting the cockpit pays nothing for them."""

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {"skill": ("pai_tui.skills.commands", "skill")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY and name not in self.commands:
            import importlib

            module, attribute = self.LAZY[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


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
        _run_app(ctx, _config(ctx))


def _run_app(ctx: click.Context, config: Config) -> None:
    from pai_tui.cockpit import Cockpit
    from pai_tui.ui.app import PaiApp

    try:
        config.home.ensure()
    except OSError as error:
        click.echo(f"pai: cannot use PAI_HOME {config.home.root}: {error.strerror} "
                   f"({error.filename}). Set PAI_HOME to a folder you own.", err=True)
        ctx.exit(EXIT_CONFIG)
    cockpit = Cockpit(config)
    try:
        app = PaiApp(cockpit)
        app.run()
    finally:
        cockpit.close()
    ctx.exit(app.return_code or 0)


@cli.command()
@click.argument("prompt", required=False)
@click.option("--provider", help="Provider name (anthropic, openai, or one in config.toml).")
@click.option("--model", help="Model name (default: the provider's).")
@click.option("--system", help="System prompt for this session.")
@click.option("--session", "session", type=int, metavar="ID", help="Continue session ID.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (text, status, usage, cost) at the end instead of "
                   "streaming.")
@click.option("--yes", is_flag=True,
              help="Let the model run tools of the skill answering whose policy is 'ask'.")
@click.pass_context
def ask(ctx: click.Context, prompt: str | None, provider: str | None, model: str | None,
        system: str | None, session: int | None, as_json: bool, yes: bool) -> None:
    """Ask a model and stream the answer to stdout; saved to history like a chat turn.

    Text piped on stdin is sent too, after PROMPT: cat notes.md | pai ask "summarize"
    The message is routed like a chat message: "/name ..." or a routing rule runs a skill.

    Exit codes: 0 complete, 2 usage or configuration error, 3 provider error,
    4 incomplete or cancelled.
    """
    import asyncio

    from pai_tui.ask import EXIT_INCOMPLETE, EXIT_USAGE, AskOptions, UsageError, ask, compose_prompt
    from pai_tui.cockpit import Cockpit

    config = _config(ctx)
    try:
        text = compose_prompt(prompt, sys.stdin)
    except UsageError as error:
        click.echo(f"pai ask: {error}", err=True)
        ctx.exit(EXIT_USAGE)
    options = AskOptions(text, provider, model, system, session, as_json, yes=yes)
    cockpit = Cockpit(config)
    code = EXIT_USAGE
    try:
        code = asyncio.run(ask(cockpit, options))
    except UsageError as error:
        click.echo(f"pai ask: {error}", err=True)
    except KeyboardInterrupt:
        click.echo("pai: cancelled; the partial answer is saved, marked cancelled.", err=True)
        code = EXIT_INCOMPLETE
    finally:
        cockpit.close()
    ctx.exit(code)


@cli.command()
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: skill (null for plain chat), how, reasons, scores.")
@click.pass_context
def route(ctx: click.Context, text: str | None, as_json: bool) -> None:
    """Say which skill a message (TEXT, or stdin) would go to, and why.

    The routing table (rule hit), else the score table, else "model" (when [skills]
    model_routing is on) or plain chat. Nothing is sent to a model. Problems in routing.toml
    are printed on stderr.
    """
    import json

    from pai_tui.cockpit import Cockpit

    cockpit = Cockpit(_config(ctx))
    if text is None:
        from pai_tui.ask import read_text

        text = "" if sys.stdin.isatty() else read_text(sys.stdin)
        if not text.strip():
            raise click.UsageError("give the message to route as TEXT, or pipe it on stdin")
    _, router = cockpit.load_skills()
    for finding in router.findings:
        click.echo(f"pai: {finding}", err=True)
    decision = router.route(text)
    if as_json:
        click.echo(json.dumps(decision.to_json(), ensure_ascii=False))
    else:
        from pai_tui.safe_text import printable

        click.echo(printable(decision.explain()))


@cli.group("config")
def config_group() -> None:
    """Where pai's settings live."""


@config_group.command("path")
@click.option("--home", is_flag=True, help="Print the PAI_HOME folder instead of config.toml.")
@click.pass_context
def config_path(ctx: click.Context, home: bool) -> None:
    """Print the path of config.toml (or, with --home, of PAI_HOME)."""
    paths = _config(ctx).home
    click.echo(paths.root if home else paths.config)


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check that pai can run here, and say how to fix what is wrong.

    Exits 0 when pai can run (missing keys or voice engine are warnings), 1 when it cannot.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from pai_tui.doctor import run_checks

    checks = run_checks(_config(ctx))
    table = Table(title="pai doctor", title_justify="left", expand=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail", overflow="fold")  # long paths wrap, never cut
    table.add_column("Fix", overflow="fold")
    styles = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for check in checks:
        table.add_row(check.name, Text(check.level.upper(), styles[check.level]),
                      Text(check.detail), Text(check.fix))
    Console(soft_wrap=False).print(table)
    failed = [c.name for c in checks if c.level == "fail"]
    if failed:
        click.echo(f"pai cannot run: fix {', '.join(failed)}.", err=True)
        ctx.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def keys(ctx: click.Context, as_json: bool) -> None:
    """List every key binding: id, keys (after your [keymap]), and what it does."""
    import json

    from pai_tui.actions import ACTIONS

    keymap = _config(ctx).keymap
    for spec in ACTIONS:
        bound = keymap.get(spec.id, spec.keys)
        if as_json:
            click.echo(json.dumps({"id": spec.id, "keys": bound.split(","), "title": spec.title,
                                   "scope": spec.scope, "help": spec.help}))
        else:
            click.echo(f"{spec.id:<16} {bound:<30} {spec.help or spec.title}")


def main() -> None:
    cli(prog_name="pai")


if __name__ == "__main__":
    sys.exit(main())
