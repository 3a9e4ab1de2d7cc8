"""Documents a poll fetched are read in worker processes (upgrade/reader.py): what a worker
reads is what pai reads in its own process (items, a document that is not a feed and why, a
page's links); a worker that dies mid-poll costs nothing but speed (the rest is read in
threads); and no worker outlives the poll."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from pai_tui.upgrade.fetch import Fetched
from pai_tui.upgrade.parse import FeedError
from pai_tui.upgrade.reader import Readers, read_document
from pai_tui.upgrade.sources import Source
from tests.builders import corpus_dir

FEEDS = corpus_dir() / "feeds"
NEWS = (FEEDS / "Olshansk__rss-feeds/feeds/feed_anthropic_news.xml").read_bytes()
ENGINEERING = (FEEDS / "Olshansk__rss-feeds/feeds/feed_anthropic_engineering.xml").read_bytes()
FEED = Source("News", "feed", "https://example.org/news.xml")
PAGE = Source("Blog", "page", "https://example.org/blog/", pattern=r"/blog/\d+")
HTML = b'<html><a href="/blog/1">One</a> <a href="/about">About</a> <a href="/blog/2">Two</a>'


def fetched(body: bytes, url: str = "https://example.org/news.xml") -> Fetched:
    return Fetched("fetched", url, 200, body, "application/rss+xml")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_reads_what_pai_reads() -> None:
    async def go() -> tuple[list[object], list[int]]:
        readers = Readers(workers=1)
        try:
            read = [await readers.read(FEED, fetched(NEWS)),
                    await readers.read(FEED, fetched(ENGINEERING)),
                    await readers.read(PAGE, fetched(HTML, "https://example.org/blog/"))]
            with pytest.raises(FeedError) as error:
                await readers.read(FEED, fetched(b"<html><p>no feed here</p></html>"))
            read.append(str(error.value))
            pids = [worker.process.pid for worker in readers._all]
        finally:
            await readers.close()
        return read, pids

    read, pids = asyncio.run(go())
    assert len(pids) == 1 and pids[0] != os.getpid()  # read elsewhere
    assert read[0] == read_document(FEED, fetched(NEWS)) and len(read[0].items) == 255
    assert read[1] == read_document(FEED, fetched(ENGINEERING))
    assert read[2] == read_document(PAGE, fetched(HTML, "https://example.org/blog/"))
    assert [item.url for item in read[2].items] == ["https://example.org/blog/1",
                                                   "https://example.org/blog/2"]
    with pytest.raises(FeedError) as error:
        read_document(FEED, fetched(b"<html><p>no feed here</p></html>"))
    assert read[3] == str(error.value)
    assert not alive(pids[0])  # closed with the poll


def test_a_worker_that_dies_mid_poll_leaves_the_rest_read_in_threads() -> None:
    async def go() -> list[int]:
        readers = Readers(workers=1)
        try:
            first = await readers.read(FEED, fetched(ENGINEERING))
            os.kill(readers._all[0].process.pid, signal.SIGKILL)
            await readers._all[0].process.wait()
            after = await asyncio.gather(*(readers.read(FEED, fetched(body))
                                           for body in (NEWS, ENGINEERING, NEWS)))
        finally:
            await readers.close()
        return [len(feed.items) for feed in (first, *after)]

    assert asyncio.run(go()) == [25, 255, 25, 255]
