"""The upgrade feed in the store: each source's fetching state, and its items, added once per
key (a deleted item keeps its emptied row, so it never comes back). Part of the store API
(`Store` inherits it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pai_tui.history.models import FeedItemRow, FeedSourceRow, utcnow
from pai_tui.history.records import FeedItem, FeedItemRecord, FeedSourceState


class FeedStore:
    """The store's upgrade-feed methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def feed_sources(self) -> dict[str, FeedSourceState]:
        with self._session(write=False) as s:
            return {row.name: _state(row) for row in s.scalars(select(FeedSourceRow))}

    def save_feed_source(self, state: FeedSourceState) -> None:
        with self._session() as s:
            row = s.scalar(select(FeedSourceRow).where(FeedSourceRow.name == state.name))
            if row is None:
                row = FeedSourceRow(name=state.name)
                s.add(row)
            for name, value in asdict(state).items():
                setattr(row, name, value)

    def add_feed_items(self, source: str, items: Sequence[FeedItem],
                       now: datetime | None = None) -> int:
        """Store the items not seen before from `source` (deleted ones included); how many."""
        found = now or utcnow()
        with self._session() as s:
            keys = [item.key for item in items]
            known = set(s.scalars(select(FeedItemRow.key).where(
                FeedItemRow.source == source, FeedItemRow.key.in_(keys))))
            new = [item for item in items if item.key not in known]
            s.add_all(FeedItemRow(source=source, key=item.key, guid=item.guid, title=item.title,
                                  url=item.url, summary=item.summary,
                                  published_at=item.published, found_at=found,
                                  extra=json.dumps(item.extra)) for item in new)
            return len(new)

    def feed_published(self, source: str, limit: int) -> list[datetime]:
        """When `source`'s latest dated items (deleted ones too) were posted, newest first:
        its pace, which sets how often it is asked."""
        query = (select(FeedItemRow.published_at)
                 .where(FeedItemRow.source == source, FeedItemRow.published_at.is_not(None))
                 .order_by(FeedItemRow.published_at.desc()).limit(limit))
        with self._session(write=False) as s:
            return [moment for moment in s.scalars(query) if moment is not None]

    def feed_items(self, unread_only: bool = False, limit: int | None = None,
                   min_score: float | None = None, found_since: datetime | None = None,
                   ) -> list[FeedItemRecord]:
        """Items not deleted, best first (then newest)."""
        # Columns, not ORM objects: 10,000 items load in a third of the time (rerank loads all).
        query = select(*_ITEM_COLUMNS).where(FeedItemRow.deleted_at.is_(None))
        if found_since is not None:
            query = query.where(FeedItemRow.found_at >= found_since)
        if unread_only:
            query = query.where(FeedItemRow.read.is_(False))
        if min_score is not None:
            query = query.where(FeedItemRow.score >= min_score)
        query = query.order_by(FeedItemRow.score.desc(), FeedItemRow.published_at.desc(),
                               FeedItemRow.id.desc()).limit(limit)
        with self._session(write=False) as s:
            return [_record(*row) for row in s.execute(query)]

    def feed_item(self, item_id: int) -> FeedItemRecord | None:
        with self._session(write=False) as s:
            row = s.get(FeedItemRow, item_id)
            return None if row is None or row.deleted_at is not None else _item(row)

    def mark_feed_item(self, item_id: int, read: bool = True) -> bool:
        with self._session() as s:
            row = s.get(FeedItemRow, item_id)
            if row is None or row.deleted_at is not None:
                return False
            row.read = read
            return True

    def delete_feed_item(self, item_id: int) -> bool:
        """Forget the item's content; its key stays, so the next fetch does not bring it back."""
        with self._session() as s:
            row = s.get(FeedItemRow, item_id)
            if row is None or row.deleted_at is not None:
                return False
            row.deleted_at, row.title, row.summary, row.url, row.guid = utcnow(), "", "", None, None
            row.extra = "{}"
            return True

    def score_feed_items(self, scores: dict[int, tuple[float, str]]) -> None:
        """Each item's score and why (its ranking)."""
        if not scores:
            return
        # One executemany of plain SQL: the ORM's bulk update by primary key took 190 ms for
        # 10,000 items, this 70 (benchmarks/rank_speed.py).
        statement = text(f"UPDATE {FeedItemRow.__tablename__} SET score = :score, why = :why "
                         "WHERE id = :item_id")
        with self._session() as s:
            s.execute(statement, [{"item_id": item_id, "score": score, "why": why}
                                  for item_id, (score, why) in scores.items()])


def _state(row: FeedSourceRow) -> FeedSourceState:
    return FeedSourceState(row.name, row.url, row.etag, row.last_modified, row.tried_at,
                           row.fetched_at, row.next_at, row.error, row.errors,
                           row.parse_failures, row.paused)


_ITEM_COLUMNS = (FeedItemRow.id, FeedItemRow.source, FeedItemRow.key, FeedItemRow.guid,
                 FeedItemRow.title, FeedItemRow.url, FeedItemRow.summary,
                 FeedItemRow.published_at, FeedItemRow.extra, FeedItemRow.found_at,
                 FeedItemRow.read, FeedItemRow.score, FeedItemRow.why)


def _record(item_id: int, source: str, key: str, guid: str | None, title: str, url: str | None,
            summary: str, published: datetime | None, extra: str | None, found: datetime,
            read: bool, score: float, why: str) -> FeedItemRecord:
    """An item from `_ITEM_COLUMNS`, in that order."""
    item = FeedItem(key, guid, title, url, summary, published, json.loads(extra or "{}"))
    return FeedItemRecord(item_id, source, item, found, read, score, why)


def _item(row: FeedItemRow) -> FeedItemRecord:
    item = FeedItem(row.key, row.guid, row.title, row.url, row.summary, row.published_at,
                    json.loads(row.extra or "{}"))
    return FeedItemRecord(row.id, row.source, item, row.found_at, row.read, row.score, row.why)
