"""The one search over the history, on SQLite and on PostgreSQL alike: words with their
variants, substrings (code, ids, URLs), the user's words before answers, agents' results and
upgrade items, filters, snippets that mark the matches, search as you type, and raw text that
never fails."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pai_tui.history.records import FeedItem, NoteDraft
from pai_tui.history.search import Filters
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths


@pytest.fixture
def store(home: HomePaths, database_url: str):  # type: ignore[no-untyped-def]
    store, _, _ = Store.open(database_url, home.backups)
    yield store
    store.close()


def contents(store: Store, query: str, **options: object) -> list[str]:
    return [text_of(store, hit.kind, hit.id) for hit in store.search(query, **options)]  # type: ignore[arg-type]


def text_of(store: Store, kind: str, ref: int) -> str:
    if kind == "note":
        return store.note(ref).title  # type: ignore[union-attr]
    if kind == "item":
        return store.feed_item(ref).item.title  # type: ignore[union-attr]
    return store.get_message(ref).content  # type: ignore[union-attr]


def test_words_match_their_variants_and_the_user_s_words_come_first(store: Store) -> None:
    session = store.create_session("export")
    store.add_message(session.id, "assistant", "The exporter writes files for exports.")
    store.add_message(session.id, "user", "How do I export my history?")
    assert contents(store, "exporting") == ["How do I export my history?",
                                            "The exporter writes files for exports."]


def test_substrings_find_code_ids_and_urls(store: Store) -> None:
    session = store.create_session("code")
    store.add_message(session.id, "assistant", "Use gpt-4o-mini-2024-07-18 for this.")
    store.add_message(session.id, "user", "see https://example.com/docs/v2/search?q=1")
    store.add_message(session.id, "user", "def parse_feed_items(raw): ...")
    assert contents(store, "4o-mini") == ["Use gpt-4o-mini-2024-07-18 for this."]
    assert contents(store, "example.com/docs") == ["see https://example.com/docs/v2/search?q=1"]
    assert contents(store, "feed_items") == ["def parse_feed_items(raw): ..."]


def test_code_is_found_as_written_not_as_words_anywhere(store: Store) -> None:
    session = store.create_session("code")
    store.add_message(session.id, "user", "is gpt the same as 4o?")
    store.add_message(session.id, "assistant", "Use gpt-4o here.")
    assert contents(store, "gpt-4o") == ["Use gpt-4o here."]


def test_a_word_ranks_before_a_part_of_a_word(store: Store) -> None:
    """A message that has the word is shown with the word marked, and before messages that
    only hold it inside another word, however common the word is."""
    session = store.create_session("markdown")
    store.add_message(session.id, "user", "the markdown export")
    store.add_message(session.id, "assistant", "markdown it is: markdown everywhere")
    store.add_message(session.id, "user", "notmarkdownish text")
    hits = store.search("markdown")
    assert [text_of(store, h.kind, h.id) for h in hits][-1] == "notmarkdownish text"
    first = hits[0]
    start, end = first.highlights[0]
    assert first.snippet[start:end] == "markdown"


def test_a_common_word_shows_its_newest_matches(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Among more matches than are ranked (a word in most messages), the newest are found."""
    monkeypatch.setattr("pai_tui.history.search.POOL", 20)
    monkeypatch.setattr("pai_tui.history.search.PG_POOL", 20)
    session = store.create_session("many")
    for n in range(60):
        store.add_message(session.id, "user", f"wombat number {n}")
    found = {text_of(store, h.kind, h.id) for h in store.search("wombat", limit=10)}
    assert len(found) == 10 and all(int(t.split()[-1]) >= 40 for t in found)


@pytest.mark.parametrize("query", ['"unbalanced', "error: missing", "AND", "NOT", "OR OR",
                                   "*", "(", "NEAR(", "a:b:c", "'; DROP TABLE messages; --",
                                   "\\", "%_%", "^", "-", "😀"])
def test_raw_text_never_fails(store: Store, query: str) -> None:
    session = store.create_session("s")
    store.add_message(session.id, "user", "error: missing AND unbalanced \"quote (NOT here)")
    store.search(query)  # no exception, whatever was typed
    assert store.messages(session.id)  # and nothing was harmed


