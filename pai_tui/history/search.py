"""One `search()` over everything the history keeps (the index: history/search_schema.py):
words with their variants (stemmed), and substrings such as code, ids and URLs, best first,
each with a snippet and where its matches are in it. What the user typed weighs more than
answers. Raw text never fails: a query the index cannot parse (an unbalanced quote, a `:`, a
bare operator) is asked again with each word quoted. Part of the store API (`Store` inherits
it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Engine, TextClause, bindparam, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

from pai_tui.history.records import SearchHit

START, STOP = "\x02", "\x03"  # around each match in a snippet, until `_marked` reads them
KINDS = ("message", "agent", "note", "item")
# SQLite's bm25 (lower is better) times this: the user's own words count double, items less
# (PostgreSQL's weights A, B, C count 1.0, 0.4, 0.2).
_WEIGHT = ("CASE WHEN d.role = 'user' THEN 2.0 WHEN d.kind = 'item' THEN 0.8 ELSE 1.0 END")
SUBSTRING_SHARE = 0.3  # of a word match's score, for a match found only as a substring
CANDIDATES = 3  # times the results asked for, ranked by the index before the writer's weight
POOL = 2_000  # SQLite: more matches than this (a common word) are shown newest first
# PostgreSQL: a query's newest matches that are ranked. They are found by walking the documents
# newest first and checking each one's words (when most match), so the walk is as long as the
# pool over the share of documents matching: 500 keeps three common words under 50 ms at a
# million messages (2,000: 220 ms).
PG_POOL = 500
_WORD = re.compile(r"\w+")
# A search document's row, where its host is kept (the index itself does not keep hosts).
_BY_HOST = ("(d.kind IN ('message', 'agent') AND d.ref_id IN (SELECT id FROM messages "
            "WHERE host = :host) OR d.kind = 'note' AND d.ref_id IN (SELECT id FROM notes "
            "WHERE host = :host) OR d.kind = 'item' AND d.ref_id IN (SELECT id FROM feed_items "
            "WHERE host = :host))")
_COLUMNS = "d.kind, d.ref_id, d.session_id, d.role, d.agent, d.model, d.created_at"


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    session_id: int | None = None
    agent: str | None = None
    model: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    host: str | None = None  # written on this machine (every row records its host)

    def sql(self) -> tuple[str, dict[str, Any]]:
        clauses, values = [], {}
        for name, value, clause in (
                ("kinds", list(self.kinds) or None, "d.kind IN :kinds"),
                ("session", self.session_id, "d.session_id = :session"),
                ("agent", self.agent, "d.agent = :agent"),
                ("model", self.model, "d.model = :model"),
                ("since", self.since, "d.created_at >= :since"),
                ("until", self.until, "d.created_at < :until"),
                ("host", self.host, _BY_HOST)):
            if value is not None:
                clauses.append(clause)
                values[name] = value
        return "".join(f" AND {c}" for c in clauses), values


class SearchStore:
    """The store's search (mixed into `Store`, which provides `_session` and `engine`)."""

    engine: Engine

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def search(self, query: str, filters: Filters | None = None, limit: int = 50,
               prefix: bool = False) -> list[SearchHit]:
        """The best `limit` matches of `query`; `prefix`: its last word may be unfinished
        (search as you type)."""
        filters = filters or Filters()
        if not query.strip():
            return []
        with self._session(write=False) as s:
            postgresql = self.engine.dialect.name == "postgresql"
            hits = (_pg_words if postgresql else _sqlite_words)(s, query, filters, limit, prefix)
            # Substrings too when the words found too few (they would rank after these).
            if len(hits) < limit:
                hits += _below(hits, (_pg_substrings if postgresql else _sqlite_substrings)(
                    s, query, filters, limit))
        return _best(hits, limit)


def _below(words: list[SearchHit], substrings: list[SearchHit]) -> list[SearchHit]:
    """The substring matches of what the words did not find, ranked after the words' matches
    (a word is a better match than a part of one, however common the word)."""
    found = {(hit.kind, hit.id) for hit in words}
    floor = min((hit.score for hit in words), default=None)
    return [hit if floor is None else replace(hit, score=min(hit.score, floor * SUBSTRING_SHARE))
            for hit in substrings if (hit.kind, hit.id) not in found]


def _best(hits: Sequence[SearchHit], limit: int) -> list[SearchHit]:
    """Each thing once (its best match), best first, then newest."""
    kept: dict[tuple[str, int], SearchHit] = {}
    for hit in hits:
        key = (hit.kind, hit.id)
        if key not in kept or hit.score > kept[key].score:
            kept[key] = hit
    return sorted(kept.values(), key=lambda h: (-h.score, -h.created_at.timestamp()))[:limit]


