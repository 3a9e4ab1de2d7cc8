"""Ranking the upgrade feed against TELOS by code (upgrade/rank.py): what serves a goal ranks
first and says which goal and which words; the same inputs give the same order; an item that
matches nothing still ranks, lower; priority and age count."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from pai_tui.history.records import FeedItem, FeedItemRecord
from pai_tui.telos import TelosItem
from pai_tui.upgrade.rank import rank, variants

NOW = datetime(2026, 11, 30, 12, 0)
GOALS = [TelosItem("G1", "goal", "Ship pai 1.0", Path("T.md"), 1, keywords=("release",)),
         TelosItem("G2", "goal", "Offline voices on Linux", Path("T.md"), 2,
                   detail="every agent speaks with its own voice"),
         TelosItem("P1", "problem", "Agents cost too much", Path("T.md"), 3, weight=2.0)]


def record(item_id: int, title: str, summary: str = "", source: str = "feed",
           age: timedelta = timedelta(days=1)) -> FeedItemRecord:
    # A key is the item's identity within its source: another text is another key.
    item = FeedItem(f"{item_id}:{title}:{summary}", None, title, None, summary, NOW - age)
    return FeedItemRecord(item_id, source, item, NOW - age, False, 0.0, "")


ITEMS = [
    record(1, "A new espeak-ng release", "Voices for Linux, offline, with pitch variants."),
    record(2, "Quarterly earnings call", "Revenue grew."),
    record(3, "Cutting agent costs with caching", "Prompt caching makes agents cheaper."),
    record(4, "Textual 9 released", "The TUI framework's release notes."),
]


def test_what_serves_a_goal_ranks_first_and_says_why() -> None:
    ranked = rank(ITEMS, GOALS, {}, NOW)
    order = [r.item_id for r in ranked]
    assert order[-1] == 2  # matches nothing: still listed, last
    assert set(order[:3]) == {1, 3, 4}
    why = {r.item_id: r.why for r in ranked}
    assert why[1].startswith("G2 — ") and "voices" in why[1] and "linux" in why[1]
    assert why[3].startswith("P1 — ") and "agents" in why[3]
    assert why[4].startswith("G1 — release")
    assert why[2] == ""


def test_the_same_inputs_give_the_same_order() -> None:
    assert rank(ITEMS, GOALS, {}, NOW) == rank(list(ITEMS), list(GOALS), {}, NOW)


def test_priority_and_age_count() -> None:
    twins = [record(1, "Voices on Linux", source="minor"),
             record(2, "Voices on Linux", source="major")]
    assert [r.item_id for r in rank(twins, GOALS, {"major": 2.0}, NOW)] == [2, 1]
    aged = [record(1, "Voices on Linux", age=timedelta(days=60)),
            record(2, "Voices on Linux", age=timedelta(days=1))]
    assert [r.item_id for r in rank(aged, GOALS, {}, NOW)] == [2, 1]
    old, new = sorted(rank(aged, GOALS, {}, NOW), key=lambda r: r.item_id)
    assert 0 < old.score < new.score / 8  # 59 days later: at the floor of a tenth


def test_without_goals_items_rank_by_recency() -> None:
    aged = [record(1, "a", age=timedelta(days=3)), record(2, "b", age=timedelta(days=1))]
    ranked = rank(aged, [], {}, NOW)
    assert [r.item_id for r in ranked] == [2, 1] and all(r.why == "" for r in ranked)


def test_word_variants_match_both_ways() -> None:
    assert {"agent", "agents"} <= set(variants("agents"))
    assert {"release", "released", "releases", "releasing"} <= set(variants("release"))
    assert {"library", "libraries"} <= set(variants("libraries"))


def test_among_old_items_relevance_still_orders() -> None:
    months = timedelta(days=150)
    old = [record(1, "Quarterly earnings", age=months),
           record(2, "Voices for Linux, offline", age=months)]
    assert [r.item_id for r in rank(old, GOALS, {}, NOW)] == [2, 1]
