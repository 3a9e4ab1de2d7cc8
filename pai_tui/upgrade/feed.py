"""The upgrade feed as the cockpit uses it: its sources, a poll now (with progress), ranking
after it, the items, and the background scheduler. The faces (CLI, the Upgrades pane) call
this; it calls the pieces (sources, fetch, poll, rank, scheduler)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pai_tui import events
from pai_tui.config import Config

if TYPE_CHECKING:
    from pai_tui.history.records import FeedItemRecord, FeedSourceState
    from pai_tui.history.service import History
    from pai_tui.upgrade.poll import Polled, Progress
    from pai_tui.upgrade.scheduler import UpgradeScheduler
    from pai_tui.upgrade.sources import Source


ANNOUNCED = 20  # items told at most, of one poll


class UpgradeFeed:
    def __init__(self, config: Config, history: History, bus: events.Bus | None = None):
        self.config, self.history = config, history
        self.bus = bus or history.bus
        self.scheduler: UpgradeScheduler | None = None
        self.polling = False
        self.on_polled: Callable[[], None] | None = None  # told after a scheduled poll

    def sources(self) -> tuple[list[Source], list[str]]:
        """The sources, and warnings; ConfigError for a sources.toml pai cannot use."""
        from pai_tui.upgrade.sources import load_sources

        return load_sources(self.config.home.root)

    async def fetch(self, progress: Progress | None = None, name: str | None = None,
                    ) -> list[Polled]:
        """Poll the sources now (all but the paused; a named one even if paused), then rank
        every item again."""
        await asyncio.to_thread(_poll_modules)  # ~0.25 s of imports, off the UI loop
        from pai_tui.history.models import utcnow
        from pai_tui.upgrade.fetch import Fetcher
        from pai_tui.upgrade.poll import poll, refresh

        started = utcnow()
        sources, _ = self.sources()
        if name is not None:
            sources = [s for s in sources if s.name == name]
            for source in sources:
                await refresh(self.history, source.name)
        fetcher = Fetcher()
        await fetcher.ready()
        self.polling = True
        try:
            polled = await poll(sources, self.history, fetcher, force=True, progress=progress)
        finally:
            self.polling = False
            await fetcher.aclose()
        await self.rerank()
        await self._announce(started)
        return polled

    async def _announce(self, since: datetime) -> None:
        """Tell the bus of the items this poll found that score high and serve a goal."""
        least = self.config.upgrade.announce_score
        found = await self.history.run(
            lambda store: store.feed_items(True, ANNOUNCED, least, found_since=since))
        items = tuple(events.FoundItem(r.id, r.source, r.item.title, r.score, r.why)
                      for r in found if r.why)
        if items:
            self.bus.publish(events.UpgradeItemsFound(items=items))

    async def rerank(self, now: datetime | None = None) -> int:
        from pai_tui.upgrade.poll import rerank

        sources, _ = self.sources()
        return await rerank(self.history, self.config.home.root, sources, now)

    async def items(self, unread_only: bool = False, limit: int | None = None,
                    ) -> list[FeedItemRecord]:
        return await self.history.run(lambda store: store.feed_items(unread_only, limit))

    async def states(self) -> dict[str, FeedSourceState]:
        return await self.history.run(lambda store: store.feed_sources())

    async def mark(self, item_id: int, read: bool) -> bool:
        return await self.history.run(lambda store: store.mark_feed_item(item_id, read))

    async def delete(self, item_id: int) -> bool:
        return await self.history.run(lambda store: store.delete_feed_item(item_id))

    def start_scheduler(self, on_state: Callable[[str], None]) -> UpgradeScheduler:
        """Poll in the background from now on (this pai, or whichever holds the lease)."""
        from pai_tui.upgrade.scheduler import UpgradeScheduler

        if self.scheduler is None:
            every = timedelta(minutes=self.config.upgrade.every_minutes)
            self.scheduler = UpgradeScheduler(self.history, self._scheduled, every,
                                              on_state=on_state)
        self.scheduler.start()
        return self.scheduler

    async def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()

    async def _scheduled(self) -> None:
        await self.fetch()
        if self.on_polled is not None:
            self.on_polled()


def _poll_modules() -> None:
    """Import what a poll needs (httpx2 alone takes ~0.1 s): run in a thread, so the first
    fetch does not hold the cockpit's keys."""
    import httpx2  # noqa: F401

    from pai_tui.upgrade import fetch, poll  # noqa: F401