def quoted(query: str, prefix: bool = False) -> str:
    """Each part of `query` between spaces as an FTS5 string, so nothing in it is syntax any
    more, and code, an id or a URL (`gpt-4o-mini`, `example.com/docs`) is the sequence of its
    words, not those words anywhere."""
    parts = [part for part in query.split() if _WORD.search(part)]
    if not parts:
        return ""
    said = " ".join('"' + part.replace('"', '""') + '"' for part in parts)
    return said + "*" if prefix and query[-1:].isalnum() else said


# SQLite ------------------------------------------------------------------------------------

def _sqlite_words(s: Session, query: str, filters: Filters, limit: int,
                  prefix: bool) -> list[SearchHit]:
    forms = [quoted(query, prefix)] if prefix else [query, quoted(query)]
    for match in filter(None, forms):
        try:
            with s.begin_nested():
                return _sqlite_match(s, "search_words", match, filters, limit, 1.0)
        except OperationalError:  # not FTS5 syntax after all: the words, quoted
            continue
    return []


def _sqlite_substrings(s: Session, query: str, filters: Filters, limit: int) -> list[SearchHit]:
    """The newest documents holding `query` as it is (a substring has no rank worth the cost
    of scoring every match: it is found, or not)."""
    needle = _needle(query)
    if needle is None:
        return []
    match = '"' + needle.replace('"', '""') + '"'
    newest = _newest(s, "search_grams", match, filters, limit)
    return _sqlite_found(s, "search_grams", match, dict.fromkeys(newest, -0.01),
                         SUBSTRING_SHARE, limit)


def _needle(query: str) -> str | None:
    """What a substring search looks for: the query as typed, without the quotes around it;
    None when it is too short (trigrams need three characters)."""
    needle = query.strip().strip('"').strip()
    return needle if len(needle) >= 3 else None


def _newest(s: Session, index: str, match: str, filters: Filters, many: int) -> list[int]:
    """The ids of the newest `many` documents that match, newest first: a walk along the
    index that stops there, whatever the number of matches (a filter joins the documents)."""
    where, values = filters.sql()
    return list(s.execute(_typed(text(
        f"SELECT {index}.rowid FROM {index}{_joined(index, where)} "
        f"WHERE {index} MATCH :match{where} ORDER BY {index}.rowid DESC LIMIT :many"), values,
        times=False),
        {"match": match, "many": many, **values}).scalars())


def _joined(index: str, where: str) -> str:
    """The documents joined to the index, only when a filter needs their columns."""
    return f" JOIN search_docs d ON d.id = {index}.rowid" if where else ""


def _sqlite_match(s: Session, index: str, match: str, filters: Filters, limit: int,
                  share: float) -> list[SearchHit]:
    """A query that matches more than POOL documents (a common word, in most messages) shows
    its newest matches, the user's words first: FTS5's bm25 counts, each time, every document
    that has each word (for a word in a million messages, 20 ms to a second), and among so
    many matches the newest are what is looked for. Fewer matches are ranked by bm25, the best
    few times `limit` kept; then, for those alone, the weight of who wrote them and snippets."""
    newest = _newest(s, index, match, filters, POOL + 1)
    if len(newest) > POOL:
        return _sqlite_found(s, index, match, dict.fromkeys(newest[:limit * CANDIDATES], -1.0),
                             share, limit)
    if not newest:
        return []
    where, values = filters.sql()
    best = s.execute(_typed(text(
        f"SELECT {index}.rowid AS id, bm25({index}) AS rank FROM {index}{_joined(index, where)} "
        f"WHERE {index} MATCH :match{where} ORDER BY rank LIMIT :many"), values, times=False),
        {"match": match, "many": limit * CANDIDATES, **values}).all()
    return _sqlite_found(s, index, match, {row.id: row.rank for row in best}, share, limit)


def _sqlite_found(s: Session, index: str, match: str, ranks: dict[int, float], share: float,
                  limit: int) -> list[SearchHit]:
    """The best `limit` of the documents `ranks` names (by their rank in `index`) once who
    wrote them is weighed in, with their snippets."""
    if not ranks:
        return []
    docs = {row.doc: row for row in s.execute(_typed(text(
        f"SELECT {_COLUMNS}, d.id AS doc, {_WEIGHT} AS weight FROM search_docs d "
        "WHERE d.id IN :ids"), {"ids": []}), {"ids": list(ranks)})}
    scores = {doc: -ranks[doc] * row.weight * share for doc, row in docs.items()}
    kept = sorted(scores, key=lambda doc: (-scores[doc], -doc))[:limit]
    snips = _snippets(s, index, match, kept)
    return [_hit(docs[doc], scores[doc], snips.get(doc)) for doc in kept]


