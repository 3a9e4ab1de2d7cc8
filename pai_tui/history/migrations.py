"""Schema versions and the steps between them.

Each migration is frozen history: it builds the tables as they were at that version (so it must not
use the ORM models, which follow the newest schema). `migrate()` backs an SQLite file up before it
changes anything, and refuses a database newer than this pai (`SchemaTooNew`: the store opens it
read-only).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.engine import Connection

from pai_tui.history import hosts_schema, note_uids, notes_schema, notes_words, search_schema
from pai_tui.history.urls import sqlite_path
from pai_tui.paths import private_file, private_folder

VERSION_TABLE = "schema_version"


class SchemaError(Exception):
    """The database cannot be used by this pai (too new, or a migration failed)."""


class SchemaTooNew(SchemaError):
    """A newer pai migrated the database: this one may read it, never write to it."""

    def __init__(self, version: int, said: str = ""):
        super().__init__(said or too_new(version))
        self.version = version


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    upgrade: Callable[[Connection], None]


def _v1_sessions_and_messages(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "sessions", meta,
        Column("id", Integer, primary_key=True),
        Column("title", String(200), nullable=False),
        Column("provider", String(100)),
        Column("model", String(200)),
        Column("system_prompt", Text),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False, index=True),
    )
    Table(
        "messages", meta,
        Column("id", Integer, primary_key=True),
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"),
               nullable=False),
        Column("role", String(20), nullable=False),
        Column("content", Text, nullable=False),
        Column("status", String(20), nullable=False, index=True),
        Column("provider", String(100)),
        Column("model", String(200)),
        Column("input_tokens", Integer, nullable=False),
        Column("output_tokens", Integer, nullable=False),
        Column("cost", Float, nullable=False),
        Column("created_at", DateTime, nullable=False, index=True),
        Column("updated_at", DateTime, nullable=False),
        Index("ix_messages_session_id_id", "session_id", "id"),
    )
    meta.create_all(conn)


# The SQLite triggers that keep messages_fts in step with messages (made in v2, again in v5).
_FTS_TRIGGERS = (
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', old.id, old.content); "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
)


def _v2_full_text_search(conn: Connection) -> None:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        for statement in (
            "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
            *_FTS_TRIGGERS,
            "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
        ):
            conn.execute(text(statement))
    elif dialect == "postgresql":
        conn.execute(text(
            "CREATE INDEX ix_messages_content_fts ON messages "
            "USING gin (to_tsvector('simple', content))"
        ))


def _v3_message_errors(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE messages ADD COLUMN error TEXT"))


def _v4_skill_steps(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE messages ADD COLUMN skill VARCHAR(200)"))
    conn.execute(text("ALTER TABLE messages ADD COLUMN parent_id INTEGER"))


_V5_COLUMNS = ("id, session_id, role, content, status, provider, model, input_tokens, "
               "output_tokens, cost, created_at, updated_at, error, skill, parent_id")


def _v5_turn_accounting(conn: Connection) -> None:
    """An unknown cost is NULL, never 0.0 (SQLite cannot drop NOT NULL: the table is rebuilt,
    ids kept, so the full-text index stays valid); answers whose output was counted from the text
    are marked; an answer a retry replaced is marked superseded."""
    if conn.dialect.name == "sqlite":
        conn.execute(text(
            "CREATE TABLE messages_v5 (id INTEGER NOT NULL PRIMARY KEY, "
            "session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, "
            "role VARCHAR(20) NOT NULL, content TEXT NOT NULL, status VARCHAR(20) NOT NULL, "
            "provider VARCHAR(100), model VARCHAR(200), input_tokens INTEGER NOT NULL, "
            "output_tokens INTEGER NOT NULL, cost FLOAT, created_at DATETIME NOT NULL, "
            "updated_at DATETIME NOT NULL, error TEXT, skill VARCHAR(200), parent_id INTEGER, "
            "output_estimated BOOLEAN NOT NULL DEFAULT 0, "
            "superseded BOOLEAN NOT NULL DEFAULT 0)"))
        conn.execute(text(f"INSERT INTO messages_v5 ({_V5_COLUMNS}) "
                          f"SELECT {_V5_COLUMNS} FROM messages"))
        conn.execute(text("DROP TABLE messages"))  # its indexes and triggers go with it
        conn.execute(text("ALTER TABLE messages_v5 RENAME TO messages"))
        for statement in (
            "CREATE INDEX ix_messages_session_id_id ON messages (session_id, id)",
            "CREATE INDEX ix_messages_status ON messages (status)",
            "CREATE INDEX ix_messages_created_at ON messages (created_at)",
            *_FTS_TRIGGERS,
        ):
            conn.execute(text(statement))
    else:
        conn.execute(text("ALTER TABLE messages ALTER COLUMN cost DROP NOT NULL"))
        for column in ("output_estimated", "superseded"):
            conn.execute(text(f"ALTER TABLE messages ADD COLUMN {column} BOOLEAN NOT NULL "
                              "DEFAULT false"))
    # Answers that spent tokens at an unknown price were stored as costing 0.0.
    conn.execute(text("UPDATE messages SET cost = NULL WHERE role = 'assistant' AND cost = 0 "
                      "AND (input_tokens > 0 OR output_tokens > 0)"))


_V6_SESSIONS = "id, title, provider, model, system_prompt, created_at, updated_at"
_V6_MESSAGES = f"{_V5_COLUMNS}, output_estimated, superseded"


def _v6_ids_never_reused(conn: Connection) -> None:
    """Without AUTOINCREMENT SQLite hands out max(id) + 1, so deleting the newest session gave
    its id (and its messages' ids) to the next one, and `pai ask --session N` in a script could
    continue a stranger's conversation. Both tables are rebuilt with AUTOINCREMENT, ids kept (the
    full-text index stays valid), the counters seeded at the highest id present (ids deleted
    before this version left no trace to seed from). PostgreSQL's serial columns already never
    hand an id out twice: nothing to do there."""
    if conn.dialect.name != "sqlite":
        return
    for statement in (
        "CREATE TABLE sessions_v6 (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "
        "title VARCHAR(200) NOT NULL, provider VARCHAR(100), model VARCHAR(200), "
        "system_prompt TEXT, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)",
        f"INSERT INTO sessions_v6 ({_V6_SESSIONS}) SELECT {_V6_SESSIONS} FROM sessions",
        # It references sessions_v6: dropping the old sessions table (an implicit DELETE) must
        # not cascade into the copied messages. The rename below points it at `sessions`.
        "CREATE TABLE messages_v6 (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "
        "session_id INTEGER NOT NULL REFERENCES sessions_v6 (id) ON DELETE CASCADE, "
        "role VARCHAR(20) NOT NULL, content TEXT NOT NULL, status VARCHAR(20) NOT NULL, "
        "provider VARCHAR(100), model VARCHAR(200), input_tokens INTEGER NOT NULL, "
        "output_tokens INTEGER NOT NULL, cost FLOAT, created_at DATETIME NOT NULL, "
        "updated_at DATETIME NOT NULL, error TEXT, skill VARCHAR(200), parent_id INTEGER, "
        "output_estimated BOOLEAN NOT NULL DEFAULT 0, "
        "superseded BOOLEAN NOT NULL DEFAULT 0)",
        f"INSERT INTO messages_v6 ({_V6_MESSAGES}) SELECT {_V6_MESSAGES} FROM messages",
        "DROP TABLE messages",  # its indexes and triggers go with it
        "DROP TABLE sessions",
        "ALTER TABLE sessions_v6 RENAME TO sessions",  # also renames the reference above
        "ALTER TABLE messages_v6 RENAME TO messages",
        "CREATE INDEX ix_sessions_updated_at ON sessions (updated_at)",
        "CREATE INDEX ix_messages_session_id_id ON messages (session_id, id)",
        "CREATE INDEX ix_messages_status ON messages (status)",
        "CREATE INDEX ix_messages_created_at ON messages (created_at)",
        *_FTS_TRIGGERS,
    ):
        conn.execute(text(statement))
    _seed_sqlite_sequence(conn, ("sessions", "messages"))


def _seed_sqlite_sequence(conn: Connection, tables: tuple[str, ...]) -> None:
    """The AUTOINCREMENT counters start at the highest id present (copying rows with their ids
    already does this; said once more so that it never depends on that)."""
    for table in tables:
        highest = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar() or 0
        conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                     {"t": table, "n": highest})


def _v7_kept_costs(conn: Connection) -> None:
    """What deleted answers cost, by when they were made: deleting a session takes its text, not
    the money it spent out of the day's and the month's totals. One row per deleted answer that
    cost something or an unknown amount; the live messages stay the one record of the rest."""
    meta = MetaData()
    Table(
        "kept_costs", meta,
        Column("id", Integer, primary_key=True),
        Column("created_at", DateTime, nullable=False, index=True),
        Column("cost", Float),  # USD; NULL: the price was unknown
        sqlite_autoincrement=True,
    )
    meta.create_all(conn)


def _v8_writers(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE messages ADD COLUMN writer VARCHAR(200)"))


def _v9_agent_runs(conn: Connection) -> None:
    """An agent's run is the answer an agent writes: the column names the agent (NULL: the main
    chat), so that runs are listed (`pai agent ps`) without a table of their own."""
    conn.execute(text("ALTER TABLE messages ADD COLUMN agent VARCHAR(200)"))
    conn.execute(text("CREATE INDEX ix_messages_agent ON messages (agent)"))


def _v10_timeline(conn: Connection) -> None:
    """The timeline: one row per span (a turn, a model call, a tool run, a question...), written
    when it starts and completed when it ends (spans.py). No message content: names, numbers,
    tools' arguments, and attributes as JSON."""
    meta = MetaData()
    Table(
        "spans", meta,
        Column("id", Integer, primary_key=True),
        Column("span_id", String(16), nullable=False, unique=True),
        Column("trace_id", String(32), nullable=False, index=True),
        Column("parent_span_id", String(16)),
        Column("session_id", Integer, index=True),
        Column("turn_id", Integer, index=True),
        Column("agent", String(200)),
        Column("kind", String(20), nullable=False),
        Column("name", String(300), nullable=False),
        Column("started_at", Float, nullable=False, index=True),  # seconds since the epoch
        Column("ended_at", Float),  # NULL: not (yet) ended
        Column("status", String(20)),  # ok, error, cancelled; NULL while open
        Column("model", String(200)),
        Column("skill", String(200)),
        Column("input_tokens", Integer, nullable=False, default=0),
        Column("output_tokens", Integer, nullable=False, default=0),
        Column("cost", Float),  # USD; NULL: unknown or none
        Column("attributes", Text, nullable=False, default="{}"),
        sqlite_autoincrement=True,
    )
    meta.create_all(conn)


