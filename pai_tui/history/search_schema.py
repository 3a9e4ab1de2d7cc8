"""The search index as migration 13 built it (frozen: a later change is a new migration).

Everything searchable is one row of `search_docs` (kind, the row it comes from, the filters,
its text), kept in step with its source by triggers in the database itself, so that every way
in (a turn, an agent, an import, another pai) is indexed the same:
- messages: the user's and the assistant's text (not tool steps, not answers a retry replaced);
  kind `agent` for an agent's run, else `message`;
- feed_items: an upgrade item's title and text (a deleted item leaves the index).
Notes join later in the same way.

SQLite: two FTS5 indexes over `search_docs` (external content): words with Porter stemming and
accents folded, and trigrams for substrings (code, ids, URLs). PostgreSQL: a GIN index over a
weighted `tsvector` expression (the user's words weigh A, answers B, items C) with accents
folded when the `unaccent` extension can be had, and a `pg_trgm` GIN index for substrings when
that extension can be had (else substrings are found by a scan).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

MESSAGE_KIND = "CASE WHEN {row}.agent IS NULL THEN 'message' ELSE 'agent' END"
MESSAGE_INDEXED = ("{row}.role IN ('user', 'assistant') AND "
                   "NOT COALESCE({row}.superseded, FALSE)")


def create(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "search_docs", meta,
        Column("id", Integer, primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("ref_id", Integer, nullable=False),
        Column("session_id", Integer),
        Column("role", String(20)),
        Column("agent", String(200)),
        Column("model", String(200)),
        Column("created_at", DateTime, nullable=False),
        Column("body", Text, nullable=False),
        Index("ux_search_docs_kind_ref", "kind", "ref_id", unique=True),
        Index("ix_search_docs_session", "session_id"),
        Index("ix_search_docs_created", "created_at"),
        sqlite_autoincrement=True,
    )
    meta.create_all(conn)
    if conn.dialect.name == "sqlite":
        _sqlite(conn)
    elif conn.dialect.name == "postgresql":
        _postgresql(conn)
    _fill(conn)


def _fill(conn: Connection) -> None:
    """What is already stored, indexed (the triggers take it from here)."""
    kind, indexed = MESSAGE_KIND.format(row="m"), MESSAGE_INDEXED.format(row="m")
    conn.exec_driver_sql(
        "INSERT INTO search_docs (kind, ref_id, session_id, role, agent, model, created_at, "
        f"body) SELECT {kind}, m.id, m.session_id, m.role, m.agent, m.model, m.created_at, "
        f"m.content FROM messages m WHERE {indexed}")
    conn.exec_driver_sql(
        "INSERT INTO search_docs (kind, ref_id, created_at, body) "
        "SELECT 'item', f.id, f.found_at, f.title || CHR(10) || f.summary FROM feed_items f "
        "WHERE f.deleted_at IS NULL".replace("CHR(10)", _newline(conn)))


def _newline(conn: Connection) -> str:
    return "char(10)" if conn.dialect.name == "sqlite" else "chr(10)"


# SQLite ------------------------------------------------------------------------------------

_SQLITE_INDEXES = {
    "search_words": "porter unicode61 remove_diacritics 2",
    "search_grams": "trigram",
}


def _sqlite(conn: Connection) -> None:
    for statement in ("DROP TRIGGER IF EXISTS messages_fts_insert",
                      "DROP TRIGGER IF EXISTS messages_fts_delete",
                      "DROP TRIGGER IF EXISTS messages_fts_update",
                      "DROP TABLE IF EXISTS messages_fts"):
        conn.exec_driver_sql(statement)
    for name, tokenize in _SQLITE_INDEXES.items():
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {name} USING fts5(body, content='search_docs', "
            f"content_rowid='id', tokenize='{tokenize}')")
    for statement in _sqlite_doc_triggers() + _sqlite_source_triggers():
        conn.exec_driver_sql(statement)


def _sqlite_doc_triggers() -> list[str]:
    """search_docs -> both FTS5 indexes (the external-content protocol)."""
    insert = "".join(f"INSERT INTO {n}(rowid, body) VALUES (new.id, new.body); "
                     for n in _SQLITE_INDEXES)
    delete = "".join(f"INSERT INTO {n}({n}, rowid, body) VALUES ('delete', old.id, old.body); "
                     for n in _SQLITE_INDEXES)
    return [f"CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN {insert}END",
            f"CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN {delete}END",
            "CREATE TRIGGER search_docs_au AFTER UPDATE OF body ON search_docs BEGIN "
            f"{delete}{insert}END"]


def _sqlite_source_triggers() -> list[str]:
    """messages and feed_items -> search_docs."""
    kind, indexed = MESSAGE_KIND.format(row="new"), MESSAGE_INDEXED.format(row="new")
    add_message = (
        "INSERT INTO search_docs (kind, ref_id, session_id, role, agent, model, created_at, "
        f"body) SELECT {kind}, new.id, new.session_id, new.role, new.agent, new.model, "
        f"new.created_at, new.content WHERE {indexed};")
    drop_message = "DELETE FROM search_docs WHERE kind IN ('message', 'agent') AND ref_id = old.id;"
    add_item = ("INSERT INTO search_docs (kind, ref_id, created_at, body) SELECT 'item', new.id, "
                "new.found_at, new.title || char(10) || new.summary "
                "WHERE new.deleted_at IS NULL;")
    drop_item = "DELETE FROM search_docs WHERE kind = 'item' AND ref_id = old.id;"
    return [
        f"CREATE TRIGGER messages_search_ai AFTER INSERT ON messages BEGIN {add_message} END",
        f"CREATE TRIGGER messages_search_ad AFTER DELETE ON messages BEGIN {drop_message} END",
        "CREATE TRIGGER messages_search_au AFTER UPDATE OF content, role, agent, model, "
        f"superseded ON messages BEGIN {drop_message} {add_message} END",
        f"CREATE TRIGGER feed_items_search_ai AFTER INSERT ON feed_items BEGIN {add_item} END",
        f"CREATE TRIGGER feed_items_search_ad AFTER DELETE ON feed_items BEGIN {drop_item} END",
        "CREATE TRIGGER feed_items_search_au AFTER UPDATE OF title, summary, deleted_at ON "
        f"feed_items BEGIN {drop_item} {add_item} END",
    ]


# PostgreSQL --------------------------------------------------------------------------------

# The indexed expression; a query must repeat it exactly for the GIN index to serve it.
PG_VECTOR = ("setweight(to_tsvector('english'::regconfig, pai_fold(body)), "
             "CASE WHEN role = 'user' THEN 'A' WHEN kind = 'item' THEN 'C' ELSE 'B' END::\"char\")")


def _try_extension(conn: Connection, name: str) -> bool:
    """CREATE EXTENSION, if this role may (both are trusted extensions since PostgreSQL 13)."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name}")
        return True
    except Exception:
        return False


