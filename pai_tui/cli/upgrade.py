"""`pai upgrade`: the upgrade feed from the shell. `fetch` polls the sources now (progress on
stderr, a summary on stdout); `sources` lists, adds, removes and tries them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import plural, say, say_json, warn

if TYPE_CHECKING:
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
    if name is not None and not any(s.name == name for s in sources):
        warn(f"pai: no source named {name!r} (pai upgrade sources list)")
        ctx.exit(EXIT_USAGE)
    polled, refined = in_cockpit(config, lambda cockpit: _fetched(cockpit, name))
    new = sum(p.new for p in polled)
    failed = [p for p in polled if p.outcome == "failed"]
    paused = [p for p in polled if p.outcome == "paused"]
    say(f"{plural(len(polled), 'source')}: {plural(new, 'new item')}"
        + (f", {len(failed)} failed" if failed else "")
        + (f", {len(paused)} paused (pai upgrade fetch --source NAME tries one again)"
           if paused else ""))
    if refined is not None and refined.outcome != "off":
        warn(refined.said())
    ctx.exit(EXIT_FAILED if failed else 0)


async def _fetched(cockpit: Any, name: str | None) -> tuple[list[Polled], Any]:
    """The poll, and how the model's re-rank after it went."""
    polled = await cockpit.upgrades.fetch(_progress, name)
    return polled, cockpit.upgrades.refined


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
        errors = plural(record["errors"], "error")
        health = ("paused: " + str(record["error"])) if record["paused"] else \
            (f"{errors} in a row: {record['error']}" if record["errors"] else
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
@click.argument("url", required=False)
@click.option("--name", help="What to call it (default: from the URL).")
@click.option("--kind", type=click.Choice(["feed", "github", "youtube", "page"]),
              help="Default: guessed from the URL.")
@click.option("--tag", "tags", multiple=True, help="A tag (again for more).")
@click.option("--priority", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Multiplies its items' scores.")
@click.option("--pattern", help="page: a regular expression the item links match.")
@click.pass_context
def sources_add(ctx: click.Context, url: str | None, name: str | None, kind: str | None,
                tags: tuple[str, ...], priority: float, pattern: str | None) -> None:
    """Watch URL: a feed, a GitHub repository, a YouTube channel or playlist, or a page."""
    from pai_tui.upgrade.sources import Source, add_source, guess_kind, name_for

    config = config_for(ctx)
    if url is None:
        raise click.UsageError("which URL? pai upgrade sources add URL")
    kind = kind or guess_kind(url)
    source = Source(name or name_for(url), kind, url, tags, priority,  # type: ignore[arg-type]
                    pattern=pattern)
    try:
        source.fetch_url  # noqa: B018 (checks a repository or channel URL)
        add_source(config.home.root, source)
    except ValueError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    say(f"added {source.name!r} ({source.kind}): {source.fetch_url}")


@sources_group.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Say what would be imported; write nothing.")
@click.pass_context
def sources_import(ctx: click.Context, file: str | None, dry_run: bool) -> None:
    """Import PAI's or LifeOS's sources.json / user-sources.json / youtube-channels.json as they
    are: each entry becomes a source in your sources.toml; one already there (same name or
    URL) is left unchanged, one pai cannot watch is skipped with its place and why."""
    from pathlib import Path

    from pai_tui.config import ConfigError
    from pai_tui.upgrade.pai_sources import NotASourceList, import_sources

    config = config_for(ctx)
    if file is None:
        raise click.UsageError("which file? pai upgrade sources import FILE (PAI's "
                               "sources.json or user-sources.json)")
    try:
        report = import_sources(config.home.root, Path(file), dry_run)
    except NotASourceList as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    except ConfigError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    verb = "would import" if dry_run else "imported"
    for result in report.results:
        if result.outcome == "imported" and result.source is not None:
            say(f"{verb} {result.where}: {result.name!r} ({result.source.kind}) "
                f"{result.source.url}")
        elif result.outcome == "unchanged":
            say(f"unchanged {result.where}: {result.name!r}: {result.reason}")
        else:
            warn(f"pai: {file}: {result.where}"
                 + (f" ({result.name!r})" if result.name else "") + f": skipped: {result.reason}")
    say(f"{report.count('imported')} {verb}, {report.count('unchanged')} unchanged, "
        f"{report.count('skipped')} skipped" + (" (dry run: nothing written)" if dry_run else ""))


@sources_group.command("remove")
@click.argument("name", required=False)
@click.pass_context
def sources_remove(ctx: click.Context, name: str | None) -> None:
    """Stop watching NAME (a bundled source is turned off in your sources.toml)."""
    from pai_tui.upgrade.sources import remove_source

    config = config_for(ctx)
    if name is None:
        raise click.UsageError("which source? pai upgrade sources remove NAME")
    _sources(config)  # a broken file is said first
    try:
        done = remove_source(config.home.root, name)
    except KeyError:
        warn(f"pai: no source named {name!r} (pai upgrade sources list)")
        ctx.exit(EXIT_FAILED)
    say(f"{name}: {done}")


@sources_group.command("test")
@click.argument("url", required=False)
@click.option("--kind", type=click.Choice(["feed", "github", "youtube", "page"]))
@click.option("--pattern", help="page: a regular expression the item links match.")
@click.pass_context
def sources_test(ctx: click.Context, url: str | None, kind: str | None,
                 pattern: str | None) -> None:
    """Fetch URL once and show what would be stored; stores nothing."""
    from pai_tui.upgrade.sources import Source, guess_kind

    config_for(ctx)  # a broken config.toml is said first, as by every command
    if url is None:
        raise click.UsageError("which URL? pai upgrade sources test URL")
    source = Source("test", kind or guess_kind(url), url, pattern=pattern)  # type: ignore[arg-type]
    if source.kind == "page" and not pattern:
        raise click.UsageError("a page needs --pattern (a regular expression its item links match)")
    try:
        target = source.fetch_url
    except ValueError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    ctx.exit(asyncio.run(_try(source, target)))


async def _try(source: Source, url: str) -> int:
    from pai_tui.upgrade.fetch import Fetcher
    from pai_tui.upgrade.parse import FeedError
    from pai_tui.upgrade.poll import read_document

    fetcher = Fetcher()
    try:
        fetched = await fetcher.fetch(url)
    finally:
        await fetcher.aclose()
    if fetched.outcome != "fetched":
        warn(f"pai: {url}: {fetched.error}")
        return EXIT_FAILED
    try:
        feed = await asyncio.to_thread(read_document, source, fetched)
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


LISTED = 20  # items `list` shows without --all


@upgrade.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of items, best first.")
@click.option("--all", "everything", is_flag=True, help="Every item kept, read ones too.")
@click.option("--unread", is_flag=True, help="Only unread items (with --all: all of them).")
@click.option("--min-score", type=float, help="Only items scoring at least this.")
@click.pass_context
def list_items(ctx: click.Context, as_json: bool, everything: bool, unread: bool,
               min_score: float | None) -> None:
    """The items found, best first, each with its score and why (the goals it serves)."""
    config = config_for(ctx)
    unread_only = unread or not everything
    limit = None if everything else LISTED
    records = in_cockpit(config, lambda c: c.history.run(
        lambda store: store.feed_items(unread_only, limit, min_score)))
    if as_json:
        say_json([_item_record(r) for r in records])
        return
    if not records:
        say("No items yet: pai upgrade fetch" if not everything else "No items.")
    for record in records:
        item = record.item
        when = item.published.date().isoformat() if item.published else "no date"
        mark = " " if record.read else "•"
        say(f"{mark} {record.id:>5}  {record.score:6.3f}  {when}  {record.source}: "
            f"{item.title or '(untitled)'}" + (f"  [{record.why}]" if record.why else ""))


def _item_record(record: Any) -> dict[str, Any]:
    item = record.item
    return {"id": record.id, "source": record.source, "title": item.title, "url": item.url,
            "published": item.published.isoformat() + "Z" if item.published else None,
            "found": record.found_at.isoformat() + "Z", "score": record.score,
            "why": record.why, "read": record.read, **({"extra": item.extra} if item.extra
                                                      else {})}


@upgrade.command("show")
@click.argument("item_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="The item as one JSON object.")
@click.pass_context
def show(ctx: click.Context, item_id: int | None, as_json: bool) -> None:
    """One item in full: title, source, date, its text and its link; marks it read."""
    config = config_for(ctx)
    if item_id is None:
        raise click.UsageError("which item? pai upgrade show ITEM_ID (pai upgrade list)")

    def read(store):  # type: ignore[no-untyped-def]
        record = store.feed_item(item_id)
        if record is not None:
            store.mark_feed_item(item_id)
        return record

    record = in_cockpit(config, lambda c: c.history.run(read))
    if record is None:
        warn(f"pai: no item {item_id} (pai upgrade list --all)")
        ctx.exit(EXIT_FAILED)
    if as_json:
        say_json({**_item_record(record), "summary": record.item.summary})
        return
    item = record.item
    say(item.title or "(untitled)")
    when = item.published.isoformat(sep=" ", timespec="minutes") if item.published else "no date"
    say(f"{record.source} · {when} · score {record.score:.3f}")
    if record.why:
        say(f"why: {record.why}")
    if item.url:
        say(item.url)
    if item.summary:
        say()
        say(item.summary)


def _add_proposal_commands() -> None:
    """propose, proposals, proposal, accept, reject, apply, revert (cli/upgrade_proposals.py)."""
    from pai_tui.cli.upgrade_proposals import COMMANDS

    for command in COMMANDS:
        upgrade.add_command(command)


_add_proposal_commands()
