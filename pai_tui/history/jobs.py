"""APScheduler's job store on pai's own database (the one place besides the store that speaks
SQL): the upgrade scheduler's jobs and their next run times survive a restart, so a poll missed
while pai was closed runs once when it opens again."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    from pai_tui.history.store import Store

JOBS_TABLE = "scheduler_jobs"


def job_store(store: Store) -> SQLAlchemyJobStore:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE)
