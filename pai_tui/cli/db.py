"""`pai db`: the history's database as a whole. `copy --to URL` copies it into another database
(the local SQLite file into the PostgreSQL several machines share), once: run again, it adds
nothing (history/copy.py)."""

from __future__ import annotations

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, warn

EXIT_FAILED = 1


@click.group("db")
def db() -> None:
    """The history's database: copy it into another (SQLite into PostgreSQL)."""


@db.command("copy")
@click.option("--to", "to", metavar="URL",
              help="The database to copy into: postgresql+psycopg://user@host/db, sqlite:///path.")
@click.option("--dry-run", is_flag=True, help="Count what would be copied; change nothing.")
@click.pass_context
def copy(ctx: click.Context, to: str | None, dry_run: bool) -> None:
    """Copy this history (sessions, messages, notes, timeline, upgrade items, proposals) into
    the database at URL, keeping their links and costs; rows already there are not copied
    again. Progress goes to stderr."""
    from pai_tui.history.copy import CopyError, copy_history
    from pai_tui.history.errors import plain
    from pai_tui.history.urls import redact, shown_url, sqlite_url

    config = config_for(ctx)  # a broken config.toml is said first, as by every command
    if not to:
        raise click.UsageError("copy to where? pai db copy --to URL "
                               "(e.g. postgresql+psycopg://me@host/pai)")
    source = config.database_url or sqlite_url(config.home.database)

    def progress(table: str, done: int, total: int) -> None:
        click.echo(f"{table}: {done}/{total}", err=True)

    try:
        counts = copy_history(source, to, config.home.backups, dry_run, progress)
    except CopyError as error:
        said = plain(redact(redact(str(error), to), source), shown_url(to), config.home.backups)
        warn(f"pai db copy: {said}")  # no SQL, no parameters, no password
        ctx.exit(EXIT_FAILED)
        return
    verb = "Would add" if dry_run else "Added"
    for table, found in counts.items():
        if found.rows:
            skipped = (f", {found.skipped} skipped (what they belong to is gone)"
                       if found.skipped else "")
            say(f"{table}: {verb.lower()} {found.added}, {found.present} already there{skipped}")
    added = sum(found.added for found in counts.values())
    present = sum(found.present for found in counts.values())
    say(f"{verb} {added} rows to {shown_url(to)} ({present} already there).")
