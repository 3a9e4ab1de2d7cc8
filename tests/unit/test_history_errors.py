"""What the user reads when the history fails: what failed and what to do, never the SQL, its
parameters (the user's own message) or the database password."""

from __future__ import annotations

import pytest

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.turns.service import NotSaved

SECRET_TEXT = "hello, my private plan for the quokka"


async def refuse_writes(cockpit: Cockpit, reason: str) -> None:
    """A real SQLite failure on the next message saved (a trigger that aborts the insert)."""
    store = await cockpit.history.store()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN "
                             f"SELECT RAISE(ABORT, '{reason}'); END")


def assert_no_sql(text: str) -> None:
    lowered = text.lower()
    for leak in ("quokka", "[parameters", "[sql", "insert into", "sqlalche.me", "sqlite3."):
        assert leak not in lowered, (leak, text)


async def test_a_message_that_cannot_be_saved_says_why_without_the_sql(cockpit: Cockpit) -> None:
    await refuse_writes(cockpit, "database or disk is full")
    with pytest.raises(NotSaved) as caught:
        await cockpit.turns.start(None, SECRET_TEXT)
    reason = str(caught.value)
    assert_no_sql(reason)
    assert "database or disk is full" in reason
    assert "free some disk space" in reason  # what to do


def test_a_history_that_cannot_open_says_what_to_do(home: HomePaths) -> None:
    home.ensure()
    home.database.write_bytes(b"not a database at all " * 200)
    cockpit = Cockpit(load_config(home))
    failures: list[events.StoreFailed] = []
    cockpit.bus.subscribe(events.StoreFailed, failures.append)
    try:
        with pytest.raises(Exception):  # noqa: B017 (the bus carries what the user reads)
            cockpit.history.open()
    finally:
        cockpit.close()
    [failed] = failures
    assert_no_sql(failed.message)
    assert "is not a database" in failed.message
    assert str(home.database) in failed.message and "backups" in failed.message


def test_the_database_password_stays_out_with_the_sql(home: HomePaths) -> None:
    from pai_tui.history.service import History

    config = load_config(home)
    config.database_url = "postgresql+psycopg://me:s3cret-pw@db.example/pai"
    history = History(config, events.Bus())
    raw = ("(psycopg.OperationalError) connection failed: password authentication failed for "
           "user me (s3cret-pw)\n[SQL: INSERT INTO messages (content) VALUES (%(content)s)]\n"
           f"[parameters: {{'content': '{SECRET_TEXT}'}}]\n"
           "(Background on this error at: https://sqlalche.me/e/20/e3q8)")
    shown = history.redact(raw)
    assert_no_sql(shown)
    assert "s3cret-pw" not in shown and "password authentication failed" in shown
