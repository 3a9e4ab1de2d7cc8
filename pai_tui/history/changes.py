"""Changes made by other pais (another process, another machine) to the shared history, told to
this one: PostgreSQL announces them (LISTEN/NOTIFY, history/hosts_schema.py); an SQLite file is
polled. Either way the result is the events this pai's own writes publish (`SessionUpdated`), so
the faces need not know where a change came from. One thread, off the UI loop, stopped by
`stop()`. A schema newer than this pai, reached while it runs, is reported to `on_schema`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from pai_tui.history.hosts_schema import CHANNEL
from pai_tui.history.urls import sqlite_path
from pai_tui.history.writers import this_writer

POLL_S = 1.5  # SQLite: how often the file is looked at (a query only when it changed)
WAIT_S = 0.5  # PostgreSQL: notifications are gathered this long, then told at once
RETRY_S = 3.0  # a lost listening connection is made again after this
MAX_SESSIONS = 100  # more changed at once: told as one change (the lists reload anyway)
ANY_SESSION = 0  # "something changed" when the session is not known (a deletion)


class ChangeWatcher:
    """Calls `on_change(session_ids)` in its thread when other writers change sessions or their
    messages, and `on_schema(version)` when the schema version changes."""

    def __init__(self, engine: Engine, on_change: Callable[[set[int]], None],
                 on_schema: Callable[[int], None], poll_s: float = POLL_S):
        self.engine = engine
        self.on_change, self.on_schema = on_change, on_schema
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._own: set[int] = set()  # PostgreSQL: this process's server processes (backends)
        self.listening = threading.Event()  # set once the first look (or LISTEN) is done

    def start(self) -> None:
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            event.listen(self.engine, "checkout", self._remember_backend)
            target = self._listen
        elif dialect == "sqlite" and sqlite_path(self._url()) is not None:
            target = self._poll
        else:
            return  # an in-memory database has no other writers
        self._thread = threading.Thread(target=target, name="pai-history-changes", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self.engine.dialect.name == "postgresql" and event.contains(
                self.engine, "checkout", self._remember_backend):
            event.remove(self.engine, "checkout", self._remember_backend)

    def _url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def _tell(self, sessions: set[int]) -> None:
        if not sessions:
            return
        self.on_change(sessions if len(sessions) <= MAX_SESSIONS else {ANY_SESSION})

    # PostgreSQL

    def _remember_backend(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        """Notifications sent by this process's own connections are not news to it."""
        pid = getattr(getattr(dbapi_conn, "info", None), "backend_pid", None)
        if pid:
            self._own.add(pid)

    def _listen(self) -> None:
        import psycopg

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        self._tell(self._gather(conn.notifies(timeout=WAIT_S)))
            except psycopg.Error:
                self._stop.wait(RETRY_S)

    def _gather(self, notifications: Any) -> set[int]:
        sessions: set[int] = set()
        for note in notifications:
            if note.pid in self._own:
                continue
            what, _, number = note.payload.partition(" ")
            if what == "schema":
                self.on_schema(int(number or 0))
            elif number.isdigit():
                sessions.add(int(number) if what == "session" else ANY_SESSION)
        return sessions

    # SQLite

    def _poll(self) -> None:
        path = sqlite_path(self._url())
        mine = this_writer()
        db: sqlite3.Connection | None = None
        version, sessions_mark, messages_mark, count = -1, "", "", -1
        while not self._stop.is_set():
            try:
                if db is None:
                    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2,
                                         isolation_level=None, check_same_thread=False)
                db.execute("BEGIN")  # one snapshot: nothing falls between the looks below
                seen = db.execute("PRAGMA data_version").fetchone()[0]
                if seen != version:
                    first, version = version == -1, seen
                    schema = db.execute("SELECT version FROM schema_version").fetchone()
                    self.on_schema(int(schema[0]) if schema else 0)
                    changed = {row[0] for row in db.execute(
                        "SELECT id FROM sessions WHERE updated_at > ? LIMIT ?",
                        (sessions_mark, MAX_SESSIONS + 1))}
                    changed |= {row[0] for row in db.execute(
                        "SELECT DISTINCT session_id FROM messages WHERE updated_at > ? "
                        "AND (writer IS NULL OR writer <> ?) LIMIT ?",
                        (messages_mark, mine, MAX_SESSIONS + 1))}
                    now_count = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
                    if count not in (-1, now_count):
                        changed.add(ANY_SESSION)  # one was deleted
                    count = now_count
                    sessions_mark = db.execute(
                        "SELECT coalesce(max(updated_at), '') FROM sessions").fetchone()[0]
                    messages_mark = db.execute(
                        "SELECT coalesce(max(updated_at), '') FROM messages").fetchone()[0]
                    if not first:
                        self._tell(changed)
                db.execute("COMMIT")
                self.listening.set()
            except sqlite3.Error:
                if db is not None:
                    db.close()
                db = None
            self._stop.wait(self.poll_s)
        if db is not None:
            db.close()

