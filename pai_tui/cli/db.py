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
@click.option("--to", "to", required=True, metavar="URL",
              help="The database to copy into: postgresql+psycopg://user@host/db, sqlite:///path.")
@click.option("--dry-run", is_flag=True, help="Count what would be copied; change nothing.")
@click.pass_context
def copy(ctx: click.Context, to: str, dry_run: bool) -> None:
    """Copy this history (sessions, messages, notes, timeline, upgrade items, proposals) into
    the database at URL, keeping their links and costs; rows already there are not copied
    again. Progress goes to stderr."""
    from sqlalchemy import inspect

    from pai_tui.history.copy import Copier
    from pai_tui.history.migrations import LATEST, SchemaError, current_version, too_new
    from pai_tui.history.store import Store, make_engine
    from pai_tui.history.urls import redact, shown_url, sqlite_url

    config = config_for(ctx)
    source_url = config.database_url or sqlite_url(config.home.database)
    where = shown_url(to)

    def fail(message: str) -> None:
        warn(f"pai: {redact(redact(message, to), source_url)}")
        ctx.exit(EXIT_FAILED)

    try:
        from sqlalchemy.engine import make_url

        same = make_url(to) == make_url(source_url)
    except Exception as error:
        fail(f"--to {to!r}: not a database URL ({error})")
        return
    if same:
        fail(f"--to {where} is this history's own database: nothing to copy")
    try:
        source, _, _ = Store.open(source_url, config.home.backups)
    except Exception as error:
        fail(f"cannot open this history: {error}")
        return
    target_store = None
    try:
        engine = make_engine(to)
        try:
            with engine.connect() as conn:
                version = current_version(conn)
                empty = not inspect(conn).get_table_names()
        except Exception as error:
            engine.dispose()
            fail(f"cannot reach {where}: {error}")
            return
        if version > LATEST:
            engine.dispose()
            fail(f"{where}: {too_new(version)}; nothing was copied")
        if dry_run:
            if not empty and version != LATEST:
                engine.dispose()
                fail(f"{where} is at schema version {version}: a copy would migrate it to "
                     f"{LATEST} first, so a dry run cannot compare with it")
            target = None if empty else engine
        else:
            engine.dispose()
            try:
                target_store, _, _ = Store.open(to, None)
            except SchemaError as error:
                fail(f"{where}: {error}")
                return
            target = target_store.engine

        def progress(table: str, done: int, total: int) -> None:
            click.echo(f"{table}: {done}/{total}", err=True)

        try:
            counts = Copier(source.engine, target, dry_run, progress).run()
        except Exception as error:
            fail(f"copying to {where} failed: {error} (what was copied stays; run again to "
                 "copy the rest)")
            return
        finally:
            if target is not None and target_store is None:
                target.dispose()
    finally:
        source.close()
        if target_store is not None:
            target_store.close()
    verb = "Would add" if dry_run else "Added"
    for table, found in counts.items():
        if found.rows:
            skipped = f", {found.skipped} skipped (what they belong to is gone)" \
                if found.skipped else ""
            say(f"{table}: {verb.lower()} {found.added}, {found.present} already there"
                f"{skipped}")
    added = sum(found.added for found in counts.values())
    present = sum(found.present for found in counts.values())
    say(f"{verb} {added} rows to {where} ({present} already there).")
