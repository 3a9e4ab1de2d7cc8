"""Which notes a turn is given (turns/recall.py over the notes' own word index,
history/notes_words.py), on SQLite and on PostgreSQL: the words that tell notes apart rank
them, a word most notes share still brings them when there is room, only active notes ever come,
a goal's notes are its own; an older database's notes are indexed by the migration."""

from __future__ import annotations

import random
import sqlite3

import pytest

from pai_tui.config import NotesSettings
from pai_tui.history.migrations import LATEST
from pai_tui.history.records import NoteDraft
from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from pai_tui.turns.recall import recall
from tests.builders import build_schema


@pytest.fixture
def store(home: HomePaths, database_url: str):  # type: ignore[no-untyped-def]
    store, _, _ = Store.open(database_url, home.backups)
    yield store
    store.close()


def given(store: Store, message: str, most: int = 6) -> list[int]:
    settings = NotesSettings(context_chars=100_000, context_max=most)
    return [note.id for note in recall(store, message, settings)]


def test_the_telling_word_ranks_and_the_shared_word_still_brings_the_rest(store: Store) -> None:
    shared = [store.add_note(NoteDraft("learning", f"Python tip {n}", f"python detail {n}")).id
              for n in range(5)]
    wal = store.add_note(NoteDraft("learning", "Checkpoint the WAL", "python and sqlite")).id
    assert given(store, "How do I tune sqlite from python?") == [wal, *reversed(shared)]
    assert sorted(given(store, "python?")) == [*shared, wal]  # a word all share: none lost
    assert given(store, "python and sqlite", most=3) == [wal, shared[4], shared[3]]


def test_only_active_notes_come_through_edits_forgets_and_restores(store: Store) -> None:
    note = store.add_note(NoteDraft("learning", "Quokkas live on Rottnest"))
    store.add_note(NoteDraft("learning", "Emus cannot walk backwards"))
    assert given(store, "quokka island") == [note.id]
    store.forget_note(note.id)
    assert given(store, "quokka island") == []
    store.restore_note(note.id)
    assert given(store, "quokka island") == [note.id]
    edited = store.supersede_note(note.id, NoteDraft("learning", "Wombats dig burrows"))
    assert given(store, "quokka island") == []
    assert given(store, "wombat burrows") == [edited.id]


def test_a_goal_gets_its_own_notes_not_a_longer_id_s(store: Store) -> None:
    of_g1 = store.add_note(NoteDraft("decision", "Offline voices", telos=("G1",))).id
    store.add_note(NoteDraft("decision", "Cloud voices", telos=("G12",)))
    both = store.add_note(NoteDraft("learning", "Piper is quick", telos=("P2", "G1"))).id
    gone = store.add_note(NoteDraft("learning", "Old plan", telos=("G1",))).id
    store.forget_note(gone)
    assert given(store, "Where are we on G1?") == [both, of_g1]


def test_a_message_of_no_words_gets_only_preferences(store: Store) -> None:
    liked = store.add_note(NoteDraft("preference", "British spelling")).id
    store.add_note(NoteDraft("learning", "ok is fine"))
    assert given(store, "ok?!") == [liked]


def test_an_older_database_s_notes_are_indexed_when_it_migrates(home: HomePaths) -> None:
    build_schema(home.database, LATEST - 1)
    with sqlite3.connect(home.database) as db:
        db.execute("INSERT INTO notes (kind, title, body, tags, telos, status, created_by, "
                   "created_at, updated_at) VALUES ('learning', 'Numbats eat termites', '', '', "
                   "'', 'active', 'user', '2026-01-01', '2026-01-01'), ('learning', "
                   "'Numbats were common', '', '', '', 'forgotten', 'user', '2026-01-01', "
                   "'2026-01-01')")
    store, result, _ = Store.open(sqlite_url(home.database), home.backups)
    try:
        assert result.from_version == LATEST - 1
        assert given(store, "what do numbats eat") == [1]
    finally:
        store.close()


def test_a_long_pasted_message_is_recalled_for_without_failing(store: Store) -> None:
    note = store.add_note(NoteDraft("learning", "Wombat burrows are long")).id
    pasted = " ".join(f"word{n}" for n in range(1200)) + " wombat"
    assert given(store, pasted) == [note]


def test_scoring_fewer_notes_ranks_them_exactly_as_scoring_all(
        home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from pai_tui.history import notes_words

    pick = random.Random(4)
    vocabulary = [f"w{n}" for n in range(60)]
    weights = [1 / (rank + 1) for rank in range(60)]  # some words in most notes, most rare
    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    for n in range(600):
        said = " ".join(pick.choices(vocabulary, weights, k=pick.randint(5, 40)))
        store.add_note(NoteDraft("learning", f"note {n}", said))
    full = notes_words._SQLITE_RANKED
    monkeypatch.setattr(notes_words, "_SQLITE_RANKED", "SELECT -1 AS rowid")  # marks the rest
    pruned = 0
    with store._session(write=False) as s:
        for _ in range(60):
            words = list(dict.fromkeys(pick.sample(vocabulary, pick.randint(2, 6))))
            counts, total = notes_words._sqlite_counts(s, words)
            words = [w for w in words if 0 < counts[w] < total / 2]
            if not words:
                continue
            got = notes_words._sqlite_ranked(s, words, counts, total, 12)
            if got != [-1]:
                pruned += 1
                best = list(s.scalars(text(full), {"match": notes_words._any(words),
                                                   "limit": 12}))
                assert got == best, words
    store.close()
    assert pruned >= 10  # the shortcut was taken, and each time gave the same notes