def _v11_upgrade_feed(conn: Connection) -> None:
    """The upgrade feed: how each source's fetching went (validators for conditional GET, when
    to come back, errors in a row), and the items, one row per source and key; a deleted item
    keeps its row, emptied, so that it never comes back."""
    meta = MetaData()
    Table(
        "feed_sources", meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(200), nullable=False, unique=True),
        Column("url", Text, nullable=False),
        Column("etag", Text),
        Column("last_modified", Text),
        Column("tried_at", DateTime),
        Column("fetched_at", DateTime),
        Column("next_at", DateTime),
        Column("error", Text),
        Column("errors", Integer, nullable=False, default=0),
        Column("parse_failures", Integer, nullable=False, default=0),
        Column("paused", Boolean, nullable=False, default=False),
    )
    Table(
        "feed_items", meta,
        Column("id", Integer, primary_key=True),
        Column("source", String(200), nullable=False),
        Column("key", String(64), nullable=False),
        Column("guid", Text),
        Column("title", Text, nullable=False, default=""),
        Column("url", Text),
        Column("summary", Text, nullable=False, default=""),
        Column("published_at", DateTime),
        Column("found_at", DateTime, nullable=False, index=True),
        Column("read", Boolean, nullable=False, default=False),
        Column("deleted_at", DateTime),
        Column("score", Float, nullable=False, default=0.0),
        Column("why", Text, nullable=False, default=""),
        Column("extra", Text, nullable=False, default="{}"),
        Index("ux_feed_items_source_key", "source", "key", unique=True),
        sqlite_autoincrement=True,
    )
    meta.create_all(conn)


