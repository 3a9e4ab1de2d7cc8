"""Opening the History pane: from the store being ready (pai's first frame is painted before)
to the pane's list of sessions painted, with 100,000 sessions (2 to 10 messages each) in a real
SQLite file, against a baseline measured in the same run: the same with an empty history. Also
the pane's reload (after every turn and every change another pai makes) and how long the
event loop stalls during it (a key typed meanwhile waits that long). Each run is a fresh pai
process in a real pseudo-terminal (benchmarks/_history_probe.py). Target: under 300 ms.

    python benchmarks/history_open.py [--sessions 100000] [--runs 5] [--size 120x40]
        [--database FILE]   (kept there, filled once: filling takes minutes)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _pty import run_in_pty
from _setup import bench_home  # puts the repository on the path, first

from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url

PROBE = Path(__file__).with_name("_history_probe.py")
TARGET_MS = 300.0
TOPICS = ("voice setup", "budget review", "sqlite tuning", "trip to Perth", "tmux keys",
          "newsletter draft", "agent worktrees", "tax questions", "quokka facts", "python tips")
WORDS = ("the", "a", "of", "and", "how", "why", "voice", "budget", "sqlite", "index", "agent",
         "model", "terminal", "draft", "plan", "week", "review", "notes", "search", "history")


def fill(database: Path, sessions: int, seed: int = 3) -> int:
    """`sessions` sessions of 2 to 10 messages, written as an import would (executemany, the
    search index kept by the triggers as always); returns the count of messages."""
    store, _, _ = Store.open(sqlite_url(database), None)  # the schema, migrated
    store.close()
    pick = random.Random(seed)
    start = datetime(2022, 1, 1)
    db = sqlite3.connect(database)
    messages = 0
    with db:
        for first in range(0, sessions, 10_000):
            rows, said = [], []
            for n in range(first, min(sessions, first + 10_000)):
                at = start + timedelta(minutes=n * 7)
                rows.append((n + 1, f"{pick.choice(TOPICS)} {n}", "anthropic", "claude",
                             at, at + timedelta(minutes=5), "bench"))
                for m in range(pick.randint(2, 10)):
                    said.append((n + 1, "user" if m % 2 == 0 else "assistant",
                                 " ".join(pick.choice(WORDS) for _ in range(pick.randint(5, 25))),
                                 "complete", at + timedelta(seconds=m), "bench"))
            db.executemany("INSERT INTO sessions (id, title, provider, model, created_at, "
                           "updated_at, host) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT INTO messages (session_id, role, content, status, input_tokens, "
                           "output_tokens, output_estimated, superseded, on_path, created_at, "
                           "updated_at, host) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 1, ?, ?, ?)",
                           [(*m[:5], m[4], m[5]) for m in said])
            messages += len(said)
    db.close()
    return messages


def run(env: dict[str, str], size: tuple[int, int]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as marker:
        code = run_in_pty(PROBE, [marker.name], env, size, timeout=300)
        text = Path(marker.name).read_text()
    if not text:
        raise SystemExit(f"the probe exited without measuring (exit {code})")
    found = json.loads(text)
    return {"open": (found["listed"] - found["store_ready"]) * 1000,
            "reload": statistics.median(found["reloads"]) * 1000,
            "stall": max(found["stalls"]) * 1000, "options": found["options"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    parser.add_argument("--database", type=Path, default=None,
                        help="the full history's SQLite file: filled if missing, else reused")
    args = parser.parse_args()
    size = (int(args.size.split("x")[0]), int(args.size.split("x")[1]))
    homes, folders = {}, []
    try:
        measure(args, size, homes, folders)
    finally:
        for folder in folders:  # the homes (and their bytecode); a --database file is kept
            shutil.rmtree(folder, ignore_errors=True)


def measure(args: argparse.Namespace, size: tuple[int, int], homes: dict[str, dict[str, str]],
            folders: list[Path]) -> None:
    for name, count in (("empty", 0), ("full", args.sessions)):
        home, env = bench_home("http://127.0.0.1:9")  # no model is asked
        folders.append(home)
        database = args.database if count and args.database else home / "pai.db"
        if count and database.exists():
            print(f"reusing {database}")
        else:
            began = time.perf_counter()
            messages = fill(database, count)
            if count:
                print(f"stored {count:,} sessions and {messages:,} messages in "
                      f"{time.perf_counter() - began:.1f} s")
        homes[name] = {**env, "PAI_DATABASE_URL": sqlite_url(database)}
    for env in homes.values():
        run(env, size)  # warm-up: bytecode caches, the file in the page cache
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in homes}
    for _ in range(args.runs):  # alternating, so that machine noise hits both
        for name, env in homes.items():
            figures[name].append(run(env, size))
    print(f"History pane, {args.size}, median of {args.runs} runs (each a fresh pai)")
    medians = {name: {key: statistics.median(f[key] for f in runs) for key in runs[0]}
               for name, runs in figures.items()}
    for name, label in (("empty", "empty history"), ("full", f"{args.sessions:,} sessions")):
        m = medians[name]
        print(f"  {label:>18}: store ready -> list painted {m['open']:7.1f} ms | reload "
              f"{m['reload']:6.1f} ms | loop stalled up to {m['stall']:6.1f} ms | "
              f"{m['options']:.0f} rows listed")
    ratio = medians["full"]["open"] / medians["empty"]["open"]
    print(f"  ratio full / empty: {ratio:.2f}; target {TARGET_MS:.0f} ms: "
          + ("met" if medians["full"]["open"] <= TARGET_MS else "NOT met"))


if __name__ == "__main__":
    main()
