"""Steps shared by the Upgrades pane's tests (test_upgrades_ui) and the every-action tables of
test_app: a loopback feed as the only source, items in the store, an item open."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from textual.pilot import Pilot
from textual.widgets import OptionList

from pai_tui.history.records import FeedItem, ProposalDraft
from pai_tui.paths import HomePaths, bundled, pai_home
from pai_tui.ui.app import PaiApp
from pai_tui.ui.upgrades_pane import ItemScreen, ProposalScreen, UpgradesPane
from pai_tui.upgrade.sources import read_sources
from tests.builders import NEW_SKILL, corpus_dir
from tests.fakes.feed_server import FeedServer, Route
from tests.fakes.llm_server import Reply
from tests.pilot import eventually, settle

ENGINEERING = (corpus_dir() / "feeds" / "Olshansk__rss-feeds" / "feeds" /
               "feed_anthropic_engineering.xml").read_bytes()
_SERVER: FeedServer | None = None


def feed_server() -> FeedServer:
    """One loopback feed server for the test process (a daemon thread)."""
    global _SERVER
    if _SERVER is None:
        _SERVER = FeedServer().__enter__()
        _SERVER.routes["/eng.xml"] = Route(ENGINEERING)
    return _SERVER


def only_loopback_sources(home: HomePaths | None = None) -> None:
    """The bundled sources turned off; one loopback feed of 25 items instead."""
    root = (home.root if home else pai_home())
    bundled_names = [s.name for s in read_sources(bundled("assets") / "upgrade" /
                                                  "sources.toml", "bundled")]
    root.mkdir(parents=True, exist_ok=True)
    (root / "sources.toml").write_text(
        f"disabled = {json.dumps(bundled_names)}\n\n[[source]]\nname = \"Eng\"\n"
        f"url = \"{feed_server().url('/eng.xml')}\"\n")


def pane(app: PaiApp) -> UpgradesPane:
    return app.main.query_one(UpgradesPane)


async def feed_sources(app: PaiApp, pilot: Pilot) -> None:
    only_loopback_sources()
    app.action_focus_pane("upgrades")
    await settle(pilot)


def items_fetched(app: PaiApp) -> bool:
    return len(pane(app).items) == 25


ITEMS = [FeedItem(f"k{n}", f"g{n}", title, f"https://example.com/{n}", text,
                  datetime(2026, 11, 30) - timedelta(days=n))
         for n, (title, text) in enumerate([
             ("Voices for Linux agents", "espeak-ng gets new variants."),
             ("[bold red]Not markup[/] \x1b[31m", "Literal text, escape and all."),
             ("Quarterly numbers", "Revenue.")])]


async def items_in_pane(app: PaiApp, pilot: Pilot) -> None:
    """Three items stored (one with markup and an escape in its title), listed, focused."""
    await app.cockpit.history.run(lambda store: store.add_feed_items("News", ITEMS))
    await app.cockpit.upgrades.rerank(now=datetime(2026, 12, 1))  # scores fixed: no clock
    pane(app).reload()
    app.action_focus_pane("upgrades")
    await settle(pilot)
    assert await eventually(pilot, lambda: len(pane(app).items) == 3)
    app.main.query_one("#upgrades-list", OptionList).focus()


def first_read(app: PaiApp) -> bool:
    return bool(pane(app).items) and pane(app).items[0].read


def one_deleted(app: PaiApp) -> bool:
    return len(pane(app).items) == 2


async def item_open(app: PaiApp, pilot: Pilot) -> None:
    await items_in_pane(app, pilot)
    await pilot.press("enter")
    assert await eventually(pilot, lambda: isinstance(app.screen, ItemScreen))




def proposal_reply(title: str = "Add a release-notes skill") -> Reply:
    """The model's answer drafting a proposal: a new skill, checked by its own command."""
    return Reply(text=json.dumps({
        "title": title, "rationale": "Voices for Linux agents (https://example.com/0) serves "
                                     "G2: read releases faster.",
        "diff": NEW_SKILL, "check": ["test", "-f", "skills/release-notes/SKILL.md"]}))


def proposal_of(app: PaiApp, state: str) -> bool:
    """The pane lists a proposal in `state`."""
    return any(p.state == state for p in pane(app).proposals)


async def proposal_in_pane(app: PaiApp, pilot: Pilot, state: str = "proposed") -> None:
    """A proposal drafted (and taken on to `state`), listed, under the cursor."""
    draft = ProposalDraft(None, "Add a release-notes skill", "It serves G2.", NEW_SKILL,
                          ("test", "-f", "skills/release-notes/SKILL.md"), "test:model")
    proposal = await app.cockpit.history.run(
        lambda store: store.add_proposal(draft, "proposed", "drafted"))
    feed = app.cockpit.upgrades
    for verb in {"proposed": [], "accepted": ["accept"],
                 "verified": ["accept", "apply"]}[state]:
        await getattr(feed, verb)(proposal.id)
    pane(app).reload()
    app.action_focus_pane("upgrades")
    await settle(pilot)
    assert await eventually(pilot, lambda: proposal_of(app, state))
    listing = app.main.query_one("#upgrades-list", OptionList)
    listing.focus()
    listing.highlighted = 0
    await settle(pilot)


async def accepted_in_pane(app: PaiApp, pilot: Pilot) -> None:
    await proposal_in_pane(app, pilot, "accepted")


async def verified_in_pane(app: PaiApp, pilot: Pilot) -> None:
    await proposal_in_pane(app, pilot, "verified")


async def item_for_a_proposal(app: PaiApp, pilot: Pilot) -> None:
    """Items listed, the best under the cursor, and the model ready to draft from it."""
    await items_in_pane(app, pilot)
    app.test_server.queue(proposal_reply())  # type: ignore[attr-defined]


async def proposal_open(app: PaiApp, pilot: Pilot) -> None:
    await proposal_in_pane(app, pilot)
    await pilot.press("enter")
    assert await eventually(pilot, lambda: isinstance(app.screen, ProposalScreen))