def _v12_leases(conn: Connection) -> None:
    """Jobs only one pai may run at a time (the upgrade scheduler), over one database: the
    holder renews its lease before it expires; another takes over when it has. The token grows
    at each new holder, so a holder that lost the lease can tell."""
    meta = MetaData()
    Table(
        "leases", meta,
        Column("name", String(100), primary_key=True),
        Column("holder", String(300), nullable=False),
        Column("token", Integer, nullable=False, default=0),
        Column("acquired_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
        Column("note", Text, nullable=False, default=""),
    )
    meta.create_all(conn)


def _v14_proposals(conn: Connection) -> None:
    """Upgrade proposals: a change to PAI_HOME drafted from a feed item (a unified diff), and
    its lifecycle (proposed, accepted, applied, verified; rejected, expired, failed, reverted),
    each transition kept as an event with its time and cause."""
    meta = MetaData()
    Table(
        "proposals", meta,
        Column("id", Integer, primary_key=True),
        Column("item_id", Integer, index=True),  # the feed item it cites; NULL: none
        Column("title", Text, nullable=False),
        Column("rationale", Text, nullable=False),
        Column("diff", Text, nullable=False),
        Column("check_argv", Text),  # JSON list: the proposal's own check; NULL: none
        Column("state", String(20), nullable=False, index=True),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("commit_sha", String(64)),
        Column("revert_sha", String(64)),
        Column("failure", Text),
        Column("drafted_by", String(300), nullable=False),
        Column("message_id", Integer),  # the answer that drafted it (its cost is there)
        Column("cost", Float),  # USD; NULL: unknown
        sqlite_autoincrement=True,
    )
    Table(
        "proposal_events", meta,
        Column("id", Integer, primary_key=True),
        Column("proposal_id", Integer, ForeignKey("proposals.id", ondelete="CASCADE"),
               nullable=False, index=True),
        Column("from_state", String(20)),  # NULL: drafted
        Column("to_state", String(20), nullable=False),
        Column("at", DateTime, nullable=False),
        Column("cause", Text, nullable=False),
        sqlite_autoincrement=True,
    )
    meta.create_all(conn)


def _v16_imports(conn: Connection) -> None:
    """Imported conversations (ChatGPT, Claude.ai, Claude Code, llm, pai's own JSONL): a
    session says where it came from (`source`, NULL: written by pai) and its id there; sessions
    and messages keep a content hash, so importing the same file again adds nothing. A message
    may answer another (`reply_to`: ChatGPT's conversations are trees) and lie off the branch
    the user last saw (`on_path` false)."""
    for statement in (
        "ALTER TABLE sessions ADD COLUMN source VARCHAR(40)",
        "ALTER TABLE sessions ADD COLUMN external_id VARCHAR(300)",
        "ALTER TABLE sessions ADD COLUMN content_hash VARCHAR(64)",
        "ALTER TABLE messages ADD COLUMN external_id VARCHAR(300)",
        "ALTER TABLE messages ADD COLUMN content_hash VARCHAR(64)",
        "ALTER TABLE messages ADD COLUMN reply_to INTEGER",
        "ALTER TABLE messages ADD COLUMN on_path BOOLEAN NOT NULL DEFAULT TRUE",
        "CREATE UNIQUE INDEX ux_sessions_source_external ON sessions (source, external_id)",
    ):
        conn.execute(text(statement))


def _v17_ratings(conn: Connection) -> None:
    """An answer's rating by the user, 1 to 10 (PAI's scale); NULL: not rated."""
    conn.execute(text("ALTER TABLE messages ADD COLUMN rating INTEGER"))


def _v19_prefix_index(conn: Connection) -> None:
    """SQLite: the word index also indexes the first two and three letters of each word, so
    that searching as you type (an unfinished word: `age*`) reads a few index pages rather
    than every word of the index. Rebuilt from search_docs; the triggers name the index, so
    they go on as they were. (PostgreSQL's GIN index serves prefixes already.)"""
    if conn.dialect.name != "sqlite":
        return
    for statement in (
            "DROP TABLE search_words",
            "CREATE VIRTUAL TABLE search_words USING fts5(body, content='search_docs', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2', "
            "prefix='2 3')",
            "INSERT INTO search_words(search_words) VALUES ('rebuild')"):
        conn.exec_driver_sql(statement)


def _stored_search_words(conn: Connection) -> None:
    """PostgreSQL: each search document keeps its weighted words (`words`, a stored generated
    column, the same expression the index was built on) and the word index is built on that
    column. Ranking a match read the words again from the text (a `to_tsvector` of every
    match: seconds for a common word), and finding a query's newest matches can now check
    each row's stored words rather than parse its text. (SQLite's FTS5 keeps its own.)"""
    if conn.dialect.name != "postgresql":
        return
    for statement in (
            "DROP INDEX IF EXISTS ix_search_docs_words",
            f"ALTER TABLE search_docs ADD COLUMN words tsvector GENERATED ALWAYS AS "
            f"({search_schema.PG_VECTOR}) STORED",
            "CREATE INDEX ix_search_docs_words ON search_docs USING gin (words)",
            "ANALYZE search_docs"):
        conn.exec_driver_sql(statement)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sessions and messages", _v1_sessions_and_messages),
    Migration(2, "full-text search over messages", _v2_full_text_search),
    Migration(3, "why an answer failed, kept with it", _v3_message_errors),
    Migration(4, "skills behind answers, and their steps", _v4_skill_steps),
    Migration(5, "unknown costs, estimated usage, retried answers", _v5_turn_accounting),
    Migration(6, "ids never handed out twice", _v6_ids_never_reused),
    Migration(7, "deleted sessions keep what they cost", _v7_kept_costs),
    Migration(8, "who writes a message being written", _v8_writers),
    Migration(9, "the agent that wrote an answer", _v9_agent_runs),
    Migration(10, "the timeline of turns, model calls and tool runs", _v10_timeline),
    Migration(11, "the upgrade feed's sources and items", _v11_upgrade_feed),
    Migration(12, "leases: jobs only one pai runs", _v12_leases),
    Migration(13, "one search index: messages, agents' results, upgrade items",
              search_schema.create),
    Migration(14, "upgrade proposals and their lifecycle", _v14_proposals),
    Migration(15, "notes: learnings, decisions, research, preferences", notes_schema.create),
    Migration(16, "imported conversations: their source, content hashes, branches",
              _v16_imports),
    Migration(17, "answers rated by the user", _v17_ratings),
    Migration(18, "the host every row came from; other pais told of changes",
              hosts_schema.create),
    Migration(19, "searching as you type reads a prefix index", _v19_prefix_index),
    Migration(20, "notes keep one name in every database (export, import)", note_uids.create),
    Migration(21, "PostgreSQL keeps each search document's words", _stored_search_words),
    Migration(22, "the notes' own word index: recall reads the notes alone", notes_words.create),
)
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(VERSION_TABLE):
        return 0
    value = conn.execute(text(f"SELECT version FROM {VERSION_TABLE}")).scalar()
    return int(value or 0)


