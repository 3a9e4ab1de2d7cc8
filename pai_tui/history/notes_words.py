"""The notes' own word index (migration 20, frozen: a later change is a new migration), and the
query that finds the active notes related to a message (turns/recall.py, before every turn).

The one search index (search_schema.py) holds every message too: asking it for notes alone
walks the matches of the whole history, so a turn's recall grew with the history. This index
holds the active notes only, so recall costs what the notes cost. Kept in step with `notes` by
triggers, like the search index, so every way in (the chat, an agent, an import, another pai)
is indexed the same. SQLite: an FTS5 table over the notes' title, body and tags (Porter
stemming, accents folded, as search_words). PostgreSQL: a GIN index over the same text's
`tsvector`, partial to the active notes.
"""

from __future__ import annotations

import math
import re

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

# The notes' words as PostgreSQL keeps them (a stored column: ranking reads it rather than
# taking each matching note's text apart again).
PG_NOTE_VECTOR = ("to_tsvector('english'::regconfig, pai_fold(title || ' ' || body || ' ' || "
                  "tags))")
_WORD = re.compile(r"\w+")
# bm25 gives a word found in half the notes or more no weight (its IDF is not above zero;
# FTS5 makes it 1e-6), yet ranking its thousands of matches is what made recall slow: such
# words do not rank, they only fill the room the telling words left, newest first.
COMMON_SHARE = 0.5
COUNTED_AT_ONCE = 200  # words counted in one statement


def create(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for statement in (
                "CREATE VIRTUAL TABLE notes_words USING fts5(title, body, tags, "
                "content='notes', content_rowid='id', "
                "tokenize='porter unicode61 remove_diacritics 2')",
                "INSERT INTO notes_words (rowid, title, body, tags) "
                "SELECT id, title, body, tags FROM notes WHERE status = 'active'",
                *_sqlite_triggers()):
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE notes ADD COLUMN words tsvector GENERATED ALWAYS AS "
                             f"({PG_NOTE_VECTOR}) STORED")
        conn.exec_driver_sql("CREATE INDEX ix_notes_words ON notes USING gin (words) "
                             "WHERE status = 'active'")


def _sqlite_triggers() -> list[str]:
    """notes -> notes_words, active notes only (the external-content protocol: a row leaves
    the index with the text it was indexed with)."""
    add = ("INSERT INTO notes_words (rowid, title, body, tags) SELECT new.id, new.title, "
           "new.body, new.tags WHERE new.status = 'active';")
    drop = ("INSERT INTO notes_words (notes_words, rowid, title, body, tags) SELECT 'delete', "
            "old.id, old.title, old.body, old.tags WHERE old.status = 'active';")
    return [
        f"CREATE TRIGGER notes_words_ai AFTER INSERT ON notes BEGIN {add} END",
        f"CREATE TRIGGER notes_words_ad AFTER DELETE ON notes BEGIN {drop} END",
        "CREATE TRIGGER notes_words_au AFTER UPDATE OF title, body, tags, status ON notes "
        f"BEGIN {drop} {add} END",
    ]


def words_of(message: str) -> list[str]:
    """The words of a message worth looking up: three letters or more, or a number."""
    said = [w for w in _WORD.findall(message.lower()) if len(w) > 2 or w.isdigit()]
    return list(dict.fromkeys(said))


def related_note_ids(s: Session, message: str, limit: int) -> list[int]:
    """The ids of the active notes that best match any word of `message`, best first: ranked
    by the words that tell notes apart; the room they leave, filled by the newest notes that
    share a word most notes have."""
    words = words_of(message)
    if not words:
        return []
    postgresql = s.get_bind().dialect.name == "postgresql"
    telling, common = (_pg_telling if postgresql else _sqlite_telling)(s, words)
    found: list[int] = []
    if telling:
        found = list(s.scalars(text(_PG_RANKED if postgresql else _SQLITE_RANKED),
                               {"match": _any(telling, postgresql), "limit": limit}))
    if common and len(found) < limit:
        found += [n for n in s.scalars(text(_PG_NEWEST if postgresql else _SQLITE_NEWEST),
                                       {"match": _any(common, postgresql), "limit": limit})
                  if n not in found][: limit - len(found)]
    return found


