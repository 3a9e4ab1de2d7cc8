"""The Upgrades pane as a user sees it: items best first with why, unread marked, text from
feeds shown literally; an item opened in full; fetching with progress from a loopback feed; a
failing source said; the item screen's action in its palette; a deterministic snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from textual.command import CommandPalette
from textual.pilot import Pilot

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.ui.app import PaiApp
from pai_tui.ui.upgrades_pane import ItemScreen
from tests.fakes.feed_server import Route
from tests.pilot import eventually, press, running, settle, text_of
from tests.ui import upgrade_steps
from tests.ui.test_snapshots import ready, steady


async def test_items_are_listed_best_first_with_why_and_shown_literally() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        (app.cockpit.config.home.root / "telos").mkdir()
        (app.cockpit.config.home.root / "telos" / "GOALS.md").write_text(
            "- G2: Offline voices on Linux\n")
        await upgrade_steps.items_in_pane(app, pilot)
        pane = upgrade_steps.pane(app)
        shown = text_of(app, pane)
        assert pane.items[0].item.title == "Voices for Linux agents"
        assert "why: G2 — linux, voices" in shown  # the words, most telling first
        assert "[bold red]Not markup[/]" in shown and "␛[31m" in shown  # literal, the
        # escape made visible
        assert "3 unread" in str(pane.border_subtitle)
        await press(pilot, "enter")
        assert await eventually(pilot, lambda: isinstance(app.screen, ItemScreen))
        assert "https://example.com/0" in text_of(app, app.screen)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *"close the item")
        await settle(pilot)
        await press(pilot, "escape")  # the palette
        await press(pilot, "escape")  # the item
        assert await eventually(pilot, lambda: app.screen is app.main)
        assert await eventually(pilot, lambda: "2 unread" in str(pane.border_subtitle))


async def test_fetch_now_shows_progress_and_a_failing_source_is_said() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        await upgrade_steps.feed_sources(app, pilot)
        server = upgrade_steps.feed_server()
        server.routes["/slow.xml"] = Route(upgrade_steps.ENGINEERING, delay=0.6)
        server.routes["/down.xml"] = Route(status=503)
        home = app.cockpit.config.home.root
        with (home / "sources.toml").open("a") as sources:
            sources.write(f'\n[[source]]\nname = "Slow"\nurl = "{server.url("/slow.xml")}"\n'
                          f'\n[[source]]\nname = "Down"\nurl = "{server.url("/down.xml")}"\n')
        pane = upgrade_steps.pane(app)
        await press(pilot, "f")
        assert await eventually(pilot, lambda: "fetching" in str(pane.border_subtitle))
        assert await eventually(pilot, lambda: len(pane.items) == 50)  # 25 from each feed
        assert await eventually(pilot, lambda: "1 source failing" in str(pane.border_subtitle))
        told = [str(n.message) for n in app._notifications]
        assert any("3 sources: 50 new items, 1 failing (Down: HTTP 503" in m for m in told)


def test_upgrades_pane_snapshot(snap_compare, home: HomePaths) -> None:
    config = load_config(home)
    config.home.ensure()
    app = PaiApp(Cockpit(config))

    async def show(pilot: Pilot) -> None:
        await ready(pilot)
        (home.root / "telos").mkdir()
        (home.root / "telos" / "GOALS.md").write_text("- G2: Offline voices on Linux\n")
        await upgrade_steps.items_in_pane(app, pilot)
        pane = upgrade_steps.pane(app)
        # Ages from a fixed moment: no clock on screen.
        from datetime import datetime

        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        from pai_tui.ui.upgrades_pane import line

        listing = app.main.query_one("#upgrades-list", OptionList)
        listing.set_options(Option(line(r, datetime(2026, 12, 1)), id=str(r.id))
                            for r in pane.items)
        await steady(pilot)

    assert snap_compare(app, terminal_size=(150, 30), run_before=show)


async def test_the_palette_shows_help_with_brackets_literally() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        await press(pilot, "ctrl+p")
        await press(pilot, *"upgrade scheduler")
        assert await eventually(pilot, lambda: "saved as [upgrade] schedule"
                                in " ".join(text_of(app, app.screen).split()))


def fresh_feed(*titles: str) -> bytes:
    """An RSS feed whose items were published an hour ago (the corpus's are months old)."""
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    items = "".join(f"<item><title>{t}</title><link>https://example.com/{n}</link>"
                    f"<pubDate>{when}</pubDate></item>" for n, t in enumerate(titles))
    return f"<rss version='2.0'><channel><title>Fresh</title>{items}</channel></rss>".encode()


async def test_a_poll_that_finds_fresh_items_serving_a_goal_announces_the_best_once() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        (app.cockpit.config.home.root / "telos").mkdir()
        (app.cockpit.config.home.root / "telos" / "GOALS.md").write_text(
            "- G1: Claude Code agents with tools and context engineering\n")
        await upgrade_steps.feed_sources(app, pilot)  # Eng: 25 items, months old
        server = upgrade_steps.feed_server()
        server.routes["/fresh.xml"] = Route(fresh_feed(
            "Claude Code agents get context engineering tools", "Quarterly numbers"))
        with (app.cockpit.config.home.root / "sources.toml").open("a") as sources:
            sources.write(f'\n[[source]]\nname = "Fresh"\nurl = "{server.url("/fresh.xml")}"\n')
        found: list[events.UpgradeItemsFound] = []
        app.cockpit.bus.subscribe(events.UpgradeItemsFound, found.append)
        await press(pilot, "f")
        assert await eventually(pilot, lambda: len(upgrade_steps.pane(app).items) == 27)
        assert await eventually(pilot, lambda: any(
            "New upgrade:" in str(n.message) for n in app._notifications))
        told = [str(n.message) for n in app._notifications if "New upgrade:" in str(n.message)]
        assert told == ["New upgrade: Claude Code agents get context engineering tools "
                        "(G1 — tools, context, code, engineering)"]
        assert [i.title for i in found[0].items] == [
            "Claude Code agents get context engineering tools"]  # not the old backlog
        await press(pilot, "f")  # the same items again: nothing new, nothing said
        assert await eventually(pilot, lambda: any(
            "0 new items" in str(n.message) for n in app._notifications))
        assert len(found) == 1
