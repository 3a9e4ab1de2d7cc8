"""The upgrade feed's items in the store, on SQLite and on PostgreSQL: scores and explanations
written in one go (history/feeds.py `score_feed_items`) are what the list reads back, best
first, with every field of an item as it was stored; a deleted item is not listed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pai_tui.history.records import FeedItem
from pai_tui.history.store import Store

NOW = datetime(2026, 11, 30, 12, 0)
ITEMS = [FeedItem(f"k{n}", f"guid-{n}" if n % 2 else None, f"Item {n}",
                  f"https://example.org/{n}" if n % 3 else None, f"Text of {n}: ünïcode",
                  datetime(2026, 11, n + 1, 8, 30) if n % 4 else None,
                  {"tag": f"v{n}"} if n % 2 else {}) for n in range(12)]


def test_scores_and_why_are_stored_in_one_go_and_read_back_best_first(
        database_url: str, tmp_path: Path) -> None:
    store = Store.open(database_url, tmp_path)[0]
    try:
        assert store.add_feed_items("News", ITEMS, NOW) == 12
        stored = {record.item.key: record for record in store.feed_items()}
        assert [stored[item.key].item for item in ITEMS] == ITEMS
        scores = {stored[item.key].id: (n / 10, f"G{n} — words" if n % 2 else "")
                  for n, item in enumerate(ITEMS)}
        store.score_feed_items(scores)
        deleted = stored["k11"].id
        assert store.delete_feed_item(deleted)
        listed = store.feed_items()
        assert [record.item.key for record in listed] == [f"k{n}" for n in range(10, -1, -1)]
        assert all((record.score, record.why) == scores[record.id] for record in listed)
        assert [r.item.key for r in store.feed_items(limit=3, min_score=0.5)] == \
            ["k10", "k9", "k8"]
        assert store.feed_item(stored["k3"].id) == next(r for r in listed if r.item.key == "k3")
    finally:
        store.close()