def _set_version(conn: Connection, version: int) -> None:
    if not inspect(conn).has_table(VERSION_TABLE):
        conn.execute(text(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)"))
    conn.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version) VALUES (:v)"), {"v": version})


@dataclass(frozen=True)
class MigrationResult:
    from_version: int
    to_version: int
    backup: Path | None


def backup_sqlite(source: Path, backup_dir: Path, version: int) -> Path:
    """A consistent copy through SQLite's online backup API (safe with WAL and other readers)."""
    private_folder(backup_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{source.stem}-v{version}-{stamp}.db"
    private_file(target)  # a copy of the history is as private as the history
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def too_new(version: int) -> str:
    """Why this pai refuses to write to a database a newer pai has migrated (it still reads
    it): both versions, and what to do."""
    return (f"the database is at schema version {version}, newer than this pai knows ({LATEST}): "
            "this pai only reads it; upgrade pai (pip install -U pai-tui) to write to it")


def migrate(engine: Engine, backup_dir: Path | None,
            told: Callable[[str], None] | None = None) -> MigrationResult:
    """Bring the schema to LATEST. Backs an existing SQLite file up first. `told` hears each
    step before it starts (a large history's index is rebuilt in minutes, not seconds)."""
    with engine.connect() as conn:
        start = current_version(conn)
        has_tables = bool(inspect(conn).get_table_names())
    if start > LATEST:
        raise SchemaTooNew(start, too_new(start) + "; the database was not touched")
    if start == LATEST:
        return MigrationResult(start, start, None)
    backup = None
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is not None and has_tables and backup_dir is not None:
        if told is not None:
            told(f"backing up {path.name} before migrating it")
        backup = backup_sqlite(path, backup_dir, start)
    steps = [m for m in MIGRATIONS if m.version > start]
    for number, migration in enumerate(steps, 1):
        if told is not None and has_tables:
            told(f"migrating to schema v{migration.version} ({number} of {len(steps)}): "
                 f"{migration.description}")
        try:
            with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, \
                    conn.begin():
                if current_version(conn) >= migration.version:
                    continue  # another pai starting at the same moment got here first
                migration.upgrade(conn)
                _set_version(conn, migration.version)
        except Exception as error:
            saved = f"; a backup is at {backup}" if backup else ""
            raise SchemaError(
                f"migration to schema version {migration.version} ({migration.description}) "
                f"failed: {error}{saved}"
            ) from error
    return MigrationResult(start, LATEST, backup)
