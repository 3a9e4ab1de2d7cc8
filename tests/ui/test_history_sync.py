"""The History pane shows what another pai (another process, another host) writes to the same
history, without a key pressed: PostgreSQL tells (LISTEN/NOTIFY), an SQLite file is polled."""

from __future__ import annotations

import asyncio

from textual.widgets import OptionList

from tests.other_pai import writes_session
from tests.pilot import eventually, running


async def test_history_pane_shows_another_pais_session_as_it_is_written(
        database_url: str) -> None:
    async with running() as (app, pilot):
        assert await eventually(pilot, lambda: app.cockpit.history._watcher is not None
                                and app.cockpit.history._watcher.listening.is_set())
        listing = app.screen.query_one("#history-list", OptionList)

        def prompts() -> list[str]:
            return [str(listing.get_option_at_index(i).prompt)
                    for i in range(listing.option_count)]

        await asyncio.to_thread(writes_session, database_url, "beta", "from beta")
        assert await eventually(pilot, lambda: any(p.startswith("from beta")
                                                   for p in prompts()), timeout=10), prompts()
