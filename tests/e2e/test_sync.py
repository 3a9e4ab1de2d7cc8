"""One history across machines: every row says which host wrote it, another pai's writes reach
this one's bus (PostgreSQL's LISTEN/NOTIFY, or polling an SQLite file), `pai sync status`
counts per host, and a pai older than the database's schema refuses to write. Real processes
on a real database (both dialects: the `database_url` fixture)."""

from __future__ import annotations

import json
import queue

import pytest
from sqlalchemy import text

from pai_tui import events
from pai_tui.config import load_config
from pai_tui.history.migrations import LATEST, SchemaError
from pai_tui.history.service import History
from pai_tui.history.store import Store, make_engine
from pai_tui.paths import HomePaths
from tests.conftest import run_pai
from tests.other_pai import writes_answer, writes_session

SEEN_WITHIN_S = 8.0

@pytest.fixture
def alpha(database_url: str, home: HomePaths, monkeypatch: pytest.MonkeyPatch):
    """This process is pai on host `alpha`, its history open and watching; the bus's
    SessionUpdated events land in `alpha.updates`."""
    monkeypatch.setenv("PAI_HOST", "alpha")
    bus = events.Bus()
    history = History(load_config(home), bus)
    history.updates = queue.Queue()  # type: ignore[attr-defined]
    bus.subscribe(events.SessionUpdated, lambda e: history.updates.put(e.session_id))
    history.watch_changes = True
    history.open()
    assert history._watcher is not None and history._watcher.listening.wait(10)
    yield history
    watcher = history._watcher
    thread = watcher._thread
    history.close()
    # Stopped with the history, not left behind (other tests' apps may have their own).
    assert watcher._thread is None and thread is not None and not thread.is_alive()


def wait_for(updates: queue.Queue[int], session_id: int, told: list[int] | None = None,
             ) -> bool:
    """Whether `session_id` is told within SEEN_WITHIN_S (what was told before it: `told`)."""
    import time

    deadline = time.monotonic() + SEEN_WITHIN_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            got = updates.get(timeout=left)
        except queue.Empty:
            break
        if got == session_id:
            return True
        if told is not None:
            told.append(got)
    return False


def test_another_pais_session_reaches_this_one_and_rows_say_their_host(
        alpha: History, database_url: str) -> None:
    store = alpha.open()
    mine, _ = store.begin_session("from alpha", "alpha says hello")
    theirs = writes_session(database_url, "beta", "from beta")
    told: list[int] = []
    assert wait_for(alpha.updates, theirs, told), "beta's session never reached alpha's bus"
    if database_url.startswith("postgresql"):  # its own writes are not news to a pai (SQLite
        assert mine.id not in told              # is polled: it cannot tell whose they were)
    assert [s.title for s in store.list_sessions()] == ["from beta", "from alpha"]
    with store.engine.connect() as conn:
        hosts = dict(conn.execute(text("SELECT id, host FROM sessions")).all())
        by_message = sorted(conn.execute(text("SELECT host, content FROM messages")).all())
    assert hosts == {mine.id: "alpha", theirs: "beta"}
    assert by_message == [("alpha", "alpha says hello"), ("beta", "from beta says hello")]

    # a message added later to beta's session by beta refreshes it again
    while not alpha.updates.empty():
        alpha.updates.get()
    writes_answer(database_url, "beta", theirs, "beta answers")
    assert wait_for(alpha.updates, theirs)

    status = run_pai("sync", "status", "--json", env={"PAI_HOST": "alpha"})
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)
    assert found["schema_version"] == LATEST and found["this_host"] == "alpha"
    rows = {row["host"]: row for row in found["hosts"]}
    assert set(rows) == {"alpha", "beta"}
    assert (rows["alpha"]["sessions"], rows["alpha"]["messages"]) == (1, 1)
    assert (rows["beta"]["sessions"], rows["beta"]["messages"]) == (1, 2)
    assert rows["alpha"]["this_host"] and not rows["beta"]["this_host"]
    assert found["hosts"][0]["host"] == "beta"  # the latest writer first
    assert rows["beta"]["last_write"] >= rows["alpha"]["last_write"]

    text_status = run_pai("sync", "status", env={"PAI_HOST": "beta"})
    assert "beta *" in text_status.stdout and "alpha" in text_status.stdout


def set_schema(url: str, version: int) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:  # as a migration does: the version row replaced
        conn.execute(text("DELETE FROM schema_version"))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
    engine.dispose()


def test_a_pai_older_than_the_database_refuses_to_write_and_says_to_upgrade(
        database_url: str, home: HomePaths) -> None:
    store, _, _ = Store.open(database_url, home.backups)
    _, _, answer = store.ask(None, "question", "anthropic", "m", title="left streaming")
    with store.engine.begin() as conn:  # its writer is gone: an open would mark it interrupted
        conn.execute(text("UPDATE messages SET writer = NULL WHERE id = :id"), {"id": answer.id})
    store.close()
    set_schema(database_url, LATEST + 1)

    added = run_pai("notes", "add", "--kind", "learning", "never kept")
    assert added.returncode != 0
    said = added.stderr + added.stdout
    assert f"schema version {LATEST + 1}" in said and f"({LATEST})" in said
    assert "upgrade pai" in said and "pip install -U pai-tui" in said
    assert "Traceback" not in said

    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 0
        assert conn.execute(text("SELECT status FROM messages WHERE id = :id"),
                            {"id": answer.id}).scalar() == "streaming"
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == LATEST + 1
    engine.dispose()

    status = run_pai("sync", "status", "--json")  # reading is allowed, and says to upgrade
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)
    assert found["upgrade_needed"] and found["schema_version"] == LATEST + 1
    assert found["hosts"][0]["sessions"] == 1


def test_a_running_pai_stops_writing_once_another_migrated_past_it(
        alpha: History, database_url: str) -> None:
    failed: queue.Queue[str] = queue.Queue()
    alpha.bus.subscribe(events.StoreReadOnly, lambda e: failed.put(e.message))
    store = alpha.open()
    store.begin_session("before", "written")
    set_schema(database_url, LATEST + 1)
    message = failed.get(timeout=SEEN_WITHIN_S)
    assert f"schema version {LATEST + 1}" in message and "pip install -U pai-tui" in message
    with pytest.raises(SchemaError, match="upgrade pai"):
        store.begin_session("after", "refused")
    assert [s.title for s in store.list_sessions()] == ["before"]  # reading still works
