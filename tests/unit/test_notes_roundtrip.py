"""Notes through `pai history export --format jsonl` and `pai history import jsonl`, on SQLite
and PostgreSQL: every kind, author and status, the supersede chain, a forgotten note, the
session, message and agent they came from, the notes an answer had in its context — all come
back the same in a fresh database, whatever the order of the lines; importing again, or into the
database the file came from, adds nothing; imported notes are searchable (a forgotten one is
not, nor given to a turn); a bad note line is skipped with its position; no key gets in."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pai_tui.config import NotesSettings
from pai_tui.history import export
from pai_tui.history.imports import reader
from pai_tui.history.imports.writer import Report, write
from pai_tui.history.migrations import MIGRATIONS, migrate
from pai_tui.history.note_uids import content_uid
from pai_tui.history.records import NoteDraft
from pai_tui.history.search import Filters
from pai_tui.history.store import Store, make_engine
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from pai_tui.turns.recall import recall
from tests import postgres
from tests.fake_keys import fake_keys
from tests.history_samples import FIXTURES


@pytest.fixture
def store(home: HomePaths, database_url: str) -> Iterator[Store]:
    opened, _, _ = Store.open(database_url, home.backups)
    yield opened
    opened.close()


@pytest.fixture
def fresh(store: Store, tmp_path: Path) -> Iterator[Store]:
    """Another, empty database of the same kind as `store`'s."""
    url = (postgres.cluster().new_database() if store.engine.dialect.name == "postgresql"
           else sqlite_url(tmp_path / "other.db"))
    opened, _, _ = Store.open(url, None)
    yield opened
    opened.close()


def a_history(store: Store) -> None:
    """Sessions (pai's own, an imported ChatGPT one) and notes of every kind, author and status:
    a chain of three edits, a forgotten note, notes from a session, a message, an agent's run;
    an answer that had notes in its context."""
    session, _, answer = store.ask(None, "How do I water tomatoes?", "anthropic", "claude-x",
                                   title="Garden")
    store.update_message(answer.id, content="At dawn.", status="complete")
    write(reader("chatgpt")(FIXTURES / "chatgpt" / "conversations.json"), store)
    chat = next(s for s in store.list_sessions() if s.source == "chatgpt")
    chat_message = store.messages(chat.id)[-1]
    first = store.add_note(NoteDraft("learning", "Water tomatoes at noon", "Wrong, it turned "
                                     "out.", ("garden", "tomatoes"), ("G1",), "user",
                                     session.id, answer.id))
    second = store.supersede_note(first.id, NoteDraft(
        "learning", "Water tomatoes at dusk", "Better.", ("garden",), ("G1",), "user",
        session.id, answer.id))
    store.supersede_note(second.id, NoteDraft(
        "learning", "Water tomatoes at dawn", "Least mildew.", ("garden",), ("G1", "P2"),
        "user", session.id, answer.id))
    store.add_note(NoteDraft("decision", "Use cron, not systemd timers", "Simpler.",
                             ("ops",), (), "agent", session.id, None, "architect"))
    store.add_note(NoteDraft("research", "Quokkas live ten years", "From the chat.",
                             ("quokka",), (), "rule", chat.id, chat_message.id, "researcher"))
    gone = store.add_note(NoteDraft("preference", "Answers in French"))
    store.forget_note(gone.id)
    store.add_note(NoteDraft("preference", "Metric units, always"))
    store.set_notes_used(answer.id, [n.id for n in store.notes()][:2])


def dump(store: Store) -> list[dict[str, Any]]:
    """The notes with every field, their links named by what they point at (not by ids), and
    which notes each answer had in its context."""
    notes = store.notes(statuses=())
    uids = {note.id: note.uid for note in notes}
    rows: list[dict[str, Any]] = []
    for note in notes:
        draft = note.draft
        session = None if draft.session_id is None else store.get_session(draft.session_id)
        message = None if draft.message_id is None else store.get_message(draft.message_id)
        rows.append({
            "uid": note.uid, "kind": draft.kind, "title": draft.title, "body": draft.body,
            "tags": draft.tags, "telos": draft.telos, "created_by": draft.created_by,
            "agent": draft.agent, "status": note.status, "host": note.host,
            "created_at": note.created_at, "updated_at": note.updated_at,
            "superseded_by": uids.get(note.superseded_by or -1),
            "session": session and (session.title, session.created_at),
            "message": message and (message.role, message.content, message.created_at)})
    for _, messages in store.export_sessions():
        rows += [{"context of": (m.content, m.created_at),
                  "notes": sorted(uids[n] for n in m.notes_used)}
                 for m in messages if m.notes_used]
    return sorted(rows, key=lambda row: json.dumps(row, default=str, sort_keys=True))


def exported(store: Store, folder: Path) -> Path:
    return export.write_jsonl(export.records(store), folder)[0]


def imported(store: Store, path: Path, **options: Any) -> Report:
    return write(reader("jsonl")(path), store, **options)


