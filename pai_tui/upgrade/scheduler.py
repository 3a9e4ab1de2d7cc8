"""The upgrade feed's scheduler: APScheduler 3 running the jobs of a table (upgrade/jobs.py),
kept in pai's database so that a job missed while pai was closed runs once (not once per missed
period) when it opens again. Exactly one pai runs the jobs for one database: it holds the
"upgrade-scheduler" lease (history/leases.py) and renews it; every other pai waits, says who
holds it and when the next run is, and takes over when the holder stops or its lease expires.
A holder whose renewal is refused (it was paused past its lease) stops at once, and a job checks
the lease (renewing it: the fencing token) before it does anything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pai_tui.history.records import Lease

if TYPE_CHECKING:
    from apscheduler.events import JobEvent
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from pai_tui.history.service import History

LEASE = "upgrade-scheduler"
FIRST_RUN_AFTER = timedelta(seconds=60)  # a new job's first run: not during start-up
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One job of the table: a module-level coroutine function without arguments (the job store
    keeps its reference, "module:name", not an object), run every `every`. A job that decides
    for itself what is due (`checks_itself`: the poll) runs at each `pai daemon --once`."""

    id: str
    func: Callable[[], Awaitable[object]]
    every: timedelta
    checks_itself: bool = False


# The scheduler of this process whose jobs run (APScheduler calls functions, not methods).
_RUNNING: UpgradeScheduler | None = None


async def fenced() -> Any:
    """What the jobs work with (the scheduler's `context`, the UpgradeFeed) if this process's
    scheduler still holds the lease, checked now with its fencing token; else None: the job
    does nothing."""
    scheduler = _RUNNING
    if scheduler is None or not await scheduler.confirm():
        return None
    return scheduler.context


