"""What several test modules build or look for: a database as an older pai left it, rows of a
database, the tool results a model was sent, a process that hangs with a child, whether a
process is gone, the real-world corpus."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from pai_tui.history.migrations import MIGRATIONS
from pai_tui.history.store import make_engine
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from tests.conftest import REPO


def build_schema(path: Path, version: int) -> None:
    """A database as an older pai left it: migrations applied up to `version`."""
    engine = make_engine(sqlite_url(path))
    with engine.begin() as conn:
        for migration in (m for m in MIGRATIONS if m.version <= version):
            migration.upgrade(conn)
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.exec_driver_sql(f"INSERT INTO schema_version VALUES ({version})")
    engine.dispose()


HANG_WITH_CHILD = """
import signal, subprocess, sys, time
if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the child through exec
child = subprocess.Popen(["sleep", "300"])
print(child.pid, flush=True)
time.sleep(300)
"""


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for its parent is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not running(pid):
            return True
        time.sleep(0.02)
    return False


def corpus_dir() -> Path:
    """The corpus: $PAI_CORPUS, else the copy in tests/corpus, else the shared one beside the
    repository. Missing is a failure, never a skip: the corpus is part of the suite."""
    override = os.environ.get("PAI_CORPUS")
    candidates = [Path(override)] if override else [
        REPO / "tests" / "corpus", REPO.parent / "shared" / "corpus", Path("/work/shared/corpus")]
    for candidate in candidates:
        if (candidate / "skills" / "frontmatter-survey.tsv").is_file():
            return candidate
    pytest.fail(f"the skills corpus is missing: looked in {', '.join(map(str, candidates))} "
                f"for skills/frontmatter-survey.tsv (set PAI_CORPUS to its folder)",
                pytrace=False)


def rows(home: HomePaths, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    """What `sql` selects from the database of `home`."""
    db = sqlite3.connect(home.database)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def tool_results(request_body: dict) -> list[str]:  # type: ignore[type-arg]
    """The tool results sent back to the model, in either API's shape."""
    found = []
    for message in request_body["messages"]:
        if message["role"] == "tool":
            found.append(message["content"])
        elif isinstance(message.get("content"), list):
            found += [str(b.get("content")) for b in message["content"]
                      if b.get("type") == "tool_result"]
    return found


# A proposal's diff: a new skill, valid (the upgrade proposals' tests and the Upgrades pane's).
NEW_SKILL = """diff --git a/skills/release-notes/SKILL.md b/skills/release-notes/SKILL.md
new file mode 100644
--- /dev/null
+++ b/skills/release-notes/SKILL.md
@@ -0,0 +1,4 @@
+---
+name: release-notes
+description: Summarize a release's notes against my goals.
+---
"""
