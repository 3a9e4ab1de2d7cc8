"""The upgrade feed's scheduler: APScheduler 3 polling the sources every so often, its job
kept in pai's database so that a poll missed while pai was closed runs once (not once per
missed period) when it opens again. Exactly one pai runs the jobs for one database: it holds
the "upgrade-scheduler" lease (history/leases.py) and renews it; every other pai waits, says
who holds it and when the next run is, and takes over when the holder stops or its lease
expires. A holder whose renewal is refused (it was paused past its lease) stops at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pai_tui.history.records import Lease

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from pai_tui.history.service import History

LEASE = "upgrade-scheduler"
JOB = "upgrade-poll"
FIRST_RUN_AFTER = timedelta(seconds=60)  # a new schedule's first poll: not during start-up

# The scheduler of this process whose job runs (APScheduler keeps a reference to a function
# in its store, not to an object).
_RUNNING: UpgradeScheduler | None = None


async def run_poll() -> None:
    """The job APScheduler runs: this process's scheduler's work, if it still holds the lease."""
    if _RUNNING is not None:
        await _RUNNING.run_job()


def holder_name() -> str:
    """HOST:PID:NONCE, unique to one scheduler (two in one process are two holders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class UpgradeScheduler:
    def __init__(self, history: History, work: Callable[[], Awaitable[object]],
                 every: timedelta, lease_for: timedelta = timedelta(seconds=60),
                 on_state: Callable[[str], None] | None = None,
                 now: Callable[[], datetime] | None = None,
                 first_run_after: timedelta = FIRST_RUN_AFTER):
        from pai_tui.history.models import utcnow

        self.history, self.work, self.every, self.lease_for = history, work, every, lease_for
        self.on_state = on_state or (lambda state: None)
        self.now = now or utcnow
        self.first_run_after = first_run_after
        self.holder = holder_name()
        self.state = "off"
        self.lease: Lease | None = None
        self.runs = 0  # polls this process ran
        self._scheduler: AsyncIOScheduler | None = None
        self._keeper: asyncio.Task[None] | None = None

    # lifecycle

    def start(self) -> None:
        """Hold the lease (or wait for it) from now on, in a task of the running loop."""
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep())

    async def stop(self) -> None:
        """Stop running jobs and give the lease up, so another pai takes over at once."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        await self._let_go()
        self._say("off")

    async def _keep(self) -> None:
        """Take the lease when it is free and renew it while held, a third of its time apart."""
        pause = self.lease_for.total_seconds() / 3
        while True:
            try:
                if self.lease is None:
                    await self._try_to_take()
                else:
                    await self._renew()
            except Exception as error:  # the store failed: said, and tried again
                self._say(f"error: {error}")
            await asyncio.sleep(pause)

    async def _try_to_take(self) -> None:
        now = self.now()
        lease = await self.history.run(
            lambda store: store.take_lease(LEASE, self.holder, self.lease_for, now))
        if lease is None:
            held = await self.history.run(lambda store: store.lease(LEASE))
            self._say(self._held_by(held))
            return
        self.lease = lease
        await self._run_jobs()

    async def _renew(self) -> None:
        assert self.lease is not None
        now, note = self.now(), self._next_run_text()
        renewed = await self.history.run(
            lambda store: store.renew_lease(self.lease, self.lease_for, now, note))
        if renewed is None:  # another pai has it now: this one must not run jobs
            await self._stop_jobs()
            self.lease = None
            self._say("lost the lease to another pai")
            return
        self.lease = renewed
        self._say(self._holding())

    async def _let_go(self) -> None:
        await self._stop_jobs()
        if self.lease is not None:
            lease, now = self.lease, self.now()
            self.lease = None
            with contextlib.suppress(Exception):
                await self.history.run(lambda store: store.release_lease(lease, now))

    # APScheduler

    async def _run_jobs(self) -> None:
        global _RUNNING
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from pai_tui.history.jobs import job_store

        store = await self.history.run(job_store)
        scheduler = AsyncIOScheduler(
            jobstores={"default": store}, timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        scheduler.start(paused=True)
        job = scheduler.get_job(JOB)
        interval = {"seconds": self.every.total_seconds()}
        if job is None:
            scheduler.add_job(run_poll, "interval", id=JOB, **interval,
                              next_run_time=_utc(self.now() + self.first_run_after))
        elif getattr(job.trigger, "interval", None) != self.every:
            # The interval was changed in config: the next run is one new interval away.
            scheduler.reschedule_job(JOB, trigger="interval", **interval)
        _RUNNING, self._scheduler = self, scheduler
        scheduler.resume()  # a run missed while closed happens now, once
        self._say(self._holding())
        note = self._next_run_text()
        lease = self.lease
        if lease is not None:
            self.lease = await self.history.run(
                lambda s: s.renew_lease(lease, self.lease_for, self.now(), note)) or lease

    async def _stop_jobs(self) -> None:
        global _RUNNING
        if self._scheduler is not None:
            scheduler, self._scheduler = self._scheduler, None
            with contextlib.suppress(Exception):
                scheduler.shutdown(wait=False)
        if _RUNNING is self:
            _RUNNING = None

    async def run_job(self) -> None:
        if self.lease is None:
            return
        self._say("polling")
        try:
            await self.work()
            self.runs += 1
        finally:
            self._say(self._holding() if self.lease is not None else self.state)

    # what is said

    def next_run(self) -> datetime | None:
        job = self._scheduler.get_job(JOB) if self._scheduler is not None else None
        when = job.next_run_time if job is not None else None
        return None if when is None else when.replace(tzinfo=None) + _offset(when)

    def _next_run_text(self) -> str:
        when = self.next_run()
        return "" if when is None else f"next run {when:%Y-%m-%d %H:%M} UTC"

    def _holding(self) -> str:
        said = self._next_run_text()
        return f"on · {said}" if said else "on"

    @staticmethod
    def _held_by(lease: Lease | None) -> str:
        if lease is None:
            return "waiting for the lease"
        since = f"since {lease.acquired_at:%Y-%m-%d %H:%M} UTC"
        return f"held by {lease.where} {since}" + (f", {lease.note}" if lease.note else "")

    def _say(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state)


def _utc(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


def _offset(when: datetime) -> timedelta:
    """What to add to an aware time's wall clock to get UTC (APScheduler gives UTC here)."""
    offset = when.utcoffset()
    return -offset if offset else timedelta(0)

