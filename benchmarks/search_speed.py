"""Search speed: the history's one search (history/search.py) over a large generated history,
stored through the real schema (its triggers build the index as rows come in), on SQLite and,
with `--postgresql`, on a throwaway PostgreSQL cluster. Messages of about 100 words drawn from
a Zipf-distributed vocabulary of 16,000 words, so a few words occur in most messages, as in
real chat; 20 typical queries: common, mid and rare words, two words, a phrase, a prefix typed
so far, a model id and a URL, a filter, snippets included. Baseline, in the same run on the
same data: a plain `LIKE '%word%'` scan of the messages (what a history without an index does).
Also the index's size against the data's. Target: p95 under 50 ms.

    python benchmarks/search_speed.py [--messages 1000000] [--postgresql]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, text  # noqa: E402

from pai_tui.history.models import ChatSession, Message  # noqa: E402
from pai_tui.history.search import Filters  # noqa: E402
from pai_tui.history.store import Store  # noqa: E402
from pai_tui.history.urls import sqlite_url  # noqa: E402

TARGET_P95_MS = 50.0
COMMON = (  # the head of the distribution: in most messages
    "the", "to", "and", "a", "of", "is", "in", "it", "you", "that", "for", "this", "with", "on",
    "model", "code", "file", "use", "can", "error", "function", "data", "test", "python",
    "agent", "session", "search", "history", "config", "run", "voice", "terminal", "skill",
    "database", "query", "index", "stream", "budget", "provider", "retry", "upgrade", "feed",
    "proposal", "commit", "worktree", "timeline", "notes", "learning", "decision", "research")
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "do", "sha", "qua", "bri",
             "ton", "mel", "gar", "fin", "lux", "dor", "pla")
VOCABULARY = 16_000
QUERIES = (  # (what it is, query, prefix, filters)
    ("common word", "the", False, None),
    ("common word", "model", False, None),
    ("common word", "error", False, None),
    ("common word", "python", False, None),
    ("common words", "database query", False, None),
    ("common words", "agent voice terminal", False, None),
    ("mid word", "research", False, None),
    ("mid word", "timeline", False, None),
    ("rare word", "{rare1}", False, None),
    ("rare word", "{rare2}", False, None),
    ("mixed", "python {mid}", False, None),
    ("phrase", '"the model"', False, None),
    ("as you type", "qu", True, None),
    ("as you type", "dat", True, None),
    ("as you type", "error fu", True, None),
    ("model id", "gpt-4o-mini-{id}", False, None),
    ("url", "example.com/docs/{page}", False, None),
    ("hostile", '"unbalanced: AND (', False, None),
    ("filtered", "model", False, "user"),
    ("filtered", "{mid}", False, "week"),
)


def vocabulary() -> list[str]:
    made = (a + b + c for a, b, c in itertools.product(SYLLABLES, repeat=3))
    words = list(COMMON) + [w for w in made if w not in COMMON]
    words += [f"{w}{n}" for n, w in enumerate(words[50:VOCABULARY - len(words) + 50])]
    return words[:VOCABULARY]


def messages(count: int, words: list[str], seed: int = 7) -> Iterator[str]:
    """`count` texts of about 100 words, word k drawn with weight 1/k (Zipf)."""
    pick = random.Random(seed)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    for _ in range(count):
        said = " ".join(pick.choices(words, cum_weights=weights, k=pick.randint(60, 140)))
        if pick.random() < 0.05:
            said += (f" see gpt-4o-mini-{pick.randint(1000, 1999)} and "
                     f"https://example.com/docs/{pick.randint(1, 500)}")
        yield said


def fill(store: Store, count: int, words: list[str], per_session: int = 40,
         chunk: int = 5_000) -> None:
    """Rows straight into the tables (not through the turn engine: a million turns would take
    hours), in the store's own transactions, so its triggers index them as in real use."""
    start = datetime(2024, 1, 1)
    texts = messages(count, words)
    done = 0
    while done < count:
        size = min(chunk, count - done)
        with store._session() as s:  # (a benchmark's bulk load)
            sessions = s.execute(insert(ChatSession).returning(ChatSession.id), [
                {"title": f"session {n}", "created_at": start + timedelta(minutes=n)}
                for n in range(done // per_session, (done + size - 1) // per_session + 1)
            ]).scalars().all()
            s.execute(insert(Message), [
                {"session_id": sessions[(done + n) // per_session - done // per_session],
                 "role": "user" if (done + n) % 2 == 0 else "assistant",
                 "content": next(texts), "status": "done",
                 "created_at": start + timedelta(minutes=(done + n) // per_session,
                                                 seconds=(done + n) % per_session)}
                for n in range(size)])
        done += size
        print(f"\r  stored {done:,} of {count:,} messages", end="", file=sys.stderr,
              flush=True)
    print(file=sys.stderr)


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(len(times) * 0.95) - 1)]


