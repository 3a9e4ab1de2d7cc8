"""Another pai writing to the same history: a separate process (as another host, `PAI_HOST`),
running pai's own store code."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO

WRITE_SESSION = textwrap.dedent("""
    import sys
    from pai_tui.history.store import Store
    store, _, _ = Store.open(sys.argv[1], None)
    session, _ = store.begin_session(sys.argv[2], sys.argv[2] + " says hello")
    print(session.id)
    store.close()
""")
ADD_ANSWER = textwrap.dedent("""
    import sys
    from pai_tui.history.store import Store
    store, _, _ = Store.open(sys.argv[1], None)
    store.add_message(int(sys.argv[2]), "assistant", sys.argv[3])
    store.close()
""")


def _run(script: str, host: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args],
                          env={"PAI_HOST": host, "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def writes_session(url: str, host: str, title: str) -> int:
    """A session (and its first message) written by another process as `host`; its id."""
    return int(_run(WRITE_SESSION, host, url, title).strip())


def writes_answer(url: str, host: str, session_id: int, content: str) -> None:
    _run(ADD_ANSWER, host, url, str(session_id), content)


def newer_pai_migrates(url: str, version: int | None = None) -> int:
    """The database as a newer pai leaves it after migrating it (LATEST + 1 by default): its
    schema version row replaced, as a migration does. The version."""
    from sqlalchemy import text

    from pai_tui.history.migrations import LATEST
    from pai_tui.history.store import make_engine

    version = LATEST + 1 if version is None else version
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM schema_version"))
            conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"),
                         {"v": version})
    finally:
        engine.dispose()
    return version


WRITTEN = ("sessions", "messages", "notes", "feed_items", "spans", "leases", "search_docs")


def dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables a write could touch, as they are (to show nothing changed)."""
    from sqlalchemy import text

    from pai_tui.history.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {table: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {table}"))),
                                  key=repr) for table in WRITTEN}
    finally:
        engine.dispose()
