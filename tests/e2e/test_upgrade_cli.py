"""`pai upgrade fetch` and `pai upgrade sources` as a user runs them: subprocesses, a loopback
feed server, the real store. The bundled sources are turned off so nothing leaves loopback."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator

import pytest

from pai_tui.paths import HomePaths, bundled
from pai_tui.upgrade.sources import read_sources
from tests.builders import corpus_dir
from tests.conftest import run_pai
from tests.fakes.feed_server import FeedServer, Route

FEEDS = corpus_dir() / "feeds"
ENGINEERING = (FEEDS / "Olshansk__rss-feeds/feeds/feed_anthropic_engineering.xml").read_bytes()
RELEASES = (FEEDS / "feed-rs__feed-rs/feed-rs/fixture/atom/atom_example_6.xml").read_bytes()
BUNDLED = [s.name for s in read_sources(bundled("assets") / "upgrade" / "sources.toml", "b")]


@pytest.fixture
def feeds(home: HomePaths) -> Iterator[FeedServer]:
    """A server with two feeds, the user's only sources (the bundled ones turned off)."""
    with FeedServer() as server:
        server.routes["/eng.xml"] = Route(ENGINEERING, etag='"1"')
        server.routes["/rel.atom"] = Route(RELEASES, content_type="application/atom+xml")
        home.root.mkdir(parents=True, exist_ok=True)
        (home.root / "sources.toml").write_text(
            "# my sources\n" + f"disabled = {json.dumps(BUNDLED)}\n\n"
            f'[[source]]\nname = "Eng"\nurl = "{server.url("/eng.xml")}"\n\n'
            f'[[source]]\nname = "Releases"\nurl = "{server.url("/rel.atom")}"\n')
        yield server


def upgrade(*args: str):  # type: ignore[no-untyped-def]
    return run_pai("upgrade", *args)


def test_fetch_polls_every_source_with_progress_and_a_summary(feeds: FeedServer) -> None:
    first = upgrade("fetch")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "2 sources: 29 new items\n"
    assert "] Eng: 25 new items" in first.stderr and "] Releases: 4 new items" in first.stderr
    again = upgrade("fetch")
    assert again.stdout == "2 sources: 0 new items\n"
    assert "Eng: nothing new" in again.stderr
    assert feeds.requests_to("/eng.xml")[-1].headers["if-none-match"] == '"1"'


def test_a_failing_source_is_said_and_the_exit_code_says_so(feeds: FeedServer) -> None:
    feeds.routes["/rel.atom"] = Route(status=500)
    result = upgrade("fetch")
    assert result.returncode == 1
    assert result.stdout == "2 sources: 25 new items, 1 failed\n"
    assert "Releases: failed: HTTP 500 Internal Server Error" in result.stderr
    listed = {s["name"]: s for s in json.loads(upgrade("sources", "list", "--json").stdout)}
    assert listed["Releases"]["errors"] == 1
    assert listed["Releases"]["error"] == "HTTP 500 Internal Server Error"
    assert listed["Eng"]["fetched_at"] and listed["Eng"]["errors"] == 0


def test_one_source_is_fetched_by_name_and_an_unknown_one_is_a_usage_error(
        feeds: FeedServer) -> None:
    result = upgrade("fetch", "--source", "Eng")
    assert result.stdout == "1 source: 25 new items\n"
    assert not feeds.requests_to("/rel.atom")
    unknown = upgrade("fetch", "--source", "Nope")
    assert unknown.returncode == 2 and "no source named 'Nope'" in unknown.stderr


def test_sources_are_added_listed_and_removed_keeping_the_file_s_comments(
        home: HomePaths, feeds: FeedServer) -> None:
    added = upgrade("sources", "add", "https://github.com/Textualize/textual", "--tag", "tui",
                    "--priority", "2")
    assert added.returncode == 0, added.stderr
    assert added.stdout == ("added 'github.com/Textualize/textual' (github): "
                            "https://github.com/Textualize/textual/releases.atom\n")
    text = (home.root / "sources.toml").read_text()
    assert text.startswith("# my sources\n")
    data = tomllib.loads(text)
    assert data["source"][-1] == {"name": "github.com/Textualize/textual", "kind": "github",
                                  "url": "https://github.com/Textualize/textual",
                                  "tags": ["tui"], "priority": 2.0}
    twice = upgrade("sources", "add", "https://x.example/feed", "--name", "Eng")
    assert twice.returncode == 2 and "a source named 'Eng' exists already" in twice.stderr
    names = [s["name"] for s in json.loads(upgrade("sources", "list", "--json").stdout)]
    assert names == ["Eng", "Releases", "github.com/Textualize/textual"]
    assert upgrade("sources", "remove", "Eng").stdout == "Eng: removed\n"
    assert upgrade("sources", "remove", "Eng").returncode == 1


