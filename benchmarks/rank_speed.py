"""Ranking speed: 10,000 upgrade-feed items (the real feeds corpus, repeated) against 30 TELOS
goals, by code (upgrade/rank.py), against a baseline measured in the same run: lower-casing and
splitting the same items into words, which any ranking does first. Target: 200 ms.

Then the whole re-ranking after a poll (upgrade/poll.py `rerank`) on a real SQLite store
holding the same items, with the goals in $PAI_HOME/telos/TELOS.md: loading the items, ranking
them, storing every score and why; each part, and the whole, first and again.

    python benchmarks/rank_speed.py [--items 10000] [--goals 30] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pai_tui.history.records import FeedItemRecord  # noqa: E402
from pai_tui.telos import TelosItem  # noqa: E402
from pai_tui.upgrade.parse import FeedError, parse_feed  # noqa: E402
from pai_tui.upgrade.rank import TEXT_CHARS, rank  # noqa: E402

TARGET_MS = 200.0
FEEDS = REPO / "tests" / "corpus" / "feeds"
TOPICS = ["voice speech linux offline", "agents parallel budget cost", "terminal textual tui",
          "local models ollama", "security keys secrets", "memory history search",
          "skills prompts workflows", "release notes changelog", "research papers reasoning",
          "claude code hooks", "python sdk streaming", "safety alignment evaluation"]


def corpus_items(count: int) -> list[FeedItemRecord]:
    parsed = []
    for row in csv.DictReader((FEEDS / "feedparser-6.0.tsv").open(), delimiter="\t"):
        with contextlib.suppress(FeedError):  # the two that are not feeds
            parsed.extend(parse_feed((FEEDS / row["path"]).read_bytes()).items)
    now = datetime(2026, 11, 30)
    return [FeedItemRecord(n, f"source{n % 13}", parsed[n % len(parsed)], now, False, 0.0, "")
            for n in range(count)]


def goals(count: int) -> list[TelosItem]:
    return [TelosItem(f"G{n + 1}", "goal", TOPICS[n % len(TOPICS)], Path("TELOS.md"), n + 1,
                      detail=TOPICS[(n * 5 + 3) % len(TOPICS)]) for n in range(count)]


def best_ms(function, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return min(times), statistics.median(times)


def store_figures(items: list[FeedItemRecord], telos: list[TelosItem], now: datetime,
                  ) -> list[tuple[str, float]]:
    """The re-ranking after a poll, timed by part, on a new SQLite store in a new PAI_HOME."""
    from pai_tui import events
    from pai_tui.config import load_config
    from pai_tui.history.service import History
    from pai_tui.telos import load_telos
    from pai_tui.upgrade import rank as ranking
    from pai_tui.upgrade.poll import rerank
    from pai_tui.upgrade.sources import Source

    home = Path(tempfile.mkdtemp(prefix="pai-bench-rank-"))
    os.environ["PAI_HOME"] = str(home)
    os.environ.pop("PAI_DATABASE_URL", None)
    (home / "telos").mkdir(parents=True)
    (home / "telos" / "TELOS.md").write_text("# Goals\n\n" + "".join(
        f"## {goal.id} {goal.text}\n{goal.detail}\n\n" for goal in telos))
    history = History(load_config(), events.Bus())
    store = history.open()
    by_source: dict[str, dict] = {}  # type: ignore[type-arg]
    for record in items:  # a source's items once each (the corpus repeats)
        by_source.setdefault(record.source, {})[record.item.key] = record.item
    for source, found in by_source.items():
        store.add_feed_items(source, list(found.values()), now)
    sources = [Source(name, "feed", f"http://127.0.0.1/{name}") for name in by_source]
    figures = []
    for when in ("first", "again"):
        if when == "first":
            ranking._MATCHES = ranking._Remembered()  # nothing remembered, as after a start
        began = time.perf_counter()
        kept = store.feed_items()
        loaded = time.perf_counter()
        ranked = ranking.rank(kept, load_telos(home).items, {}, now)
        done = time.perf_counter()
        store.score_feed_items({r.item_id: (r.score, r.why) for r in ranked})
        stored = time.perf_counter()
        figures += [(f"{when}: load {len(kept):,} items", loaded - began),
                    (f"{when}: rank", done - loaded), (f"{when}: store scores", stored - done)]
        if when == "first":
            ranking._MATCHES = ranking._Remembered()
        began = time.perf_counter()
        asyncio.run(rerank(history, home, sources, now))
        figures.append((f"{when}: rerank() in all", time.perf_counter() - began))
    store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--goals", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items, telos = corpus_items(args.items), goals(args.goals)
    word = re.compile(r"[a-z0-9]+")
    now = datetime(2026, 12, 1)

    def baseline() -> None:
        for record in items:
            word.findall(record.item.title.lower())
            word.findall(record.item.summary[:TEXT_CHARS].lower())

    base_best, base_median = best_ms(baseline, args.rounds)
    cold = []
    for round_ in range(args.rounds):  # new goals each time: nothing remembered
        varied = [replace(goal, text=f"{goal.text} round{round_}") for goal in telos]
        began = time.perf_counter()
        rank(items, varied, {}, now)
        cold.append((time.perf_counter() - began) * 1000)
    rank(items, telos, {}, now)
    warm_best, warm_median = best_ms(lambda: rank(items, telos, {}, now), args.rounds)
    print(f"rank {args.items:,} items against {args.goals} goals, best of {args.rounds}")
    print(f"  baseline (split into words):  {base_best:7.1f} ms (median {base_median:.1f})")
    print(f"  first ranking (goals new):    {min(cold):7.1f} ms (median "
          f"{statistics.median(cold):.1f}), ratio {min(cold) / base_best:.2f}")
    print(f"  ranking again (after a poll): {warm_best:7.1f} ms (median {warm_median:.1f}), "
          f"ratio {warm_best / base_best:.2f}")
    for name, median in (("first", statistics.median(cold)), ("again", warm_median)):
        print(f"  target {TARGET_MS:.0f} ms, {name}: {'met' if median <= TARGET_MS else 'NOT met'}")
    print(f"re-ranking after a poll (upgrade/poll.py rerank), {args.items:,} items in SQLite")
    for label, seconds in store_figures(items, telos, now):
        print(f"  {label + ':':30} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
