"""Feeds as pai reads them (upgrade/parse.py): the real feeds corpus, every file read or refused
with a reason, with feedparser's own item counts; JSON Feed beside it; the oddities of real feeds
(GitHub releases, YouTube, lying extensions, no GUIDs, reused GUIDs, markup in titles)."""

from __future__ import annotations

import csv

import pytest

from pai_tui.upgrade.parse import FeedError, parse_feed
from pai_tui.upgrade.plain import plain_text
from tests.builders import corpus_dir

FEEDS = corpus_dir() / "feeds"
SURVEY = list(csv.DictReader((FEEDS / "feedparser-6.0.tsv").open(encoding="utf-8"),
                             delimiter="\t"))
# What SOURCES.md counts in the JSON files, which feedparser 6.0 cannot read.
JSON_ITEMS = {"DaringFireball.json": 48, "inessential.json": 20, "jsonfeed_elastic_1.1.json": 3,
              "example.json": 2, "jsonfeed_spec_1.json": 1, "ScriptingNews.json": 50}
# Not feeds: ill-formed XML that gives feedparser nothing.
REFUSED = {"undeclared_namespace.xml": "unbound prefix", "rss_2.0_invalid_1.xml": "no element"}


def read(path: str) -> bytes:
    return (FEEDS / path).read_bytes()


def feed(path: str):  # type: ignore[no-untyped-def]
    return parse_feed(read(path), "https://example.com/feed.xml")


def test_the_survey_covers_the_corpus() -> None:
    assert len(SURVEY) == 60
    assert all((FEEDS / row["path"]).is_file() for row in SURVEY)


@pytest.mark.parametrize("row", SURVEY, ids=[row["path"].rsplit("/", 1)[1] for row in SURVEY])
def test_every_corpus_file_is_read_or_refused_with_a_reason(row: dict[str, str]) -> None:
    name = row["path"].rsplit("/", 1)[1]
    if name in REFUSED:
        with pytest.raises(FeedError, match=REFUSED[name]) as refused:
            feed(row["path"])
        assert str(refused.value).startswith("not a feed: SAXParseException")
        return
    parsed = feed(row["path"])
    expected = JSON_ITEMS[name] if row["kind"] == "json" else int(row["feedparser_6_0_entries"])
    assert len(parsed.items) + parsed.duplicates == expected
    assert len({item.key for item in parsed.items}) == len(parsed.items)  # one key each
    # Ill-formed but readable: the items are kept, and what was wrong is said.
    assert (parsed.problem is not None) == (row["bozo"] == "1" and row["kind"] != "json")
    for item in parsed.items:
        assert "<script" not in item.title + item.summary
        assert not item.url or item.url.startswith(("http://", "https://"))


def test_the_same_document_gives_the_same_keys_every_time() -> None:
    path = "Olshansk__rss-feeds/feeds/feed_openai_research.xml"  # 194 items, none with a GUID
    first, again = feed(path), feed(path)
    assert [i.key for i in first.items] == [i.key for i in again.items]
    assert all(item.guid is None and item.url for item in first.items)


def test_a_github_release_is_known_by_its_tag_from_the_id() -> None:
    parsed = feed("feed-rs__feed-rs/feed-rs/fixture/atom/atom_example_6.xml")
    assert all(item.extra["tag"] and item.guid.endswith("/" + item.extra["tag"])
               for item in parsed.items)


def test_a_youtube_video_is_known_by_its_video_id() -> None:
    [video] = feed("feed-rs__feed-rs/feed-rs/fixture/atom/atom_mediarss_youtube_1.xml").items
    assert video.extra["video_id"] and video.url and video.extra["video_id"] in video.url


def test_content_decides_the_format_not_the_file_name() -> None:
    base = "Ranchero-Software__NetNewsWire/Modules/RSParser/Tests/RSParserTests/Resources/"
    assert feed(base + "DaringFireball.rss").kind == "atom10"
    assert feed(base + "allthis.atom").kind == "rss20"
    assert feed(base + "ScriptingNews.json").kind == "rss-json"


def test_a_namespaced_look_alike_does_not_replace_the_item_s_title() -> None:
    base = "Ranchero-Software__NetNewsWire/Modules/RSParser/Tests/RSParserTests/Resources/"
    [item] = feed(base + "shopify-namespace.rss").items
    assert item.title == "Real Product Title"


def test_markup_in_titles_is_plain_text() -> None:
    [item] = feed("kurtmckee__feedparser/tests/wellformed/sanitize/entry_title_script.xml").items
    assert item.title == "safe description"


def test_relative_links_are_resolved_against_the_feed() -> None:
    parsed = parse_feed(read("feed-rs__feed-rs/feed-rs/fixture/rss2/rss_2.0_relurl_1.xml"),
                        "https://blog.example.org/feeds/all.xml")
    assert all(item.url and item.url.startswith("http") for item in parsed.items)


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>"""


def test_a_guid_reused_for_different_items_keeps_both_and_a_repeat_is_kept_once() -> None:
    items = ("<item><guid>same</guid><title>One</title><link>https://e.org/1</link></item>"
             "<item><guid>same</guid><title>Two</title><link>https://e.org/2</link></item>"
             "<item><guid>same</guid><title>One</title><link>https://e.org/1</link></item>")
    parsed = parse_feed(RSS.format(items=items).encode())
    assert [item.title for item in parsed.items] == ["One", "Two"]
    assert parsed.duplicates == 1 and len({item.key for item in parsed.items}) == 2


def test_an_html_page_or_garbage_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(b"<!doctype html><html><body><p>Hello</p></body></html>")
    with pytest.raises(FeedError, match="JSON does not parse"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [')
    with pytest.raises(FeedError, match="neither a JSON Feed nor RSS in JSON"):
        parse_feed(b'{"hello": "world"}')


def test_feed_html_becomes_plain_text() -> None:
    assert plain_text("<p>Ship &amp; <b>tell</b></p><script>alert(1)</script><p>x</p>") == \
        "Ship & tell\nx"
    assert plain_text("a &lt;b&gt; c") == "a <b> c"
    assert plain_text("<p>one</p>\n\n<p>two</p>", one_line=True) == "one two"


def test_a_json_feed_item_keeps_its_date_in_utc() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
            b'{"id": 7, "url": "/p/7", "title": "Seven", "content_html": "<p>Hi</p>",'
            b' "date_published": "2026-03-01T10:00:00+02:00"}]}')
    [item] = parse_feed(body, "https://j.example/feed.json").items
    assert (item.guid, item.url, item.summary) == ("7", "https://j.example/p/7", "Hi")
    assert item.published is not None and item.published.isoformat() == "2026-03-01T08:00:00"
