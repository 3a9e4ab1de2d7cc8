"""`pai db copy --to URL`: the local SQLite history copied into a real PostgreSQL database,
links and unknown costs kept, searchable there at once; a second copy adds nothing, and one
after changes here brings the copy up to date without duplicating a row or touching another
host's."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text

from pai_tui.history.migrations import LATEST
from pai_tui.history.records import FeedItem, NoteDraft, ProposalDraft
from pai_tui.history.search import Filters
from pai_tui.history.store import Store, make_engine
from pai_tui.history.urls import shown_url, sqlite_url
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
    store.set_notes_used(answer.id, [note.id])
    with store.engine.begin() as conn:
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
    assert (f"into {shown_url(target)}: copied {sum(before.values())}, updated 0, "
            "unchanged 0." in copied.stdout)
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
            for note_id in used[0][0].split()] == [(("pin versions",),)]

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
    assert f"copied 0, updated 0, unchanged {sum(before.values())}." in again.stdout
    assert counts(target) == {table: before[table] + theirs[table] for table in TABLES}


def test_dry_run_counts_and_changes_nothing(local_history: str) -> None:
    target = postgres.cluster().new_database()
    before = counts(local_history)
    dry = run_pai("db", "copy", "--to", target, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (f"would be copied {sum(before.values())}, would be updated 0, unchanged 0."
            in dry.stdout)
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


# What a copy must bring over, compared on both sides by content (ids differ): sessions,
# messages with their session, answer and rating, notes with their successor, proposals with
# their events, upgrade items, and the notes in an answer's context. NULL hosts are the copier's.
SAME = {
    "sessions": "SELECT title, COALESCE(host, 'laptop'), provider, system_prompt FROM sessions "
                "WHERE COALESCE(host, '') <> 'server'",
    "messages": "SELECT s.title, m.role, m.content, m.status, m.cost, m.rating, m.superseded, "
                "p.content, COALESCE(m.host, 'laptop') FROM messages m "
                "JOIN sessions s ON s.id = m.session_id "
                "LEFT JOIN messages p ON p.id = m.parent_id "
                "WHERE COALESCE(s.host, '') <> 'server'",
    "notes": "SELECT n.kind, n.title, n.body, n.status, n.tags, o.title FROM notes n "
             "LEFT JOIN notes o ON o.id = n.superseded_by WHERE n.host = 'desk'",
    "proposals": "SELECT p.title, p.state, p.cost, p.commit_sha, count(e.id) FROM proposals p "
                 "LEFT JOIN proposal_events e ON e.proposal_id = p.id "
                 "WHERE p.host = 'desk' GROUP BY p.title, p.state, p.cost, p.commit_sha",
    "items": "SELECT key, title, summary, read, deleted_at IS NOT NULL, score FROM feed_items "
             "WHERE host = 'desk'",
}


def notes_used(url: str) -> list[tuple[str, list[str]]]:
    """Each answer that had notes in its context, and those notes' titles."""
    return sorted((content, sorted(title for (title,) in rows(
        url, f"SELECT title FROM notes WHERE id IN ({', '.join(re.findall(r'[0-9]+', used))})")))
        for content, used in rows(url, "SELECT content, notes_used FROM messages "
                                       "WHERE notes_used IS NOT NULL"))


def target_rows(url: str, table: str, host: str) -> list[tuple]:
    return rows(url, f"SELECT * FROM {table} WHERE host = '{host}'")


