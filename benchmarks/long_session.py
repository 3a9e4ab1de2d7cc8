"""A long session: 2,000 messages, about a million tokens, opened from the history in the real
cockpit (in a pseudo-terminal). Prints the time from asking for it until it is on screen, next
to a 20-message session opened in the same run, and the process's peak memory.
Targets: under 300 ms, and under 300 MB.

    python benchmarks/long_session.py [--messages 2000] [--tokens-per-message 500]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from _pty import run_in_pty
from _setup import bench_home

from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
from tests.fakes.llm_server import markdown_tokens

HERE = Path(__file__).resolve().parent


def fill(home: Path, messages: int, tokens: int) -> tuple[int, int]:
    """A big session and a small one; returns their ids."""
    store, _, _ = Store.open(sqlite_url(home / "pai.db"), home / "backups")
    answer = "".join(markdown_tokens(tokens))
    ids = []
    for count in (messages, 20):
        session, _ = store.begin_session(f"{count} messages", "question 0")
        for number in range(1, count):
            if number % 2:
                store.add_message(session.id, "assistant", answer, provider="anthropic",
                                  model="claude-sonnet-4-6")
            else:
                store.add_message(session.id, "user", f"question {number}")
        ids.append(session.id)
    store.close()
    return ids[0], ids[1]


def open_session(env: dict[str, str], session_id: int) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        run_in_pty(HERE / "_chat_probe.py", [out.name, "open", str(session_id)], env, (120, 40))
        record = json.loads(Path(out.name).read_text() or "{}")
    return float(record["end"]) - float(record["start"]), float(record["rss_peak_mb"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--tokens-per-message", type=int, default=1000)
    args = parser.parse_args()
    home, env = bench_home("http://127.0.0.1:9")  # no request is made
    big, small = fill(home, args.messages, args.tokens_per_message)
    tokens = args.messages // 2 * args.tokens_per_message
    open_session(env, small)  # warm-up
    small_s, _ = open_session(env, small)
    big_s, rss = open_session(env, big)
    print(f"opening a session of {args.messages:,} messages (~{tokens:,} tokens)")
    print(f"  20 messages: {small_s * 1000:6.0f} ms")
    print(f"  {args.messages:,} messages: {big_s * 1000:6.0f} ms (target < 300 ms), "
          f"ratio {big_s / small_s:.2f}")
    print(f"  peak memory of the cockpit: {rss:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
