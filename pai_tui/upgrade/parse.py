"""One fetched document made feed items: RSS, RDF and Atom through feedparser, JSON Feed (which
feedparser does not read) and RSS serialised as JSON here. Detected by content, not by name: real
files lie (an `.rss` that is Atom). A slightly broken feed that still gives items keeps them;
only a document that gives nothing and is not a feed fails (`FeedError`, saying why).

Each item has a key that identifies it within its source, so a fetch never stores it twice and a
deleted item never comes back: a hash of its GUID / Atom id, else its link, else its title and
text. A GUID used twice in one document for different items keeps both apart by adding the
link and title; the same item twice is kept once."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from pai_tui.history.records import FeedItem
from pai_tui.upgrade.plain import plain_text

SUMMARY_CHARS = 4_000  # of an item's text, kept for ranking and reading
TITLE_CHARS = 300
# feedparser's complaints about the HTTP headers, not the feed: servers send feeds as text/html.
_HARMLESS = ("NonXMLContentType",)


class FeedError(Exception):
    """The document is not a feed pai can read; str() says why."""


@dataclass(frozen=True)
class ParsedFeed:
    kind: str  # feedparser's version ("rss20", "atom10", "rss10", ...), "json" or "rss-json"
    title: str
    items: tuple[FeedItem, ...]
    problem: str | None = None  # what was wrong with a feed that still gave items
    duplicates: int = 0  # items given twice in the document, kept once


def parse_feed(body: bytes, url: str = "", content_type: str | None = None) -> ParsedFeed:
    """The feed in `body`, fetched from `url` (relative links are resolved against it)."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        return _json_feed(body, url)
    return _xml_feed(body, url, content_type)


# RSS, RDF and Atom

def _xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    import feedparser  # ~40 ms to import: only when a feed is read

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True,
                              resolve_relative_uris=True)
    problem = _bozo(parsed) if parsed.get("bozo") else None
    if problem and problem.startswith(_HARMLESS):
        problem = None
    if not parsed.entries and (problem or not parsed.get("version")):
        raise FeedError(f"not a feed: {problem}" if problem else
                        "not a feed: no RSS, Atom or JSON Feed in the document")
    items = [_xml_item(entry, url) for entry in parsed.entries]
    title = plain_text(parsed.feed.get("title", ""), one_line=True)[:TITLE_CHARS]
    kept, duplicates = _distinct(items)
    return ParsedFeed(parsed.get("version") or "unknown", title, kept, problem, duplicates)


def _bozo(parsed: Any) -> str:
    error = parsed.get("bozo_exception")
    name = type(error).__name__ if error is not None else "malformed"
    said = " ".join(str(error).split())[:200] if error is not None else ""
    return f"{name}: {said}" if said else name


def _xml_item(entry: Any, base: str) -> FeedItem:
    guid = (entry.get("id") or "").strip() or None
    link = (entry.get("link") or "").strip() or None
    title = plain_text(entry.get("title", ""), one_line=True)[:TITLE_CHARS]
    contents = entry.get("content") or []
    text = entry.get("summary") or (contents[0].get("value", "") if contents else "")
    extra: dict[str, str] = {}
    if guid and guid.startswith("tag:github.com,") and "/" in guid:
        extra["tag"] = guid.rsplit("/", 1)[1]  # a release's tag is in its id, not its title
    if entry.get("yt_videoid"):
        extra["video_id"] = entry["yt_videoid"]
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime(*when[:6]) if when else None
    summary = plain_text(text)[:SUMMARY_CHARS]
    return FeedItem(item_key(guid, link, title, summary), guid,
                    title, urljoin(base, link) if link else None, summary, published, extra)


# JSON Feed 1.0 / 1.1, and RSS serialised as JSON ({"rss": {"channel": {"item": [...]}}})

def _json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FeedError(f"not a feed: the JSON does not parse ({error})") from None
    if isinstance(data, dict) and "jsonfeed.org/version" in str(data.get("version", "")):
        return _json_feed_items(data, url)
    channel = data.get("rss", {}).get("channel") if isinstance(data, dict) else None
    if isinstance(channel, dict):
        return _rss_json_items(channel, url)
    raise FeedError("not a feed: JSON, but neither a JSON Feed nor RSS in JSON")


def _json_feed_items(data: dict[str, Any], url: str) -> ParsedFeed:
    base = str(data.get("feed_url") or data.get("home_page_url") or url)
    items = []
    for entry in data.get("items") or []:
        if not isinstance(entry, dict):
            continue
        guid = str(entry["id"]).strip() if entry.get("id") is not None else None
        link = entry.get("url") or entry.get("external_url")
        title = plain_text(str(entry.get("title") or ""), one_line=True)[:TITLE_CHARS]
        text = entry.get("content_text") or entry.get("summary") or \
            entry.get("content_html") or ""
        summary = plain_text(str(text))[:SUMMARY_CHARS]
        items.append(FeedItem(item_key(guid or None, link, title, summary), guid or None, title,
                              urljoin(base, str(link)) if link else None, summary,
                              _iso_date(entry.get("date_published") or
                                        entry.get("date_modified"))))
    title = plain_text(str(data.get("title") or ""), one_line=True)[:TITLE_CHARS]
    kept, duplicates = _distinct(items)
    return ParsedFeed("json", title, kept, None, duplicates)


def _rss_json_items(channel: dict[str, Any], url: str) -> ParsedFeed:
    entries = channel.get("item") or []
    if isinstance(entries, dict):
        entries = [entries]
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        guid = entry.get("guid")
        if isinstance(guid, dict):
            guid = guid.get("#value") or guid.get("value") or guid.get("#text")
        guid = str(guid).strip() if guid else None
        link = entry.get("link")
        title = plain_text(str(entry.get("title") or ""), one_line=True)[:TITLE_CHARS]
        summary = plain_text(str(entry.get("description") or ""))[:SUMMARY_CHARS]
        items.append(FeedItem(item_key(guid, link, title, summary), guid, title,
                              urljoin(url, str(link)) if link else None, summary,
                              _mail_date(entry.get("pubDate"))))
    title = plain_text(str(channel.get("title") or ""), one_line=True)[:TITLE_CHARS]
    kept, duplicates = _distinct(items)
    return ParsedFeed("rss-json", title, kept, None, duplicates)


def _iso_date(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _mail_date(value: Any) -> datetime | None:
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


# identity

def item_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    source = f"id:{guid}" if guid else f"link:{link}" if link else f"text:{title}\n{summary}"
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _distinct(items: list[FeedItem]) -> tuple[tuple[FeedItem, ...], int]:
    """Each item once: the same key for a different item (a GUID reused) gets a key of its own
    from its link and title; the same item again is dropped and counted."""
    seen: dict[str, FeedItem] = {}
    duplicates = 0
    for item in items:
        if item.key in seen:
            first = seen[item.key]
            if (first.url, first.title, first.summary) == (item.url, item.title, item.summary):
                duplicates += 1
                continue
            item = FeedItem(item_key(f"{item.guid}\n{item.url}\n{item.title}", None, "", ""),
                            item.guid, item.title, item.url, item.summary, item.published,
                            item.extra)
            if item.key in seen:
                duplicates += 1
                continue
        seen[item.key] = item
    return tuple(seen.values()), duplicates
