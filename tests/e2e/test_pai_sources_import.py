"""`pai upgrade sources import FILE` as a user runs it on PAI's files: a subprocess, real files.

The sample files are written here in the shapes PAI's PAIUpgrade skill uses (its sources.json,
youtube-channels.json and user-sources.json, see pai_tui/upgrade/pai_sources.py for where the
shapes come from); the entries are a few of PAI's own."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pai_tui.paths import HomePaths
from tests.conftest import run_pai

PAI_SOURCES = {
    "blogs": [
        {"name": "Main News", "url": "https://www.anthropic.com/news", "priority": "HIGH",
         "type": "blog"},
    ],
    "github_repos": [
        {"name": "skills", "owner": "anthropics", "repo": "skills", "priority": "HIGH",
         "check_commits": True, "check_releases": True, "check_issues": False},
        {"name": "MCP Docs", "owner": "modelcontextprotocol", "repo": "docs",
         "priority": "MEDIUM", "check_commits": True, "check_releases": False,
         "check_issues": False},
    ],
    "changelogs": [
        {"name": "Claude Code CHANGELOG",
         "url": "https://github.com/anthropics/claude-code/blob/main/CHANGELOG.md",
         "priority": "HIGH", "type": "changelog"},
    ],
    "documentation": [
        {"name": "MCP Docs", "url": "https://modelcontextprotocol.io", "priority": "HIGH",
         "type": "docs"},
    ],
    "community": [
        {"name": "Claude Developers Discord", "url": "https://discord.com/invite/x",
         "priority": "MEDIUM", "type": "community",
         "note": "Manual check required - no automated scraping"},
    ],
}


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def mine(home: HomePaths) -> dict[str, dict[str, Any]]:
    data = tomllib.loads((home.root / "sources.toml").read_text())
    return {entry["name"]: entry for entry in data["source"]}


def importing(path: Path, *flags: str):  # type: ignore[no-untyped-def]
    return run_pai("upgrade", "sources", "import", str(path), *flags)


def test_pai_s_sources_json_imports_as_it_is_and_again_changes_nothing(
        home: HomePaths, tmp_path: Path) -> None:
    home.root.mkdir(parents=True)
    (home.root / "sources.toml").write_text('# my own notes\n[[source]]\nname = "Mine"\n'
                                            'url = "https://mine.example/feed.xml"\n')
    path = write(tmp_path, "sources.json", PAI_SOURCES)
    result = importing(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "6 imported, 0 unchanged, 1 skipped"
    assert (f"pai: {path}: community[0] ('Claude Developers Discord'): skipped: PAI checks a "
            "community by hand") in result.stderr
    text = (home.root / "sources.toml").read_text()
    assert text.startswith("# my own notes\n")
    got = mine(home)
    assert got["Main News"] == {"name": "Main News", "kind": "page",
                                "url": "https://www.anthropic.com/news", "tags": ["blog"],
                                "priority": 2.0,
                                "pattern": r"^https://www\.anthropic\.com/news/."}
    assert got["skills"]["kind"] == "github"  # releases...
    assert got["skills commits"]["url"] == "https://github.com/anthropics/skills/commits.atom"
    assert got["MCP Docs"]["url"] == "https://github.com/modelcontextprotocol/docs/commits.atom"
    assert "priority" not in got["MCP Docs"]  # MEDIUM is neutral
    assert got["Claude Code CHANGELOG"]["url"] == \
        "https://github.com/anthropics/claude-code/commits/main/CHANGELOG.md.atom"
    assert got["MCP Docs (documentation)"]["url"] == "https://modelcontextprotocol.io"
    listed = {s["name"]: s for s in json.loads(
        run_pai("upgrade", "sources", "list", "--json").stdout)}
    assert listed["skills"]["feed_url"] == "https://github.com/anthropics/skills/releases.atom"
    assert listed["Main News"]["priority"] == 2.0

    again = importing(path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "0 imported, 6 unchanged, 1 skipped"
    assert "unchanged github_repos[0]: 'skills': the same URL as source 'skills'" in again.stdout
    assert (home.root / "sources.toml").read_text() == text


def test_a_source_already_there_by_name_or_url_is_left_unchanged(
        home: HomePaths, tmp_path: Path) -> None:
    path = write(tmp_path, "user-sources.json", [
        {"name": "Textual releases", "url": "https://textual.example/feed.xml"},  # bundled name
        {"name": "My SDK", "owner": "anthropics", "repo": "anthropic-sdk-python"},  # bundled URL
    ])
    result = importing(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "unchanged [0]: 'Textual releases': a source named 'Textual releases' exists",
        "unchanged [1]: 'My SDK': the same URL as source 'Anthropic Python SDK releases'",
        "0 imported, 2 unchanged, 0 skipped"]
    assert not (home.root / "sources.toml").exists()


def test_unusable_entries_are_skipped_with_their_place_and_the_rest_imported(
        home: HomePaths, tmp_path: Path) -> None:
    path = write(tmp_path, "user-sources.json", {
        "_customization": {"description": "Your personal YouTube channels",
                           "merge_strategy": "append"},
        "version": 2,
        "channels": [
            {"name": "By handle", "channel_id": "@channelhandle",
             "url": "https://www.youtube.com/@channelhandle", "priority": "HIGH"},
            {"name": "By id", "channel_id": "UCnCikd0s4i9KoDtaHPlK-JA", "priority": "LOW",
             "description": "what it covers", "unknown_field": {"nested": True}},
            "just a string",
            {"name": "Odd priority", "url": "https://odd.example/feed.xml",
             "priority": "URGENT"},
            {"name": "No URL", "priority": "HIGH"},
        ],
        "github_trending": {"enabled": True, "queries": ["claude code agent"]},
        "github_repos": [{"name": "Half", "owner": "anthropics"},
                         {"name": "Silent", "owner": "a", "repo": "b", "check_releases": False,
                          "check_commits": False}],
    })
    result = importing(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 imported, 0 unchanged, 7 skipped"
    said = result.stderr
    assert f"pai: {path}: channels[0] ('By handle'): skipped: not a YouTube channel id" in said
    assert f"pai: {path}: channels[2]: skipped: a str, not an object" in said
    assert (f"pai: {path}: channels[3] ('Odd priority'): skipped: priority 'URGENT' is not "
            "HIGH, MEDIUM, LOW or a number above 0") in said
    assert f"pai: {path}: channels[4] ('No URL'): skipped: no url" in said
    assert f"pai: {path}: github_trending: skipped: GitHub search queries" in said
    assert f"pai: {path}: github_repos[0] ('Half'): skipped: a repository needs both" in said
    assert f"pai: {path}: github_repos[1] ('Silent'): skipped: checks neither" in said
    assert (home.root / "sources.toml").stat().st_mode & 0o777 == 0o600  # made by pai
    assert mine(home)["By id"] == {"name": "By id", "kind": "youtube",
                                   "url": "UCnCikd0s4i9KoDtaHPlK-JA", "tags": ["channels"],
                                   "priority": 0.5}


def test_a_dry_run_says_what_would_be_imported_and_writes_nothing(
        home: HomePaths, tmp_path: Path) -> None:
    path = write(tmp_path, "sources.json", PAI_SOURCES)
    result = importing(path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would import blogs[0]: 'Main News' (page) https://www.anthropic.com/news" in \
        result.stdout
    assert result.stdout.splitlines()[-1] == \
        "6 would import, 0 unchanged, 1 skipped (dry run: nothing written)"
    assert not (home.root / "sources.toml").exists()


def test_a_file_that_is_not_json_is_said_with_its_line_and_nothing_changes(
        home: HomePaths, tmp_path: Path) -> None:
    path = write(tmp_path, "sources.json", '{\n  "blogs": [\n    {"name": "x",}\n  ]\n}\n')
    result = importing(path)
    assert result.returncode == 2
    assert f"pai: {path}:3:" in result.stderr and "not JSON" in result.stderr
    missing = importing(tmp_path / "nope.json")
    assert missing.returncode == 2 and "nope.json: cannot read it" in missing.stderr
    assert not (home.root / "sources.toml").exists()


def test_lifeos_s_feeds_indexes_and_raw_changelog_import(home: HomePaths,
                                                         tmp_path: Path) -> None:
    """The shapes LifeOS's Upgrade skill adds (its sources.json: `feeds`, `indexes`)."""
    path = write(tmp_path, "sources.json", {
        "indexes": [{"name": "Cursor Changelog", "url": "https://www.cursor.com/changelog",
                     "link_pattern": r"cursor\.com/changelog/[a-z0-9-]+", "priority": "LOW",
                     "type": "index", "note": "No RSS — index link-diff."}],
        "feeds": [{"name": "Some Blog", "url": "https://blog.example/atom/everything/",
                   "site": "https://blog.example/", "priority": "HIGH", "type": "feed"}],
        "changelogs": [{"name": "CHANGELOG", "type": "changelog", "priority": "HIGH",
                        "url": "https://raw.githubusercontent.com/o/r/refs/heads/main/"
                               "CHANGELOG.md"}],
    })
    result = importing(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "3 imported, 0 unchanged, 0 skipped"
    got = mine(home)
    assert got["Cursor Changelog"]["kind"] == "page"
    assert got["Cursor Changelog"]["pattern"] == r"cursor\.com/changelog/[a-z0-9-]+"
    assert got["Some Blog"]["kind"] == "feed"
    assert got["CHANGELOG"]["url"] == "https://github.com/o/r/commits/main/CHANGELOG.md.atom"
