"""The cockpit says once, as a notice, when its SQLite history is in a synced folder: which
file, why, and that PostgreSQL is how to share; an ordinary folder gets no notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from pai_tui import events
from pai_tui.paths import HomePaths
from tests.pilot import eventually, running, settle


def told(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def test_a_history_in_a_dropbox_folder_is_warned_about_once(
        home: HomePaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced_home = tmp_path / "Dropbox" / "pai"
    monkeypatch.setenv("PAI_HOME", str(synced_home))
    async with running() as (app, pilot):
        assert await eventually(pilot, lambda: any("Dropbox" in m for m in told(app)))
        await settle(pilot)
        app.cockpit.bus.publish(events.StoreReady(0))  # as if the store opened again
        await settle(pilot)
        [said] = [m for m in told(app) if "Dropbox" in m]
        assert str(synced_home / "pai.db") in said
        assert f"in a Dropbox folder ({tmp_path / 'Dropbox'})" in said
        assert "PAI_DATABASE_URL=postgresql+psycopg://" in said
        assert not app.screen.is_modal


async def test_an_ordinary_folder_gets_no_notice(home: HomePaths) -> None:
    async with running() as (app, pilot):
        await settle(pilot)
        assert app.cockpit.history._store is not None  # the store is open: checked by then
        assert not any("synced" in m or "corrupted" in m for m in told(app))