def counts(report: Report) -> tuple[int, int, int]:
    return report.notes.imported, report.notes.updated, report.notes.unchanged


def test_a_round_trip_gives_the_same_notes_and_again_adds_nothing(
        store: Store, fresh: Store, tmp_path: Path) -> None:
    a_history(store)
    before = dump(store)
    path = exported(store, tmp_path / "out")
    report = imported(fresh, path)
    assert (report.imported, report.skipped, counts(report)) == (3, [], (7, 0, 0))
    assert dump(fresh) == before
    assert all(row.get("session") for row in before if row.get("kind") in ("learning",
                                                                            "research"))
    # The same file again, and a file exported from the copy: nothing new.
    assert counts(imported(fresh, path)) == (0, 0, 7)
    again = exported(fresh, tmp_path / "again")
    assert counts(imported(fresh, again)) == (0, 0, 7)
    # Into the database it came from (either file): nothing new there either.
    for file in (path, again):
        report = imported(store, file)
        assert (report.imported, report.updated, counts(report)) == (0, 0, (0, 0, 7))
    assert dump(store) == before and dump(fresh) == before


def test_the_lines_may_come_in_any_order(store: Store, fresh: Store, tmp_path: Path) -> None:
    a_history(store)
    path = exported(store, tmp_path / "out")
    lines = path.read_text().splitlines()
    random.Random(4).shuffle(lines)
    lines.sort(key=lambda line: json.loads(line)["kind"])  # every note before any session
    path.write_text("\n".join(reversed(lines[:7])) + "\n" + "\n".join(lines[7:]) + "\n")
    assert json.loads(path.read_text().splitlines()[0])["kind"] == "note"
    report = imported(fresh, path)
    assert (report.imported, counts(report)) == (3, (7, 0, 0))
    assert dump(fresh) == dump(store)


def test_imported_notes_are_searched_and_given_to_turns_as_their_status_says(
        store: Store, fresh: Store, tmp_path: Path) -> None:
    a_history(store)
    imported(fresh, exported(store, tmp_path / "out"))
    titles = {n.id: n.title for n in fresh.notes(statuses=())}

    def found(query: str) -> list[str]:
        return [titles[h.id] for h in fresh.search(query, Filters(kinds=("note",)))]

    assert found("mildew") == ["Water tomatoes at dawn"]
    assert found("noon") == [] and found("dusk") == []  # superseded
    assert found("French") == []  # forgotten
    given = [n.title for n in recall(fresh, "Answer in French: how to water?", NotesSettings())]
    assert "Metric units, always" in given and "Answers in French" not in given


def test_a_later_export_brings_a_forgotten_or_restored_status(
        store: Store, fresh: Store, tmp_path: Path) -> None:
    note = store.add_note(NoteDraft("learning", "Prune in March"))
    imported(fresh, exported(store, tmp_path / "one"))
    store.forget_note(note.id)
    report = imported(fresh, exported(store, tmp_path / "two"))
    assert counts(report) == (0, 1, 0)
    assert [n.status for n in fresh.notes(statuses=())] == ["forgotten"]
    assert fresh.search("prune", Filters(kinds=("note",))) == []
    store.restore_note(note.id)
    assert counts(imported(fresh, exported(store, tmp_path / "three"))) == (0, 1, 0)
    assert [h.kind for h in fresh.search("prune", Filters(kinds=("note",)))] == ["note"]
    # An older file does not undo what a newer one said.
    assert counts(imported(fresh, exported(store, tmp_path / "one"))) == (0, 0, 1)


def test_a_note_whose_session_is_not_in_the_file_keeps_everything_but_that_link(
        store: Store, fresh: Store, tmp_path: Path) -> None:
    """Its session's id in the database it came from names another session here, or none: the
    link is dropped rather than kept pointing at the wrong one. Importing a file that holds the
    session later puts the link back (the note is matched by its uid, its empty link filled)."""
    session, _, answer = store.ask(None, "Which mulch?", "anthropic", "claude-x", title="Mulch")
    fresh.ask(None, "Another chat, here first", "anthropic", "claude-x")  # takes id 1 here
    store.add_note(NoteDraft("decision", "Straw mulch", "", (), (), "user", session.id,
                             answer.id))
    path = exported(store, tmp_path / "out")
    whole = path.read_text()
    path.write_text("".join(line + "\n" for line in whole.splitlines()
                            if json.loads(line)["kind"] == "note"))
    report = imported(fresh, path)
    assert (report.skipped, counts(report)) == ([], (1, 0, 0))
    note = fresh.notes()[0]
    assert (note.title, note.draft.session_id, note.draft.message_id) == (
        "Straw mulch", None, None)
    path.write_text(whole)
    assert counts(imported(fresh, path)) == (0, 1, 0)
    note = fresh.notes()[0]
    linked = fresh.get_session(note.draft.session_id or -1)
    message = fresh.get_message(note.draft.message_id or -1)
    assert linked is not None and linked.title == session.title
    assert message is not None and message.id == fresh.messages(linked.id)[-1].id


