"""Notes in the store, on SQLite and on PostgreSQL: added, edited by superseding (the old one
kept, pointing at the new), forgotten (gone from search, listed as forgotten) and restored;
keys never stored; search finds active notes only."""

from __future__ import annotations

import pytest

from pai_tui.history.notes import NoteError
from pai_tui.history.records import NoteDraft
from pai_tui.history.search import Filters
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths
from tests.fake_keys import fake_keys

FAKE_ANTHROPIC = fake_keys()["anthropic-key"]


@pytest.fixture
def store(home: HomePaths, database_url: str):  # type: ignore[no-untyped-def]
    store, _, _ = Store.open(database_url, home.backups)
    yield store
    store.close()


LEARNING = NoteDraft("learning", "Retry 529s with backoff",
                     "The provider overloads at noon; three retries fixed it.",
                     ("providers", "retries"), ("G1",))


def found(store: Store, query: str) -> list[int]:
    return [h.id for h in store.search(query, Filters(kinds=("note",)))]


def test_a_note_is_kept_and_found(store: Store) -> None:
    note = store.add_note(LEARNING)
    assert (note.kind, note.title, note.status, note.draft.tags, note.draft.telos) == (
        "learning", "Retry 529s with backoff", "active", ("providers", "retries"), ("G1",))
    assert note.host
    assert found(store, "overloads") == [note.id]
    assert found(store, "retries") == [note.id]  # tags are searched too
    assert [n.id for n in store.notes()] == [note.id]


def test_an_edit_supersedes_and_keeps_the_old_note(store: Store) -> None:
    old = store.add_note(LEARNING)
    new = store.supersede_note(old.id, NoteDraft("learning", "Retry 529s and 503s",
                                                 "Both overload signals."))
    kept = store.note(old.id)
    assert kept is not None and (kept.status, kept.superseded_by) == ("superseded", new.id)
    assert kept.draft.body == LEARNING.body  # never changed in place
    assert [n.id for n in store.notes()] == [new.id]
    assert found(store, "noon") == [] and found(store, "signals") == [new.id]
    with pytest.raises(NoteError, match=f"note {old.id} is superseded by note {new.id}"):
        store.forget_note(old.id)


def test_forgotten_notes_leave_search_and_come_back_when_restored(store: Store) -> None:
    note = store.add_note(LEARNING)
    store.forget_note(note.id)
    assert found(store, "overloads") == []
    assert store.notes() == []
    assert [n.id for n in store.notes(statuses=("forgotten",))] == [note.id]
    with pytest.raises(NoteError, match="restore it first"):
        store.supersede_note(note.id, LEARNING)
    store.restore_note(note.id)
    assert found(store, "overloads") == [note.id]
    with pytest.raises(NoteError, match="not forgotten"):
        store.restore_note(note.id)
    with pytest.raises(NoteError, match="no note 999"):
        store.forget_note(999)


def test_keys_never_reach_the_database(store: Store) -> None:
    note = store.add_note(NoteDraft("decision", "Use the team key",
                                    f"export ANTHROPIC_API_KEY={FAKE_ANTHROPIC}"))
    kept = store.note(note.id)
    assert kept is not None and FAKE_ANTHROPIC not in kept.draft.body
    assert "redacted" in kept.draft.body


def test_a_deleted_session_leaves_its_notes(store: Store) -> None:
    session = store.create_session("s")
    note = store.add_note(NoteDraft("decision", "Ship on Fridays", session_id=session.id))
    store.delete_session(session.id)
    kept = store.note(note.id)
    assert kept is not None and kept.draft.session_id is None and kept.status == "active"
