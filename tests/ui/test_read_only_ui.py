"""The cockpit of a pai older than the database's schema (a newer pai migrated it, before it
started or while it runs): the history is shown and searched as usual, the status bar says
"history read-only", the reason (both schema versions, upgrade pai) is told once, and a message
sent is refused with that reason and given back, without a crash. Both dialects."""

from __future__ import annotations

import asyncio

from textual.widgets import OptionList

from pai_tui.history.migrations import LATEST
from pai_tui.history.records import NoteDraft
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths
from pai_tui.ui.app import PaiApp
from pai_tui.ui.chat_input import ChatInput
from tests.other_pai import newer_pai_migrates
from tests.pilot import eventually, press, running, settle, text_of


def status(app: PaiApp) -> str:
    return text_of(app, app.screen.query_one("#status"))


def told(app: PaiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def read_only_notices(app: PaiApp) -> list[str]:
    return [m for m in told(app) if m.startswith("History read-only")]


def sessions_listed(app: PaiApp) -> list[str]:
    listing = app.main.query_one("#history-list", OptionList)
    if not listing.display:
        return []
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


def watching(app: PaiApp) -> bool:
    watcher = app.cockpit.history._watcher
    return watcher is not None and watcher.listening.is_set()


async def test_an_older_pai_starts_read_only_shows_and_searches_and_refuses_to_send(
        database_url: str, home: HomePaths) -> None:
    store, _, _ = Store.open(database_url, home.backups)
    session = store.create_session("axolotl notes")
    store.add_message(session.id, "user", "where do axolotls live?")
    store.add_note(NoteDraft("learning", "axolotls regrow"))
    store.close()
    version = newer_pai_migrates(database_url)

    async with running(size=(160, 40)) as (app, pilot):
        assert await eventually(pilot, lambda: "history read-only" in status(app)), status(app)
        assert await eventually(pilot, lambda: any(
            title.startswith("axolotl notes") for title in sessions_listed(app)))
        assert await eventually(pilot, lambda: len(read_only_notices(app)) == 1)
        [notice] = read_only_notices(app)
        assert f"schema version {version}" in notice and f"({LATEST})" in notice
        assert "upgrade pai (pip install -U pai-tui)" in notice

        await press(pilot, *"and newts?", "enter")
        await settle(pilot)
        assert app.main.query_one(ChatInput).text == "and newts?"  # given back
        assert await eventually(pilot, lambda: any(m.startswith("Not sent") for m in told(app)))
        [refused] = [m for m in told(app) if m.startswith("Not sent")]
        assert f"schema version {version}" in refused and "upgrade pai" in refused

        app.main.query_one(ChatInput).text = ""
        await press(pilot, *"/learn newts too", "enter")
        assert await eventually(pilot, lambda: any(m.startswith("Not kept") for m in told(app)))
        [refused] = [m for m in told(app) if m.startswith("Not kept")]
        assert f"schema version {version}" in refused and "upgrade pai" in refused
        assert app.main.query_one(ChatInput).text == "/learn newts too"

        await press(pilot, "alt+3")
        await settle(pilot)
        await press(pilot, "slash", *"axolotls")
        results = app.main.query_one("#history-results", OptionList)
        assert await eventually(pilot, lambda: results.display and results.option_count == 2)
        await press(pilot, "escape", "escape", "v")  # the notes view: forgetting one is a write
        notes = app.main.query_one("#history-notes", OptionList)
        assert await eventually(pilot, lambda: notes.display and notes.option_count == 1)
        await press(pilot, "f")
        assert await eventually(pilot, lambda: any(m.startswith("Not saved") for m in told(app)))
        [refused] = [m for m in told(app) if m.startswith("Not saved")]
        assert f"schema version {version}" in refused and "upgrade pai" in refused
        assert not any(m.startswith("Something went wrong") for m in told(app))

        assert await eventually(pilot, lambda: watching(app))  # it saw the schema too
        await settle(pilot)
        assert len(read_only_notices(app)) == 1  # told once
        assert app.is_running


async def test_a_running_cockpit_turns_read_only_when_a_newer_pai_migrates(
        database_url: str, home: HomePaths) -> None:
    store, _, _ = Store.open(database_url, home.backups)
    store.begin_session("before", "written")
    store.close()
    async with running(size=(160, 40)) as (app, pilot):
        assert await eventually(pilot, lambda: watching(app))
        assert "history ready" in status(app)
        assert not read_only_notices(app)
        await asyncio.to_thread(newer_pai_migrates, database_url)
        assert await eventually(pilot, lambda: "history read-only" in status(app),
                                timeout=15), status(app)
        assert await eventually(pilot, lambda: len(read_only_notices(app)) == 1)
        # still the history, not "unavailable"
        assert await eventually(pilot, lambda: any(
            title.startswith("before") for title in sessions_listed(app))), sessions_listed(app)
