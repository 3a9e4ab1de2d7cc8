"""The store on a real SQLite file: migrations (from empty and from the previous schema, backed up
first), pragmas, sessions and messages, recovery of interrupted answers, search."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from pai_tui.history.migrations import LATEST, SchemaError, migrate
from pai_tui.history.models import Base
from pai_tui.history.store import Store, make_engine
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from tests.builders import build_schema
from tests.conftest import REPO


def open_store(path: Path, backups: Path) -> Store:
    return open_url(sqlite_url(path), backups)


def open_url(url: str, backups: Path) -> Store:
    store, _, _ = Store.open(url, backups)
    return store


def test_migrates_an_empty_file_without_a_backup(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    home.database.touch()
    store, result, interrupted = Store.open(sqlite_url(home.database), home.backups)
    assert (result.from_version, result.to_version) == (0, LATEST)
    assert result.backup is None  # nothing to lose in an empty file
    assert interrupted == 0
    assert store.schema_version() == LATEST
    store.close()


def test_each_step_of_a_migration_is_told_before_it_starts(home: HomePaths) -> None:
    """A large history's migration takes minutes: the user hears what it is doing."""
    build_schema(home.database, LATEST - 2)
    told: list[str] = []
    store, _, _ = Store.open(sqlite_url(home.database), home.backups, told.append)
    store.close()
    assert told[0] == "backing up pai.db before migrating it"
    assert told[1].startswith(f"migrating to schema v{LATEST - 1} (1 of 2): ")
    assert told[2].startswith(f"migrating to schema v{LATEST} (2 of 2): ")
    assert len(told) == 3
    fresh: list[str] = []  # a new history is made, not migrated: nothing to say
    store, _, _ = Store.open(sqlite_url(home.root / "new.db"), home.backups, fresh.append)
    store.close()
    assert fresh == []


def test_migrates_the_previous_schema_keeping_data_and_backing_up_first(home: HomePaths) -> None:
    build_schema(home.database, LATEST - 1)
    with sqlite3.connect(home.database) as db:
        db.execute("INSERT INTO sessions (id, title, created_at, updated_at) "
                   "VALUES (1, 'old chat', '2026-01-01 10:00:00', '2026-01-01 10:00:00')")
        db.execute("INSERT INTO messages (session_id, role, content, status, input_tokens, "
                   "output_tokens, cost, created_at, updated_at) VALUES (1, 'user', "
                   "'remember the quokka', 'complete', 0, 0, 0, '2026-01-01 10:00:00', "
                   "'2026-01-01 10:00:00')")
    db.close()

    store, result, _ = Store.open(sqlite_url(home.database), home.backups)
    assert (result.from_version, result.to_version) == (LATEST - 1, LATEST)
    assert result.backup is not None and result.backup.parent == home.backups
    # The backup is the database as it was: the old version, with the data.
    with sqlite3.connect(result.backup) as backup:
        assert backup.execute("SELECT version FROM schema_version").fetchone() == (LATEST - 1,)
        assert backup.execute("SELECT content FROM messages").fetchall() == [
            ("remember the quokka",)]
    backup.close()
    # The data survived the migration, and the new schema works on it (search).
    [session] = store.list_sessions()
    assert session.title == "old chat" and session.message_count == 1
    assert [store.get_message(h.id).content for h in store.search("quokka")] == [  # type: ignore[union-attr]
        "remember the quokka"]
    store.close()

    # Opening again migrates nothing and makes no second backup.
    store, result, _ = Store.open(sqlite_url(home.database), home.backups)
    assert result.backup is None
    assert len(list(home.backups.iterdir())) == 1
    store.close()


def test_opens_a_database_newer_than_this_pai_read_only_and_leaves_it_alone(
        home: HomePaths) -> None:
    build_schema(home.database, LATEST)
    with sqlite3.connect(home.database) as db:
        db.execute("UPDATE schema_version SET version = ?", (LATEST + 5,))
    db.close()
    before = home.database.read_bytes()
    store, result, interrupted = Store.open(sqlite_url(home.database), home.backups)
    try:
        assert (result.from_version, result.to_version, interrupted) == (LATEST + 5,
                                                                         LATEST + 5, 0)
        assert store.list_sessions() == []
        with pytest.raises(SchemaError, match=f"schema version {LATEST + 5}, newer"):
            store.create_session("never")
    finally:
        store.close()
    assert home.database.read_bytes() == before
    assert not home.backups.exists()


