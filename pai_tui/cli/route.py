"""`pai route`: which skill a message would go to, and why; nothing is sent to a model."""

from __future__ import annotations

import sys

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, say_json, warn


@click.command("route")
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
    from pai_tui.cockpit import Cockpit

    cockpit = Cockpit(config_for(ctx))
    if text is None:
        from pai_tui.cli.ask import read_text

        text = "" if sys.stdin.isatty() else read_text(sys.stdin)
        if not text.strip():
            raise click.UsageError("give the message to route as TEXT, or pipe it on stdin")
    _, router = cockpit.skills.load()
    for finding in router.findings:
        warn(f"pai: {finding}")
    decision = router.route(text)
    if as_json:
        say_json(decision.to_json())
    else:
        say(decision.explain())
