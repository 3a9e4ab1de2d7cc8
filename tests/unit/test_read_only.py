"""A pai older than the database's schema (a newer pai on another machine migrated it) opens
the history read-only: reading, listing and searching work as usual; every write, whichever
way it comes (a chat turn, a note, an import, a rating, the scheduler's lease and items), is
refused with one message naming both schema versions and saying to upgrade pai, and leaves the
database as it was. On both dialects (the `database_url` fixture)."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from pai_tui import events
from pai_tui.config import load_config
from pai_tui.history.migrations import LATEST, SchemaError
from pai_tui.history.records import FeedItem, NoteDraft
from pai_tui.history.search import Filters
from pai_tui.history.service import History
from pai_tui.history.store import Store, make_engine
from pai_tui.paths import HomePaths
from tests.other_pai import dump, newer_pai_migrates


@pytest.fixture
def newer(database_url: str, home: HomePaths) -> str:
    """A history this pai wrote (a session with an answer left streaming by a pai that is
    gone, a note, an upgrade item), then migrated by a newer pai."""
    store, _, _ = Store.open(database_url, home.backups)
    session, _, answer = store.ask(None, "how do axolotls regrow limbs?", "anthropic", "m",
                                   title="axolotls")
    store.add_message(session.id, "assistant", "blastema cells", status="complete")
    store.add_note(NoteDraft("learning", "axolotls regrow", "through a blastema"))
    store.add_feed_items("releases", [FeedItem("k1", None, "pai 3 released", None, "",
                                               datetime(2026, 11, 1))])
    with store.engine.begin() as conn:  # its writer is gone: a writable open would mark it
        conn.execute(text("UPDATE messages SET writer = NULL WHERE id = :id"),
                     {"id": answer.id})
    store.close()
    newer_pai_migrates(database_url)
    return database_url


def test_opens_read_only_reads_lists_and_searches(newer: str, home: HomePaths) -> None:
    store, result, interrupted = Store.open(newer, home.backups)
    try:
        assert store.refused is not None
        assert f"schema version {LATEST + 1}" in store.refused and f"({LATEST})" in store.refused
        assert "upgrade pai (pip install -U pai-tui)" in store.refused
        assert (result.to_version, interrupted) == (LATEST + 1, 0)
        [session] = store.list_sessions()
        assert session.title == "axolotls"
        assert [m.status for m in store.messages(session.id)] == [
            "complete", "streaming", "complete"]  # not marked interrupted: that is a write
        assert {hit.kind for hit in store.search("axolotls")} == {"message", "note"}
        assert [hit.kind for hit in store.search("blastema", Filters(kinds=("note",)))] == [
            "note"]
        assert [note.title for note in store.notes()] == ["axolotls regrow"]
        assert [item.item.title for item in store.feed_items()] == ["pai 3 released"]
    finally:
        store.close()


def every_write(store: Store) -> dict[str, Callable[[], object]]:
    session = store.list_sessions()[0]
    message = store.messages(session.id)[-1]
    note = store.notes()[0]
    item = store.feed_items()[0]
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "a chat turn": lambda: store.ask(session.id, "and newts?", "anthropic", "m"),
        "a new session": lambda: store.begin_session("new", "hello"),
        "an answer's text": lambda: store.update_message(message.id, content="changed"),
        "a rating": lambda: store.rate(message.id, 3),
        "a rename": lambda: store.rename_session(session.id, "renamed"),
        "a note": lambda: store.add_note(NoteDraft("learning", "never kept")),
        "forgetting a note": lambda: store.forget_note(note.id),
        "an item read": lambda: store.mark_feed_item(item.id),
        "new items": lambda: store.add_feed_items("releases", [FeedItem(
            "k2", None, "never", None, "", datetime(2026, 11, 2))]),
        "the timeline": lambda: store.record_spans([events.SpanStarted(
            "s1", "t1", None, "chat", "chat m", session.id, {})], []),
        "the scheduler's lease": lambda: store.take_lease(
            "upgrade-scheduler", "me:1:x", timedelta(seconds=60), now),
        "deleting a session": lambda: store.delete_session(session.id),
    }


def test_every_write_is_refused_with_both_versions_and_changes_nothing(
        newer: str, home: HomePaths) -> None:
    before = dump(newer)
    store, _, _ = Store.open(newer, home.backups)
    try:
        for what, write in every_write(store).items():
            with pytest.raises(SchemaError) as refused:
                write()
            said = str(refused.value)
            assert f"schema version {LATEST + 1}" in said and f"({LATEST})" in said, what
            assert "upgrade pai" in said, what
        assert not store._advisory, "a read-only pai holds the scheduler's lock"
    finally:
        store.close()
    assert dump(newer) == before
    if newer.startswith("postgresql"):  # the lock is free for an up-to-date pai
        engine = make_engine(newer)
        with engine.connect() as conn:
            from pai_tui.history.leases import _key

            assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                {"k": _key("upgrade-scheduler")}).scalar()
        engine.dispose()


def test_the_history_service_tells_read_only_once(newer: str, home: HomePaths) -> None:
    bus = events.Bus()
    told: queue.Queue[events.Event] = queue.Queue()
    for kind in (events.StoreReady, events.StoreReadOnly, events.StoreFailed):
        bus.subscribe(kind, told.put)
    history = History(load_config(home), bus)
    history.watch_changes = True
    try:
        history.open()
        assert history.read_only is not None
        assert history._watcher is not None and history._watcher.listening.wait(10)
        ready, read_only = told.get(timeout=5), told.get(timeout=5)
        assert isinstance(ready, events.StoreReady) and ready.schema_version == LATEST + 1
        assert isinstance(read_only, events.StoreReadOnly)
        assert read_only.message == history.read_only
        # the watcher sees the newer schema too: nothing more is told (told once)
        newer_pai_migrates(newer, LATEST + 1)
        with pytest.raises(queue.Empty):
            told.get(timeout=3)
    finally:
        history.close()


async def _never() -> None:
    """A job that must not run (its scheduler never holds the lease)."""
    raise AssertionError("a read-only pai ran a job")


def lock_is_free(url: str) -> bool:
    """PostgreSQL: whether an up-to-date pai could take the scheduler's advisory lock now."""
    from pai_tui.history.leases import _key

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": _key("upgrade-scheduler")}).scalar())
    finally:
        engine.dispose()


