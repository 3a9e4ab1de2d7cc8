"""Leases in the store: a job only one pai may run over one database (the upgrade scheduler)
is held by whoever took the lease and renews it; another pai takes over once it expired. Each
new holder gets a larger token (fencing): a holder that was paused past its lease finds its
renewal refused and stops. Plain SQL in one write transaction, on SQLite and PostgreSQL alike.
Part of the store API (`Store` inherits it)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pai_tui.history.models import LeaseRow
from pai_tui.history.records import Lease


class LeaseStore:
    """The store's lease methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime,
                   note: str = "") -> Lease | None:
        """The lease, if it is free, expired or already `holder`'s (renewed); None if another
        holds it."""
        with self._session() as s:
            row = s.get(LeaseRow, name)
            if row is None:
                row = LeaseRow(name=name, holder=holder, token=1, acquired_at=now,
                               expires_at=now + ttl, note=note)
                s.add(row)
            elif row.holder == holder or row.expires_at <= now:
                if row.holder != holder or row.expires_at <= now:
                    row.token, row.acquired_at = row.token + 1, now
                row.holder, row.expires_at, row.note = holder, now + ttl, note
            else:
                return None
            s.flush()
            return _lease(row)

    def renew_lease(self, lease: Lease, ttl: timedelta, now: datetime,
                    note: str | None = None) -> Lease | None:
        """The lease kept for `ttl` more; None if it is no longer this holder's (it expired and
        another took it): the holder must stop."""
        values: dict[str, object] = {"expires_at": now + ttl}
        if note is not None:
            values["note"] = note
        with self._session() as s:
            done = s.execute(update(LeaseRow).where(
                LeaseRow.name == lease.name, LeaseRow.holder == lease.holder,
                LeaseRow.token == lease.token, LeaseRow.expires_at > now).values(**values))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = s.get(LeaseRow, lease.name)
            return None if row is None else _lease(row)

    def release_lease(self, lease: Lease, now: datetime) -> None:
        """Give the lease up now (the next pai need not wait for it to expire)."""
        with self._session() as s:
            s.execute(update(LeaseRow).where(
                LeaseRow.name == lease.name, LeaseRow.holder == lease.holder,
                LeaseRow.token == lease.token).values(expires_at=now))

    def lease(self, name: str) -> Lease | None:
        """Who holds `name` (expired or not): for saying so."""
        with self._session(write=False) as s:
            row = s.scalar(select(LeaseRow).where(LeaseRow.name == name))
            return None if row is None else _lease(row)


def _lease(row: LeaseRow) -> Lease:
    return Lease(row.name, row.holder, row.token, row.acquired_at, row.expires_at, row.note)
