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
    from pai_tui.history.records import FeedItemRecord, FeedSourceState, ProposalRecord
    from pai_tui.history.service import History
    from pai_tui.turns.service import Turns
    from pai_tui.upgrade.poll import Polled, Progress
    from pai_tui.upgrade.proposals import State
    from pai_tui.upgrade.rerank_model import Refined
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
        self.refined: Refined | None = None  # how the model's re-rank went, the last time

    def sources(self) -> tuple[list[Source], list[str]]:
        """The sources, and warnings; ConfigError for a sources.toml pai cannot use."""
        from pai_tui.upgrade.sources import load_sources

        return load_sources(self.config.home.root)

    async def fetch(self, progress: Progress | None = None, name: str | None = None,
                    ) -> list[Polled]:
        """Poll the sources now (all but the paused; a named one even if paused), then rank
        every item again."""
        from pai_tui.history.models import utcnow
        from pai_tui.upgrade.poll import refresh

        started = utcnow()
        sources, _ = self.sources()
        if name is not None:
            sources = [s for s in sources if s.name == name]
            for source in sources:
                await refresh(self.history, source.name)
        polled = await self._poll(sources, True, progress)
        await self.rerank()
        await self._announce(started)
        return polled

    async def poll_due(self, progress: Progress | None = None) -> list[Polled]:
        """Poll the sources that are due, each on its own interval (the scheduler's poll), and
        rank again (and announce) if any brought new items."""
        from pai_tui.history.models import utcnow

        started = utcnow()
        sources, _ = self.sources()
        polled = await self._poll(sources, False, progress)
        if any(p.new for p in polled):
            await self.rerank()
            await self._announce(started)
        return polled

    async def _poll(self, sources: list[Source], force: bool, progress: Progress | None,
                    ) -> list[Polled]:
        await asyncio.to_thread(_poll_modules)  # ~0.25 s of imports, off the UI loop
        from pai_tui.upgrade.fetch import Fetcher
        from pai_tui.upgrade.poll import poll

        every = timedelta(minutes=self.config.upgrade.every_minutes)
        fetcher = Fetcher()
        await fetcher.ready()
        self.polling = True
        try:
            return await poll(sources, self.history, fetcher, force=force, progress=progress,
                              every=every)
        finally:
            self.polling = False
            await fetcher.aclose()

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
        """Rank by code, then let the model refine the top when [upgrade] model_rerank is on
        (`self.refined` says how that went)."""
        from pai_tui.upgrade.poll import rerank
        from pai_tui.upgrade.rerank_model import refine

        sources, _ = self.sources()
        ranked = await rerank(self.history, self.config.home.root, sources, now)
        self.refined = await refine(self.config, self.history, now)
        return ranked

    async def items(self, unread_only: bool = False, limit: int | None = None,
                    ) -> list[FeedItemRecord]:
        return await self.history.run(lambda store: store.feed_items(unread_only, limit))

    async def states(self) -> dict[str, FeedSourceState]:
        return await self.history.run(lambda store: store.feed_sources())

    async def mark(self, item_id: int, read: bool) -> bool:
        return await self.history.run(lambda store: store.mark_feed_item(item_id, read))

    async def delete(self, item_id: int) -> bool:
        return await self.history.run(lambda store: store.delete_feed_item(item_id))

    def start_scheduler(self, on_state: Callable[[str], None],
                        first_run_after: timedelta | None = None) -> UpgradeScheduler:
        """Run the jobs (upgrade/jobs.py) in the background from now on (this pai, or whichever
        holds the lease); a job new to the database first runs `first_run_after` from now."""
        if self.scheduler is None:
            self.scheduler = self.new_scheduler(on_state, first_run_after)
        self.scheduler.start()
        return self.scheduler

    def new_scheduler(self, on_state: Callable[[str], None] | None = None,
                      first_run_after: timedelta | None = None) -> UpgradeScheduler:
        """A scheduler of the jobs with this feed as their context, its lease from config."""
        from pai_tui.upgrade.jobs import jobs
        from pai_tui.upgrade.scheduler import FIRST_RUN_AFTER, UpgradeScheduler

        return UpgradeScheduler(
            self.history, jobs(self.config), self,
            lease_for=timedelta(seconds=self.config.upgrade.lease_seconds), on_state=on_state,
            first_run_after=FIRST_RUN_AFTER if first_run_after is None else first_run_after)

    async def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()


    # Proposals (upgrade/proposals.py: the lifecycle). A refusal or failure raises
    # upgrade.proposals.ProposalError, whose str() is the message for the user.

    async def propose(self, item_id: int, turns: Turns) -> ProposalRecord:
        """Draft a proposal from item `item_id` with the model (stored as proposed)."""
        from pai_tui.upgrade.draft import draft

        return await draft(turns, self.history, self.config.home.root, item_id)

    async def proposals(self, states: tuple[State, ...] | None = None) -> list[ProposalRecord]:
        """Proposals, newest first (only those in `states`, if given)."""
        return await self.history.run(lambda store: store.proposals(states))

    async def proposal(self, proposal_id: int) -> ProposalRecord | None:
        return await self.history.run(lambda store: store.proposal(proposal_id))

    async def accept(self, proposal_id: int, cause: str = "accepted by the user",
                     ) -> ProposalRecord:
        from pai_tui.upgrade.proposals import move

        return await move(self.history, proposal_id, "accepted", cause)

    async def reject(self, proposal_id: int, cause: str = "rejected by the user",
                     ) -> ProposalRecord:
        from pai_tui.upgrade.proposals import move

        return await move(self.history, proposal_id, "rejected", cause)

    async def apply(self, proposal_id: int) -> ProposalRecord:
        """Commit an accepted proposal in PAI_HOME and verify it: verified, or failed (and
        undone by a new commit)."""
        from pai_tui.upgrade.proposal_apply import apply

        return await apply(self.history, self.config.home.root, proposal_id)

    async def revert(self, proposal_id: int) -> ProposalRecord:
        """Undo an applied or verified proposal with a new commit."""
        from pai_tui.upgrade.proposal_apply import revert

        return await revert(self.history, self.config.home.root, proposal_id)

    async def expire_proposals(self, now: datetime | None = None) -> list[int]:
        """Expire proposals unanswered for 30 days; their ids."""
        from pai_tui.history.models import utcnow
        from pai_tui.upgrade.proposals import expire

        return await expire(self.history, now or utcnow())


def _poll_modules() -> None:
    """Import what a poll needs (httpx2 alone takes ~0.1 s): run in a thread, so the first
    fetch does not hold the cockpit's keys."""
    import httpx2  # noqa: F401

    from pai_tui.upgrade import fetch, poll  # noqa: F401
