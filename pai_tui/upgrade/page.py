"""A page without a feed, read as one: its links whose address matches the source's pattern are
its items (the link's text as the title), newest first as the page lists them. An item is keyed
by its address, so the next fetch adds only the links that are new: the diff against the last
fetch is the store's, as for any feed."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

from pai_tui.history.records import FeedItem
from pai_tui.upgrade.parse import TITLE_CHARS, FeedError, ParsedFeed, item_key
from pai_tui.upgrade.plain import plain_text

MOST_LINKS = 500  # items one page gives at most


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, list[str]]] = []  # href, the text inside the link
        self.title: list[str] = []
        self._open: tuple[str, list[str]] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            self._open = (href, []) if href else None
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append(self._open)
            self._open = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)
        elif self._in_title:
            self.title.append(data)


def parse_page(body: bytes, url: str, pattern: str) -> ParsedFeed:
    """The links of the page at `url` whose absolute address matches `pattern`."""
    text = body.decode("utf-8", errors="replace")
    reader = _Links()
    reader.feed(text)
    reader.close()
    wanted = re.compile(pattern)
    items: list[FeedItem] = []
    seen: set[str] = set()
    for href, words in reader.links:
        address = urldefrag(urljoin(url, href.strip())).url
        if address in seen or not wanted.search(address):
            continue
        seen.add(address)
        title = plain_text(" ".join(words), one_line=True)[:TITLE_CHARS] or address
        items.append(FeedItem(item_key(None, address, title, ""), None, title, address, "",
                              None))
        if len(items) >= MOST_LINKS:
            break
    if not items and not reader.links:
        raise FeedError("not a page with links: nothing to watch")
    title = plain_text(" ".join(reader.title), one_line=True)[:TITLE_CHARS]
    return ParsedFeed("page", title, tuple(items))