def _postgresql(conn: Connection) -> None:
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_messages_content_fts")
    fold = "unaccent('unaccent'::regdictionary, t)" if _try_extension(conn, "unaccent") else "t"
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION pai_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE "
        f"PARALLEL SAFE AS $$ SELECT {fold} $$")
    conn.exec_driver_sql(
        f"CREATE INDEX ix_search_docs_words ON search_docs USING gin ({PG_VECTOR})")
    if _try_extension(conn, "pg_trgm"):
        conn.exec_driver_sql("CREATE INDEX ix_search_docs_grams ON search_docs "
                             "USING gin (body gin_trgm_ops)")
    for statement in _pg_source_triggers():
        conn.exec_driver_sql(statement)


def _pg_source_triggers() -> list[str]:
    kind, indexed = MESSAGE_KIND.format(row="NEW"), MESSAGE_INDEXED.format(row="NEW")
    message = f"""
CREATE FUNCTION pai_index_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_docs WHERE kind IN ('message', 'agent') AND ref_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND {indexed} THEN
    INSERT INTO search_docs (kind, ref_id, session_id, role, agent, model, created_at, body)
    VALUES ({kind}, NEW.id, NEW.session_id, NEW.role, NEW.agent, NEW.model, NEW.created_at,
            NEW.content);
  END IF;
  RETURN NULL;
END $$"""
    item = """
CREATE FUNCTION pai_index_feed_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_docs WHERE kind = 'item' AND ref_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL THEN
    INSERT INTO search_docs (kind, ref_id, created_at, body)
    VALUES ('item', NEW.id, NEW.found_at, NEW.title || chr(10) || NEW.summary);
  END IF;
  RETURN NULL;
END $$"""
    return [
        message, item,
        "CREATE TRIGGER messages_search AFTER INSERT OR DELETE OR UPDATE OF content, role, "
        "agent, model, superseded ON messages FOR EACH ROW EXECUTE FUNCTION pai_index_message()",
        "CREATE TRIGGER feed_items_search AFTER INSERT OR DELETE OR UPDATE OF title, summary, "
        "deleted_at ON feed_items FOR EACH ROW EXECUTE FUNCTION pai_index_feed_item()",
    ]
