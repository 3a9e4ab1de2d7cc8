"""One poll of the upgrade sources: each source that is due is fetched (conditional GET), read,
and its new items stored; how it went decides when it is asked again. A failing source backs
off (doubling, up to a day; longer if the server asked), and a source whose document is not a
feed three times in a row is paused until the user refreshes it, its last error kept in view.
A healthy source is asked again after its own interval: `every` (hourly by default) for one that
posts about daily, shorter for one that posts more often, longer for a quiet one, bounded and
jittered so that sources do not all come due at once."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pai_tui.history.records import FeedSourceState
from pai_tui.upgrade.fetch import Fetched, Fetcher, Validators
from pai_tui.upgrade.parse import FeedError, ParsedFeed
from pai_tui.upgrade.reader import Readers
from pai_tui.upgrade.reader import read_document as read_document  # where it was before
from pai_tui.upgrade.sources import Source

if TYPE_CHECKING:
    from pai_tui.history.service import History

EVERY = timedelta(hours=1)  # a healthy source that posts about daily is asked again after this
POSTS_DAILY = timedelta(days=1)  # the posting gap at which a source is asked every `EVERY`
FASTEST = timedelta(minutes=15)  # the bounds of a healthy source's interval (widened to
SLOWEST = timedelta(days=1)  # include the user's own `every`)
RECENT_POSTS = 10  # the posts its pace is read from
JITTER = 0.1  # ± this fraction of the interval
FIRST_BACKOFF = timedelta(minutes=15)
MOST_BACKOFF = timedelta(days=1)
PAUSE_AFTER = 3  # documents in a row that are not feeds

Outcome = Literal["new", "unchanged", "failed", "paused", "not due"]


@dataclass(frozen=True)
class Polled:
    source: str
    outcome: Outcome
    new: int = 0
    error: str | None = None


Progress = Callable[[int, int, Polled], None]  # sources done, sources in all, the last one


async def poll(sources: Sequence[Source], history: History, fetcher: Fetcher,
               now: datetime | None = None, force: bool = False,
               progress: Progress | None = None, every: timedelta = EVERY) -> list[Polled]:
    """Poll the sources that are due (with `force`, all but the paused ones), at once within
    the fetcher's per-host limits; results in the order given. `every`: the interval of a
    source that posts about daily (see `interval`)."""
    states = await history.run(lambda store: store.feed_sources())
    done = 0
    readers = Readers()

    async def one(source: Source) -> Polled:
        nonlocal done
        polled = await _poll_one(source, states.get(source.name), history, fetcher, readers,
                                 now, force, every)
        done += 1
        if progress is not None:
            progress(done, len(sources), polled)
        return polled

    try:
        return list(await asyncio.gather(*(one(source) for source in sources)))
    finally:
        await readers.close()


async def _poll_one(source: Source, state: FeedSourceState | None, history: History,
                    fetcher: Fetcher, readers: Readers, now: datetime | None, force: bool,
                    every: timedelta = EVERY) -> Polled:
    from pai_tui.history.models import utcnow

    when = now or utcnow()
    url = source.fetch_url
    if state is None or state.url != url:  # new, or its URL changed: nothing to send back
        state = FeedSourceState(source.name, url)
    if state.paused:  # until the user refreshes it (`refresh`)
        return Polled(source.name, "paused", error=state.error)
    if not force and state.next_at is not None and state.next_at > when:
        return Polled(source.name, "not due")
    fetched = await fetcher.fetch(url, Validators(state.etag, state.last_modified))
    parsed: ParsedFeed | FeedError | None = None
    if fetched.outcome == "fetched":
        try:
            parsed = await readers.read(source, fetched)
        except FeedError as error:
            parsed = error
    new = 0
    if isinstance(parsed, ParsedFeed):
        items = parsed.items
        new = await history.run(lambda store: store.add_feed_items(source.name, items, when))
    published = await history.run(lambda store: store.feed_published(source.name, RECENT_POSTS))
    state = after(state, fetched, parsed, when, every, published)
    await history.run(lambda store: store.save_feed_source(state))
    if state.paused:
        return Polled(source.name, "paused", error=state.error)
    if fetched.outcome == "failed" or isinstance(parsed, FeedError):
        return Polled(source.name, "failed", error=state.error)
    return Polled(source.name, "new" if new else "unchanged", new)


def after(state: FeedSourceState, fetched: Fetched, parsed: ParsedFeed | FeedError | None,
          now: datetime, every: timedelta = EVERY,
          published: Sequence[datetime] = ()) -> FeedSourceState:
    """The source's state after this fetch; `published`: when its latest items were posted."""
    asked = timedelta(seconds=fetched.wait) if fetched.wait is not None else timedelta(0)
    state = replace(state, tried_at=now)
    if fetched.outcome == "failed":
        errors = state.errors + 1
        return replace(state, error=fetched.error, errors=errors,
                       next_at=now + max(_backoff(errors), asked))
    if isinstance(parsed, FeedError):
        failures = state.parse_failures + 1
        return replace(state, error=str(parsed), errors=state.errors + 1,
                       parse_failures=failures, paused=failures >= PAUSE_AFTER,
                       next_at=now + _backoff(state.errors + 1))
    validators = fetched.validators
    problem = parsed.problem if isinstance(parsed, ParsedFeed) else None
    return replace(state, etag=validators.etag, last_modified=validators.last_modified,
                   fetched_at=now, next_at=now + max(interval(state.name, published, now, every),
                                                     asked), errors=0,
                   parse_failures=0, paused=False,
                   error=f"read, though ill-formed: {problem}" if problem else state.error)


