"""A poll of the upgrade sources against a real loopback server and a real SQLite store: new
items stored once, an unchanged feed costs a 304, a deleted item never comes back, a failing
source backs off, a source that is not a feed is paused after three tries and said, and one
that is slightly broken keeps its items."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.upgrade.fetch import Fetcher
from pai_tui.upgrade.poll import Polled, poll, refresh
from pai_tui.upgrade.sources import Source
from tests.builders import corpus_dir
from tests.fakes.feed_server import FeedServer, Route

FEEDS = corpus_dir() / "feeds"
NEWS = (FEEDS / "Olshansk__rss-feeds/feeds/feed_anthropic_engineering.xml").read_bytes()
BROKEN = (FEEDS / "kurtmckee__feedparser/tests/illformed/"
          "rss_item_link_corrupted_ampersands.xml").read_bytes()
NOON = datetime(2026, 11, 30, 12, 0)
pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def source(feeds: FeedServer, name: str, path: str) -> Source:
    return Source(name, "feed", feeds.url(path))


def run(cockpit: Cockpit, sources: list[Source], now: datetime = NOON,
        force: bool = False) -> list[Polled]:
    async def go() -> list[Polled]:
        fetcher = Fetcher()
        try:
            return await poll(sources, cockpit.history, fetcher, now, force)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def items(cockpit: Cockpit):  # type: ignore[no-untyped-def]
    return asyncio.run(cockpit.history.run(lambda store: store.feed_items()))


def states(cockpit: Cockpit):  # type: ignore[no-untyped-def]
    return asyncio.run(cockpit.history.run(lambda store: store.feed_sources()))


def test_new_items_are_stored_once_and_an_unchanged_feed_costs_a_304(
        cockpit: Cockpit, feeds: FeedServer) -> None:
    feeds.routes["/eng.xml"] = Route(NEWS, etag='"e1"')
    eng = source(feeds, "Anthropic Engineering", "/eng.xml")
    assert run(cockpit, [eng]) == [Polled("Anthropic Engineering", "new", 25)]
    assert len(items(cockpit)) == 25
    # Its last post is months old: a quiet source, not due for a day (poll.interval); then
    # asked with its ETag, and the server says nothing changed.
    assert run(cockpit, [eng], NOON + timedelta(hours=23))[0].outcome == "not due"
    assert run(cockpit, [eng], NOON + timedelta(hours=25))[0].outcome == "unchanged"
    assert feeds.requests_to("/eng.xml")[-1].headers["if-none-match"] == '"e1"'
    feeds.routes["/eng.xml"] = Route(NEWS, etag='"e2"')  # changed, same items
    assert run(cockpit, [eng], NOON + timedelta(hours=50))[0] == \
        Polled("Anthropic Engineering", "unchanged", 0)
    assert len(items(cockpit)) == 25


def test_a_deleted_item_never_comes_back(cockpit: Cockpit, feeds: FeedServer) -> None:
    feeds.routes["/eng.xml"] = Route(NEWS)
    eng = source(feeds, "Eng", "/eng.xml")
    run(cockpit, [eng])
    first = items(cockpit)[0]
    assert asyncio.run(cockpit.history.run(lambda store: store.delete_feed_item(first.id)))
    run(cockpit, [eng], force=True)
    kept = items(cockpit)
    assert len(kept) == 24 and first.item.key not in {i.item.key for i in kept}


def test_a_failing_source_backs_off_and_says_why(cockpit: Cockpit, feeds: FeedServer) -> None:
    feeds.routes["/down.xml"] = Route(status=503, headers={"retry-after": "7200"})
    down = source(feeds, "Down", "/down.xml")
    assert run(cockpit, [down]) == [Polled("Down", "failed", 0, "HTTP 503 Service Unavailable")]
    state = states(cockpit)["Down"]
    assert state.errors == 1 and state.next_at == NOON + timedelta(hours=2)  # as it asked
    assert run(cockpit, [down], NOON + timedelta(hours=1))[0].outcome == "not due"
    run(cockpit, [down], NOON + timedelta(hours=3))
    state = states(cockpit)["Down"]
    assert state.errors == 2 and state.error == "HTTP 503 Service Unavailable"


def test_three_documents_that_are_not_feeds_pause_the_source_until_refreshed(
        cockpit: Cockpit, feeds: FeedServer) -> None:
    feeds.routes["/page"] = Route(b"<!doctype html><p>moved</p>", content_type="text/html")
    page = source(feeds, "Moved", "/page")
    for _ in range(2):
        assert run(cockpit, [page], force=True)[0].outcome == "failed"
    paused = run(cockpit, [page], force=True)[0]
    assert run(cockpit, [page], force=True)[0].outcome == "paused"  # even when forced
    assert paused.outcome == "paused" and "not a feed" in (paused.error or "")
    asked = len(feeds.requests_to("/page"))
    later = NOON + timedelta(days=30)
    assert run(cockpit, [page], later)[0].outcome == "paused"
    assert len(feeds.requests_to("/page")) == asked  # not asked again
    feeds.routes["/page"] = Route(NEWS)
    asyncio.run(refresh(cockpit.history, "Moved"))
    assert run(cockpit, [page], later)[0] == Polled("Moved", "new", 25)
    assert not states(cockpit)["Moved"].paused


def test_a_slightly_broken_feed_keeps_its_items_and_says_so(
        cockpit: Cockpit, feeds: FeedServer) -> None:
    feeds.routes["/broken.xml"] = Route(BROKEN)
    assert run(cockpit, [source(feeds, "Broken", "/broken.xml")])[0].new == 1
    assert (states(cockpit)["Broken"].error or "").startswith(
        "read, though ill-formed: SAXParseException")


def test_sources_are_polled_at_once_and_each_is_reported(
        cockpit: Cockpit, feeds: FeedServer) -> None:
    for n in range(6):
        feeds.routes[f"/f{n}.xml"] = Route(NEWS, delay=0.3)
    seen: list[tuple[int, int]] = []

    async def go() -> list[Polled]:
        fetcher = Fetcher(per_host=6)
        try:
            return await poll([source(feeds, f"F{n}", f"/f{n}.xml") for n in range(6)],
                              cockpit.history, fetcher, NOON,
                              progress=lambda done, total, _: seen.append((done, total)))
        finally:
            await fetcher.aclose()

    results = asyncio.run(go())
    assert [r.source for r in results] == [f"F{n}" for n in range(6)]
    assert seen == [(n, 6) for n in range(1, 7)] and feeds.most_at_once > 1


PAGE = """<html><head><title>News &amp; notes</title></head><body>
<a href="/news/one">First <b>post</b></a> <a href="/about">About</a>
<a href="https://example.org/news/two#top">Second post</a> <a href="/news/one">First again</a>
</body></html>"""


def test_a_page_without_a_feed_gives_its_matching_links_and_later_only_new_ones(
        cockpit: Cockpit, feeds: FeedServer) -> None:
    feeds.routes["/news"] = Route(PAGE.encode(), content_type="text/html")
    page = Source("Blog", "page", feeds.url("/news"), pattern=r"/news/")
    assert run(cockpit, [page]) == [Polled("Blog", "new", 2)]
    assert {(i.item.title, i.item.url) for i in items(cockpit)} == {
        ("First post", feeds.url("/news/one")), ("Second post", "https://example.org/news/two")}
    feeds.routes["/news"] = Route(PAGE.replace("</body>", '<a href="/news/three">Third</a>'
                                                          "</body>").encode(),
                                  content_type="text/html")
    assert run(cockpit, [page], force=True) == [Polled("Blog", "new", 1)]
    assert len(items(cockpit)) == 3
