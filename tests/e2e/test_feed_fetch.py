"""Fetching feeds over real HTTP on loopback (upgrade/fetch.py): an unchanged feed costs a 304,
the server's Retry-After and max-age are heard (and capped), errors and redirect loops are said,
a slow or huge answer is cut, and one host never gets more than its share of requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pai_tui.upgrade.fetch import Fetcher, Validators, server_wait
from pai_tui.upgrade.parse import parse_feed
from tests.builders import corpus_dir
from tests.fakes.feed_server import FeedServer, Route

NEWS = (corpus_dir() / "feeds" / "Olshansk__rss-feeds" / "feeds" /
        "feed_anthropic_news.xml").read_bytes()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def fetch(url: str, validators: Validators | None = None,  # type: ignore[no-untyped-def]
          **options: float):
    async def once():  # type: ignore[no-untyped-def]
        fetcher = Fetcher(**options)  # type: ignore[arg-type]
        try:
            return await fetcher.fetch(url, validators or Validators())
        finally:
            await fetcher.aclose()

    return asyncio.run(once())


def test_a_feed_is_fetched_then_costs_a_304_while_unchanged(feeds: FeedServer) -> None:
    feeds.routes["/news.xml"] = Route(NEWS, etag='"v1"',
                                      last_modified="Mon, 30 Nov 2026 10:00:00 GMT")
    first = fetch(feeds.url("/news.xml"))
    assert first.outcome == "fetched" and first.body == NEWS
    assert first.validators == Validators('"v1"', "Mon, 30 Nov 2026 10:00:00 GMT")
    assert len(parse_feed(first.body, first.url, first.content_type).items) == 255
    again = fetch(feeds.url("/news.xml"), first.validators)
    assert again.outcome == "not-modified" and again.body == b""
    sent = feeds.requests_to("/news.xml")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 30 Nov 2026 10:00:00 GMT"
    assert sent["user-agent"].startswith("pai/")


def test_last_modified_alone_is_sent_back_too(feeds: FeedServer) -> None:
    feeds.routes["/lm.xml"] = Route(NEWS, last_modified="Sun, 29 Nov 2026 08:00:00 GMT")
    first = fetch(feeds.url("/lm.xml"))
    assert fetch(feeds.url("/lm.xml"), first.validators).outcome == "not-modified"


def test_a_rate_limit_says_how_long_the_server_asked_to_wait(feeds: FeedServer) -> None:
    feeds.routes["/busy.xml"] = Route(status=429, headers={"retry-after": "120"})
    busy = fetch(feeds.url("/busy.xml"))
    assert (busy.outcome, busy.status, busy.wait) == ("failed", 429, 120.0)
    assert busy.error == "HTTP 429 Too Many Requests"


def test_a_server_error_and_a_missing_feed_are_said(feeds: FeedServer) -> None:
    feeds.routes["/broken.xml"] = Route(status=500)
    assert fetch(feeds.url("/broken.xml")).error == "HTTP 500 Internal Server Error"
    assert fetch(feeds.url("/nothing.xml")).error == "HTTP 404 Not Found"


def test_a_redirect_is_followed_and_a_loop_is_stopped(feeds: FeedServer) -> None:
    feeds.routes["/old.xml"] = Route(redirect="/news.xml")
    feeds.routes["/news.xml"] = Route(NEWS)
    moved = fetch(feeds.url("/old.xml"))
    assert moved.outcome == "fetched" and moved.url == feeds.url("/news.xml")
    feeds.routes["/a"] = Route(redirect="/b")
    feeds.routes["/b"] = Route(redirect="/a")
    loop = fetch(feeds.url("/a"))
    assert loop.outcome == "failed" and "redirect loop" in (loop.error or "")
    assert len(feeds.requests_to("/a")) + len(feeds.requests_to("/b")) <= 6


def test_a_huge_body_is_cut_without_being_read_whole(feeds: FeedServer) -> None:
    feeds.routes["/huge.xml"] = Route(size=3_000_000)
    huge = fetch(feeds.url("/huge.xml"), max_bytes=1_000_000)
    assert huge.outcome == "failed" and huge.error == "larger than 1 MB: not read"
    feeds.routes["/said.xml"] = Route(b"x" * 2_000_000)  # with its length: refused at once
    assert fetch(feeds.url("/said.xml"), max_bytes=1_000_000).error == \
        "larger than 1 MB: not read"


def test_a_slow_body_is_given_up_on_as_a_whole(feeds: FeedServer) -> None:
    feeds.routes["/slow.xml"] = Route(NEWS, chunk_delay=0.2)  # each piece in time, all too slow
    slow = fetch(feeds.url("/slow.xml"), timeout=1.0)
    assert slow.outcome == "failed" and slow.error == "no whole answer within 1 s"


def test_one_host_gets_at_most_its_share_of_requests_at_once(feeds: FeedServer) -> None:
    for n in range(8):
        feeds.routes[f"/f{n}.xml"] = Route(NEWS, delay=0.2)

    async def all_at_once() -> list[str]:
        fetcher = Fetcher(per_host=2)
        try:
            done = await asyncio.gather(*(fetcher.fetch(feeds.url(f"/f{n}.xml"))
                                          for n in range(8)))
        finally:
            await fetcher.aclose()
        return [d.outcome for d in done]

    assert asyncio.run(all_at_once()) == ["fetched"] * 8
    assert feeds.most_at_once == 2


def test_a_refused_connection_is_said_not_raised() -> None:
    with FeedServer() as gone:
        url = gone.url("/feed.xml")
    failed = fetch(url)
    assert failed.outcome == "failed" and "ConnectError" in (failed.error or "")


def test_the_server_s_wait_is_read_from_seconds_a_date_or_max_age_and_capped() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert server_wait("30", None) == 30.0
    assert server_wait("Mon, 30 Nov 2026 12:10:00 GMT", None, now) == 600.0
    assert server_wait(None, "public, max-age=900") == 900.0
    assert server_wait("9999999", None) == 24 * 3600.0
    assert server_wait("soon", "no-cache") is None
