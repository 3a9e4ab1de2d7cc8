"""Search speed: the history's one search (history/search.py) over a real SQLite store of
50,000 messages and 2,000 notes, against a baseline measured in the same run on the same
store: a plain `LIKE '%word%'` scan of all the messages, which is what a history without an
index does. Words, a phrase of two words, a substring (code, an id), and as-you-type prefixes.
Target: p95 under 50 ms (it is typed as you go), and far under the scan.

    python benchmarks/search_speed.py [--messages 50000] [--queries 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from pai_tui.history.records import NoteDraft  # noqa: E402
from pai_tui.history.store import Store  # noqa: E402
from pai_tui.history.urls import sqlite_url  # noqa: E402

TARGET_P95_MS = 50.0
WORDS = (
    "agent", "voice", "linux", "budget", "export", "history", "search", "model", "provider",
    "retry", "stream", "terminal", "textual", "session", "skill", "routing", "upgrade", "feed",
    "proposal", "commit", "worktree", "timeline", "notes", "learning", "decision", "research",
    "preference", "kangaroo", "quokka", "platypus", "wombat", "echidna", "numbat", "dingo",
    "koala", "emu", "cassowary",
)


def sentence(pick: random.Random) -> str:
    said = " ".join(pick.choice(WORDS) for _ in range(pick.randint(8, 40)))
    if pick.random() < 0.1:
        said += (f" see gpt-4o-mini-{pick.randint(1000, 9999)} and "
                 f"example.com/docs/{pick.randint(1, 500)}")
    return said


def fill(store: Store, messages: int, notes: int) -> None:
    pick = random.Random(7)
    per_session = 40
    for start in range(0, messages, per_session):
        session = store.create_session(f"session {start}")
        for n in range(per_session):
            store.add_message(session.id, "user" if n % 2 == 0 else "assistant", sentence(pick))
    for n in range(notes):
        store.add_note(NoteDraft("learning", f"note {n}: {sentence(pick)[:60]}", sentence(pick)))


def timed(function, queries: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for query in queries:
        start = time.perf_counter()
        function(query)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--notes", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store, _, _ = Store.open(sqlite_url(Path(folder) / "pai.db"), None)
        started = time.perf_counter()
        fill(store, args.messages, args.notes)
        print(f"stored {args.messages:,} messages and {args.notes:,} notes in "
              f"{time.perf_counter() - started:.1f} s (the index kept by triggers as they came)")
        pick = random.Random(11)
        kinds = {
            "one word": [pick.choice(WORDS) for _ in range(args.queries)],
            "two words": [f"{pick.choice(WORDS)} {pick.choice(WORDS)}"
                          for _ in range(args.queries)],
            "substring": [f"4o-mini-{pick.randint(1000, 9999)}"[:12]
                          for _ in range(args.queries)],
            "as you type": [pick.choice(WORDS)[:3] for _ in range(args.queries)]}

        def scan(query: str) -> None:
            with store.engine.connect() as conn:
                conn.execute(text("SELECT id FROM messages WHERE content LIKE :q"),
                             {"q": f"%{query.split()[0]}%"}).all()

        worst = 0.0
        for name, queries in kinds.items():
            prefix = name == "as you type"
            ours = timed(lambda q, prefix=prefix: store.search(q, limit=50, prefix=prefix),
                         queries)
            base = timed(scan, queries)
            worst = max(worst, p95(ours))
            print(f"{name:>12}: search p50 {statistics.median(ours):6.1f} ms, p95 "
                  f"{p95(ours):6.1f} ms | LIKE scan p50 {statistics.median(base):6.1f} ms | "
                  f"ratio {statistics.median(ours) / statistics.median(base):.2f}")
        store.close()
    print(f"worst p95 {worst:.1f} ms (target {TARGET_P95_MS:.0f} ms): "
          + ("met" if worst <= TARGET_P95_MS else "NOT met"))


if __name__ == "__main__":
    main()
