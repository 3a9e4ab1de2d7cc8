"""The daily digest (upgrade/digest.py) as the user reads it: the new unread items of the last
day, best first, each with its source, date, score, why and link; text from the feeds written
literally; the file theirs alone."""

from __future__ import annotations

import asyncio
import stat
from datetime import datetime, timedelta

from pai_tui.cockpit import Cockpit
from pai_tui.history.records import FeedItem
from pai_tui.upgrade.digest import TOP, digest_text, write_digest

NOW = datetime(2026, 12, 1, 6, 0)


def item(key: str, title: str, url: str | None = None, summary: str = "") -> FeedItem:
    return FeedItem(key, key, title, url, summary, NOW - timedelta(hours=3))


def add(cockpit: Cockpit, source: str, items: list[FeedItem], found: datetime) -> None:
    asyncio.run(cockpit.history.run(lambda store: store.add_feed_items(source, items, found)))


def test_the_digest_lists_the_day_s_new_unread_items_best_first(cockpit: Cockpit) -> None:
    (cockpit.config.home.root / "telos").mkdir(parents=True)
    (cockpit.config.home.root / "telos" / "GOALS.md").write_text(
        "- G1: Local speech on linux\n", encoding="utf-8")
    add(cockpit, "Old", [item("old", "Speech on linux, last week")], NOW - timedelta(days=3))
    add(cockpit, "Blog", [item("a", "Cooking pasta", "https://example.com/pasta"),
                          item("b", "Local speech on linux", "https://example.com/speech"),
                          item("read", "Speech on linux, read already")],
        NOW - timedelta(hours=2))
    read = next(i for i in asyncio.run(cockpit.upgrades.items()) if i.item.key == "read")
    asyncio.run(cockpit.upgrades.mark(read.id, True))

    path = asyncio.run(write_digest(cockpit.upgrades, NOW))

    assert path == cockpit.config.home.root / "upgrade" / "digests" / "2026-12-01.md"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# pai upgrade digest, 2026-12-01\n\n2 new unread items from 1 "
                           "source since 2026-11-30 06:00 UTC")
    speech, pasta = text.index("Local speech on linux"), text.index("Cooking pasta")
    assert speech < pasta  # it matches a goal: first
    why = next(line for line in text.splitlines() if line.startswith("   G1 — "))
    assert "speech" in why and "linux" in why  # why it ranks there, by goal id
    assert "   <https://example.com/speech>" in text
    assert "last week" not in text and "read already" not in text


def test_feed_text_is_written_literally() -> None:
    from pai_tui.history.records import FeedItemRecord

    hostile = FeedItemRecord(
        1, "Evil\x1b]0;x\x07", item("k", "# [click](javascript:alert(1)) *bold* <b>\x1b[2J\nnext",
                                   "javascript:alert(1)"), NOW, False, 1.0, "")
    text = digest_text([hostile], NOW)
    line = text.splitlines()[4]
    assert line.startswith(r"1. **\# \[click\](javascript:alert(1)) \*bold\* \<b\>␛\[2J next**")
    assert "\x1b" not in text and "\x07" not in text
    assert "<javascript" not in text and r"   javascript:alert(1)" in text  # not a link


def test_at_most_the_best_ten_and_a_quiet_day_says_so() -> None:
    from pai_tui.history.records import FeedItemRecord

    many = [FeedItemRecord(n, "S", item(f"k{n}", f"Item {n}"), NOW, False, 1.0 - n / 100, "")
            for n in range(15)]
    text = digest_text(many, NOW)
    assert "15 new unread items from 1 source" in text and "the best 10" in text
    assert f"{TOP}. **Item 9**" in text and "Item 10" not in text
    assert digest_text([], NOW).endswith("Nothing new since 2026-11-30 06:00 UTC.\n")
