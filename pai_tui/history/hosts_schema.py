"""Migration 18 (frozen: a later change is a new migration): every row records the host it came
from, and on PostgreSQL every change to sessions, messages, notes and the schema version is
announced on a channel (LISTEN/NOTIFY) so that other pais refresh (history/changes.py).

Rows written before this migration keep `host` NULL: which machine wrote them is not known.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

CHANNEL = "pai_changes"  # payload: "session ID", "note ID" (its session, 0: none), "schema N"
HOSTED = ("sessions", "messages", "feed_items", "proposals", "spans")  # notes have it (v15)
INDEXED = ("sessions", "messages")  # `pai sync status` counts these by host


def create(conn: Connection) -> None:
    for table in HOSTED:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN host VARCHAR(255)")
    for table in INDEXED:
        conn.exec_driver_sql(f"CREATE INDEX ix_{table}_host ON {table} (host)")
    if conn.dialect.name == "postgresql":
        for statement in _pg_notify():
            conn.exec_driver_sql(statement)


def _function(name: str, payload_new: str, payload_old: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('{CHANNEL}', {payload_old});
  ELSE
    PERFORM pg_notify('{CHANNEL}', {payload_new});
  END IF;
  RETURN NULL;
END $$"""


def _pg_notify() -> list[str]:
    """One notification per changed row, sent at commit (identical ones in a transaction are
    sent once by PostgreSQL); the payload says which session to refresh."""
    return [
        _function("pai_notify_session", "'session ' || NEW.id", "'session ' || OLD.id"),
        _function("pai_notify_message", "'session ' || NEW.session_id",
                  "'session ' || OLD.session_id"),
        _function("pai_notify_note", "'note ' || COALESCE(NEW.session_id, 0)",
                  "'note ' || COALESCE(OLD.session_id, 0)"),
        _function("pai_notify_schema", "'schema ' || NEW.version", "'schema 0'"),
        "CREATE TRIGGER sessions_notify AFTER INSERT OR UPDATE OR DELETE ON sessions "
        "FOR EACH ROW EXECUTE FUNCTION pai_notify_session()",
        "CREATE TRIGGER messages_notify AFTER INSERT OR UPDATE OR DELETE ON messages "
        "FOR EACH ROW EXECUTE FUNCTION pai_notify_message()",
        "CREATE TRIGGER notes_notify AFTER INSERT OR UPDATE OR DELETE ON notes "
        "FOR EACH ROW EXECUTE FUNCTION pai_notify_note()",
        "CREATE TRIGGER schema_version_notify AFTER INSERT ON schema_version "
        "FOR EACH ROW EXECUTE FUNCTION pai_notify_schema()",
    ]