def test_bad_note_lines_are_skipped_with_their_position(store: Store, tmp_path: Path) -> None:
    good = {"kind": "note", "uid": "u-good", "note_kind": "learning", "title": "Kept",
            "status": "active", "created_at": "2026-03-01T10:00:00"}
    bad = [good | {"note_kind": "musing"}, good | {"status": "archived"},
           good | {"title": "  "}, good | {"created_at": "yesterday"},
           good | {"tags": {"a": 1}}, good | {"session": "7"}, good | {"uid": "x" * 65},
           good | {"created_by": "cat"}]
    path = tmp_path / "notes.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in [*bad, good]) + "\n")
    report = imported(store, path)
    assert counts(report) == (1, 0, 0)
    assert [(s.position, s.reason.split(" (")[0]) for s in report.skipped] == [
        ("notes.jsonl:1", "note_kind 'musing' is not one of learning, decision, research, "
                          "preference"),
        ("notes.jsonl:2", "status 'archived' is not one of active, superseded, forgotten"),
        ("notes.jsonl:3", "no 'title'"),
        ("notes.jsonl:4", "not a time: 'yesterday'"),
        ("notes.jsonl:5", "'tags' is not a list of words"),
        ("notes.jsonl:6", "'session' is not an object"),
        ("notes.jsonl:7", f"uid '{'x' * 65}' is not text of at most 64 characters"),
        ("notes.jsonl:8", "created_by 'cat' is not one of user, agent, rule")]
    assert [n.title for n in store.notes()] == ["Kept"]


def test_a_dry_run_counts_notes_and_writes_nothing(store: Store, fresh: Store,
                                                   tmp_path: Path) -> None:
    a_history(store)
    path = exported(store, tmp_path / "out")
    assert counts(imported(fresh, path, dry_run=True)) == (7, 0, 0)
    assert fresh.notes(statuses=()) == []
    assert counts(imported(store, path, dry_run=True)) == (0, 0, 7)


def test_keys_in_a_note_line_never_reach_the_database(store: Store, tmp_path: Path) -> None:
    keys = fake_keys()
    line = {"kind": "note", "uid": "k1", "note_kind": "learning", "status": "active",
            "title": f"My key {keys['anthropic-key']}", "body": f"and {keys['openai-key']}",
            "tags": [keys["github-token"]], "telos": [keys["google-api-key"]],
            "created_at": "2026-03-01T10:00:00"}
    path = tmp_path / "keys.jsonl"
    path.write_text(json.dumps(line) + "\n")
    assert counts(imported(store, path)) == (1, 0, 0)
    with store.engine.connect() as conn:
        rows = [conn.execute(text(f"SELECT * FROM {table}")).all()
                for table in ("notes", "search_docs")]
    stored = repr(rows)
    assert "[redacted anthropic-key]" in stored
    for kind in ("anthropic-key", "openai-key", "github-token", "google-api-key"):
        assert keys[kind] not in stored, kind


def at_schema_19(url: str) -> None:
    """A database as the pai before note uids left it."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for migration in (m for m in MIGRATIONS if m.version <= 19):
            migration.upgrade(conn)
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (19)")
    engine.dispose()


def test_notes_written_before_uids_get_the_same_uid_in_every_copy(database_url: str,
                                                                   tmp_path: Path) -> None:
    """Migration 20 names an old note by what it is, so two databases holding it (`pai db copy`
    before the migration, SQLite or PostgreSQL) agree, and an export made before uids is
    recognised."""
    urls = ([postgres.cluster().new_database() for _ in range(2)]
            if database_url.startswith("postgresql")
            else [sqlite_url(tmp_path / name) for name in ("one.db", "two.db")])
    uids = []
    for url in urls:
        at_schema_19(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            for title in ("Same", "Same", "Other"):
                conn.execute(text(
                    "INSERT INTO notes (kind, title, body, tags, telos, status, created_by, "
                    "created_at, updated_at) VALUES ('learning', :t, '', '', '', 'active', "
                    "'user', :at, :at)"), {"t": title, "at": datetime(2026, 2, 1, 8)})
        migrate(engine, None)
        with engine.connect() as conn:
            uids.append([row[0] for row in conn.execute(text("SELECT uid FROM notes ORDER BY id"))])
        engine.dispose()
    assert uids[0] == uids[1] and len(set(uids[0])) == 3
    assert uids[0][0] == content_uid(datetime(2026, 2, 1, 8), "learning", "Same", "")
    # A note line as exported before uids: the database it came from knows it.
    old, _, _ = Store.open(urls[0], None)
    try:
        line = {"kind": "note", "note_kind": "learning", "title": "Other", "body": "",
                "status": "active", "created_at": "2026-02-01T08:00:00"}
        path = tmp_path / "old.jsonl"
        path.write_text(json.dumps(line) + "\n")
        assert counts(imported(old, path)) == (0, 0, 1)
    finally:
        old.close()
