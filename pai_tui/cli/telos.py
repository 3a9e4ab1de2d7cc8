"""`pai telos show`: the user's TELOS as pai reads it (the items the upgrade feed is ranked
against, by id), and what is wrong in the files, with file and line."""

from __future__ import annotations

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, say_json, warn


@click.group("telos")
def telos() -> None:
    """Your TELOS: mission, goals, problems... in $PAI_HOME/telos/, read by id (G1, P1...)."""


@telos.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of items.")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Each item: its id, kind and text (and where it is written). Files are never changed."""
    from pai_tui.telos import load_telos, telos_folder

    home = config_for(ctx).home.root
    found = load_telos(home)
    for problem in found.problems:
        warn(f"pai: {problem}")
    if as_json:
        say_json([{"id": i.id, "kind": i.kind, "text": i.text, "detail": i.detail,
                   "keywords": list(i.keywords), "weight": i.weight, "file": str(i.file),
                   "line": i.line} for i in found.items])
        return
    if not found.items:
        say(f"No TELOS items in {telos_folder(home)} (write lines like '- G1: Ship pai 1.0' "
            "in TELOS.md or GOALS.md, or ask the telos skill).")
        return
    kind = None
    for item in found.items:
        if item.kind != kind:
            kind = item.kind
            say(f"{kind.capitalize()}s" if not kind.endswith("s") else kind.capitalize())
        weight = f"  (weight {item.weight:g})" if item.weight != 1.0 else ""
        say(f"  {item.id}  {item.text}{weight}")