def interval(name: str, published: Sequence[datetime], now: datetime,
             every: timedelta = EVERY) -> timedelta:
    """How long until a healthy source is asked again. Its pace is the mean gap between its
    last posts, or the time since its newest if that is longer (it went quiet): a source that
    posts about daily gets `every`, one posting four times a day a quarter of it, a weekly one
    seven times it; within FASTEST … SLOWEST (widened to include `every`), jittered by ±10%
    (the same for the same source and time). A source without dated posts gets `every`."""
    times = sorted(moment for moment in published if moment <= now)[-RECENT_POSTS:]
    wanted = every
    if times:
        since = now - times[-1]
        gap = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else since
        wanted = every * (max(gap, since) / POSTS_DAILY)
    wanted *= 1 + JITTER * _spread(f"{name}|{now.isoformat()}")
    return min(max(wanted, min(FASTEST, every)), max(SLOWEST, every))


def _spread(text: str) -> float:
    """A number in [-1, 1] that depends only on `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 63 - 1


def _backoff(errors: int) -> timedelta:
    return min(FIRST_BACKOFF * 2 ** max(0, errors - 1), MOST_BACKOFF)


async def refresh(history: History, name: str) -> None:
    """The user asks for a source again: unpause it and forget its wait."""
    def unpause(store) -> None:  # type: ignore[no-untyped-def]
        state = store.feed_sources().get(name)
        if state is not None:
            store.save_feed_source(replace(state, paused=False, parse_failures=0, next_at=None))

    await history.run(unpause)


async def rerank(history: History, home: Path, sources: Sequence[Source],
                 now: datetime | None = None) -> int:
    """Score every item kept (not deleted) against the TELOS in `home`, and store the scores
    and their explanations; how many were ranked. In a thread: 10,000 items take a while."""
    from pai_tui.history.models import utcnow
    from pai_tui.telos import load_telos
    from pai_tui.upgrade.rank import rank

    when = now or utcnow()
    priorities = {source.name: source.priority for source in sources}

    def work(store) -> int:  # type: ignore[no-untyped-def]
        items = store.feed_items()
        goals = load_telos(home).items
        ranked = rank(items, goals, priorities, when)
        store.score_feed_items({r.item_id: (r.score, r.why) for r in ranked})
        return len(ranked)

    return await history.run(work)
