"""Recall speed: what context injection (turns/recall.py) adds to a chat turn when the history
holds 10,000 notes: the search against the message, the user's preferences, the notes of the
TELOS goals the message names, the block within `[notes] context_chars` / `context_max`, and
remembering on the answer which notes it was given. Timed for 20 typical messages against a
baseline measured in the same run on the same store: what the turn's preparation reads anyway
(turns/prepare.py: the session and its messages; recall with `[notes] in_context = false`).
Target: recall adds at most 10 ms (p95).

    python benchmarks/recall_speed.py [--notes 10000] [--rounds 5]
        [--database-url postgresql+psycopg://...]   (an empty database of your own)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from pai_tui.config import NotesSettings  # noqa: E402
from pai_tui.history.models import NoteRow  # noqa: E402
from pai_tui.history.store import Store  # noqa: E402
from pai_tui.history.urls import sqlite_url  # noqa: E402
from pai_tui.turns.recall import recall, with_notes  # noqa: E402

TARGET_MS = 10.0
KINDS = ("learning", "learning", "learning", "decision", "decision", "research", "preference")
TOPICS = {
    "python": "asyncio typing pytest packaging wheels venv ruff mypy dataclasses generators",
    "database": "sqlite postgresql migrations index vacuum wal transactions query planner fts5",
    "voice": "espeak piper speech latency audio pulseaudio voices offline wav",
    "agents": "parallel budget worktree delegation researcher architect tools permissions",
    "writing": "essay outline draft newsletter editing tone audience headline clarity",
    "health": "sleep running training recovery protein walking habits morning routine",
    "money": "budget savings invoice taxes subscription costs pricing quarterly review",
    "terminal": "tmux textual keys clipboard colours themes shell zsh prompt",
    "security": "secrets keys rotation redaction ssh gpg passwords audit backups",
    "models": "claude gpt ollama llama context window tokens prompts caching temperature",
}
EVERYDAY = (  # the commonest English words, commonest first
    "the of and to a in is it that for was on are with as be this have from or by not but what "
    "all were when we there can an your which their said if do will each about how up out them "
    "then she many some so these would other into has more her two like him see time could no "
    "make than first been its who now people my made over did down only way find use may water "
    "long little very after words called just where most know get through back much before go "
    "good new write our used me man too any day same right look think also around another came "
    "come work three word must because does part even place well such here take why help put "
    "different away again off went old number great tell men say small every found still "
    "between name should home big give air line set own under read last never us left end "
    "along while might next sound below saw something thought both few those always looks show "
    "large often together asked house world going want school important until form food keep "
    "children feet land side without boy once animals life enough took sometimes four head "
    "above kind began almost live page got earth need far hand high year mother light parts "
    "country father let night following picture being study second eyes soon times story boys "
    "since white days ever paper hard near sentence better best across during today others "
    "however sure means knew try told young miles sun ways thing whole hear example heard "
    "several change answer room sea against top turned learn point city play toward five using "
    "himself usually project week check prefer avoid breaks keeps later works")
ENGLISH = EVERYDAY.split()
ZIPF = [1 / rank for rank in range(1, len(ENGLISH) + 1)]
MESSAGES = [
    "How should I set up pytest fixtures for the sqlite migrations?",
    "Draft the newsletter outline for next week about running habits",
    "Why does tmux swallow my keys in the textual app?",
    "What did we decide about the budget for parallel agents? G2",
    "Summarise the research on postgresql index vacuum behaviour",
    "hi",
    "Write a python function that parses a wav header",
    "Which voices work offline with espeak and piper?",
    "Plan my morning routine around sleep and training, see G1 and P3",
    "Rotate the ssh keys and audit the backups this quarter",
    "thanks, that works",
    "Compare claude and ollama for long context window prompts",
    "Can you review this essay draft for tone and clarity?",
    "Fix the failing ruff check in the packaging script",
    "What are my subscription costs and invoice deadlines? M1",
    "Explain wal mode and transactions in sqlite like I'm new to it",
    "Set a theme with better colours for the terminal",
    "Keep the researcher's tools permissions tight for the G4 project",
    "What's the plan for the quarterly review of pricing?",
    "Tell me a joke",
]


def words(pick: random.Random, topic: str, count: int, share: float) -> str:
    """`count` words: a `share` of them the topic's, the rest everyday English, the common
    words commoner (as in text: a word's frequency falls with its rank)."""
    vocabulary = TOPICS[topic].split()
    everyday = pick.choices(ENGLISH, weights=ZIPF, k=count)
    return " ".join(pick.choice(vocabulary) if pick.random() < share else everyday[n]
                    for n in range(count))


def notes(count: int, share: float, seed: int = 5) -> list[dict[str, object]]:
    """Rows of `count` notes of every kind: a topic's words (a `share` of them) among everyday
    ones, tags, some TELOS ids, bodies of 50-150 words, a few superseded or forgotten (they
    must stay out)."""
    pick = random.Random(seed)
    start = datetime(2025, 1, 1)
    rows = []
    for n in range(count):
        topic = pick.choice(list(TOPICS))
        telos = " ".join(sorted({f"{pick.choice('GPM')}{pick.randint(1, 9)}"
                                 for _ in range(pick.randint(1, 2))})) \
            if pick.random() < 0.3 else ""
        status = "active" if pick.random() < 0.93 else pick.choice(("superseded", "forgotten"))
        at = start + timedelta(minutes=n * 37)
        rows.append({
            "kind": pick.choice(KINDS),
            "title": words(pick, topic, pick.randint(4, 10), min(0.6, share * 3)),
            "body": words(pick, topic, pick.randint(50, 150), share),
            "tags": " ".join(pick.sample(TOPICS[topic].split(), pick.randint(0, 3))),
            "telos": telos, "status": status, "created_by": pick.choice(("user", "agent")),
            "host": "bench", "created_at": at, "updated_at": at})
    return rows


def fill(store: Store, count: int, share: float = 0.1) -> int:
    """The notes (their search documents by the triggers, as any insert), and one session with
    a short conversation; returns the session's id."""
    with store.engine.begin() as conn:
        conn.execute(insert(NoteRow), notes(count, share))
    if store.engine.dialect.name == "postgresql":  # as autovacuum would have, in time
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE notes")
    session = store.create_session("recall benchmark")
    for n in range(6):
        store.add_message(session.id, "user" if n % 2 == 0 else "assistant",
                          f"an earlier message {n} about sqlite and agents")
    return session.id


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="times each message is timed")
    parser.add_argument("--topic-share", type=float, default=0.1,
                        help="share of a note's words from its topic's ten (0.45: each topic "
                             "word in nearly every note of the topic, the harsh case)")
    parser.add_argument("--database-url", default=None,
                        help="an empty database to fill instead of a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or sqlite_url(Path(folder) / "pai.db")
        store, _, _ = Store.open(url, None)
        began = time.perf_counter()
        session_id = fill(store, args.notes, args.topic_share)
        print(f"stored {args.notes:,} notes in {time.perf_counter() - began:.1f} s "
              f"({store.engine.dialect.name})")
        on, off = NotesSettings(), NotesSettings(in_context=False)
        for message in MESSAGES:
            store.add_message(session_id, "user", message)
        answer = store.add_message(session_id, "assistant", "").id

        base, added, writes, sizes = [], [], [], []
        for _ in range(args.rounds):
            for message in MESSAGES:
                began = time.perf_counter()
                store.get_session(session_id)
                store.messages(session_id)
                recall(store, message, off)
                base.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                chosen = recall(store, message, on)
                with_notes(None, chosen)
                read = time.perf_counter()
                if chosen:
                    store.set_notes_used(answer, [note.id for note in chosen])
                added.append((time.perf_counter() - began) * 1000)
                writes.append((time.perf_counter() - read) * 1000)
                sizes.append(len(chosen))
        store.close()
    print(f"{len(MESSAGES)} messages x {args.rounds} rounds, "
          f"{statistics.mean(sizes):.1f} notes injected on average")
    print(f"  baseline (the session and its messages): p50 {statistics.median(base):6.2f} ms, "
          f"p95 {p95(base):6.2f} ms")
    print(f"  recall adds:                             p50 {statistics.median(added):6.2f} ms, "
          f"p95 {p95(added):6.2f} ms | ratio "
          f"{statistics.median(added) / statistics.median(base):.2f}")
    print(f"    of which remembering them on the answer: p50 {statistics.median(writes):6.2f} ms")
    print(f"target <= {TARGET_MS:.0f} ms (p95): "
          + ("met" if p95(added) <= TARGET_MS else "NOT met"))


if __name__ == "__main__":
    main()