def test_failed_migration_rolls_back_and_names_the_backup(home: HomePaths,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    build_schema(home.database, LATEST - 1)
    from pai_tui.history import migrations

    def broken(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk on fire")

    last = migrations.MIGRATIONS[-1]
    monkeypatch.setattr(migrations, "MIGRATIONS",
                        (*migrations.MIGRATIONS[:-1],
                         migrations.Migration(last.version, last.description, broken)))
    with pytest.raises(SchemaError, match="disk on fire; a backup is at"):
        migrate(make_engine(sqlite_url(home.database)), home.backups)
    tables = inspect(create_engine(sqlite_url(home.database))).get_table_names()
    assert "half_done" not in tables  # transactional DDL: nothing half-applied
    with sqlite3.connect(home.database) as db:
        assert db.execute("SELECT version FROM schema_version").fetchone() == (LATEST - 1,)
    db.close()


def test_migrations_build_exactly_what_the_models_describe(home: HomePaths) -> None:
    store = open_store(home.database, home.backups)
    inspector = inspect(store.engine)
    for table in Base.metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == {c.name for c in table.columns}, table.name
    store.close()


def test_sqlite_settings(home: HomePaths) -> None:
    store = open_store(home.database, home.backups)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    store.close()


def test_sessions_and_messages_round_trip(home: HomePaths, database_url: str) -> None:
    store = open_url(database_url, home.backups)
    first = store.create_session("first", provider="offline", model="none")
    second = store.create_session("second")
    user = store.add_message(first.id, "user", "hello")
    answer = store.add_message(first.id, "assistant", "", status="streaming",
                               provider="offline", model="none")
    store.update_message(answer.id, content="hi there", status="complete", input_tokens=12,
                         output_tokens=3, cost=0.0042)

    # The session with the newest message sorts first, with its count.
    assert [(s.title, s.message_count) for s in store.list_sessions()] == [
        ("first", 2), ("second", 0)]
    messages = store.messages(first.id)
    assert [(m.role, m.content, m.status) for m in messages] == [
        ("user", "hello", "complete"), ("assistant", "hi there", "complete")]
    saved = messages[1]
    assert (saved.provider, saved.model, saved.input_tokens, saved.output_tokens) == (
        "offline", "none", 12, 3)
    assert saved.cost == pytest.approx(0.0042)
    assert saved.updated_at >= saved.created_at
    assert user.id < answer.id

    store.rename_session(second.id, "renamed")
    assert store.get_session(second.id).title == "renamed"  # type: ignore[union-attr]
    store.delete_session(first.id)
    assert store.messages(first.id) == []  # cascade
    assert [s.title for s in store.list_sessions()] == ["renamed"]
    store.close()


WRITE_STREAMING = """
import sys, time
from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
store, _, _ = Store.open(sqlite_url(sys.argv[1]), None)
session = store.create_session("s")
answer = store.add_message(session.id, "assistant", "half an ans", status="streaming")
print(answer.id, flush=True)
if sys.argv[2] == "stay":
    time.sleep(300)
"""


def _writer(home: HomePaths, stay: bool) -> tuple[subprocess.Popen[str], int]:
    """Another pai process that starts an answer (and stays, or dies at once)."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITE_STREAMING, str(home.database), "stay" if stay else "go"],
        stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def test_answers_left_streaming_by_a_dead_process_become_interrupted(home: HomePaths) -> None:
    home.ensure()
    process, answer_id = _writer(home, stay=False)
    process.wait(30)  # the process is gone: nobody will finish the answer
    store, _, interrupted = Store.open(sqlite_url(home.database), home.backups)
    assert interrupted == 1
    saved = store.get_message(answer_id)
    assert saved is not None and (saved.status, saved.content) == ("interrupted", "half an ans")
    store.close()


def test_a_live_pai_keeps_writing_its_answer_when_another_starts(home: HomePaths) -> None:
    home.ensure()
    process, answer_id = _writer(home, stay=True)
    try:
        store, _, interrupted = Store.open(sqlite_url(home.database), home.backups)
        assert interrupted == 0
        assert store.get_message(answer_id).status == "streaming"  # type: ignore[union-attr]
        store.close()
    finally:
        process.kill()
        process.wait(30)
    store, _, interrupted = Store.open(sqlite_url(home.database), home.backups)
    assert interrupted == 1 and store.get_message(answer_id).status == "interrupted"  # type: ignore[union-attr]
    store.close()


def test_a_window_counts_messages_not_steps_and_brings_the_steps_of_its_answers(
        home: HomePaths, database_url: str) -> None:
    store = open_url(database_url, home.backups)
    session = store.create_session("tools")
    for turn in range(3):
        store.add_message(session.id, "user", f"question {turn}")
        answer = store.add_message(session.id, "assistant", f"answer {turn}",
                                   skill="summarize")
        for run in range(30):  # an answer with many tool runs
            store.add_message(session.id, "step", f"run {run}", skill="summarize/wordcount",
                              parent_id=answer.id)
    shown, earlier = store.recent_messages(session.id, 2)
    assert [(m.role, m.content) for m in shown if m.role != "step"] == [
        ("user", "question 2"), ("assistant", "answer 2")]
    steps = [m for m in shown if m.role == "step"]
    assert len(steps) == 30 and {m.parent_id for m in steps} == {shown[1].id}
    assert earlier == 4  # messages, not steps
    older, earlier = store.recent_messages(session.id, 2, before_id=shown[0].id)
    assert [m.content for m in older if m.role != "step"] == ["question 1", "answer 1"]
    assert earlier == 2
    store.close()


def test_search_finds_words_regardless_of_accents_and_ignores_fts_syntax(
        home: HomePaths, database_url: str) -> None:
    store = open_url(database_url, home.backups)
    session = store.create_session("s")
    store.add_message(session.id, "user", "Le café était très bon")
    store.add_message(session.id, "assistant", "Try NEAR(the, pier) AND \"quoted\" OR stuff")
    kept = store.add_message(session.id, "assistant", "placeholder")
    store.update_message(kept.id, content="the quokka smiled")

    def found(query: str) -> list[str]:
        hits = store.search(query)
        return [store.get_message(hit.id).content for hit in hits]  # type: ignore[union-attr]

    assert found("cafe") == ["Le café était très bon"]
    assert found('NEAR( "quoted') == ["Try NEAR(the, pier) AND \"quoted\" OR stuff"]
    assert found("quokka") == ["the quokka smiled"]
    assert found("placeholder") == []  # the index follows updates
    assert found("***") == []
    store.close()

def test_database_url_selects_another_database(home: HomePaths, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from pai_tui.cockpit import Cockpit
    from pai_tui.config import load_config

    elsewhere = tmp_path / "shared" / "team.db"
    monkeypatch.setenv("PAI_DATABASE_URL", sqlite_url(elsewhere))
    cockpit = Cockpit(load_config(home))
    store = cockpit.history.open()
    store.create_session("kept elsewhere")
    cockpit.close()
    assert elsewhere.exists()
    assert not home.database.exists()


def test_several_pai_processes_starting_at_once_all_open_the_store(home: HomePaths) -> None:
    """Each thread has its own engine and connections, as separate processes would."""
    import threading

    for round_ in range(20):
        path = home.root / f"race-{round_}.db"
        barrier = threading.Barrier(4)
        failures: list[BaseException] = []

        def start(path: Path = path, barrier: threading.Barrier = barrier,
                  failures: list[BaseException] = failures) -> None:
            barrier.wait()
            try:
                store = open_store(path, home.backups)
                store.create_session("mine")
                store.close()
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        store = open_store(path, home.backups)
        assert store.schema_version() == LATEST and len(store.list_sessions()) == 4
        store.close()


def test_v5_keeps_every_message_and_marks_unknown_costs_unknown(home: HomePaths) -> None:
    """Before v5 an answer at an unknown price was stored as costing 0.0: after it, NULL (never
    shown as zero). The table is rebuilt for that: ids, text and search survive."""
    build_schema(home.database, 4)
    with sqlite3.connect(home.database) as db:
        db.execute("INSERT INTO sessions (id, title, created_at, updated_at) "
                   "VALUES (1, 'old', '2026-01-01 10:00:00', '2026-01-01 10:00:00')")
        rows = [(7, "user", "which wombat", 0, 0, 0.0),
                (9, "assistant", "the priced wombat", 10, 20, 0.25),
                (12, "assistant", "the local wombat", 10, 20, 0.0)]
        for id_, role, content, tokens_in, tokens_out, cost in rows:
            db.execute("INSERT INTO messages (id, session_id, role, content, status, "
                       "input_tokens, output_tokens, cost, created_at, updated_at) VALUES "
                       "(?, 1, ?, ?, 'complete', ?, ?, ?, '2026-01-01 10:00:00', "
                       "'2026-01-01 10:00:00')", (id_, role, content, tokens_in, tokens_out, cost))
    db.close()
    store, result, _ = Store.open(sqlite_url(home.database), home.backups)
    assert result.to_version == LATEST
    stored = store.messages(1)
    assert [(m.id, m.content, m.cost) for m in stored] == [
        (7, "which wombat", 0.0), (9, "the priced wombat", 0.25), (12, "the local wombat", None)]
    assert not any(m.superseded or m.output_estimated for m in stored)
    assert [m.id for m in store.search("wombat")] and \
        {m.id for m in store.search("local")} == {12}
    row = store.add_message(1, "user", "a new kangaroo")  # the search triggers work again
    assert [m.id for m in store.search("kangaroo")] == [row.id]
    store.close()


def test_ids_are_never_handed_out_twice_even_after_a_deletion(home: HomePaths,
                                                              database_url: str) -> None:
    """`pai ask --session 2` in a script must never continue someone else's conversation: once
    the newest session (and its messages) is deleted, the next one still gets a new id."""
    store = open_url(database_url, home.backups)
    first = store.create_session("first")
    newest = store.create_session("newest")
    last_message = store.add_message(newest.id, "user", "the newest words")
    store.delete_session(newest.id)
    again = store.create_session("after the deletion")
    message = store.add_message(again.id, "user", "new words")
    assert again.id > newest.id > first.id
    assert message.id > last_message.id
    store.close()
    store = open_url(database_url, home.backups)  # and after a restart
    assert store.create_session("later").id > again.id
    store.close()


def test_v6_keeps_ids_links_and_search_and_stops_reusing_ids(home: HomePaths) -> None:
    build_schema(home.database, 5)
    with sqlite3.connect(home.database) as db:
        for sid in (1, 2):
            db.execute("INSERT INTO sessions (id, title, created_at, updated_at) VALUES "
                       "(?, 'old', '2026-01-01 10:00:00', '2026-01-01 10:00:00')", (sid,))
        for mid, sid, content in ((3, 1, "the first wombat"), (8, 2, "the second wombat")):
            db.execute("INSERT INTO messages (id, session_id, role, content, status, "
                       "input_tokens, output_tokens, cost, created_at, updated_at) VALUES "
                       "(?, ?, 'user', ?, 'complete', 0, 0, 0.0, '2026-01-01 10:00:00', "
                       "'2026-01-01 10:00:00')", (mid, sid, content))
    db.close()
    store = open_store(home.database, home.backups)
    assert [(m.id, m.content) for m in store.messages(2)] == [(8, "the second wombat")]
    assert {m.id for m in store.search("wombat")} == {3, 8}
    store.delete_session(2)  # its messages go with it (the foreign key survived the rebuild)
    assert store.messages(2) == [] and {m.id for m in store.search("wombat")} == {3}
    fresh = store.create_session("fresh")
    note = store.add_message(fresh.id, "user", "a new kangaroo")
    assert fresh.id == 3 and note.id == 9  # never 2 and 8 again
    assert [m.id for m in store.search("kangaroo")] == [note.id]
    with store.engine.connect() as conn:
        indexes = {i["name"] for t in ("sessions", "messages")
                   for i in inspect(conn).get_indexes(t)}
    assert {"ix_sessions_updated_at", "ix_messages_session_id_id", "ix_messages_status",
            "ix_messages_created_at"} <= indexes
    store.close()


def test_deleting_a_session_keeps_what_it_cost(home: HomePaths, database_url: str) -> None:
    """Money spent stays spent: the totals of today and this month do not drop when the session
    that spent it is deleted, also after a restart, and unpriced answers stay counted."""
    from datetime import timedelta

    from pai_tui.history.models import utcnow

    store = open_url(database_url, home.backups)
    kept = store.create_session("kept")
    answer = store.add_message(kept.id, "assistant", "cheap")
    store.update_message(answer.id, cost=0.10)
    gone = store.create_session("to delete")
    store.add_message(gone.id, "user", "question")
    priced = store.add_message(gone.id, "assistant", "priced")
    store.update_message(priced.id, cost=0.25)
    unpriced = store.add_message(gone.id, "assistant", "unpriced")
    store.update_message(unpriced.id, cost=None)
    since = utcnow() - timedelta(hours=1)
    before = store.cost_since(since)
    assert before == (pytest.approx(0.35), 1)
    store.delete_session(gone.id)
    assert store.cost_since(since) == (pytest.approx(0.35), 1)
    store.close()
    store = open_url(database_url, home.backups)
    assert store.cost_since(since) == (pytest.approx(0.35), 1)
    assert store.cost_since(utcnow() + timedelta(hours=1)) == (0.0, 0)  # still by time
    store.close()
