"""The store API: everything the rest of pai may ask of the history. Synchronous and thread-safe;
async callers run it in a thread (`asyncio.to_thread`), never on the UI loop."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, create_engine, event, func, insert, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pai_tui.history.feeds import FeedStore
from pai_tui.history.leases import LeaseStore
from pai_tui.history.migrations import (
    MigrationResult,
    SchemaError,
    SchemaTooNew,
    current_version,
    migrate,
    too_new,
)
from pai_tui.history.models import ChatSession, KeptCost, Message, utcnow
from pai_tui.history.notes import NoteStore
from pai_tui.history.proposals import ProposalStore
from pai_tui.history.records import Lease, MessageRecord, Role, SessionRecord, Status
from pai_tui.history.rows import message_record as _message_record
from pai_tui.history.rows import session_record as _session_record
from pai_tui.history.search import SearchStore
from pai_tui.history.timeline import TimelineStore
from pai_tui.history.transfer import TransferStore
from pai_tui.history.urls import sqlite_path
from pai_tui.history.writers import is_gone, this_writer
from pai_tui.paths import narrow, private_file, private_folder

BUSY_TIMEOUT_MS = 5000


def sqlite_health(path: Path) -> str | None:
    """What is wrong with an existing SQLite file, or None: unreadable, read-only, or damaged
    (SQLite's own quick check, read-only: nothing is changed)."""
    if not os.access(path, os.R_OK):
        return "cannot be read (permissions)"
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return "is read-only: answers could not be saved"
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        return f"is damaged or not a database ({error})"
    return None if verdict == "ok" else f"is damaged ({verdict})"


class Unset:
    """The default of a field that may be set to None on purpose."""


UNSET = Unset()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (it stays so). The switch takes an exclusive lock and SQLite may
    refuse it at once, busy timeout or not, while another pai opens the same new file: retry."""
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _private_database(path: Path) -> None:
    """The database file is the user's only, and so are its -wal and -shm (SQLite gives them the
    database file's mode when it creates them; those an older pai left readable are narrowed)."""
    private_folder(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        narrow(Path(f"{path}{suffix}"))


def make_engine(url: str, create_folder: bool = True) -> Engine:
    """An engine with pai's SQLite settings: WAL, busy timeout, foreign keys, transactional DDL."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None and create_folder:
        _private_database(path)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so DDL in a
        # migration is rolled back with the rest when it fails.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # `sqlite_begin="IMMEDIATE"` takes the write lock at once (waiting up to busy_timeout),
        # for transactions that read and then write, such as a migration. `sqlite_busy_ms`:
        # what is left of the wait when some of it was spent before (Store._session).
        options = conn.get_execution_options()
        busy = int(options.get("sqlite_busy_ms", BUSY_TIMEOUT_MS))
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {max(busy, 1)}")
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', '')}".strip())

    return engine


def _message_values(*, cost: float | Unset | None = UNSET, **fields: Any) -> dict[str, Any]:
    """The columns `update_message` sets: the fields given (None leaves one alone), the cost
    when given (None: unknown), and the time."""
    values = {name: value for name, value in fields.items() if value is not None}
    if not isinstance(cost, Unset):
        values["cost"] = cost
    values["updated_at"] = utcnow()
    return values


class Store(TimelineStore, FeedStore, LeaseStore, SearchStore, ProposalStore, NoteStore,
            TransferStore):
    def __init__(self, engine: Engine):
        self.engine = engine
        self._reading = sessionmaker(engine, expire_on_commit=False)
        # Writes take SQLite's write lock when they begin (waiting up to the busy timeout): a
        # transaction that reads first and then writes would otherwise fail at once, without
        # waiting, whenever another writer (the timeline recorder, another pai) committed in
        # between. Ignored by PostgreSQL.
        self._writing = sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"),
                                     expire_on_commit=False)
        # This process's writers queue here, not in SQLite's busy handler (which sleeps up to
        # 100 ms at a time: eight runs ending at once would wait for each other's sleeps).
        self._write_turn = threading.Lock()
        # Set when a newer pai migrated the database past this one, before it opened or while
        # it runs (history/changes.py): from then on every write is refused with this reason.
        self.refused: str | None = None

    @classmethod
    def open(cls, url: str, backup_dir: Path | None,
             told: Callable[[str], None] | None = None) -> tuple[Store, MigrationResult, int]:
        """Connect, migrate (backing up first), and mark answers left `streaming` by a dead process
        as `interrupted`. Returns the store, what migration did, and how many were interrupted;
        `told` hears each step of a migration before it starts.
        A database a newer pai migrated opens read-only (`refused` says why): untouched, read,
        listed and searched as usual, every write refused with that reason."""
        engine = make_engine(url)
        try:
            try:
                result = migrate(engine, backup_dir, told)
            except SchemaTooNew as newer:
                store = cls(engine)
                store.refused = too_new(newer.version)
                return store, MigrationResult(newer.version, newer.version, None), 0
            store = cls(engine)
            interrupted = store._mark_interrupted()
        except BaseException:
            engine.dispose()
            raise
        return store, result, interrupted

    def close(self) -> None:
        self.close_leases()
        self.engine.dispose()

    @contextmanager
    def _session(self, write: bool = True) -> Iterator[Session]:
        """A transaction; `write=False` for one that only reads (it takes no lock)."""
        if not write:
            with self._reading.begin() as session:
                yield session
            return
        self.check_writable()
        # One wait in all, as long as SQLite's alone would be, failing as SQLite would (the
        # caller tells the user): what is spent in the queue is not waited again for SQLite.
        began = time.monotonic()
        if not self._write_turn.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        try:
            left = BUSY_TIMEOUT_MS - (time.monotonic() - began) * 1000
            writing = self._writing if left > BUSY_TIMEOUT_MS - 1 else sessionmaker(
                self.engine.execution_options(sqlite_begin="IMMEDIATE", sqlite_busy_ms=left),
                expire_on_commit=False)
            with writing.begin() as session:
                yield session
        finally:
            self._write_turn.release()

    def check_writable(self) -> None:
        """Raises SchemaError (why, and to upgrade pai) when this pai may only read."""
        if self.refused:
            raise SchemaError(self.refused)

    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime,
                   note: str = "") -> Lease | None:
        """`LeaseStore.take_lease`, refused before any lock is taken when this pai may only
        read: a read-only pai never holds the scheduler's lease (others run the jobs)."""
        self.check_writable()
        return super().take_lease(name, holder, ttl, now, note)

    def release_lease(self, lease: Lease, now: datetime) -> None:
        """`LeaseStore.release_lease`; read-only, the row is left to expire, but the advisory
        lock goes at once (another pai takes over)."""
        if self.refused:
            self._unlock(lease.name, lease.holder)
            return
        super().release_lease(lease, now)

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return current_version(conn)

    def _mark_interrupted(self) -> int:
        """Rows left `streaming` by a writer that is gone become `interrupted`; a live pai's
        answer (another process, another machine still saving it) is left alone."""
        now = utcnow()
        with self._session() as s:
            rows = s.execute(select(Message.id, Message.writer, Message.updated_at)
                             .where(Message.status == "streaming")).all()
            gone = [row.id for row in rows if is_gone(row.writer, row.updated_at, now)]
            if gone:
                s.execute(update(Message).where(Message.id.in_(gone), Message.status ==
                                                "streaming")
                          .values(status="interrupted", updated_at=now))
            return len(gone)

    # sessions

    def create_session(self, title: str, provider: str | None = None, model: str | None = None,
                       system_prompt: str | None = None) -> SessionRecord:
        with self._session() as s:
            row = ChatSession(title=title, provider=provider, model=model,
                              system_prompt=system_prompt)
            s.add(row)
            s.flush()
            return _session_record(row)

    def begin_session(self, title: str, text: str, provider: str | None = None,
                      model: str | None = None, system_prompt: str | None = None,
                      ) -> tuple[SessionRecord, MessageRecord]:
        """A new session with its first user message, in one transaction."""
        with self._session() as s:
            now = utcnow()
            session = ChatSession(title=title, provider=provider, model=model,
                                  system_prompt=system_prompt, created_at=now, updated_at=now)
            message = Message(session=session, role="user", content=text, status="complete",
                              input_tokens=0, output_tokens=0, cost=0.0, created_at=now,
                              updated_at=now)
            s.add_all([session, message])
            s.flush()
            return _session_record(session, 1), _message_record(message)

    def ask(self, session_id: int | None, text: str, provider: str, model: str, *,
            title: str = "", system_prompt: str | None = None, agent: str | None = None,
            parent_id: int | None = None,
            ) -> tuple[SessionRecord, MessageRecord, MessageRecord]:
        """A question and the row of its answer (`streaming`, written by `agent` if one runs
        it), in one transaction: in a new session (titled `title`) when `session_id` is None.
        Raises LookupError for a session that does not exist."""
        with self._session() as s:
            now = utcnow()
            if session_id is None:
                session = ChatSession(title=title, provider=provider, model=model,
                                      system_prompt=system_prompt, created_at=now,
                                      updated_at=now)
                s.add(session)
                s.flush()
            else:
                found = s.get(ChatSession, session_id)
                if found is None:
                    raise LookupError(f"no session {session_id}")
                session, found.updated_at = found, now
            rows = [Message(session_id=session.id, role=role, content=content, status=status,
                            provider=who, model=which, input_tokens=0, output_tokens=0,
                            cost=0.0, created_at=now, updated_at=now, writer=writer)
                    for role, content, status, who, which, writer in (
                        ("user", text, "complete", None, None, None),
                        ("assistant", "", "streaming", provider, model, this_writer()))]
            rows[1].agent, rows[1].parent_id = agent, parent_id  # an agent's run, and who ran it
            s.add_all(rows)
            s.flush()
            return _session_record(session), _message_record(rows[0]), _message_record(rows[1])

    def get_session(self, session_id: int) -> SessionRecord | None:
        with self._session(write=False) as s:
            row = s.get(ChatSession, session_id)
            return _session_record(row) if row else None

    def list_sessions(self, limit: int = 500,
                      before: tuple[datetime, int] | None = None) -> list[SessionRecord]:
        """Newest activity first; `before`: only those after the session last shown (its
        `updated_at` and id), for the next page. Each session's messages are counted alone:
        counting them all first took a third of a second with 600,000 messages."""
        count = (select(func.count(Message.id)).where(Message.session_id == ChatSession.id)
                 .correlate(ChatSession).scalar_subquery())
        query = select(ChatSession, count)
        if before is not None:
            updated, session_id = before
            query = query.where(or_(ChatSession.updated_at < updated, and_(
                ChatSession.updated_at == updated, ChatSession.id < session_id)))
        query = query.order_by(ChatSession.updated_at.desc(), ChatSession.id.desc()).limit(limit)
        with self._session(write=False) as s:
            return [_session_record(row, count) for row, count in s.execute(query)]

    def session_titles(self, ids: list[int]) -> dict[int, str]:
        """The titles of the sessions `ids` (those that still exist)."""
        if not ids:
            return {}
        with self._session(write=False) as s:
            rows = s.execute(select(ChatSession.id, ChatSession.title)
                             .where(ChatSession.id.in_(ids)))
            return {row.id: row.title for row in rows}

    def set_session_options(self, session_id: int, *, provider: str | None = None,
                            model: str | None = None, system_prompt: str | None = None) -> None:
        """Change what answers a session (None leaves a field alone; "" clears the prompt)."""
        values: dict[str, Any] = {name: value for name, value in (
            ("provider", provider), ("model", model), ("system_prompt", system_prompt),
        ) if value is not None}
        if values.get("system_prompt") == "":
            values["system_prompt"] = None
        if values:
            with self._session() as s:
                s.execute(update(ChatSession).where(ChatSession.id == session_id)
                          .values(**values))

    def cost_since(self, moment: datetime) -> tuple[float, int]:
        """The money spent on answers since `moment` (naive UTC), deleted ones included, and how
        many answers cost an unknown amount (not counted in the sum: their model's prices are
        unknown)."""
        total, unpriced = 0.0, 0
        with self._session(write=False) as s:
            for table in (Message, KeptCost):
                spent, unknown = s.execute(
                    select(func.coalesce(func.sum(table.cost), 0.0),
                           func.count(table.id).filter(table.cost.is_(None)))
                    .where(table.created_at >= moment)).one()
                total, unpriced = total + float(spent or 0.0), unpriced + int(unknown or 0)
        return total, unpriced

    def agents_cost_since(self, moment: datetime) -> float:
        """The money agents' runs spent since `moment` (naive UTC), of those still kept."""
        with self._session(write=False) as s:
            spent = s.scalar(select(func.coalesce(func.sum(Message.cost), 0.0)).where(
                Message.agent.is_not(None), Message.created_at >= moment))
        return float(spent or 0.0)

    def rename_session(self, session_id: int, title: str) -> None:
        with self._session() as s:
            s.execute(update(ChatSession).where(ChatSession.id == session_id)
                      .values(title=title, updated_at=utcnow()))

    def delete_session(self, session_id: int) -> None:
        """The session and its messages go; what its answers cost stays in the totals."""
        with self._session() as s:
            row = s.get(ChatSession, session_id)
            if row is None:
                return
            spent = select(Message.created_at, Message.cost).where(
                Message.session_id == session_id, or_(Message.cost.is_(None), Message.cost != 0))
            s.execute(insert(KeptCost).from_select(["created_at", "cost"], spent))
            self.delete_spans(s, session_id)
            s.delete(row)

    # messages

    def add_message(self, session_id: int, role: Role, content: str, status: Status = "complete",
                    provider: str | None = None, model: str | None = None,
                    skill: str | None = None, parent_id: int | None = None) -> MessageRecord:
        """Saved and committed before it returns; touches the session so it sorts first."""
        with self._session() as s:
            now = utcnow()
            row = Message(session_id=session_id, role=role, content=content, status=status,
                          provider=provider, model=model, input_tokens=0, output_tokens=0,
                          cost=0.0, created_at=now, updated_at=now, skill=skill,
                          parent_id=parent_id,
                          writer=this_writer() if status == "streaming" else None)
            s.add(row)
            s.execute(update(ChatSession).where(ChatSession.id == session_id)
                      .values(updated_at=now))
            s.flush()
            return _message_record(row)

    def update_messages(self, changes: list[tuple[int, dict[str, Any]]]) -> None:
        """Several `update_message`s in one transaction."""
        with self._session() as s:
            for message_id, fields in changes:
                s.execute(update(Message).where(Message.id == message_id)
                          .values(**_message_values(**fields)))

    def update_message(self, message_id: int, *, content: str | None = None,
                       status: Status | None = None, input_tokens: int | None = None,
                       output_tokens: int | None = None, cost: float | Unset | None = UNSET,
                       error: str | None = None, skill: str | None = None,
                       output_estimated: bool | None = None) -> None:
        """Change the fields given (None leaves a field alone; `cost=None` stores "unknown")."""
        values = _message_values(content=content, status=status, input_tokens=input_tokens,
                                 output_tokens=output_tokens, cost=cost, error=error,
                                 skill=skill, output_estimated=output_estimated)
        with self._session() as s:
            s.execute(update(Message).where(Message.id == message_id).values(**values))

    def save_progress(self, message_id: int, content: str) -> None:
        """The text so far of a message being written; nothing once it has ended (a late
        progress save never overwrites the final text)."""
        with self._session() as s:
            s.execute(update(Message).where(Message.id == message_id,
                                            Message.status == "streaming")
                      .values(content=content, updated_at=utcnow()))

    def supersede_answers(self, session_id: int, question_id: int) -> int:
        """Mark the answers to the question `question_id` as replaced (a retry is coming);
        returns how many there are."""
        with self._session() as s:
            result = s.execute(update(Message).where(
                Message.session_id == session_id, Message.role == "assistant",
                Message.id > question_id).values(superseded=True))
            return result.rowcount or 0

    def choose_answer(self, answer_id: int) -> None:
        """Show and send `answer_id` instead of the other answers to its question."""
        with self._session() as s:
            answer = s.get(Message, answer_id)
            if answer is None:
                return
            question = s.scalar(select(func.max(Message.id)).where(
                Message.session_id == answer.session_id, Message.role == "user",
                Message.id < answer_id)) or 0
            after = s.scalar(select(func.min(Message.id)).where(
                Message.session_id == answer.session_id, Message.role == "user",
                Message.id > answer_id))
            siblings = [Message.session_id == answer.session_id, Message.role == "assistant",
                        Message.id > question]
            if after is not None:
                siblings.append(Message.id < after)
            s.execute(update(Message).where(*siblings)
                      .values(superseded=Message.id != answer_id))

    def get_message(self, message_id: int) -> MessageRecord | None:
        with self._session(write=False) as s:
            row = s.get(Message, message_id)
            return _message_record(row) if row else None

    def rate(self, message_id: int, rating: int) -> None:
        """The user's rating of an answer, 1..10 (a new one replaces the old)."""
        if not 1 <= rating <= 10:
            raise ValueError(f"a rating is 1 to 10, not {rating}")
        with self._session() as s:
            s.execute(update(Message).where(Message.id == message_id).values(rating=rating))

    def set_notes_used(self, message_id: int, note_ids: list[int]) -> None:
        """Which notes were put in the context of the answer `message_id`."""
        with self._session() as s:
            s.execute(update(Message).where(Message.id == message_id)
                      .values(notes_used=" ".join(map(str, note_ids)) or None))

    def messages_from(self, session_id: int, message_id: int) -> int:
        """How many messages (not steps) of the session are `message_id` or newer: the window
        that shows it, to the end."""
        with self._session(write=False) as s:
            return s.scalar(select(func.count(Message.id)).where(
                Message.session_id == session_id, Message.role != "step",
                Message.id >= message_id)) or 0

    def recent_messages(self, session_id: int, limit: int, before_id: int | None = None,
                        ) -> tuple[list[MessageRecord], int]:
        """The `limit` newest messages (older than `before_id` if given), oldest first, with the
        steps of the answers among them, and how many messages come before them: what a window
        on a long session needs, no more. Steps do not count: an answer with many tool runs
        never pushes itself out of the window."""
        condition = [Message.session_id == session_id, Message.role != "step"]
        if before_id is not None:
            condition.append(Message.id < before_id)
        with self._session(write=False) as s:
            rows = list(s.scalars(select(Message).where(*condition)
                                  .order_by(Message.id.desc()).limit(limit)))
            rows.reverse()
            earlier = 0
            if rows:
                earlier = s.scalar(select(func.count(Message.id)).where(
                    Message.session_id == session_id, Message.role != "step",
                    Message.id < rows[0].id)) or 0
                answers = [row.id for row in rows if row.role == "assistant"]
                if answers:
                    rows += s.scalars(select(Message).where(
                        Message.session_id == session_id, Message.role == "step",
                        Message.parent_id.in_(answers)))
                    rows.sort(key=lambda row: row.id)
            return [_message_record(row) for row in rows], earlier

    def messages(self, session_id: int) -> list[MessageRecord]:
        with self._session(write=False) as s:
            rows = s.scalars(select(Message).where(Message.session_id == session_id)
                             .order_by(Message.id))
            return [_message_record(row) for row in rows]

    def runs(self, active_only: bool = False, limit: int = 200) -> list[MessageRecord]:
        """Agents' runs (the answers agents wrote), newest first; `active_only`: those still
        being written."""
        with self._session(write=False) as s:
            query = select(Message).where(Message.agent.is_not(None))
            if active_only:
                query = query.where(Message.status == "streaming")
            rows = s.scalars(query.order_by(Message.id.desc()).limit(limit))
            return [_message_record(row) for row in rows]
