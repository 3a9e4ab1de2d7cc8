"""`pai db copy --to URL`: the local SQLite history copied into a real PostgreSQL database,
links and unknown costs kept, searchable there at once, and a second copy adds nothing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import text

from pai_tui.history.migrations import LATEST
from pai_tui.history.records import FeedItem, NoteDraft, ProposalDraft
from pai_tui.history.store import Store, make_engine
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from tests import postgres
from tests.conftest import run_pai

TABLES = ("sessions", "messages", "notes", "feed_items", "proposals", "proposal_events",
          "kept_costs", "feed_sources", "spans")


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0
                    for table in TABLES}
    finally:
        engine.dispose()


def rows(url: str, query: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(row) for row in conn.execute(text(query)))
    finally:
        engine.dispose()


@pytest.fixture
def local_history(home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> str:
    """A history written on host `desk`: two sessions (one from before hosts were recorded),
    an answer of unknown cost with a priced step, a deleted session's kept cost, an edited
    note, an upgrade item and its proposal (cost unknown)."""
    monkeypatch.setenv("PAI_HOST", "desk")
    url = sqlite_url(home.database)
    store, _, _ = Store.open(url, home.backups)
    first, _, answer = store.ask(None, "tell me about zebrafish", "anthropic", "m",
                                 title="fish")
    store.update_message(answer.id, content="zebrafish regenerate their fins",
                         status="complete", cost=None)
    step = store.add_message(first.id, "assistant", "a step's quokka text", skill="research",
                             parent_id=answer.id)
    store.update_message(step.id, cost=0.25)
    second, _ = store.begin_session("old", "written before hosts were recorded")
    gone, _, spent = store.ask(None, "to be deleted", "anthropic", "m", title="gone")
    store.update_message(spent.id, status="complete", cost=0.5)
    store.delete_session(gone.id)
    note = store.add_note(NoteDraft("learning", "pin versions", "a learning about pins"))
    store.supersede_note(note.id, NoteDraft("learning", "pin every version", "edited"))
    store.add_feed_items("releases", [FeedItem("k1", None, "pai 2.0 released", None, "notes",
                                               datetime(2026, 11, 1))])
    item = store.feed_items()[0]
    store.add_proposal(ProposalDraft(item.id, "adopt 2.0", "because", "--- a\n+++ b\n", None,
                                     "anthropic:m", cost=None), "proposed", "drafted")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE messages SET notes_used = :used WHERE id = :id"),
                     {"used": json.dumps([note.id]), "id": answer.id})
        conn.execute(text("UPDATE sessions SET host = NULL WHERE id = :id"), {"id": second.id})
    store.close()
    return url


def test_copies_everything_once_with_links_costs_and_search(
        local_history: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = postgres.cluster().new_database()
    monkeypatch.setenv("PAI_HOST", "server")  # the shared database has another host's rows:
    shared, _, _ = Store.open(target, None)   # the copied ones get other ids than at home
    shared.begin_session("the server's", "its own words")
    shared.add_note(NoteDraft("decision", "the server's note"))
    shared.close()
    theirs = counts(target)
    before = counts(local_history)

    copied = run_pai("db", "copy", "--to", target, env={"PAI_HOST": "laptop"})
    assert copied.returncode == 0, copied.stderr
    assert f"messages: {before['messages']}/{before['messages']}" in copied.stderr
    assert f"Added {sum(before.values())} rows" in copied.stdout
    assert counts(target) == {table: before[table] + theirs[table] for table in TABLES}

    # links: each message in its session, the step under its answer, the note's successor,
    # the proposal's item
    query = ("SELECT s.title, m.role, m.content, m.cost, m.host FROM messages m "
             "JOIN sessions s ON s.id = m.session_id WHERE COALESCE(s.host, '') <> 'server'")
    assert rows(target, query) == sorted(
        (title, role, content, cost, host or "laptop")
        for title, role, content, cost, host in rows(local_history, query))
    assert rows(target, "SELECT p.content, c.content, c.cost FROM messages c "
                        "JOIN messages p ON p.id = c.parent_id") == [
        ("zebrafish regenerate their fins", "a step's quokka text", 0.25)]
    assert rows(target, "SELECT content, cost FROM messages WHERE role = 'assistant' "
                        "AND parent_id IS NULL") == [("zebrafish regenerate their fins", None)]
    assert rows(target, "SELECT o.title, n.title FROM notes o JOIN notes n "
                        "ON n.id = o.superseded_by") == [("pin versions", "pin every version")]
    assert rows(target, "SELECT p.title, i.title, p.cost FROM proposals p "
                        "JOIN feed_items i ON i.id = p.item_id") == [
        ("adopt 2.0", "pai 2.0 released", None)]
    assert rows(target, "SELECT cost FROM kept_costs") == [(0.5,)]
    assert rows(target, "SELECT title, host FROM sessions") == [
        ("fish", "desk"), ("old", "laptop"), ("the server's", "server")]
    used = rows(target, "SELECT notes_used FROM messages WHERE notes_used IS NOT NULL")
    assert [tuple(rows(target, f"SELECT title FROM notes WHERE id = {note_id}"))
            for note_id in json.loads(used[0][0])] == [(("pin versions",),)]

    store, _, _ = Store.open(target, None)
    try:
        hits = store.search("zebrafish")
        assert sorted((hit.kind, hit.role) for hit in hits) == [("message", "assistant"),
                                                                ("message", "user")]
        assert store.search("quokka"), "the copied step is not in the search index"
    finally:
        store.close()

    again = run_pai("db", "copy", "--to", target, env={"PAI_HOST": "laptop"})
    assert again.returncode == 0, again.stderr
    assert "Added 0 rows" in again.stdout
    assert counts(target) == {table: before[table] + theirs[table] for table in TABLES}


def test_dry_run_counts_and_changes_nothing(local_history: str) -> None:
    target = postgres.cluster().new_database()
    before = counts(local_history)
    dry = run_pai("db", "copy", "--to", target, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"Would add {sum(before.values())} rows" in dry.stdout
    assert rows(target, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []


def test_refuses_a_target_newer_than_this_pai(local_history: str) -> None:
    target = postgres.cluster().new_database()
    Store.open(target, None)[0].close()
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = :v"), {"v": LATEST + 1})
    engine.dispose()
    refused = run_pai("db", "copy", "--to", target)
    assert refused.returncode == 1
    assert f"schema version {LATEST + 1}" in refused.stderr
    assert "pip install -U pai-tui" in refused.stderr
    assert counts(target)["sessions"] == 0


def test_a_target_url_that_is_not_one_is_said(local_history: str) -> None:
    said = run_pai("db", "copy", "--to", "not a url")
    assert said.returncode == 1 and "--to: cannot be read as a database URL" in said.stderr


def test_a_conversation_imported_on_both_machines_is_copied_into_the_one_there(
        home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    target = postgres.cluster().new_database()
    for url, host in ((target, "server"), (sqlite_url(home.database), "desk")):
        monkeypatch.setenv("PAI_HOST", host)
        store, _, _ = Store.open(url, home.backups)
        session, _ = store.begin_session("imported chat", f"imported on {host}")
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE sessions SET source = 'chatgpt', external_id = 'c-1' "
                              "WHERE id = :id"), {"id": session.id})
        store.close()
    copied = run_pai("db", "copy", "--to", target)
    assert copied.returncode == 0, copied.stderr
    assert rows(target, "SELECT s.host, m.content FROM messages m JOIN sessions s "
                        "ON s.id = m.session_id") == [("server", "imported on desk"),
                                                      ("server", "imported on server")]