def timed(function: Callable[[], object], repeat: int = 3) -> float:
    """The best of `repeat` runs, in ms (the first warms the cache, as a second keypress)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def fill_in(query: str, words: list[str], pick: random.Random) -> str:
    return query.format(rare1=words[-pick.randint(1, 500)], rare2=words[-pick.randint(1, 500)],
                        mid=words[pick.randint(300, 2000)], id=pick.randint(1000, 1999),
                        page=pick.randint(1, 500))


def filters_for(name: str | None) -> Filters | None:
    if name == "user":
        return Filters(kinds=("message",))
    if name == "week":
        return Filters(since=datetime(2024, 1, 1), until=datetime(2024, 1, 8))
    return None


def sizes(store: Store) -> tuple[int, int]:
    """(the messages' bytes, the search index's bytes)."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            rows = dict(conn.execute(text(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all())
            data = rows.get("messages", 0)
            index = sum(v for k, v in rows.items() if k.startswith("search_"))
        else:
            data = conn.execute(text("SELECT pg_total_relation_size('messages')")).scalar()
            index = conn.execute(text("SELECT pg_total_relation_size('search_docs')")).scalar()
    return int(data or 0), int(index or 0)


def run(store: Store, count: int) -> None:
    words = vocabulary()
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM messages")).scalar() or 0
    if stored:
        print(f"searching the {stored:,} messages already stored")
    else:
        started = time.perf_counter()
        fill(store, count, words)
        print(f"stored {count:,} messages in {time.perf_counter() - started:.0f} s "
              "(indexed by the triggers as they came)")
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    data, index = sizes(store)
    print(f"messages {data / 2**20:,.0f} MB, search index {index / 2**20:,.0f} MB "
          f"({index / max(data, 1):.2f}x the data)")
    pick = random.Random(11)
    times, scans = [], []
    for what, query, prefix, name in QUERIES:
        query = fill_in(query, words, pick)
        hits: list[object] = []

        def once(query: str = query, prefix: bool = prefix, name: str | None = name,
                 hits: list[object] = hits) -> None:
            hits[:] = store.search(query, filters_for(name), limit=50, prefix=prefix)

        took = timed(once)
        times.append(took)
        print(f"  {what:>12} {query[:28]!r:30} {took:7.1f} ms  {len(hits):2} hits")
    for word in ("model", "timeline", words[-7]):
        def scan(word: str = word) -> None:
            with store.engine.connect() as conn:
                conn.execute(text("SELECT id FROM messages WHERE content LIKE :q LIMIT 50000"),
                             {"q": f"%{word}%"}).all()
        scans.append(timed(scan, repeat=1))
    print(f"search p50 {statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms | LIKE scan "
          f"p50 {statistics.median(scans):.0f} ms | ratio "
          f"{statistics.median(times) / statistics.median(scans):.3f}")
    print(f"p95 {p95(times):.1f} ms (target {TARGET_P95_MS:.0f} ms): "
          + ("met" if p95(times) <= TARGET_P95_MS else "NOT met"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path,
                        help="an SQLite file to keep (searched again as it is if it has data)")
    parser.add_argument("--database-url",
                        help="a PostgreSQL URL to keep (searched again as it is if it has data)")
    parser.add_argument("--postgresql", action="store_true",
                        help="on a throwaway PostgreSQL cluster (Debian's postgresql package)")
    args = parser.parse_args()
    if args.database_url:
        store, _, _ = Store.open(args.database_url, None)
        run(store, args.messages)
        store.close()
        return
    if args.postgresql:
        from tests.postgres import Cluster, binaries

        bin_dir = binaries()
        if bin_dir is None:
            sys.exit("PostgreSQL's server binaries are missing: apt-get install postgresql")
        cluster = Cluster(bin_dir).start()
        try:
            store, _, _ = Store.open(cluster.new_database(), None)
            run(store, args.messages)
            store.close()
        finally:
            cluster.stop()
        return
    with tempfile.TemporaryDirectory() as folder:
        store, _, _ = Store.open(sqlite_url(args.database or Path(folder) / "pai.db"), None)
        run(store, args.messages)
        store.close()


if __name__ == "__main__":
    main()
