"""How fast `pai history import chatgpt` takes a generated export (2,000 conversations of 20
messages by default, a branch in every fifth), into a fresh SQLite file: wall time, messages per
second, peak memory, and the ratio against a baseline measured in the same run: `json.load` of
the same file (what any reader of the export pays at least). A second import of the same file
(everything unchanged) is timed too.

    PYTHONPATH=. python benchmarks/import_speed.py [CONVERSATIONS] [TURNS]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pai_tui.history.imports import reader
from pai_tui.history.imports.writer import write
from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
from tests.history_samples import chatgpt_export


def timed(work) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    conversations = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    turns = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    folder = Path(tempfile.mkdtemp(prefix="pai-import-bench-"))
    os.environ["PAI_HOME"] = str(folder / "home")  # never the user's
    path = chatgpt_export(folder / "conversations.json", conversations, turns)
    size = path.stat().st_size / 1e6
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store, _, _ = Store.open(sqlite_url(folder / "pai.db"), None)
    seconds, report = timed(lambda: write(reader("chatgpt")(path), store))
    again, second = timed(lambda: write(reader("chatgpt")(path), store))
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the baseline
    baseline, _ = timed(lambda: json.loads(path.read_bytes()))
    print(f"export: {conversations:,} conversations, {report.messages:,} messages, "  # type: ignore[attr-defined]
          f"{size:.1f} MB")
    print(f"baseline json.load of the file: {baseline:.2f} s")
    print(f"import: {seconds:.2f} s ({report.messages / seconds:,.0f} messages/s), "  # type: ignore[attr-defined]
          f"{seconds / baseline:.1f}× the baseline")
    print(f"import again (all unchanged: {second.unchanged:,}): {again:.2f} s, "  # type: ignore[attr-defined]
          f"{again / baseline:.1f}× the baseline")
    shutil.rmtree(folder)
    print(f"peak memory (RSS) while importing: {peak:.0f} MB (before: {before:.0f} MB; "
          f"the file is {size:.0f} MB and is streamed, never loaded whole)")


if __name__ == "__main__":
    main()