def _snippets(s: Session, index: str, match: str, docs: list[int]) -> dict[int, str]:
    """The snippets of `docs`, read in one pass along the index's matches from the oldest of
    them (all among a query's newest few thousand matches) rather than by looking each up: a
    lookup costs a seek in every segment of the index, a pass reads them in order."""
    rows = s.execute(_typed(text(
        f"SELECT {index}.rowid AS doc, CASE WHEN {index}.rowid IN :ids THEN "
        f"snippet({index}, 0, char(2), char(3), '…', 16) END AS snip FROM {index} "
        f"WHERE {index} MATCH :match AND {index}.rowid >= :lowest"), {"ids": []}, times=False),
        {"match": match, "ids": docs, "lowest": min(docs)})
    return {row.doc: row.snip for row in rows if row.snip is not None}


# PostgreSQL --------------------------------------------------------------------------------

def _pg_words(s: Session, query: str, filters: Filters, limit: int,
              prefix: bool) -> list[SearchHit]:
    """A common word's newest PG_POOL matches are ranked, not all of them (found by walking
    the documents newest first along their time's index, within a time filter's range, and
    checking their stored words, when the planner's statistics say many match; through the
    word index otherwise); the headlines are worked out for the results alone."""
    if prefix:
        words = _WORD.findall(query)
        if not words:
            return []
        said = " & ".join(words) + (":*" if query[-1:].isalnum() else "")
        parse, value = "to_tsquery('english', pai_fold(:query))", said
    else:
        parse, value = "websearch_to_tsquery('english', pai_fold(:query))", query
    where, values = filters.sql()
    statement = text(
        f"WITH pool AS MATERIALIZED (SELECT d.id FROM search_docs d WHERE d.words @@ {parse}"
        f"{where} ORDER BY d.created_at DESC, d.id DESC LIMIT :pool), "
        f"best AS MATERIALIZED (SELECT {_COLUMNS}, d.body, ts_rank_cd(d.words, {parse}) AS rank "
        "FROM search_docs d JOIN pool ON pool.id = d.id ORDER BY rank DESC, d.id DESC "
        "LIMIT :limit) "
        f"SELECT best.*, ts_headline('english', best.body, {parse}, :options) AS snip "
        "FROM best ORDER BY rank DESC")
    options = (f'StartSel="{START}", StopSel="{STOP}", MaxWords=24, MinWords=10, '
               'MaxFragments=1, FragmentDelimiter=" … "')
    rows = s.execute(_typed(statement, values), {
        "query": value, "limit": limit, "pool": PG_POOL, "options": options, **values})
    return [_hit(row, float(row.rank), row.snip) for row in rows]


def _pg_substrings(s: Session, query: str, filters: Filters, limit: int) -> list[SearchHit]:
    needle = _needle(query)
    if needle is None:
        return []
    where, values = filters.sql()
    like = "%" + re.sub(r"([\\%_])", r"\\\1", needle) + "%"
    statement = text(f"SELECT {_COLUMNS}, d.body FROM search_docs d "
                     f"WHERE d.body ILIKE :like ESCAPE '\\'{where} "
                     "ORDER BY d.created_at DESC LIMIT :limit")
    rows = s.execute(_typed(statement, values), {"like": like, "limit": limit, **values})
    return [_hit(row, 0.01 * SUBSTRING_SHARE, around(row.body, needle)) for row in rows]


def around(body: str, needle: str, width: int = 60) -> str:
    """The part of `body` around the first `needle` (any case), marked."""
    at = body.lower().find(needle.lower())
    if at < 0:
        return body[: width * 2]
    start, end = max(0, at - width), min(len(body), at + len(needle) + width)
    return ("…" if start else "") + body[start:at] + START + body[at:at + len(needle)] + STOP + \
        body[at + len(needle):end] + ("…" if end < len(body) else "")


# both --------------------------------------------------------------------------------------

def _typed(statement: TextClause, values: dict[str, Any], times: bool = True,
           ) -> TextClause | TextualSelect:
    """The statement with its lists (kinds, ids) expanded and its times read as times."""
    for name in ("kinds", "ids"):
        if name in values:
            statement = statement.bindparams(bindparam(name, expanding=True))
    return statement.columns(created_at=DateTime) if times else statement


def _hit(row: Any, score: float, snip: str | None) -> SearchHit:
    snippet, spans = marked(snip or "")
    return SearchHit(row.kind, row.ref_id, row.session_id, row.role, row.agent, row.model,
                     row.created_at, snippet, spans, round(score, 6))


def marked(snip: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The snippet without its match marks, and where each match is in it."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for part in re.split(f"([{START}{STOP}])", snip.replace("\n", " ")):
        if part == START:
            start = length
        elif part == STOP:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            plain.append(part)
            length += len(part)
    return "".join(plain), tuple(spans)