def test_what_search_leaves_out(store: Store) -> None:
    session = store.create_session("s")
    store.add_message(session.id, "step", "wombat counted by a tool")
    question = store.add_message(session.id, "user", "tell me")
    store.add_message(session.id, "assistant", "an old wombat answer")
    store.supersede_answers(session.id, question.id)  # a retry is coming
    store.add_message(session.id, "assistant", "the wombat answer kept")
    assert contents(store, "wombat") == ["the wombat answer kept"]
    gone = store.create_session("gone")
    store.add_message(gone.id, "user", "a deleted wombat")
    store.delete_session(gone.id)
    assert contents(store, "wombat") == ["the wombat answer kept"]


def test_agents_results_and_upgrade_items_are_found_and_filtered(store: Store) -> None:
    session = store.create_session("s")
    store.add_message(session.id, "user", "Plan the voices release")
    _, _, run = store.ask(None, "Design it", "anthropic", "claude-x", agent="architect")
    store.update_message(run.id, content="Architect: voices plan ready", status="complete")
    store.add_feed_items("textual", [FeedItem("k1", None, "Textual adds voices", None,
                                              "Speech for apps.", None)])
    assert {(h.kind, h.agent) for h in store.search("voices")} == {
        ("message", None), ("agent", "architect"), ("item", None)}
    assert [h.id for h in store.search("voices", Filters(kinds=("agent",)))] == [run.id]
    assert [h.kind for h in store.search("voices", Filters(model="claude-x"))] == ["agent"]
    assert [h.kind for h in store.search("voices", Filters(kinds=("item",)))] == ["item"]
    item = store.search("voices", Filters(kinds=("item",)))[0]
    store.delete_feed_item(item.id)
    assert store.search("voices", Filters(kinds=("item",))) == []


def test_filters_by_session_and_time(store: Store) -> None:
    first, second = store.create_session("a"), store.create_session("b")
    old = store.add_message(first.id, "user", "kangaroo facts")
    store.add_message(second.id, "user", "kangaroo jokes")
    assert [h.id for h in store.search("kangaroo", Filters(session_id=first.id))] == [old.id]
    later = old.created_at + timedelta(days=1)
    assert store.search("kangaroo", Filters(since=later)) == []
    assert len(store.search("kangaroo", Filters(until=later))) == 2


def test_snippets_mark_what_matched(store: Store) -> None:
    session = store.create_session("s")
    long = "Lorem ipsum " * 40 + "the quokka smiled at the camera" + " dolor sit" * 40
    store.add_message(session.id, "user", long)
    hit = store.search("quokka")[0]
    assert len(hit.snippet) < 300 and "quokka" in hit.snippet
    assert [hit.snippet[a:b].lower() for a, b in hit.highlights] == ["quokka"]
    assert hit.score > 0 and hit.session_id == session.id and hit.role == "user"


def test_search_as_you_type_finds_an_unfinished_word(store: Store) -> None:
    session = store.create_session("s")
    store.add_message(session.id, "user", "remember the quokka")
    assert contents(store, "quok", prefix=True) == ["remember the quokka"]
    assert contents(store, "remember quo", prefix=True) == ["remember the quokka"]


def test_new_and_changed_text_is_found_at_once(store: Store) -> None:
    session = store.create_session("s")
    answer = store.add_message(session.id, "assistant", "", status="streaming")
    store.update_message(answer.id, content="a platypus appeared", status="complete")
    assert contents(store, "platypus") == ["a platypus appeared"]
    store.update_message(answer.id, content="an echidna instead")
    assert contents(store, "platypus") == [] and contents(store, "echidna") == [
        "an echidna instead"]


def test_best_first_then_newest(store: Store) -> None:
    session = store.create_session("s")
    for n in range(3):
        store.add_message(session.id, "assistant", f"numbat {n}")
    hits = store.search("numbat")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(isinstance(h.created_at, datetime) for h in hits)


def test_filters_by_the_host_that_wrote_it(store: Store, monkeypatch: pytest.MonkeyPatch,
                                           ) -> None:
    monkeypatch.setenv("PAI_HOST", "alpha")
    here = store.create_session("a")
    store.add_message(here.id, "user", "dingo on alpha")
    monkeypatch.setenv("PAI_HOST", "beta")
    there = store.create_session("b")
    store.add_message(there.id, "user", "dingo on beta")
    store.add_note(NoteDraft("learning", "dingo note on beta"))
    assert sorted(contents(store, "dingo", filters=Filters(host="beta"))) == [
        "dingo note on beta", "dingo on beta"]
    assert contents(store, "dingo", filters=Filters(host="alpha")) == ["dingo on alpha"]
