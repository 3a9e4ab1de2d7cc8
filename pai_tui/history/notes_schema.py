"""Notes as migration 15 built them (frozen: a later change is a new migration).

A note is what the history should remember: a learning, a decision, research, a preference.
Notes are append-only: an edit is a new note that supersedes the old one (which keeps its
text and points at its successor); forgetting is a tombstone (status `forgotten`, the text kept
so it can be restored). An active note is in the search index (kind `note`, kept there by
triggers like messages and items, history/search_schema.py); a superseded or forgotten one is
not. An answer remembers which notes were put in its context (`messages.notes_used`).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

NOTE_BODY = "{row}.title || char(10) || {row}.body || char(10) || {row}.tags"


def create(conn: Connection) -> None:
    meta = MetaData()
    Table("sessions", meta, Column("id", Integer, primary_key=True))  # there: referred to
    notes = Table(
        "notes", meta,
        Column("id", Integer, primary_key=True),
        Column("kind", String(20), nullable=False, index=True),  # learning, decision, ...
        Column("title", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("tags", Text, nullable=False),  # space-separated
        Column("telos", Text, nullable=False),  # space-separated TELOS ids: G1 P2
        Column("status", String(20), nullable=False, index=True),
        Column("superseded_by", Integer, ForeignKey("notes.id")),
        Column("created_by", String(20), nullable=False),  # user, agent, rule
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="SET NULL")),
        Column("message_id", Integer),
        Column("agent", String(200)),
        Column("host", String(255)),
        Column("created_at", DateTime, nullable=False, index=True),
        Column("updated_at", DateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    meta.create_all(conn, tables=[notes])
    conn.exec_driver_sql("ALTER TABLE messages ADD COLUMN notes_used TEXT")
    if conn.dialect.name == "sqlite":
        for statement in _sqlite_triggers():
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        for statement in _pg_triggers():
            conn.exec_driver_sql(statement)


def _sqlite_triggers() -> list[str]:
    add = ("INSERT INTO search_docs (kind, ref_id, session_id, agent, created_at, body) "
           f"SELECT 'note', new.id, new.session_id, new.agent, new.created_at, "
           f"{NOTE_BODY.format(row='new')} WHERE new.status = 'active';")
    drop = "DELETE FROM search_docs WHERE kind = 'note' AND ref_id = old.id;"
    return [
        f"CREATE TRIGGER notes_search_ai AFTER INSERT ON notes BEGIN {add} END",
        f"CREATE TRIGGER notes_search_ad AFTER DELETE ON notes BEGIN {drop} END",
        "CREATE TRIGGER notes_search_au AFTER UPDATE OF title, body, tags, status ON notes "
        f"BEGIN {drop} {add} END",
    ]


def _pg_triggers() -> list[str]:
    body = NOTE_BODY.format(row="NEW").replace("char(10)", "chr(10)")
    function = f"""
CREATE FUNCTION pai_index_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_docs WHERE kind = 'note' AND ref_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = 'active' THEN
    INSERT INTO search_docs (kind, ref_id, session_id, agent, created_at, body)
    VALUES ('note', NEW.id, NEW.session_id, NEW.agent, NEW.created_at, {body});
  END IF;
  RETURN NULL;
END $$"""
    return [function,
            "CREATE TRIGGER notes_search AFTER INSERT OR DELETE OR UPDATE OF title, body, tags, "
            "status ON notes FOR EACH ROW EXECUTE FUNCTION pai_index_note()"]
