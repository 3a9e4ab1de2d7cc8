"""The upgrade feed's sources: the bundled list loads and every URL maps to a feed; the user's
sources.toml replaces or turns off bundled ones; repository and channel URLs as people copy
them; a bad file is refused with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pai_tui.config import ConfigError
from pai_tui.upgrade.sources import feed_url, guess_kind, load_sources


def test_the_bundled_sources_load_and_each_has_a_feed(tmp_path: Path) -> None:
    sources, warnings = load_sources(tmp_path)
    assert warnings == [] and len(sources) >= 10
    names = {s.name for s in sources}
    assert {"Claude Code releases", "Textual releases", "PAI releases",
            "Fabric releases", "Anthropic News"} <= names
    assert all(s.fetch_url.startswith("https://") for s in sources)
    claude = next(s for s in sources if s.name == "Claude Code releases")
    assert claude.fetch_url == "https://github.com/anthropics/claude-code/releases.atom"


def test_the_user_s_file_replaces_and_turns_off_bundled_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('''
disabled = ["Simon Willison", "No such source"]

[[source]]
name = "Textual releases"
url = "https://github.com/Textualize/textual/"
priority = 2

[[source]]
name = "Two Minute Papers"
url = "https://www.youtube.com/channel/UCbfYPyITQ-7l4upoX8nvctg"
tags = ["research"]
telos = ["G2"]
''')
    sources, warnings = load_sources(tmp_path)
    by_name = {s.name: s for s in sources}
    assert "Simon Willison" not in by_name
    assert by_name["Textual releases"].priority == 2.0
    assert by_name["Textual releases"].origin == str(tmp_path / "sources.toml")
    papers = by_name["Two Minute Papers"]
    assert (papers.kind, papers.telos) == ("youtube", ("G2",))
    assert papers.fetch_url == ("https://www.youtube.com/feeds/videos.xml"
                                "?channel_id=UCbfYPyITQ-7l4upoX8nvctg")
    assert any("'Textual releases' replaces the bundled source" in w for w in warnings)
    assert any("disabled 'No such source' is not a bundled source" in w for w in warnings)


def test_disabled_turns_off_the_bundled_source_not_the_user_s_of_that_name(
        tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        'disabled = ["Simon Willison"]\n\n[[source]]\nname = "Simon Willison"\n'
        'url = "https://example.org/simon.xml"\n')
    sources, warnings = load_sources(tmp_path)
    [simon] = [s for s in sources if s.name == "Simon Willison"]
    assert simon.url == "https://example.org/simon.xml" and warnings == []


@pytest.mark.parametrize(("url", "feed"), [
    ("UCbfYPyITQ-7l4upoX8nvctg",
     "https://www.youtube.com/feeds/videos.xml?channel_id=UCbfYPyITQ-7l4upoX8nvctg"),
    ("https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf",
     "https://www.youtube.com/feeds/videos.xml?playlist_id=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf"),
    ("https://www.youtube.com/feeds/videos.xml?channel_id=UCbfYPyITQ-7l4upoX8nvctg",
     "https://www.youtube.com/feeds/videos.xml?channel_id=UCbfYPyITQ-7l4upoX8nvctg"),
])
def test_youtube_channels_and_playlists_become_their_feeds(url: str, feed: str) -> None:
    assert guess_kind(url) == "youtube" and feed_url("youtube", url) == feed


def test_a_youtube_handle_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(ValueError, match="channelId"):
        feed_url("youtube", "https://www.youtube.com/@TwoMinutePapers")


@pytest.mark.parametrize("url", ["https://github.com/Textualize/textual",
                                 "https://github.com/Textualize/textual.git",
                                 "https://github.com/Textualize/textual/releases"])
def test_a_repository_is_watched_through_its_releases_feed(url: str) -> None:
    assert guess_kind(url) == "github"
    assert feed_url("github", url) == "https://github.com/Textualize/textual/releases.atom"


@pytest.mark.parametrize(("url", "feed"), [
    ("https://github.com/Textualize/textual/tags", "tags.atom"),
    ("https://github.com/Textualize/textual/commits/main", "commits/main.atom"),
    ("https://github.com/Textualize/textual/tree/release/1.x", "commits/release/1.x.atom")])
def test_a_repository_s_tags_or_a_branch_s_commits_can_be_watched(url: str, feed: str) -> None:
    assert guess_kind(url) == "github"
    assert feed_url("github", url) == f"https://github.com/Textualize/textual/{feed}"


def test_a_plain_feed_url_is_a_feed() -> None:
    assert guess_kind("https://simonwillison.net/atom/everything/") == "feed"
    assert guess_kind("https://github.com/Textualize/textual/releases.atom") == "feed"


@pytest.mark.parametrize(("body", "said"), [
    ('[[source]]\nname = "A"\nurl = "https://a.example/feed"\n\n[[source]]\nname = "B"\n'
     'kind = "blog"\nurl = "https://b.example"\n', ":5: key 'source.kind': source 2: kind 'blog'"),
    ('[[source]]\nname = "A"\n', ":1: key 'source.url': source 1: url is missing"),
    ('[[source]]\nname = "A"\nurl = "https://a.example"\npriority = 0\n',
     "priority must be a number above 0"),
    ('[[source]]\nname = "A"\nkind = "page"\nurl = "https://a.example"\n',
     "a page source needs a pattern"),
    ('[[source]]\nname = "A"\nurl = "https://a.example"\ncolour = "red"\n',
     "unknown field 'colour'"),
    ('[[source]]\nname = "A"\nurl = "https://a.example"\n[[source]]\nname = "A"\n'
     'url = "https://b.example"\n', ":4: key 'source.name': two sources are named 'A'"),
    ('[[source]\nname = "A"\n', ":1:"),
    ('[[source]]\nname = "A"\nkind = "github"\nurl = "https://gitlab.com/a/b"\n',
     "not a GitHub repository URL"),
])
def test_a_bad_sources_file_says_where_and_what(tmp_path: Path, body: str, said: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as refused:
        load_sources(tmp_path)
    assert str(refused.value).startswith(str(path)) and said in str(refused.value)
    assert path.read_text() == body  # never rewritten
