"""`pai keys`: every key binding of the cockpit, after the user's [keymap]."""

from __future__ import annotations

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, say_json


@click.command("keys")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def keys(ctx: click.Context, as_json: bool) -> None:
    """List every key binding: id, keys (after your [keymap]), and what it does."""
    from pai_tui.actions import ACTIONS

    keymap = config_for(ctx).keymap
    for spec in ACTIONS:
        bound = keymap.get(spec.id, spec.keys)
        if as_json:
            say_json({"id": spec.id, "keys": bound.split(","), "title": spec.title,
                      "scope": spec.scope, "help": spec.help})
        else:
            say(f"{spec.id:<16} {bound:<30} {spec.help or spec.title}")
