"""`pai history`: the history from the shell. `search` finds messages, agents' results and
upgrade items, best first, with a snippet of each."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import say, say_json

if TYPE_CHECKING:
    from pai_tui.history.records import SearchHit

KINDS = ("message", "agent", "note", "item")
_AGO = re.compile(r"^(\d+)\s*([hdwm])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
          "m": timedelta(days=30)}


@click.group("history")
def history() -> None:
    """Your history: search it, show a session."""


def since_moment(value: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `2w`, `3m` ago, or a date or time (`2026-11-01`, `2026-11-01T09:30`), as
    naive UTC like the store's times."""
    from pai_tui.history.models import utcnow

    ago = _AGO.match(value.strip().lower())
    if ago:
        return (now or utcnow()) - int(ago.group(1)) * _UNITS[ago.group(2)]
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: not a date (2026-11-01) or an age (7d, 12h, 2w, "
                                 "3m)") from None
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@history.command("search")
@click.argument("query", nargs=-1)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only this kind (again for more).")
@click.option("--since", metavar="WHEN", help="Only since: a date (2026-11-01) or an age (7d).")
@click.option("--session", "session_id", type=int, help="Only this session.")
@click.option("--agent", help="Only this agent's runs.")
@click.option("--model", help="Only answers by this model.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of results, best first.")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], kinds: tuple[str, ...],
           since: str | None, session_id: int | None, agent: str | None, model: str | None,
           limit: int, as_json: bool) -> None:
    """Find QUERY in messages, agents' results and upgrade items: words with their variants,
    and substrings such as code, ids and URLs. No match is not an error (exit 0)."""
    from pai_tui.history.search import Filters

    config = config_for(ctx)  # a broken config.toml is said first, as by every command
    if not query:
        raise click.UsageError("what to search for? pai history search QUERY")
    filters = Filters(kinds, session_id, agent, model,
                      since_moment(since) if since else None)
    text = " ".join(query)
    hits = in_cockpit(config, lambda c: c.history.run(
        lambda store: store.search(text, filters, limit)))
    if as_json:
        say_json([record(hit) for hit in hits])
        return
    if not hits:
        say(f"Nothing found for {text!r}.")
    bold = sys.stdout.isatty()
    for hit in hits:
        where = f"session {hit.session_id}" if hit.session_id is not None else "upgrades"
        who = hit.agent or hit.role or hit.kind
        say(f"{hit.kind} {hit.id}  {where}  {hit.created_at:%Y-%m-%d %H:%M}  {who}")
        if bold:
            click.echo("    " + emphasised(hit))
        else:
            say(f"    {hit.snippet}")


def emphasised(hit: SearchHit) -> str:
    """The snippet with its matches in bold, for a terminal: the text is made literal first,
    the bold is ours."""
    from pai_tui.safe_text import printable

    parts, at = [], 0
    for start, end in hit.highlights:
        parts += [printable(hit.snippet[at:start]), "\x1b[1m",
                  printable(hit.snippet[start:end]), "\x1b[22m"]
        at = end
    return "".join([*parts, printable(hit.snippet[at:])])


def record(hit: SearchHit) -> dict[str, Any]:
    return {"kind": hit.kind, "id": hit.id, "session": hit.session_id, "snippet": hit.snippet,
            "highlights": [list(span) for span in hit.highlights], "score": hit.score,
            "role": hit.role, "agent": hit.agent, "model": hit.model,
            "created_at": hit.created_at.isoformat() + "Z"}