_SQLITE_RANKED = ("SELECT rowid FROM notes_words WHERE notes_words MATCH :match "
                  "ORDER BY bm25(notes_words), rowid DESC LIMIT :limit")
_SQLITE_NEWEST = ("SELECT rowid FROM notes_words WHERE notes_words MATCH :match "
                  "ORDER BY rowid DESC LIMIT :limit")
_PG_MATCH = "status = 'active' AND words @@ to_tsquery('english', pai_fold(:match))"
# ts_rank (how often, over the log of the length: as bm25) takes a fifth of ts_rank_cd's time
_PG_RANKED = (f"SELECT id FROM notes WHERE {_PG_MATCH} ORDER BY ts_rank(words, "
              "to_tsquery('english', pai_fold(:match)), 1) DESC, id DESC LIMIT :limit")
_PG_NEWEST = f"SELECT id FROM notes WHERE {_PG_MATCH} ORDER BY id DESC LIMIT :limit"


def _any(words: list[str], postgresql: bool = False) -> str:
    """A query matching any of `words`, each taken literally."""
    if postgresql:
        return " | ".join(_pg_lexeme(w) for w in words)
    return " OR ".join(f'"{w}"' for w in words)


def _sqlite_telling(s: Session, words: list[str]) -> tuple[list[str], list[str]]:
    """`words` the notes have, split into those that tell notes apart and those most notes
    have (one trip for a message's words: each word's count of notes, counted no further than
    that)."""
    total = _sqlite_indexed(s)
    half = max(1, math.ceil(total * COMMON_SHARE))
    found: dict[int, int] = {}
    for first in range(0, len(words), COUNTED_AT_ONCE):  # SQLite joins 500 SELECTs at most
        batch = range(first, min(len(words), first + COUNTED_AT_ONCE))
        counts = " UNION ALL ".join(
            f"SELECT {n} AS word, (SELECT count(*) FROM (SELECT 1 FROM notes_words WHERE "
            f"notes_words MATCH :m{n} LIMIT :half)) AS found" for n in batch)
        found.update({row.word: row.found for row in s.execute(
            text(counts), {"half": half, **{f"m{n}": f'"{words[n]}"' for n in batch}})})
    return ([w for n, w in enumerate(words) if 0 < found[n] < half],
            [w for n, w in enumerate(words) if found[n] >= half])


def _pg_telling(s: Session, words: list[str]) -> tuple[list[str], list[str]]:
    """As `_sqlite_telling`, from what ANALYZE (autovacuum) keeps of the column: the share of
    notes that have each of the most common words (counting them in the index would read
    every note that has them). A stop word has no lexeme: it matches nothing."""
    lexemes = s.execute(text(
        "SELECT u.n, t.lexeme FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS u(w, n), "
        "unnest(to_tsvector('english', pai_fold(u.w))) AS t"), {"words": words}).all()
    stats = s.execute(text(
        "SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs "
        "FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'notes' "
        "AND attname = 'words'")).first()
    share = dict(zip(stats.elems, stats.freqs, strict=False)) \
        if stats is not None and stats.elems else {}
    kept = {n - 1: lexeme for n, lexeme in lexemes}
    return ([w for n, w in enumerate(words) if n in kept and share.get(kept[n], 0) < COMMON_SHARE],
            [w for n, w in enumerate(words) if n in kept and
             share.get(kept[n], 0) >= COMMON_SHARE])


def _sqlite_indexed(s: Session) -> int:
    """How many notes the index holds: the first number of FTS5's own record of averages
    (row 1 of its data table: a count of rows, then tokens per column, as SQLite varints),
    which bm25 reads too; counting the active notes would read them all."""
    block = s.execute(text("SELECT block FROM notes_words_data WHERE id = 1")).scalar()
    value = 0
    for at, byte in enumerate(block or b"\x00"):
        if at == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    return value


def _pg_lexeme(word: str) -> str:
    """A word as to_tsquery reads it literally (quoted; a lone quote doubled)."""
    return "'" + word.replace("'", "''") + "'"
