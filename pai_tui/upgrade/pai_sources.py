"""PAI's and LifeOS's source lists read as they are: the PAIUpgrade skill's `sources.json`
(categories of entries: `blogs`, `github_repos`, `changelogs`, `documentation`, `community`),
its `youtube-channels.json` (`channels`) and the user's `user-sources.json` customisation
(the same shapes, plus `_customization` and `github_trending` search settings). Each entry
becomes one of pai's sources (two for a repository PAI checks for both releases and commits);
what pai cannot watch is skipped with its place in the file and why, never stopping the rest.

The shapes are PAI's (Releases/v4.0.3/.claude/skills/Utilities/PAIUpgrade/ in
danielmiessler/Personal_AI_Infrastructure: sources.json, youtube-channels.json, the channel
entry in Workflows/CheckForUpgrades.md of v2.3, and github_trending in Workflows/Upgrade.md):
    {"name": "Main News", "url": "https://www.anthropic.com/news", "priority": "HIGH",
     "type": "blog"}
    {"name": "claude-code", "owner": "anthropics", "repo": "claude-code", "priority": "HIGH",
     "check_commits": true, "check_releases": true, "check_issues": false}
    {"name": "Channel", "channel_id": "UC…", "url": "https://www.youtube.com/…", ...}
LifeOS's Upgrade skill (danielmiessler/LifeOS, LifeOS/install/skills/Upgrade/sources.json)
adds `feeds` (`"type": "feed"`: a feed URL) and `indexes` (`"type": "index"`: a page whose
links matching `link_pattern` are its items, as pai's page sources are).
Fields pai has no use for (`note`, `site`, `description`, `check_issues`…) are ignored."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pai_tui.telos import WEIGHTS
from pai_tui.upgrade.sources import Source, add_source, guess_kind, load_sources, name_for

# A file on GitHub (a CHANGELOG.md, shown or raw): watched through the commits that touch it.
_BLOB = re.compile(r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)/blob/([^/]+)/(.+?)/?$")
_RAW = re.compile(r"^https?://raw\.githubusercontent\.com/([\w.-]+)/([\w.-]+)/"
                  r"(?:refs/heads/)?([^/]+)/(.+?)$")
_FEED_PATH = re.compile(r"(\.(xml|atom|rss)|/(feed|rss|atom)/?)$", re.I)
UNPOLLED_TYPES = {"community": "PAI checks a community by hand (nothing to poll)"}
IGNORED = {"github_trending": "GitHub search queries, not a source pai can watch"}

Outcome = Literal["imported", "unchanged", "skipped"]


@dataclass(frozen=True)
class Imported:
    """What became of one entry (or one of the two sources of a repository)."""

    where: str  # its place in the file: `github_repos[3]`, `[0]`, `github_trending`
    outcome: Outcome
    name: str | None = None
    source: Source | None = None
    reason: str = ""  # skipped: why; unchanged: which source it already is


@dataclass
class Report:
    path: Path
    results: list[Imported] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


class NotASourceList(ValueError):
    """The file is not JSON, or not an object or array: nothing in it is read."""


def import_sources(home: Path, path: Path, dry_run: bool = False) -> Report:
    """Add the sources of PAI file `path` to the user's sources.toml (unless `dry_run`).
    NotASourceList for a file that cannot be read at all; ConfigError for a sources.toml pai
    cannot use (nothing is written then)."""
    document = _read(path)
    known, _ = load_sources(home)
    names = {s.name for s in known}
    by_url = {_fetched(s): s.name for s in known}
    report = Report(path)
    taken: set[str] = set()  # names given by this file so far
    for where, entry, category in _entries(document, report):
        try:
            sources = _sources(entry, category)
        except _Unusable as error:
            report.results.append(Imported(where, "skipped", _name(entry), reason=str(error)))
            continue
        for source in sources:
            present = by_url.get(_fetched(source))
            if present is not None:
                report.results.append(Imported(where, "unchanged", source.name, source,
                                               f"the same URL as source {present!r}"))
                continue
            if source.name in names and source.name not in taken:
                report.results.append(Imported(where, "unchanged", source.name, source,
                                               f"a source named {source.name!r} exists"))
                continue
            if source.name in taken:  # PAI's file names two things alike ("MCP Docs")
                source = _renamed(source, category, names)
            if not dry_run:
                add_source(home, source)
            names.add(source.name)
            taken.add(source.name)
            by_url[_fetched(source)] = source.name
            report.results.append(Imported(where, "imported", source.name, source))
    return report


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise NotASourceList(f"{path}: cannot read it: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotASourceList(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}"
                             ) from None
    if not isinstance(document, dict | list):
        raise NotASourceList(f"{path}: a {type(document).__name__}, not an object of source "
                             "lists (PAI's sources.json) or an array of sources")
    return document


def _entries(document: Any, report: Report) -> list[tuple[str, Any, str | None]]:
    """Each entry with its place and category. Keys of PAI's own (`_customization`) and values
    that are not lists (a version, a note) are not sources; an object that is a known setting
    (`github_trending`) or not a list of entries is said as skipped."""
    if isinstance(document, list):
        return [(f"[{i}]", entry, None) for i, entry in enumerate(document)]
    entries: list[tuple[str, Any, str | None]] = []
    for key, value in document.items():
        if key.startswith("_"):
            continue
        if key in IGNORED:
            report.results.append(Imported(key, "skipped", reason=IGNORED[key]))
        elif isinstance(value, list):
            entries += [(f"{key}[{i}]", entry, key) for i, entry in enumerate(value)]
        elif isinstance(value, dict) and _looks_like_entry(value):
            entries.append((key, value, None))
        elif isinstance(value, dict):
            report.results.append(Imported(key, "skipped", reason="an object, not a list of "
                                                                  "sources"))
    return entries


def _looks_like_entry(value: dict[str, Any]) -> bool:
    return any(k in value for k in ("url", "owner", "channel_id", "feed_url", "rss"))


class _Unusable(ValueError):
    """Why an entry cannot be a source."""


def _name(entry: Any) -> str | None:
    name = entry.get("name") if isinstance(entry, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _sources(entry: Any, category: str | None) -> list[Source]:
    if not isinstance(entry, dict):
        raise _Unusable(f"a {type(entry).__name__}, not an object with a url (or owner and "
                        "repo, or channel_id)")
    kind_of = _text(entry, "type")
    if kind_of is not None and kind_of.lower() in UNPOLLED_TYPES:
        raise _Unusable(UNPOLLED_TYPES[kind_of.lower()]
                        + (f": {_text(entry, 'note')}" if _text(entry, "note") else ""))
    priority = _priority(entry.get("priority"))
    tags = _tags(entry, category, kind_of)
    telos = _strings(entry, "telos")
    pattern = _text(entry, "pattern") or _text(entry, "link_pattern")  # LifeOS's indexes
    name = _name(entry)

    def make(kind: str, url: str, name: str | None = name, pattern: str | None = pattern,
             ) -> Source:
        source = Source(name or name_for(url), kind, url, tags, priority,  # type: ignore[arg-type]
                        telos, pattern, origin="import")
        try:
            source.fetch_url  # noqa: B018 (a channel id or repository URL is checked here)
        except ValueError as error:
            raise _Unusable(str(error)) from None
        if source.kind == "page":
            try:
                re.compile(source.pattern or "")
            except re.error as error:
                raise _Unusable(f"pattern is not a regular expression: {error}") from None
        return source

    if "owner" in entry or "repo" in entry:
        return _repository(entry, name, make)
    channel = _text(entry, "channel_id")
    if channel is not None and channel.startswith("UC"):
        return [make("youtube", channel)]
    url = _text(entry, "feed_url") or _text(entry, "rss") or _text(entry, "url") or channel
    if url is None:
        raise _Unusable("no url (nor owner and repo, nor channel_id)")
    if not urlparse(url).scheme.startswith("http") and channel is None:
        raise _Unusable(f"url {url!r} is not an http(s) URL")
    blob = _BLOB.match(url) or _RAW.match(url)
    if blob and not _FEED_PATH.search(url):  # a changelog file: the commits that change it
        owner, repo, branch, file = blob.groups()
        return [make("feed", f"https://github.com/{owner}/{repo}/commits/{branch}/{file}.atom")]
    kind = guess_kind(url) if channel is None else "youtube"
    said_feed = (kind_of or "").lower() == "feed" or _text(entry, "feed_url") or \
        _text(entry, "rss") or _FEED_PATH.search(urlparse(url).path)
    if kind == "feed" and not said_feed:
        # PAI fetches blogs and docs as pages; pai diffs their links, those under the page.
        return [make("page", url, pattern=pattern or "^" + re.escape(url.rstrip("/")) + "/.")]
    return [make(kind, url)]


def _repository(entry: dict[str, Any], name: str | None, make: Any) -> list[Source]:
    owner, repo = _text(entry, "owner"), _text(entry, "repo")
    if owner is None or repo is None:
        raise _Unusable("a repository needs both owner and repo")
    url = f"https://github.com/{owner}/{repo}"
    releases = entry.get("check_releases", True) is not False
    commits = entry.get("check_commits", False) is True
    if not (releases or commits):
        raise _Unusable("checks neither releases nor commits (check_releases and "
                        "check_commits are false)")
    found = []
    if releases:
        found.append(make("github", url))
    if commits:
        base = name or f"{owner}/{repo}"
        found.append(make("feed", f"{url}/commits.atom",
                          name=f"{base} commits" if releases else base))
    return found


def _priority(value: Any) -> float:
    """HIGH / MEDIUM / LOW (PAI's) weigh as TELOS does (2, 1, 0.5); a number above 0 as is."""
    if value is None:
        return 1.0
    if isinstance(value, str) and value.strip().lower() in WEIGHTS:
        return WEIGHTS[value.strip().lower()]
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise _Unusable(f"priority {value!r} is not HIGH, MEDIUM, LOW or a number above 0")


def _tags(entry: dict[str, Any], category: str | None, kind_of: str | None) -> tuple[str, ...]:
    kind = kind_of or category  # "blog" says what "blogs" would
    tags = [*_strings(entry, "tags"), *([kind] if kind else [])]
    return tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))


def _strings(entry: dict[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Unusable(f"{key} must be a list of strings")
    return tuple(value)


def _text(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Unusable(f"{key} must be a string, not {json.dumps(value)[:40]}")
    return value.strip() or None


def _fetched(source: Source) -> str:
    """What a source fetches, compared without a trailing slash or the scheme's case."""
    try:
        url = source.fetch_url
    except ValueError:
        url = source.url
    return url.rstrip("/").lower()


def _renamed(source: Source, category: str | None, names: set[str]) -> Source:
    from dataclasses import replace

    base = f"{source.name} ({category or source.kind})"
    name, number = base, 2
    while name in names:
        name, number = f"{base} {number}", number + 1
    return replace(source, name=name)