def holder_name() -> str:
    """HOST:PID:NONCE, unique to one scheduler (two in one process are two holders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class UpgradeScheduler:
    def __init__(self, history: History, jobs: Sequence[Job], context: object = None,
                 lease_for: timedelta = timedelta(seconds=60),
                 on_state: Callable[[str], None] | None = None,
                 now: Callable[[], datetime] | None = None,
                 first_run_after: timedelta = FIRST_RUN_AFTER):
        from pai_tui.history.models import utcnow

        self.history, self.jobs, self.context = history, tuple(jobs), context
        self.lease_for = lease_for
        self.on_state = on_state or (lambda state: None)
        self.now = now or utcnow
        self.first_run_after = first_run_after
        self.holder = holder_name()
        self.state = "off"
        self.lease: Lease | None = None
        self.runs = 0  # jobs this process ran
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

    async def run_once(self) -> dict[str, object] | None:
        """Take the lease, run each job that is due now (and each that `checks_itself`) once,
        and give the lease up: `pai daemon --once`. What each job returned (or the exception
        it raised), by id; None if another pai holds the lease (it runs the jobs: said in
        `state`)."""
        global _RUNNING
        if not await self._take():
            return None
        results: dict[str, object] = {}
        try:
            scheduler = await self._open()
            _RUNNING, self._scheduler = self, scheduler
            for job in self.jobs:
                stored = scheduler.get_job(job.id)
                due = stored is not None and stored.next_run_time <= _utc(self.now())
                if due or job.checks_itself:
                    try:
                        results[job.id] = await job.func()
                    except Exception as error:  # said; the other jobs still run
                        log.exception("upgrade scheduler: job %s failed", job.id)
                        results[job.id] = error
                    self.runs += 1
                if due:
                    scheduler.modify_job(job.id, next_run_time=_next_after(stored, self.now()))
        finally:
            await self._let_go()
        return results

    async def confirm(self) -> bool:
        """Whether this scheduler still holds the lease: renewed now, which fails if another
        pai took it meanwhile (then this one stops running jobs)."""
        if self.lease is None:
            return False
        await self._renew()
        return self.lease is not None

    async def _keep(self) -> None:
        """Take the lease when it is free and renew it while held, a third of its time apart;
        never on a history a newer pai migrated (this one may only read it: said once)."""
        from pai_tui.history.migrations import SchemaError

        pause = self.lease_for.total_seconds() / 3
        while True:
            try:
                if self.lease is None:
                    if await self._take():
                        await self._run_jobs()
                else:
                    await self._renew()
            except Exception as error:  # the store failed: said, and tried again
                if isinstance(error, SchemaError) and self.history.read_only:
                    log.warning("upgrade scheduler stopped: %s", self.history.read_only)
                    await self._let_go()
                    self._say("read-only: upgrade pai")
                    return
                log.exception("upgrade scheduler: the store failed")
                self._say(f"error: {error}")
            await asyncio.sleep(pause)

    async def _take(self) -> bool:
        now = self.now()
        lease = await self.history.run(
            lambda store: store.take_lease(LEASE, self.holder, self.lease_for, now))
        if lease is None:
            held = await self.history.run(lambda store: store.lease(LEASE))
            self._say(self._held_by(held))
            return False
        self.lease = lease
        return True

    async def _renew(self) -> None:
        lease = self.lease
        assert lease is not None
        now, note = self.now(), self._next_run_text()
        renewed = await self.history.run(
            lambda store: store.renew_lease(lease, self.lease_for, now, note))
        if renewed is None:  # another pai has it now: this one must not run jobs
            await self._stop_jobs()
            self.lease = None
            self._say("lost the lease to another pai")
            return
        self.lease = renewed
        if self.state != "running":
            self._say(self._holding())

    async def _let_go(self) -> None:
        await self._stop_jobs()
        if self.lease is not None:
            lease, now = self.lease, self.now()
            self.lease = None
            with contextlib.suppress(Exception):
                await self.history.run(lambda store: store.release_lease(lease, now))

    # APScheduler

    async def _open(self) -> AsyncIOScheduler:
        """APScheduler on the job store, started paused, with the jobs of the table: a job new
        to the store first runs `first_run_after` from now; one whose interval or function
        changed is rescheduled; one no longer in the table is removed. A job already stored
        keeps its next run time, however long ago (never re-added: that would drop the run
        missed while pai was closed)."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.util import obj_to_ref

        from pai_tui.history.jobs import job_store

        store = await self.history.run(job_store)
        scheduler = AsyncIOScheduler(
            jobstores={"default": store}, timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        scheduler.add_listener(self._on_event,
                               EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.start(paused=True)
        wanted = {job.id for job in self.jobs}
        for stored in scheduler.get_jobs():
            if stored.id not in wanted:
                scheduler.remove_job(stored.id)
        for job in self.jobs:
            stored = scheduler.get_job(job.id)
            interval = {"seconds": job.every.total_seconds()}
            if stored is None:
                scheduler.add_job(job.func, "interval", id=job.id, **interval,
                                  next_run_time=_utc(self.now() + self.first_run_after))
            elif getattr(stored.trigger, "interval", None) != job.every:
                # Changed in config: the next run is one new interval away.
                scheduler.reschedule_job(job.id, trigger="interval", **interval)
            if stored is not None and stored.func_ref != obj_to_ref(job.func):
                scheduler.modify_job(job.id, func=job.func)
        return scheduler

    async def _run_jobs(self) -> None:
        global _RUNNING
        scheduler = await self._open()
        _RUNNING, self._scheduler = self, scheduler
        scheduler.resume()  # a run missed while closed happens now, once
        self._say(self._holding())
        note = self._next_run_text()
        lease = self.lease
        if lease is not None:
            self.lease = await self.history.run(
                lambda s: s.renew_lease(lease, self.lease_for, self.now(), note)) or lease

    def _on_event(self, event: JobEvent) -> None:
        from apscheduler.events import EVENT_JOB_SUBMITTED

        if event.code == EVENT_JOB_SUBMITTED:
            self._say("running")
            return
        self.runs += 1  # (a job that raised is logged by APScheduler: observe/logfile.py)
        self._say(self._holding() if self.lease is not None else "off")

    async def _stop_jobs(self) -> None:
        global _RUNNING
        if self._scheduler is not None:
            scheduler, self._scheduler = self._scheduler, None
            with contextlib.suppress(Exception):
                scheduler.shutdown(wait=False)
        if _RUNNING is self:
            _RUNNING = None

    # what is said

    def next_run(self) -> datetime | None:
        """The earliest next run of a job (UTC, naive)."""
        if self._scheduler is None:
            return None
        times = [job.next_run_time for job in self._scheduler.get_jobs()
                 if job.next_run_time is not None]
        when = min(times, default=None)
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


def _next_after(job: Any, now: datetime) -> datetime | None:
    """A due job's next run after `now` (the missed ones coalesced into the run just made)."""
    moment, when = _utc(now), job.next_run_time
    while when is not None and when <= moment:
        when = job.trigger.get_next_fire_time(when, moment)
    return when


def _utc(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


def _offset(when: datetime) -> timedelta:
    """What to add to an aware time's wall clock to get UTC (APScheduler gives UTC here)."""
    offset = when.utcoffset()
    return -offset if offset else timedelta(0)

