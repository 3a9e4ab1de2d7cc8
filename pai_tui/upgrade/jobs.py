"""The upgrade scheduler's jobs (upgrade/scheduler.py runs them). Each is a module-level coroutine
function without arguments, because APScheduler's SQL job store keeps a reference to it
("module:name"), not an object; each gets what it works with from `fenced()`, which also checks
that this process still holds the scheduler's lease (else the job does nothing). Adding a job is
one line in `jobs()`."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.upgrade.scheduler import Job, fenced

if TYPE_CHECKING:
    from pai_tui.config import Config
    from pai_tui.upgrade.feed import UpgradeFeed
    from pai_tui.upgrade.poll import Polled

log = logging.getLogger(__name__)

DAY = timedelta(days=1)


def jobs(config: Config) -> list[Job]:
    """The jobs the scheduler runs, with their intervals from `[upgrade]`."""
    upgrade = config.upgrade
    check = min(timedelta(seconds=upgrade.check_seconds),
                timedelta(minutes=upgrade.every_minutes))
    # One line per job: its id (the database keeps its next run under it), a module-level
    # coroutine function of this module, and its interval. A job dropped from this list is
    # removed from the database at the next start.
    return [
        Job("upgrade-poll", poll_due_sources, check, checks_itself=True),
        Job("upgrade-digest", daily_digest, DAY),
        Job("upgrade-expire", expire_proposals, DAY),
    ]


async def poll_due_sources() -> list[Polled]:
    """Poll the sources that are due (each on its own interval: upgrade/poll.py), and say how
    it went in the log."""
    feed: UpgradeFeed | None = await fenced()
    if feed is None:
        return []
    polled = await feed.poll_due()
    asked = [p for p in polled if p.outcome != "not due"]
    if asked:
        new = sum(p.new for p in asked)
        failed = [p for p in asked if p.outcome == "failed"]
        log.info("upgrade poll: %d due of %d sources, %d new items%s", len(asked), len(polled),
                 new, "".join(f"; {p.source} failed: {p.error}" for p in failed))
    if asked and feed.on_polled is not None:  # (the Upgrades pane reloads)
        feed.on_polled()
    return polled


async def daily_digest() -> Path | None:
    """Write the day's best new unread items to $PAI_HOME/upgrade/digests/YYYY-MM-DD.md."""
    from pai_tui.upgrade.digest import write_digest

    feed: UpgradeFeed | None = await fenced()
    if feed is None:
        return None
    return await write_digest(feed)


async def expire_proposals() -> list[int]:
    """Proposals left unanswered for 30 days become expired (upgrade/proposals.py)."""
    feed: UpgradeFeed | None = await fenced()
    if feed is None:
        return []
    expired = await feed.expire_proposals()
    if expired:
        log.info("upgrade proposals expired (unanswered for 30 days): %s",
                 ", ".join(map(str, expired)))
    return expired
