"""What each machine sharing the history has written (`pai sync status`): per host, how many
sessions, messages, notes, upgrade items and proposals, and when it last wrote. Read-only: it
also reads a database a newer pai has migrated (to say so), where this pai may not write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, inspect, null, select

from pai_tui.history.migrations import LATEST, current_version
from pai_tui.history.models import Base

# What is counted: (the name shown, its table, the columns that say when a row was written).
COUNTED = (
    ("sessions", "sessions", ("created_at", "updated_at")),
    ("messages", "messages", ("created_at", "updated_at")),
    ("notes", "notes", ("created_at", "updated_at")),
    ("items", "feed_items", ("found_at",)),
    ("proposals", "proposals", ("created_at", "updated_at")),
)
KINDS = tuple(name for name, _, _ in COUNTED)


@dataclass
class HostRow:
    host: str | None  # None: rows written before pai recorded hosts
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    last_write: datetime | None = None


@dataclass(frozen=True)
class SyncStatus:
    schema_version: int
    hosts: list[HostRow]  # most recent writer first

    @property
    def too_new(self) -> bool:
        return self.schema_version > LATEST


def sync_status(engine: Engine) -> SyncStatus:
    with engine.connect() as conn:
        version = current_version(conn)
        present = set(inspect(conn).get_table_names())
        hosts: dict[str | None, HostRow] = {}
        for name, table_name, times in COUNTED:
            if table_name not in present:
                continue
            table = Base.metadata.tables[table_name]
            columns = {column["name"] for column in inspect(conn).get_columns(table_name)}
            # Before schema 18 no row says its host: all of them are the unknown host's.
            host = table.c.host if "host" in columns else null().label("host")
            query = select(host, func.count(), *(func.max(table.c[t]) for t in times))
            query = query.group_by(table.c.host) if "host" in columns else query
            for found, count, *moments in conn.execute(query):
                if not count:
                    continue
                row = hosts.setdefault(found, HostRow(found))
                row.counts[name] = count
                latest = max((m for m in moments if m is not None), default=None)
                if latest is not None and (row.last_write is None or latest > row.last_write):
                    row.last_write = latest
    ordered = sorted(hosts.values(), key=lambda r: (r.last_write or datetime.min, r.host or ""),
                     reverse=True)
    return SyncStatus(version, ordered)