def test_a_copy_after_changes_updates_the_copy_adds_the_new_and_duplicates_nothing(
        local_history: str, home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    target = postgres.cluster().new_database()
    monkeypatch.setenv("PAI_HOST", "server")
    shared, _, _ = Store.open(target, None)
    shared.begin_session("the server's", "its own words")
    shared.add_note(NoteDraft("decision", "the server's note"))
    shared.add_feed_items("releases", [FeedItem("k2", None, "pai 2.1 released", None, "",
                                                datetime(2026, 11, 2))])
    shared.close()

    monkeypatch.setenv("PAI_HOST", "desk")
    store, _, _ = Store.open(local_history, home.backups)
    store.add_note(NoteDraft("learning", "use uv", "a learning about uv"))
    store.add_note(NoteDraft("decision", "zebrafish first", "keep the zebrafish"))
    store.add_feed_items("releases", [FeedItem("k2", None, "pai 2.1 released", None, "",
                                               datetime(2026, 11, 2)),
                                      FeedItem("k3", None, "pai 2.2 released", None, "",
                                               datetime(2026, 11, 3))])
    store.close()

    first = run_pai("db", "copy", "--to", target, env={"PAI_HOST": "laptop"})
    assert first.returncode == 0, first.stderr
    copied = counts(target)
    theirs = {table: target_rows(target, table, "server")
              for table in ("sessions", "messages", "notes", "feed_items")}

    # Another host changes a copied session in the shared database: newer than the change
    # made here below, it stays.
    monkeypatch.setenv("PAI_HOST", "desk")
    store, _, _ = Store.open(local_history, home.backups)
    sessions = {s.title: s for s in store.list_sessions()}
    store.rename_session(sessions["old"].id, "old, renamed here")
    store.close()
    monkeypatch.setenv("PAI_HOST", "server")
    shared, _, _ = Store.open(target, None)
    old_there = next(s for s in shared.list_sessions() if s.title == "old")
    shared.rename_session(old_there.id, "old, renamed on the server")
    shared.close()

    # Here: a session renamed and added to, an answer rated (its cost stays unknown), a step's
    # text finished, notes forgotten and superseded, an answer given notes, a proposal moved
    # on, upgrade items read and dismissed (one of them the server's own).
    monkeypatch.setenv("PAI_HOST", "desk")
    store, _, _ = Store.open(local_history, home.backups)
    fish = next(s for s in store.list_sessions() if s.title == "fish")
    store.rename_session(fish.id, "fish and their fins")
    answer = next(m for m in store.messages(fish.id) if m.role == "assistant" and
                  m.cost is None)
    store.rate(answer.id, 9)
    step = next(m for m in store.messages(fish.id) if m.skill == "research")
    store.update_message(step.id, content="a step's quokka text, finished")
    question = store.add_message(fish.id, "user", "and their scales?")
    later = store.add_message(fish.id, "assistant", "scales regrow too", status="complete")
    notes = {note.title: note for note in store.notes(statuses=())}
    store.forget_note(notes["zebrafish first"].id)
    newer = store.supersede_note(notes["use uv"].id,
                                 NoteDraft("learning", "use uv everywhere", "edited again"))
    store.set_notes_used(later.id, [newer.id, notes["pin every version"].id])
    proposal = store.proposals()[0]
    store.move_proposal(proposal.id, ("proposed",), "accepted", "the user accepted it")
    items = {item.item.key: item for item in store.feed_items()}
    store.mark_feed_item(items["k1"].id)
    store.delete_feed_item(items["k3"].id)
    store.mark_feed_item(items["k2"].id)  # the server's row there: left as it is
    store.close()
    assert question.id < later.id

    dry = run_pai("db", "copy", "--to", target, "--dry-run", env={"PAI_HOST": "laptop"})
    assert dry.returncode == 0, dry.stderr
    assert "sessions: would be copied 0, would be updated 1, unchanged 0, 1 left as there" in \
        dry.stdout, dry.stdout
    assert "notes: would be copied 1, would be updated 2, unchanged 2" in dry.stdout
    assert counts(target) == copied, "a dry run wrote"
    assert rows(target, "SELECT title FROM sessions WHERE title LIKE 'fish%'") == [("fish",)]

    second = run_pai("db", "copy", "--to", target, env={"PAI_HOST": "laptop"})
    assert second.returncode == 0, second.stderr
    said = second.stdout
    assert "sessions: copied 0, updated 1, unchanged 0, 1 left as there" in said, said
    # the answer rated and the step finished; the new question and the answer given notes
    assert "messages: copied 2, updated 2, unchanged 2" in said, said
    assert "notes: copied 1, updated 2, unchanged 2" in said, said  # forgotten, superseded
    assert "proposals: copied 0, updated 1, unchanged 0" in said, said
    assert "proposal_events: copied 1, updated 0, unchanged 1" in said, said
    assert "feed_items: copied 0, updated 2, unchanged 0, 1 left as there" in said, said

    now = counts(target)
    assert now == {**copied, "messages": copied["messages"] + 2, "notes": copied["notes"] + 1,
                   "proposal_events": copied["proposal_events"] + 1}, "rows were duplicated"

    def as_there(row: tuple) -> tuple:  # the server's newer title stays
        return tuple("old, renamed on the server" if value == "old, renamed here" else value
                     for value in row)

    for name, query in SAME.items():
        here = [as_there(row) for row in rows(local_history, query)]
        if name == "items":  # k2 is the server's there: read here, left unread there
            here = [row for row in here if row[0] != "k2"]
        assert rows(target, query) == sorted(here), name
    assert rows(target, "SELECT host, read FROM feed_items WHERE key = 'k2'") == [
        ("server", False)]
    assert notes_used(target) == notes_used(local_history)
    assert rows(target, "SELECT rating, cost FROM messages WHERE content = "
                        "'zebrafish regenerate their fins'") == [(9, None)]
    assert {table: target_rows(target, table, "server") for table in theirs} == theirs

    shared, _, _ = Store.open(target, None)
    try:
        assert not shared.search("zebrafish", Filters(kinds=("note",))), \
            "a note forgotten here is still found there"
        assert [hit.role for hit in shared.search("finished")] == ["assistant"]
        dismissed = rows(target, "SELECT id FROM feed_items WHERE key = 'k3'")[0][0]
        assert {hit.id for hit in shared.search("released", Filters(kinds=("item",)))} == {
            item_id for (item_id,) in rows(target, "SELECT id FROM feed_items")} - {dismissed}
        assert [note.title for note in shared.notes(kinds=("learning",))] == [
            "use uv everywhere", "pin every version"]
    finally:
        shared.close()

    third = run_pai("db", "copy", "--to", target, env={"PAI_HOST": "laptop"})
    assert third.returncode == 0, third.stderr
    assert (f"copied 0, updated 0, unchanged {sum(counts(local_history).values()) - 2}, "
            "2 left as there" in third.stdout), third.stdout
    assert counts(target) == now
