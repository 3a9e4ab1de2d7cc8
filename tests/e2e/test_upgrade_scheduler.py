"""The upgrade scheduler for real: APScheduler with its job in pai's SQLite database, and the
lease that lets exactly one pai run the jobs. Two pais on one database (one runs, the other
says who does and takes over when it stops, or when it is killed and its lease expires), and a
restart after missed runs (one catch-up run, not a burst)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.upgrade.scheduler import Job, UpgradeScheduler, fenced
from tests.conftest import REPO

FAST = {"lease_for": timedelta(seconds=1.5), "first_run_after": timedelta(seconds=0.2)}


async def tick() -> None:
    """The job: a module-level function (the job store keeps its reference), noting when it
    ran in the list its scheduler was given, if that scheduler holds the lease."""
    ran = await fenced()
    if ran is not None:
        ran.append(time.monotonic())


JOBS = [Job("upgrade-poll", tick, timedelta(seconds=2))]


async def until(condition: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def scheduler(home: HomePaths, ran: list[float]) -> tuple[Cockpit, UpgradeScheduler]:
    cockpit = Cockpit(load_config(home))
    return cockpit, UpgradeScheduler(cockpit.history, JOBS, ran, **FAST)  # type: ignore[arg-type]


def test_one_pai_runs_the_jobs_the_other_says_who_and_takes_over(home: HomePaths) -> None:
    async def go() -> None:
        ran_a: list[float] = []
        ran_b: list[float] = []
        cockpit_a, a = scheduler(home, ran_a)
        cockpit_b, b = scheduler(home, ran_b)
        try:
            a.start()
            assert await until(lambda: a.state.startswith("on"))
            b.start()
            assert await until(lambda: b.state.startswith("held by"))
            assert f":{os.getpid()} since " in b.state and "next run" in b.state
            assert await until(lambda: len(ran_a) >= 1)
            await a.stop()
            assert await until(lambda: b.state.startswith("on"), timeout=3)
            assert await until(lambda: len(ran_b) >= 1)
            assert b.lease is not None and b.lease.token == 2  # a new holder, a new token
        finally:
            await a.stop()
            await b.stop()
            cockpit_a.close()
            cockpit_b.close()

    asyncio.run(go())


HOLDER = """
import asyncio, sys, time
from datetime import timedelta
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.upgrade.scheduler import Job, UpgradeScheduler
from tests.e2e.test_upgrade_scheduler import tick

async def main():
    cockpit = Cockpit(load_config())
    s = UpgradeScheduler(cockpit.history, [Job("upgrade-poll", tick, timedelta(seconds=30))],
                         [], lease_for=timedelta(seconds=2))
    s.start()
    while not s.state.startswith("on"):
        await asyncio.sleep(0.05)
    print("holding", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_a_killed_holder_s_lease_expires_and_another_pai_takes_over(home: HomePaths) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=REPO, text=True,
                              stdout=subprocess.PIPE, env={**os.environ})
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"

        async def go() -> None:
            ran: list[float] = []
            cockpit, waiting = scheduler(home, ran)
            waiting.lease_for = timedelta(seconds=0.9)
            try:
                waiting.start()
                assert await until(lambda: waiting.state.startswith("held by"))
                assert f":{holder.pid} since" in waiting.state
                os.kill(holder.pid, signal.SIGKILL)
                killed = time.monotonic()
                assert await until(lambda: waiting.state.startswith("on"), timeout=6)
                assert time.monotonic() - killed < 4  # its 2 s lease, and one look
            finally:
                await waiting.stop()
                cockpit.close()

        asyncio.run(go())
    finally:
        holder.kill()
        holder.wait()


def test_runs_missed_while_closed_are_made_up_once_not_in_a_burst(home: HomePaths) -> None:
    async def session(ran: list[float], seconds: float) -> None:
        cockpit, s = scheduler(home, ran)
        try:
            s.start()
            await asyncio.sleep(seconds)
        finally:
            await s.stop()
            cockpit.close()

    first: list[float] = []
    asyncio.run(session(first, 2.6))  # the first run at 0.2 s, the next at 2.2 s
    assert len(first) == 2
    time.sleep(6.5)  # three runs missed
    again: list[float] = []
    started = time.monotonic()
    asyncio.run(session(again, 1.2))
    at_once = [moment for moment in again if moment - started < 0.6]
    assert len(at_once) == 1  # one catch-up run at once; the schedule goes on from there
    assert len(again) <= 2


def test_the_job_table_decides_what_is_stored_and_once_runs_only_what_is_due(
        home: HomePaths) -> None:
    """A job new to the database runs at once under `--once`, one not due does not (until the
    next interval), and one dropped from the table is removed from the database."""
    from pai_tui.history.jobs import job_store

    async def go(jobs: list[Job]) -> tuple[dict[str, object] | None, list[str]]:
        cockpit = Cockpit(load_config(home))
        try:
            once = UpgradeScheduler(cockpit.history, jobs, [], first_run_after=timedelta(0))
            results = await once.run_once()
            stored = await cockpit.history.run(job_store)
            return results, sorted(job.id for job in stored.get_all_jobs())
        finally:
            cockpit.close()

    daily = Job("daily", tick, timedelta(days=1))
    first, stored = asyncio.run(go([*JOBS, daily]))
    assert first is not None and set(first) == {"upgrade-poll", "daily"}
    assert stored == ["daily", "upgrade-poll"]
    again, _ = asyncio.run(go([*JOBS, daily]))
    assert again == {}  # neither is due: the next runs are 2 s and a day away
    _, stored = asyncio.run(go(JOBS))
    assert stored == ["upgrade-poll"]
