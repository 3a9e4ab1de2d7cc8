"""The history as the rest of pai sees it: async, one thread trip per call, and the bus told of
changes to sessions. Opens (and migrates) the store on first use, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pai_tui import events
from pai_tui.config import Config
from pai_tui.history.records import (
    MessageRecord,
    SearchHit,
    SessionRecord,
    SpanRecord,
    UsageRow,
)

if TYPE_CHECKING:
    from pai_tui.history.changes import ChangeWatcher
    from pai_tui.history.search import Filters
    from pai_tui.history.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Spending:
    """Money spent on answers today and this month (local calendar), and how many answers in
    each cost an unknown amount (their model's prices are unknown: not in the sums)."""

    today: float
    month: float
    unpriced_today: int = 0
    unpriced_month: int = 0
    agents_today: float = 0.0  # of `today`, what agents' runs spent


TITLE_LENGTH = 60


def session_title(text: str) -> str:
    """The first non-blank line of the first message, shortened."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "New session")
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


Period = Literal["today", "week", "month"]


def period_start(period: Period, now: datetime | None = None) -> float:
    """When the period began, in seconds since the epoch: local midnight today, on this week's
    Monday or on the 1st, with the UTC offset of that day (not today's, across a DST change)."""
    local = (now or datetime.now()).astimezone().replace(tzinfo=None)
    day = datetime(local.year, local.month, local.day)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.timestamp()  # naive: read as local time


def local_midnight_utc(now: datetime | None = None, month: bool = False) -> datetime:
    """Start of today (or of this month) in local time, as naive UTC like the store's times."""
    start = period_start("month" if month else "today", now)
    return datetime.fromtimestamp(start, UTC).replace(tzinfo=None)


class History:
    """Sessions and messages, for the faces and the turn engine."""

    def __init__(self, config: Config, bus: events.Bus):
        self.config = config
        self.bus = bus
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._updates: list[tuple[int, dict[str, Any], asyncio.Future[None]]] = []
        self._updating = False  # a trip is on its way to write `_updates`
        # Other pais' writes published on the bus (changes.py), from the opening on: what a
        # face that shows the history asks for (a one-shot command needs no thread for it).
        self.watch_changes = False
        self._watcher: ChangeWatcher | None = None
        self._closed = False  # a trip after close opens the store, but watches nothing

    @property
    def database_url(self) -> str:
        from pai_tui.history.urls import sqlite_url

        return self.config.database_url or sqlite_url(self.config.home.database)

    @property
    def read_only(self) -> str | None:
        """Why the history may only be read (a newer pai migrated it), or None."""
        return self._store.refused if self._store is not None else None

    def redact(self, text: str) -> str:
        """An error text as the user may read it: no SQL and no parameters (the user's own
        words), no database password, and what to do about the failures pai recognizes."""
        from pai_tui.history.errors import plain

        url = self.config.database_url
        if url:
            from pai_tui.history.urls import redact, shown_url

            text, where = redact(text, url), shown_url(url)
        else:
            where = str(self.config.home.database)
        return plain(text, where, self.config.home.backups)

    def open(self) -> Store:
        """Open (and migrate) the store once. Blocking: call from a thread."""
        with self._lock:
            if self._store is None:
                from pai_tui.history.store import Store

                try:
                    store, result, _ = Store.open(
                        self.database_url, self.config.home.backups,
                        lambda step: self.bus.publish(events.StoreMigrating(step)))
                except Exception as error:
                    self.bus.publish(events.StoreFailed(self.redact(str(error))))
                    raise
                self._store = store
                backup = str(result.backup) if result.backup else None
                self.bus.publish(events.StoreReady(result.to_version, backup))
                if store.refused:  # a newer pai migrated it: read-only
                    self.bus.publish(events.StoreReadOnly(store.refused))
                if self.watch_changes and not self._closed:  # not for a late trip after close
                    self._watch(store)
            return self._store

    def _watch(self, store: Store) -> None:
        """Other pais' writes (another process, another machine) become this bus's events."""
        from pai_tui.history.changes import ChangeWatcher
        from pai_tui.history.migrations import LATEST, too_new

        def changed(sessions: set[int]) -> None:
            for session_id in sorted(sessions):
                self.bus.publish(events.SessionUpdated(session_id))

        def schema(version: int) -> None:
            if version > LATEST and not store.refused:
                store.refused = too_new(version)
                self.bus.publish(events.StoreReadOnly(store.refused))

        self._watcher = ChangeWatcher(store.engine, changed, schema)
        self._watcher.start()

    async def update_message(self, message_id: int, **fields: Any) -> None:
        """`Store.update_message`, grouped: updates asked for while one trip is on its way go
        in the next trip's one transaction (agents ending together wait for one commit, not
        for each other's). Raises what the store raised for that transaction."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._updates.append((message_id, fields, future))
            start, self._updating = not self._updating, True
        if start:
            asyncio.get_running_loop().create_task(self._write_updates())
        await future

    async def _write_updates(self) -> None:
        try:
            store = await self.store()
            batch, failure = await asyncio.to_thread(self._take_and_write, store)
        except Exception as error:  # the store could not be opened
            batch, failure = self._take(), error
        for _, _, future in batch:
            if not future.done():
                future.set_exception(failure) if failure else future.set_result(None)

    def _take(self) -> list[tuple[int, dict[str, Any], asyncio.Future[None]]]:
        with self._lock:
            batch, self._updates, self._updating = self._updates, [], False
        return batch

    def _take_and_write(self, store: Store) -> tuple[
            list[tuple[int, dict[str, Any], asyncio.Future[None]]], Exception | None]:
        batch = self._take()
        try:
            store.update_messages([(message_id, fields) for message_id, fields, _ in batch])
        except Exception as error:
            return batch, error
        return batch, None

    async def store(self) -> Store:
        if self._store is not None:
            return self._store
        return await asyncio.to_thread(self.open)

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work(store, *args)` in a thread: one trip, whatever it does."""
        store = await self.store()
        return await asyncio.to_thread(work, store, *args, **kwargs)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._watcher is not None:
                self._watcher.stop()
                self._watcher = None
            if self._store is not None:
                self._store.close()
                self._store = None

    # reading

    async def sessions(self) -> list[SessionRecord]:
        return await self.run(lambda store: store.list_sessions())

    async def session(self, session_id: int) -> SessionRecord | None:
        return await self.run(lambda store: store.get_session(session_id))

    async def runs(self, active_only: bool = False) -> list[MessageRecord]:
        """Agents' runs, newest first (`Store.runs`)."""
        return await self.run(lambda store: store.runs(active_only))

    async def trace(self, turn_id: int) -> list[SpanRecord]:
        """The timeline of turn (or run) `turn_id`: its spans and its children's
        (`Store.trace`)."""
        return await self.run(lambda store: store.trace(turn_id))

    async def turn_spans(self, since: float | None = None, agents_only: bool = False,
                         ) -> list[SpanRecord]:
        """Turns and runs on the timeline, newest first (`Store.turn_spans`)."""
        return await self.run(lambda store: store.turn_spans(since, agents_only))

    async def usage_summary(self, since: float) -> list[UsageRow]:
        """Usage by model, agent, skill and tool since `since` (`Store.usage_summary`)."""
        return await self.run(lambda store: store.usage_summary(since))

    async def messages(self, session_id: int) -> list[MessageRecord]:
        return await self.run(lambda store: store.messages(session_id))

    async def search(self, query: str, filters: Filters | None = None, limit: int = 50,
                     prefix: bool = False) -> list[SearchHit]:
        return await self.run(lambda store: store.search(query, filters, limit, prefix))

    async def messages_from(self, session_id: int, message_id: int) -> int:
        return await self.run(lambda store: store.messages_from(session_id, message_id))

    async def recent_messages(self, session_id: int, limit: int, before_id: int | None = None,
                              ) -> tuple[list[MessageRecord], int]:
        """The newest `limit` messages (before `before_id`) and how many come before them."""
        return await self.run(lambda store: store.recent_messages(session_id, limit, before_id))

    async def costs(self) -> Spending:
        """Money spent today and this month (local calendar), in one trip."""
        today, month = local_midnight_utc(), local_midnight_utc(month=True)
        (day, unpriced_day), (whole, unpriced_month), agents = await self.run(
            lambda store: (store.cost_since(today), store.cost_since(month),
                           store.agents_cost_since(today)))
        return Spending(day, whole, unpriced_day, unpriced_month, agents)

    async def choose_answer(self, answer_id: int, session_id: int) -> None:
        """Show and send `answer_id` instead of the other answers to its question."""
        await self.run(lambda store: store.choose_answer(answer_id))
        self.bus.publish(events.SessionUpdated(session_id))

    # changing sessions

    async def rename_session(self, session_id: int, title: str) -> None:
        await self.run(lambda store: store.rename_session(session_id, title.strip() or "Untitled"))
        self.bus.publish(events.SessionUpdated(session_id))

    async def delete_session(self, session_id: int) -> None:
        await self.run(lambda store: store.delete_session(session_id))
        self.bus.publish(events.SessionUpdated(session_id))

    async def set_system_prompt(self, session_id: int, prompt: str) -> None:
        await self.run(lambda store: store.set_session_options(
            session_id, system_prompt=prompt.strip()))
        self.bus.publish(events.SessionUpdated(session_id))

    async def set_model(self, session_id: int, provider: str, model: str) -> None:
        """Answer the session with this provider and model from now on."""
        await self.run(lambda store: store.set_session_options(
            session_id, provider=provider, model=model))
        self.bus.publish(events.ChoiceChanged(session_id, provider, model))
