"""Leases in the store: a job only one pai may run over one database (the upgrade scheduler)
is held by whoever took the lease and renews it; another pai takes over once it expired. Each
new holder gets a larger token (fencing): a holder that was paused past its lease finds its
renewal refused and stops. The lease row says who holds it, since when and the next run.

On PostgreSQL the row alone is not the truth: the holder also holds a session advisory lock on
one dedicated, unpooled connection. A pool may hand a connection back or reconnect it (and a
transaction-level lock ends with its transaction); the dedicated connection lives exactly as
long as the hold, and when the holder dies its connection closes, the server drops the lock,
and another pai takes over at once, without waiting for the row to expire. Part of the store
API (`Store` inherits it)."""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager, suppress
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, create_engine, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from pai_tui.history.models import LeaseRow
from pai_tui.history.records import Lease


class LeaseStore:
    """The store's lease methods (mixed into `Store`, which provides `_session`)."""

    engine: Engine

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    @property
    def _advisory(self) -> dict[tuple[str, str], Connection]:
        """PostgreSQL: the dedicated connection holding each lease's advisory lock."""
        held = self.__dict__.setdefault("_advisory_locks", {})
        return held  # type: ignore[no-any-return]

    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime,
                   note: str = "") -> Lease | None:
        """The lease, if it is free, expired or already `holder`'s (renewed); None if another
        holds it."""
        locked = self._lock(name, holder)
        if locked is False:
            return None
        with self._session() as s:
            row = s.get(LeaseRow, name)
            if row is None:
                row = LeaseRow(name=name, holder=holder, token=1, acquired_at=now,
                               expires_at=now + ttl, note=note)
                s.add(row)
            elif row.holder == holder or row.expires_at <= now or locked:
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
        locked = self._still_locked(lease)
        if locked is False:
            return None
        # Under an advisory lock no one else can have taken the row: a holder paused past its
        # row's expiry still holds the lease. Without one, the expiry decides.
        current = [] if locked else [LeaseRow.expires_at > now]
        with self._session() as s:
            done = s.execute(update(LeaseRow).where(
                LeaseRow.name == lease.name, LeaseRow.holder == lease.holder,
                LeaseRow.token == lease.token, *current).values(**values))
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
        self._unlock(lease.name, lease.holder)

    def lease(self, name: str) -> Lease | None:
        """Who holds `name` (expired or not): for saying so."""
        with self._session(write=False) as s:
            row = s.scalar(select(LeaseRow).where(LeaseRow.name == name))
            return None if row is None else _lease(row)

    def close_leases(self) -> None:
        """Let every advisory lock go (the store closes)."""
        for name, holder in list(self._advisory):
            self._unlock(name, holder)

    # PostgreSQL's advisory locks; elsewhere these say None (no lock: the row decides).

    def _lock(self, name: str, holder: str) -> bool | None:
        """True if `holder` holds (or now took) the lock of `name`, False if another does."""
        if self.engine.dialect.name != "postgresql":
            return None
        if (name, holder) in self._advisory:
            return True
        engine = create_engine(self.engine.url, poolclass=NullPool)
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                             {"key": _key(name)}).scalar()
        if not taken:
            conn.close()
            return False
        self._advisory[(name, holder)] = conn
        return True

    def _still_locked(self, lease: Lease) -> bool | None:
        """Whether the lock's connection is alive (a dropped one lost its lock)."""
        if self.engine.dialect.name != "postgresql":
            return None
        conn = self._advisory.get((lease.name, lease.holder))
        try:
            return conn is not None and conn.execute(text("SELECT 1")).scalar() == 1
        except Exception:
            self._unlock(lease.name, lease.holder)
            return False

    def _unlock(self, name: str, holder: str) -> None:
        conn = self._advisory.pop((name, holder), None)
        if conn is not None:
            with suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
            with suppress(Exception):
                conn.close()


def _key(name: str) -> int:
    """A lease name as an advisory lock's 64-bit key (stable across processes and versions)."""
    digest = hashlib.sha256(f"pai-lease:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lease(row: LeaseRow) -> Lease:
    return Lease(row.name, row.holder, row.token, row.acquired_at, row.expires_at, row.note)
