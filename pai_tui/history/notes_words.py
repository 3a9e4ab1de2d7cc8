"""The notes' own word index (migration 22, frozen: a later change is a new migration), and the
query that finds the active notes related to a message (turns/recall.py, before every turn).

The one search index (search_schema.py) holds every message too: asking it for notes alone
walks the matches of the whole history, so a turn's recall grew with the history. This index
holds the active notes only, so recall costs what the notes cost. Kept in step with `notes` by
triggers, like the search index, so every way in (the chat, an agent, an import, another pai)
is indexed the same. SQLite: an FTS5 table over the notes' title, body and tags (Porter
stemming, accents folded, as search_words). PostgreSQL: the same text's `tsvector` kept in a
generated column `notes.words` (ranking reads it, rather than taking each note apart again),
with a GIN index partial to the active notes.

What a turn costs is ranking the notes that share a word with the message: stop words are left
out (as PostgreSQL's english configuration does), words most notes have only fill the room the
others leave (bm25 gives them no weight), and on SQLite bm25 scores only the notes that have a
rarer word when that provably gives the same best notes (`_sqlite_ranked`).
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
BM25_K1 = 1.2  # FTS5's
# English words that say nothing of what a message is about: PostgreSQL's english
# configuration drops these (Snowball's list); SQLite's index is told the same.
_SNOWBALL = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
her hers herself it its itself they them their theirs themselves what which who whom this that
these those am is are was were be been being have has had having do does did doing a an the and
but if or because as until while of at by for with about against between into through during
before after above below to from up down in out on off over under again further then once here
there when where why how all any both each few more most other some such no nor not only own
same so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_SNOWBALL.split())


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
    """The words of a message worth looking up: three letters or more, or a number; not a
    stop word."""
    said = [w for w in _WORD.findall(message.lower())
            if (len(w) > 2 or w.isdigit()) and w not in STOP_WORDS]
    return list(dict.fromkeys(said))


def related_note_ids(s: Session, message: str, limit: int) -> list[int]:
    """The ids of the active notes that best match any word of `message`, best first: ranked
    by the words that tell notes apart; the room they leave, filled by the newest notes that
    share a word most notes have."""
    words = words_of(message)
    if not words:
        return []
    postgresql = s.get_bind().dialect.name == "postgresql"
    found: list[int] = []
    if postgresql:
        telling, common = _pg_telling(s, words)
        if telling:
            found = list(s.scalars(text(_PG_RANKED),
                                   {"match": _any(telling, True), "limit": limit}))
    else:
        counts, total = _sqlite_counts(s, words)
        half = _half(total)
        telling = [w for w in words if 0 < counts[w] < half]
        common = [w for w in words if counts[w] >= half]
        if telling:
            found = _sqlite_ranked(s, telling, counts, total, limit)
    if common and len(found) < limit:
        found += [n for n in s.scalars(text(_PG_NEWEST if postgresql else _SQLITE_NEWEST),
                                       {"match": _any(common, postgresql), "limit": limit})
                  if n not in found][: limit - len(found)]
    return found


def _sqlite_ranked(s: Session, words: list[str], counts: dict[str, int], total: int,
                   limit: int) -> list[int]:
    """The best `limit` notes by bm25 over `words`, scoring fewer of them where that gives
    the same answer (scoring is the slow part: a few microseconds a note). A word's share of
    a note's score is at most its IDF times (k1 + 1); the commonest words, whose shares add
    up to less than the last of the best found among the notes that have a rarer word, can
    bring no other note among the best: those notes alone are scored. If that cannot be
    shown, every match is."""
    most = {w: _idf(total, counts[w]) * (BM25_K1 + 1) for w in words}
    rest: list[str] = []
    for word in sorted(words, key=lambda w: counts[w], reverse=True)[:-1]:
        kept = sum(most[w] for w in words if w not in rest and w != word)
        if sum(most[w] for w in rest) + most[word] >= kept / 2:
            break
        rest.append(word)
    if rest:
        rows = s.execute(text(_SQLITE_PRUNED), {
            "match": _any(words), "limit": limit,
            "rarer": _any([w for w in words if w not in rest])}).all()
        bound = sum(most[w] for w in rest)
        if len(rows) == limit and -rows[-1].score > bound * (1 + 1e-9) + 1e-9:
            return [row.rowid for row in rows]
    return list(s.scalars(text(_SQLITE_RANKED), {"match": _any(words), "limit": limit}))


def _idf(total: int, found: int) -> float:
    """FTS5's bm25 IDF of a word `found` in that many of `total` notes."""
    idf = math.log((total - found + 0.5) / (found + 0.5))
    return idf if idf > 0 else 1e-6


_SQLITE_RANKED = ("SELECT rowid FROM notes_words WHERE notes_words MATCH :match "
                  "ORDER BY bm25(notes_words), rowid DESC LIMIT :limit")
# `+rowid`: the notes with a rarer word filter the matches, rather than each being looked up
_SQLITE_PRUNED = ("SELECT rowid, bm25(notes_words) AS score FROM notes_words "
                  "WHERE notes_words MATCH :match AND +rowid IN (SELECT rowid FROM notes_words "
                  "WHERE notes_words MATCH :rarer) ORDER BY score, rowid DESC LIMIT :limit")
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


def _half(total: int) -> int:
    return max(1, math.ceil(total * COMMON_SHARE))


def _sqlite_counts(s: Session, words: list[str]) -> tuple[dict[str, int], int]:
    """How many notes have each of `words` (counted no further than half of them), and how
    many notes the index holds; one trip for a message's words."""
    total = _sqlite_indexed(s)
    half = _half(total)
    found: dict[str, int] = {}
    for first in range(0, len(words), COUNTED_AT_ONCE):  # SQLite joins 500 SELECTs at most
        batch = range(first, min(len(words), first + COUNTED_AT_ONCE))
        counts = " UNION ALL ".join(
            f"SELECT {n} AS word, (SELECT count(*) FROM (SELECT 1 FROM notes_words WHERE "
            f"notes_words MATCH :m{n} LIMIT :half)) AS found" for n in batch)
        found.update({words[row.word]: row.found for row in s.execute(
            text(counts), {"half": half, **{f"m{n}": f'"{words[n]}"' for n in batch}})})
    return found, total


def _pg_telling(s: Session, words: list[str]) -> tuple[list[str], list[str]]:
    """The words that tell notes apart and those most notes have (a word found in half of
    them or more), from what ANALYZE (autovacuum) keeps of the column: the share of
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
