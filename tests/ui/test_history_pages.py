"""A long history in the History pane: the newest sessions are listed at once, a row under them
says older ones come as you scroll, and moving down reaches every one of them, the oldest last;
a search finds an old session by name even though it is not listed yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, update
from textual.widgets import OptionList

from pai_tui.history.models import ChatSession
from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from pai_tui.ui.panes import MORE, PAGE
from tests.pilot import eventually, press, running

SESSIONS = PAGE * 2 + 50


def keep_sessions(home: HomePaths) -> None:
    """SESSIONS sessions, "session 0" the oldest; the oldest has a message to find."""
    home.ensure()
    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    start = datetime(2025, 1, 1)
    with store.engine.begin() as conn:
        conn.execute(insert(ChatSession), [
            {"title": f"session {n}", "created_at": start + timedelta(hours=n),
             "updated_at": start + timedelta(hours=n)} for n in range(SESSIONS)])
    oldest = next(s for s in store.list_sessions(SESSIONS) if s.title == "session 0")
    store.add_message(oldest.id, "user", "where do wombats sleep?")
    with store.engine.begin() as conn:  # it stays the oldest
        conn.execute(update(ChatSession).values(updated_at=ChatSession.created_at))
    store.close()


def prompts(listing: OptionList) -> list[str]:
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_scrolling_down_lists_older_sessions_until_the_oldest(home: HomePaths) -> None:
    keep_sessions(home)
    async with running(size=(120, 40)) as (app, pilot):
        listing = app.main.query_one("#history-list", OptionList)
        assert await eventually(pilot, lambda: listing.option_count == PAGE + 1)
        said = prompts(listing)
        assert said[0].startswith(f"session {SESSIONS - 1} ") and said[-1] == MORE
        await press(pilot, "alt+3")
        assert app.focused is listing
        await press(pilot, "end")  # near the end: the next page comes
        assert await eventually(pilot, lambda: listing.option_count == 2 * PAGE + 1)
        await press(pilot, "end")
        assert await eventually(pilot, lambda: listing.option_count == SESSIONS)
        said = prompts(listing)
        assert MORE not in said and said[-1].startswith("session 0 ")
        titles = [line.split("  ")[0] for line in said]
        assert titles == [f"session {n}" for n in reversed(range(SESSIONS))]  # each once


async def test_a_search_finds_a_session_not_listed_yet_by_its_name(home: HomePaths) -> None:
    keep_sessions(home)
    async with running(size=(160, 40)) as (app, pilot):
        listing = app.main.query_one("#history-list", OptionList)
        assert await eventually(pilot, lambda: listing.option_count == PAGE + 1)
        await press(pilot, "alt+3", "slash", *"wombats")
        results = app.main.query_one("#history-results", OptionList)
        assert await eventually(pilot, lambda: results.option_count == 1)
        assert "session 0 · you" in str(results.get_option_at_index(0).prompt)
        assert listing.option_count == PAGE + 1  # found without listing them all
