"""Proposals in a real store, SQLite and PostgreSQL (every transition kept with its time and
cause, a move from a state the lifecycle does not allow refused, keys never stored), and what a
diff may touch."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from pai_tui.config import Config
from pai_tui.events import Bus
from pai_tui.history.records import ProposalDraft
from pai_tui.history.service import History
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths
from pai_tui.upgrade.proposal_diff import diff_paths, refusals
from pai_tui.upgrade.proposals import REACHED_FROM, STATES, IllegalTransition, move
from tests.fake_keys import fake_keys


def open_store(url: str, home: HomePaths) -> Store:
    store, _, _ = Store.open(url, home.backups)
    return store


NOON = datetime(2026, 12, 1, 12, 0)
DRAFT = ProposalDraft(4, "Add a skill", "Because", "--- /dev/null\n+++ b/x\n", ("true",),
                      "anthropic:claude-sonnet-4-6", 9, 0.0123)


def test_a_proposal_keeps_each_transition_with_its_time_and_cause(home: HomePaths,
                                                                  database_url: str) -> None:
    store = open_store(database_url, home)
    made = store.add_proposal(DRAFT, "proposed", "drafted", NOON)
    moved, ok = store.move_proposal(made.id, ("proposed",), "accepted", "by me", NOON)
    refused, again = store.move_proposal(made.id, ("proposed",), "accepted", "twice", NOON)
    store.close()

    assert ok and not again and refused is not None and refused.state == "accepted"
    assert moved is not None and moved.draft == DRAFT
    assert [(e.from_state, e.to_state, e.at, e.cause) for e in moved.events] == [
        (None, "proposed", NOON, "drafted"), ("proposed", "accepted", NOON, "by me")]


def test_keys_in_a_draft_never_reach_the_database(home: HomePaths, database_url: str) -> None:
    key = fake_keys()["anthropic-key"]
    store = open_store(database_url, home)
    leaky = ProposalDraft(None, f"use {key}", f"rationale {key}", f"+{key}\n", ("echo", key),
                          "model")
    made = store.add_proposal(leaky, "proposed", f"drafted with {key}")
    with store.engine.connect() as conn:
        stored = [*conn.execute(text("SELECT title, rationale, diff, check_argv FROM proposals")),
                  *conn.execute(text("SELECT cause FROM proposal_events"))]
    store.close()
    assert stored and not [value for row in stored for value in row if key in value]
    assert "[redacted anthropic-key]" in made.draft.rationale


def test_every_state_but_proposed_is_reached_from_another() -> None:
    assert set(REACHED_FROM) == set(STATES)
    for state, sources in REACHED_FROM.items():
        assert (state == "proposed") == (not sources)
        assert set(sources) <= set(STATES)


async def test_an_illegal_move_names_the_current_state(home: HomePaths, database_url: str) -> None:
    history = History(Config(home=home, database_url=database_url), Bus())
    try:
        made = await history.run(lambda store: store.add_proposal(DRAFT, "proposed", "drafted"))
        with pytest.raises(IllegalTransition) as refused:
            await move(history, made.id, "verified", "too soon")
        assert str(refused.value) == (f"proposal {made.id} is proposed: it cannot become "
                                      "verified (only a proposal that is applied can); you "
                                      "can accept or reject it")
    finally:
        history.close()


def test_the_paths_of_a_diff_are_read_from_every_kind_of_header() -> None:
    diff = ("diff --git a/skills/x/SKILL.md b/skills/y/SKILL.md\nrename from skills/x/SKILL.md\n"
            "rename to skills/y/SKILL.md\n--- /dev/null\n+++ b/sources.toml\t2026-12-01\n")
    assert diff_paths(diff) == ["skills/x/SKILL.md", "skills/y/SKILL.md", "sources.toml"]


def test_a_rename_into_a_private_place_is_refused(tmp_path: Path) -> None:
    diff = ("diff --git a/skills/x/SKILL.md b/backups/x.md\nrename from skills/x/SKILL.md\n"
            "rename to backups/x.md\n")
    assert refusals(tmp_path, diff) == ["backups/x.md: backups/ is pai's own (not your setup)"]
    assert refusals(tmp_path, "just words\n") == ["the diff names no file (not a unified diff)"]
    assert refusals(tmp_path, "--- a/.git/config\n+++ b/.git/config\n") == [
        ".git/config: git's own files are not part of an upgrade"]


def test_no_history_is_lost_when_the_store_reopens(home: HomePaths, database_url: str) -> None:
    store = open_store(database_url, home)
    made = store.add_proposal(DRAFT, "proposed", "drafted", NOON)
    store.close()
    store = open_store(database_url, home)
    assert [p.id for p in store.proposals(("proposed",))] == [made.id]
    assert store.proposal(made.id + 1) is None
    store.close()


def test_an_answer_in_a_fence_with_a_command_line_check_is_read_and_made_to_cite_its_item(
) -> None:
    from pai_tui.history.records import FeedItem, FeedItemRecord
    from pai_tui.upgrade.draft import parse_answer

    item = FeedItem("k", None, "SDK 2.0 is out", "https://example.com/sdk", "", None)
    record = FeedItemRecord(7, "News", item, NOON, False, 0.0, "")
    text = ('Here it is:\n```json\n{"title": "  Pin the\\nSDK ", "rationale": "Serves G1.", '
            '"diff": "--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n ", "check": "pai doctor '
            '--json"}\n```')
    drafted = parse_answer(text, record)
    assert drafted.title == "Pin the SDK"
    assert drafted.rationale == ("Serves G1.\n\nFrom item 7: SDK 2.0 is out "
                                 "<https://example.com/sdk>")
    assert drafted.diff.endswith("+b\n \n")  # a context line of one space is kept
    assert drafted.check == ("pai", "doctor", "--json")
