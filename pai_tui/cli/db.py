"""`pai db`: the history's database as a whole. `copy --to URL` copies it into another database
(the local SQLite file into the PostgreSQL several machines share); run again, it brings that
copy up to date: rows changed here since are updated there, new ones added, none twice
(history/copy.py)."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, warn

if TYPE_CHECKING:
    from pai_tui.history.copy import Counts

EXIT_FAILED = 1


@click.group("db")
def db() -> None:
    """The history's database: copy it into another (SQLite into PostgreSQL)."""


@db.command("copy")
@click.option("--to", "to", metavar="URL",
              help="The database to copy into: postgresql+psycopg://user@host/db, sqlite:///path.")
@click.option("--dry-run", is_flag=True,
              help="Count what would be copied and updated; change nothing.")
@click.pass_context
def copy(ctx: click.Context, to: str | None, dry_run: bool) -> None:
    """Copy this history (sessions, messages, notes, timeline, upgrade items, proposals) into
    the database at URL, keeping their links and costs; run again, rows changed here since are
    updated there and none is copied twice (another host's rows are never changed). Prints
    copied / updated / unchanged per table; progress goes to stderr."""
    from pai_tui.history.copy import CopyError, Counts, copy_history
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
    for table, found in counts.items():
        if found.rows:
            say(f"{table}: {_counted(found, dry_run)}")
    total = Counts(**{field.name: sum(getattr(found, field.name) for found in counts.values())
                      for field in fields(Counts)})
    say(f"In all, into {shown_url(to)}: {_counted(total, dry_run)}.")


def _counted(found: Counts, dry_run: bool) -> str:
    """copied N, updated N, unchanged N (and what was left alone, and why)."""
    would = "would be " if dry_run else ""
    said = (f"{would}copied {found.added}, {would}updated {found.updated}, "
            f"unchanged {found.unchanged}")
    if found.kept:
        said += f", {found.kept} left as there (another host's, or changed there since)"
    if found.skipped:
        said += f", {found.skipped} skipped (what they belong to is gone)"
    return said
