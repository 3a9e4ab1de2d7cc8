"""The sources the upgrade feed watches: the bundled list (assets/upgrade/sources.toml) and the
user's ($PAI_HOME/sources.toml, same format), which may replace a bundled source by name or turn
bundled ones off (`disabled = [...]`; a source of the user's own is never disabled, only
removed). A source is named and kinded; GitHub repositories and YouTube
channels are given as people copy them from a browser and fetched as their Atom feeds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import parse_qs, urlparse

from pai_tui.config import ConfigError, KeyLocator, parse_toml, read_text
from pai_tui.paths import bundled

Kind = Literal["feed", "github", "youtube", "page"]
KINDS: tuple[str, ...] = get_args(Kind)
FILE = "sources.toml"

_GITHUB = re.compile(r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?(/.*)?$")
_CHANNEL_ID = re.compile(r"^UC[\w-]{22}$")
_YOUTUBE = "https://www.youtube.com/feeds/videos.xml"


@dataclass(frozen=True)
class Source:
    name: str
    kind: Kind
    url: str  # as the user gave it
    tags: tuple[str, ...] = ()
    priority: float = 1.0
    telos: tuple[str, ...] = ()  # ids of the goals it serves (G1, P2...)
    pattern: str | None = None  # page: a regular expression the item links match
    origin: str = "bundled"  # or the path of the user's file

    @property
    def fetch_url(self) -> str:
        """What is fetched: the feed behind a repository or a channel."""
        return feed_url(self.kind, self.url)


def feed_url(kind: Kind, url: str) -> str:
    if kind == "github":
        match = _GITHUB.match(url.strip())
        if match is None:
            raise ValueError(f"not a GitHub repository URL: {url}")
        owner, repo, rest = match.groups()
        return f"https://github.com/{owner}/{repo}/{_github_feed(rest or '')}"
    if kind == "youtube":
        return _youtube_feed(url.strip())
    return url


def _github_feed(rest: str) -> str:
    """A repository's releases; `…/tags` its tags; `…/commits/BRANCH` or `…/tree/BRANCH` the
    commits of that branch (GitHub serves each as Atom)."""
    parts = [p for p in rest.strip("/").split("/") if p]
    if parts[:1] == ["tags"]:
        return "tags.atom"
    if parts[:1] in (["commits"], ["tree"]) and len(parts) >= 2:
        return f"commits/{'/'.join(parts[1:]).removesuffix('.atom')}.atom"
    return "releases.atom"


def _youtube_feed(url: str) -> str:
    """A channel id, a /channel/UC… URL, a playlist URL (list=…), or the feed URL itself."""
    if _CHANNEL_ID.match(url):
        return f"{_YOUTUBE}?channel_id={url}"
    parsed = urlparse(url)
    if parsed.path.startswith("/feeds/videos.xml"):
        return url
    query = parse_qs(parsed.query)
    if "list" in query:
        return f"{_YOUTUBE}?playlist_id={query['list'][0]}"
    match = re.match(r"^/channel/(UC[\w-]{22})", parsed.path)
    if match:
        return f"{_YOUTUBE}?channel_id={match.group(1)}"
    raise ValueError(f"not a YouTube channel id, /channel/UC… URL or playlist URL: {url} "
                     "(an @handle URL does not say its channel id: open the channel's page "
                     "source and look for \"channelId\")")


def guess_kind(url: str) -> Kind:
    """The kind of a URL given without one."""
    host = urlparse(url).netloc.lower()
    if _GITHUB.match(url) and not url.rstrip("/").endswith((".atom", ".xml")):
        return "github"
    if _CHANNEL_ID.match(url) or host.endswith("youtube.com"):
        return "youtube"
    return "feed"


def name_for(url: str) -> str:
    """A source's name when none is given: the URL's host and path."""
    parsed = urlparse(url)
    path = parsed.path.strip("/")
    return f"{parsed.netloc}/{path}" if path else parsed.netloc or url


def load_sources(home: Path) -> tuple[list[Source], list[str]]:
    """The bundled sources with the user's over them, and warnings (a shadowed or unknown name).
    ConfigError (file:line) for a file that is not a sources list."""
    sources = {s.name: s for s in read_sources(bundled("assets") / "upgrade" / FILE, "bundled")}
    warnings: list[str] = []
    user = home / FILE
    if user.is_file():
        mine, disabled = read_user_sources(user)
        for name in disabled:  # bundled sources only: the user's own are removed, not disabled
            if sources.pop(name, None) is None:
                warnings.append(f"{user}: disabled {name!r} is not a bundled source")
        for source in mine:
            if source.name in sources:
                warnings.append(f"{user}: {source.name!r} replaces the bundled source of that name")
            sources[source.name] = source
    return list(sources.values()), warnings


def read_user_sources(path: Path) -> tuple[list[Source], list[str]]:
    data = parse_toml(path, read_text(path))
    disabled = data.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise KeyLocator(path, read_text(path)).error((), "disabled",
                                                       "disabled must be a list of names")
    return read_sources(path, str(path), data), disabled


def read_sources(path: Path, origin: str, data: dict[str, Any] | None = None) -> list[Source]:
    text = read_text(path)
    data = parse_toml(path, text) if data is None else data
    where = KeyLocator(path, text)
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise where.error((), "source", "write each source as a [[source]] table")
    sources: list[Source] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        source = _source(entry, number, path, where, origin)
        if source.name in seen:
            raise ConfigError(path, f"two sources are named {source.name!r}",
                              _nth_table_line(where, number), "source.name")
        seen.add(source.name)
        sources.append(source)
    return sources


def _source(entry: dict[str, Any], number: int, path: Path, where: KeyLocator,
            origin: str) -> Source:
    def wrong(field: str, message: str) -> ConfigError:  # the line found only when needed
        return ConfigError(path, f"source {number}: {message}", _nth_table_line(where, number),
                           f"source.{field}")

    unknown = set(entry) - {"name", "kind", "url", "tags", "priority", "telos", "pattern"}
    if unknown:
        raise wrong(sorted(unknown)[0], f"unknown field {sorted(unknown)[0]!r} (known: name, "
                                        "kind, url, tags, priority, telos, pattern)")
    for field in ("name", "url"):
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise wrong(field, f"{field} is missing (a non-empty string)")
    url = entry["url"].strip()
    kind = entry.get("kind") or guess_kind(url)
    if kind not in KINDS:
        raise wrong("kind", f"kind {kind!r} is not one of {', '.join(KINDS)}")
    priority = entry.get("priority", 1.0)
    if isinstance(priority, bool) or not isinstance(priority, int | float) or priority <= 0:
        raise wrong("priority", f"priority must be a number above 0, not {priority!r}")
    lists = {}
    for field in ("tags", "telos"):
        value = entry.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong(field, f"{field} must be a list of strings")
        lists[field] = tuple(value)
    pattern = entry.get("pattern")
    if kind == "page":
        if not isinstance(pattern, str) or not pattern:
            raise wrong("pattern", "a page source needs a pattern (the links that are items)")
        try:
            re.compile(pattern)
        except re.error as error:
            raise wrong("pattern", f"pattern is not a regular expression: {error}") from None
    source = Source(entry["name"].strip(), kind, url, lists["tags"], float(priority),
                    lists["telos"], pattern, origin)
    try:
        source.fetch_url  # noqa: B018 (a repository or channel URL is checked at load)
    except ValueError as error:
        raise wrong("url", str(error)) from None
    return source


def _nth_table_line(where: KeyLocator, number: int) -> int | None:
    """The line of the `number`th [[source]] header."""
    seen = 0
    for line, raw in enumerate(where.lines, start=1):
        if raw.strip().startswith("[[source]]"):
            seen += 1
            if seen == number:
                return line
    return None


def add_source(home: Path, source: Source) -> None:
    """Append `source` to the user's sources.toml (made if missing), keeping its comments.
    ValueError if a source of that name exists already."""
    import tomlkit

    from pai_tui.settings import write_atomic

    known, _ = load_sources(home)
    if any(s.name == source.name for s in known):
        raise ValueError(f"a source named {source.name!r} exists already (pai upgrade sources "
                         "list); give another --name")
    path = home / FILE
    text = read_text(path) if path.exists() else _NEW_FILE
    document = tomlkit.parse(text)
    entries = document.setdefault("source", tomlkit.aot())
    table = tomlkit.table()
    table.update({"name": source.name, "kind": source.kind, "url": source.url})
    if source.tags:
        table["tags"] = list(source.tags)
    if source.priority != 1.0:
        table["priority"] = source.priority
    if source.telos:
        table["telos"] = list(source.telos)
    if source.pattern:
        table["pattern"] = source.pattern
    entries.append(table)
    write_atomic(path, tomlkit.dumps(document))


def remove_source(home: Path, name: str) -> str:
    """Remove the user's source `name`, or turn a bundled one off; what was done. KeyError if
    there is no such source."""
    import tomlkit

    from pai_tui.settings import write_atomic

    known = {s.name: s for s in load_sources(home)[0]}
    if name not in known:
        raise KeyError(name)
    path = home / FILE
    document = tomlkit.parse(read_text(path) if path.exists() else _NEW_FILE)
    mine = document.get("source", [])
    kept = [entry for entry in mine if entry.get("name") != name]
    removed = len(kept) != len(mine)
    if removed:
        document["source"] = tomlkit.aot()
        for entry in kept:
            document["source"].append(entry)
    bundled_names = {s.name for s in read_sources(bundled("assets") / "upgrade" / FILE,
                                                  "bundled")}
    if name in bundled_names:  # what remains would be the bundled one: turn it off
        disabled = document.setdefault("disabled", [])
        if name not in disabled:
            disabled.append(name)
    write_atomic(path, tomlkit.dumps(document))
    return "removed" if removed and name not in bundled_names else "turned off (bundled)"


_NEW_FILE = ("# Sources for pai's upgrade feed (see assets/upgrade/sources.toml for the format).\n"
             "# `pai upgrade sources add URL` appends here.\n")