def test_removing_a_bundled_source_turns_it_off(home: HomePaths) -> None:
    result = upgrade("sources", "remove", "Textual releases")
    assert result.stdout == "Textual releases: turned off (bundled)\n"
    names = [s["name"] for s in json.loads(upgrade("sources", "list", "--json").stdout)]
    assert "Textual releases" not in names and "PAI releases" in names
    assert tomllib.loads((home.root / "sources.toml").read_text())["disabled"] == \
        ["Textual releases"]
    assert (home.root / "sources.toml").stat().st_mode & 0o777 == 0o600  # made by pai


def test_test_shows_what_would_be_stored_and_stores_nothing(
        home: HomePaths, feeds: FeedServer) -> None:
    shown = upgrade("sources", "test", feeds.url("/rel.atom"))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].endswith("[atom10]  4 items") and len(lines) == 5
    assert not (home.root / "pai.db").exists() or json.loads(
        upgrade("sources", "list", "--json").stdout)[1]["fetched_at"] is None
    feeds.routes["/page"] = Route(b"<html><p>no feed</p></html>", content_type="text/html")
    refused = upgrade("sources", "test", feeds.url("/page"))
    assert refused.returncode == 1 and "not a feed" in refused.stderr


def test_a_broken_sources_file_is_said_with_its_line(home: HomePaths) -> None:
    home.root.mkdir(parents=True, exist_ok=True)
    (home.root / "sources.toml").write_text('[[source]]\nname = "A"\n')
    result = upgrade("sources", "list")
    assert result.returncode == 2
    assert f"{home.root / 'sources.toml'}:1: key 'source.url'" in result.stderr


def test_items_are_listed_best_first_against_the_user_s_goals_and_shown_in_full(
        home: HomePaths, feeds: FeedServer) -> None:
    (home.root / "telos").mkdir()
    (home.root / "telos" / "GOALS.md").write_text(
        "- G1: Better agents with tools\n  Keywords: claude, tool use\n- G2: Ship releases\n")
    assert upgrade("fetch").returncode == 0
    listed = json.loads(upgrade("list", "--json").stdout)
    assert len(listed) == 20  # the top unread
    assert set(listed[0]) >= {"id", "source", "title", "url", "published", "score", "why",
                              "read"}
    assert [i["score"] for i in listed] == sorted((i["score"] for i in listed), reverse=True)
    assert listed[0]["why"].startswith(("G1 — ", "G2 — "))
    everything = json.loads(upgrade("list", "--json", "--all").stdout)
    assert len(everything) == 29
    unmatched = [i for i in everything if not i["why"]]
    assert all(i["score"] < listed[0]["score"] for i in unmatched)
    assert json.loads(upgrade("list", "--json", "--all", "--min-score", "1000").stdout) == []

    best = listed[0]
    shown = upgrade("show", str(best["id"]))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == best["title"] and f"why: {best['why']}" in lines
    assert best["url"] in lines
    after = {i["id"]: i for i in json.loads(upgrade("list", "--json", "--all").stdout)}
    assert after[best["id"]]["read"] is True  # shown is read
    unread = json.loads(upgrade("list", "--json", "--all", "--unread").stdout)
    assert best["id"] not in {i["id"] for i in unread} and len(unread) == 28
    missing = upgrade("show", "99999")
    assert missing.returncode == 1 and "no item 99999" in missing.stderr


def test_telos_show_lists_items_by_id_and_says_what_is_wrong(home: HomePaths) -> None:
    (home.root / "telos").mkdir(parents=True)
    telos = home.root / "telos" / "TELOS.md"
    telos.write_text("## Goals\n- G1: Ship pai 1.0\n- G2:\n\n## Problems\nP1. Costs\n")
    shown = run_pai("telos", "show")
    assert shown.returncode == 0
    assert shown.stdout == "Goals\n  G1  Ship pai 1.0\nProblems\n  P1  Costs\n"
    assert f"{telos}:3: G2 has no text; not used" in shown.stderr
    items = json.loads(run_pai("telos", "show", "--json").stdout)
    assert [(i["id"], i["kind"], i["line"]) for i in items] == [("G1", "goal", 2),
                                                                ("P1", "problem", 6)]
