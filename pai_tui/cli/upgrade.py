"""`pai upgrade`: the upgrade feed from the shell. `fetch` polls the sources now (progress on
stderr, a summary on stdout); `sources` lists, adds, removes and tries them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import plural, say, say_json, warn

if TYPE_CHECKING:
    from pai_tui.cockpit import Cockpit
    from pai_tui.config import Config
    from pai_tui.upgrade.poll import Polled
    from pai_tui.upgrade.sources import Source

EXIT_FAILED, EXIT_USAGE = 1, 2
SHOWN_ITEMS = 10  # by `sources test`


@click.group("upgrade")
def upgrade() -> None:
    """The upgrade feed: AI news sources watched, ranked against your goals, proposed as
    changes."""


def _sources(config: Config) -> list[Source]:
    from pai_tui.config import ConfigError
    from pai_tui.upgrade.sources import load_sources

    try:
        sources, warnings = load_sources(config.home.root)
    except ConfigError as error:
        warn(f"pai: {error}")
        raise click.exceptions.Exit(EXIT_USAGE) from None
    for warning in warnings:
        warn(f"pai: {warning}")
    return sources


@upgrade.command("fetch")
@click.option("--source", "name", metavar="NAME", help="Only this source (fetched even if it "
              "was paused after errors).")
@click.pass_context
def fetch(ctx: click.Context, name: str | None) -> None:
    """Poll the sources now: new items are stored, each source's outcome is said.

    Exit 1 if a source failed."""
    config = config_for(ctx)
    sources = _sources(config)
    if name is not None:
        sources = [s for s in sources if s.name == name]
        if not sources:
            warn(f"pai: no source named {name!r} (pai upgrade sources list)")
            ctx.exit(EXIT_USAGE)
    polled = in_cockpit(config, lambda cockpit: _poll(cockpit, sources, name is not None))
    new = sum(p.new for p in polled)
    failed = [p for p in polled if p.outcome == "failed"]
    paused = [p for p in polled if p.outcome == "paused"]
    say(f"{plural(len(polled), 'source')}: {plural(new, 'new item')}"
        + (f", {len(failed)} failed" if failed else "")
        + (f", {len(paused)} paused (pai upgrade fetch --source NAME tries one again)"
           if paused else ""))
    ctx.exit(EXIT_FAILED if failed else 0)


async def _poll(cockpit: Cockpit, sources: list[Source], refreshing: bool) -> list[Polled]:
    from pai_tui.upgrade.fetch import Fetcher
    from pai_tui.upgrade.poll import poll, refresh

    if refreshing:
        for source in sources:
            await refresh(cockpit.history, source.name)
    fetcher = Fetcher()
    try:
        return await poll(sources, cockpit.history, fetcher, force=True, progress=_progress)
    finally:
        await fetcher.aclose()


def _progress(done: int, total: int, polled: Polled) -> None:
    said = {"new": f"{plural(polled.new, 'new item')}", "unchanged": "nothing new",
            "failed": f"failed: {polled.error}", "paused": f"paused: {polled.error}",
            "not due": "not due"}[polled.outcome]
    warn(f"[{done}/{total}] {polled.source}: {said}")


@upgrade.group("sources")
def sources_group() -> None:
    """The sources watched: the bundled ones and yours ($PAI_HOME/sources.toml)."""


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of sources.")
@click.pass_context
def sources_list(ctx: click.Context, as_json: bool) -> None:
    """Each source: name, kind, URL, and how fetching it has gone."""
    config = config_for(ctx)
    sources = _sources(config)
    states = in_cockpit(config, lambda c: c.history.run(lambda store: store.feed_sources()))
    records = [_source_record(s, states.get(s.name)) for s in sources]
    if as_json:
        say_json(records)
        return
    for record in records:
        health = ("paused: " + str(record["error"])) if record["paused"] else \
            (f"{record['errors']} errors: {record['error']}" if record["errors"] else
             f"fetched {record['fetched_at'][:16]}" if record["fetched_at"] else "never fetched")
        say(f"{record['name']}  [{record['kind']}]  {record['url']}  ({health})")


def _source_record(source: Source, state: Any) -> dict[str, Any]:
    def iso(moment: Any) -> str | None:
        return None if moment is None else moment.isoformat() + "Z"

    return {"name": source.name, "kind": source.kind, "url": source.url,
            "feed_url": source.fetch_url, "tags": list(source.tags),
            "priority": source.priority, "telos": list(source.telos), "origin": source.origin,
            "fetched_at": iso(state.fetched_at) if state else None,
            "next_at": iso(state.next_at) if state else None,
            "error": state.error if state else None, "errors": state.errors if state else 0,
            "paused": state.paused if state else False}


@sources_group.command("add")
@click.argument("url")
@click.option("--name", help="What to call it (default: from the URL).")
@click.option("--kind", type=click.Choice(["feed", "github", "youtube", "page"]),
              help="Default: guessed from the URL.")
@click.option("--tag", "tags", multiple=True, help="A tag (again for more).")
@click.option("--priority", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Multiplies its items' scores.")
@click.option("--pattern", help="page: a regular expression the item links match.")
@click.pass_context
def sources_add(ctx: click.Context, url: str, name: str | None, kind: str | None,
                tags: tuple[str, ...], priority: float, pattern: str | None) -> None:
    """Watch URL: a feed, a GitHub repository, a YouTube channel or playlist, or a page."""
    from pai_tui.upgrade.sources import Source, add_source, guess_kind

    config = config_for(ctx)
    kind = kind or guess_kind(url)
    source = Source(name or _name_for(url), kind, url, tags, priority,  # type: ignore[arg-type]
                    pattern=pattern)
    try:
        source.fetch_url  # noqa: B018 (checks a repository or channel URL)
        add_source(config.home.root, source)
    except ValueError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    say(f"added {source.name!r} ({source.kind}): {source.fetch_url}")


def _name_for(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    path = parsed.path.strip("/")
    return f"{parsed.netloc}/{path}" if path else parsed.netloc or url


@sources_group.command("remove")
@click.argument("name")
@click.pass_context
def sources_remove(ctx: click.Context, name: str) -> None:
    """Stop watching NAME (a bundled source is turned off in your sources.toml)."""
    from pai_tui.upgrade.sources import remove_source

    config = config_for(ctx)
    _sources(config)  # a broken file is said first
    try:
        done = remove_source(config.home.root, name)
    except KeyError:
        warn(f"pai: no source named {name!r} (pai upgrade sources list)")
        ctx.exit(EXIT_FAILED)
    say(f"{name}: {done}")


@sources_group.command("test")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "github", "youtube", "page"]))
@click.pass_context
def sources_test(ctx: click.Context, url: str, kind: str | None) -> None:
    """Fetch URL once and show what would be stored; stores nothing."""
    from pai_tui.upgrade.sources import feed_url, guess_kind

    try:
        target = feed_url(kind or guess_kind(url), url)  # type: ignore[arg-type]
    except ValueError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    ctx.exit(asyncio.run(_try(target)))


async def _try(url: str) -> int:
    from pai_tui.upgrade.fetch import Fetcher
    from pai_tui.upgrade.parse import FeedError, parse_feed

    fetcher = Fetcher()
    try:
        fetched = await fetcher.fetch(url)
    finally:
        await fetcher.aclose()
    if fetched.outcome != "fetched":
        warn(f"pai: {url}: {fetched.error}")
        return EXIT_FAILED
    try:
        feed = await asyncio.to_thread(parse_feed, fetched.body, fetched.url,
                                       fetched.content_type)
    except FeedError as error:
        warn(f"pai: {url}: {error}")
        return EXIT_FAILED
    say(f"{feed.title or '(untitled)'}  [{feed.kind}]  {plural(len(feed.items), 'item')}"
        + (f", {feed.duplicates} given twice" if feed.duplicates else ""))
    if feed.problem:
        say(f"ill-formed, read anyway: {feed.problem}")
    for item in feed.items[:SHOWN_ITEMS]:
        when = item.published.date().isoformat() if item.published else "no date"
        say(f"  {when}  {item.title or '(untitled)'}  {item.url or ''}".rstrip())
    if len(feed.items) > SHOWN_ITEMS:
        say(f"  … and {len(feed.items) - SHOWN_ITEMS} more")
    return 0