def run_scheduler(home: HomePaths, url: str, migrate_while_held: bool) -> list[str]:
    """The upgrade scheduler of this pai until it stops by itself (a newer pai migrated the
    history before it started, or while it held the lease); the states it said."""
    from pai_tui.upgrade.scheduler import Job, UpgradeScheduler

    async def go() -> list[str]:
        states: list[str] = []
        history = History(load_config(home), events.Bus())
        history.watch_changes = True  # how a running pai learns of the newer schema
        scheduler = UpgradeScheduler(history, [Job("upgrade-poll", _never, timedelta(hours=1))],
                                     lease_for=timedelta(seconds=1.5), on_state=states.append,
                                     first_run_after=timedelta(hours=1))
        try:
            scheduler.start()
            if migrate_while_held:
                while not any(state.startswith("on") for state in states):
                    await asyncio.sleep(0.05)
                await asyncio.to_thread(newer_pai_migrates, url)
            assert scheduler._keeper is not None
            await asyncio.wait_for(scheduler._keeper, 15)  # it stopped by itself
            assert scheduler.lease is None
            if url.startswith("postgresql"):
                assert await asyncio.to_thread(lock_is_free, url), "the lock is still held"
        finally:
            await scheduler.stop()
            history.close()
        return states

    return asyncio.run(go())


def test_the_scheduler_of_an_older_pai_never_takes_the_lease(newer: str,
                                                              home: HomePaths) -> None:
    before = dump(newer)
    states = run_scheduler(home, newer, migrate_while_held=False)
    assert states[:2] == ["read-only: upgrade pai", "off"], states
    assert dump(newer) == before


def test_a_scheduler_holding_the_lease_lets_it_go_when_a_newer_pai_migrates(
        database_url: str, home: HomePaths) -> None:
    states = run_scheduler(home, database_url, migrate_while_held=True)
    assert states[-2:] == ["read-only: upgrade pai", "off"], states
