"""`pai sync`: the history shared by several machines (PostgreSQL): who wrote what, and when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, say_json, warn

if TYPE_CHECKING:
    from pai_tui.history.sync import SyncStatus

EXIT_FAILED = 1


@click.group("sync")
def sync() -> None:
    """One history across machines: what each host has written to the shared database."""


@sync.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Per host: sessions, messages, notes, upgrade items, proposals, and the last write; the
    database (without its password) and its schema version. Reads only."""
    from pai_tui.history.hosts import this_host
    from pai_tui.history.migrations import LATEST, too_new
    from pai_tui.history.sync import KINDS, SyncStatus
    from pai_tui.history.urls import shown_url, sqlite_path, sqlite_url

    config = config_for(ctx)
    url = config.database_url or sqlite_url(config.home.database)
    path = sqlite_path(url)
    # Reading only: no file is made to say there is none.
    missing = path is not None and not path.exists()
    found = SyncStatus(0, []) if missing else _read(ctx, url)
    me = this_host()
    hosts: list[dict[str, Any]] = [
        {"host": row.host, "this_host": row.host == me, **row.counts,
         "last_write": row.last_write.isoformat() + "Z" if row.last_write else None}
        for row in found.hosts]
    if as_json:
        say_json({"database": shown_url(url), "schema_version": found.schema_version,
                  "pai_schema_version": LATEST, "this_host": me,
                  "upgrade_needed": found.too_new, "hosts": hosts})
        return
    say(f"Database: {shown_url(url)} (schema version {found.schema_version})")
    say(f"This host: {me}")
    if found.too_new:
        say(f"pai: {too_new(found.schema_version)}")
    if not hosts:
        say("Nothing written yet.")
        return
    say("")
    names = [(h["host"] or "(unknown)") + (" *" if h["this_host"] else "") for h in hosts]
    widths = [max(len("host"), *map(len, names)), *(max(len(kind), 5) for kind in KINDS)]
    say("  ".join(["host".ljust(widths[0]),
                   *(kind.rjust(width) for kind, width in zip(KINDS, widths[1:], strict=True)),
                   "last write (UTC)"]))
    for name, h in zip(names, hosts, strict=True):
        when = (h["last_write"] or "-")[:19].replace("T", " ")
        say("  ".join([name.ljust(widths[0]),
                       *(str(h[kind]).rjust(width)
                         for kind, width in zip(KINDS, widths[1:], strict=True)),
                       when]))
    notes = [*(["* this host"] if any(h["this_host"] for h in hosts) else []),
             *(["(unknown): rows written before pai recorded hosts"]
               if any(h["host"] is None for h in hosts) else [])]
    if notes:
        say("\n" + "; ".join(notes) + ".")


def _read(ctx: click.Context, url: str) -> SyncStatus:
    from pai_tui.history.errors import plain
    from pai_tui.history.store import make_engine
    from pai_tui.history.sync import sync_status
    from pai_tui.history.urls import redact, shown_url

    engine = make_engine(url)
    try:
        return sync_status(engine)
    except Exception as error:
        said = plain(redact(str(error), url), shown_url(url), config_for(ctx).home.backups)
        warn(f"pai: cannot read {shown_url(url)}: {said}")
        ctx.exit(EXIT_FAILED)
        raise  # not reached: exit raises
    finally:
        engine.dispose()
