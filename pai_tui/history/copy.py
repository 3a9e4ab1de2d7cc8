"""`pai db copy`: the history copied into another database (a local SQLite file into the
PostgreSQL the machines share), and again to bring that copy up to date, without duplicates.

A row is matched in the target by what it is, not by its id (the target holds other hosts' rows
under the same ids), and by what never changes about it (`Spec.key`): a session by its host and
creation time, a message by its session, host, role and creation time, a note by its uid, and so
on (`SPECS`). A row found there is updated where it changed (a session renamed, a note forgotten
or superseded, an answer rated, a proposal moved on, an item read), unless the target's row is
another host's or was changed there since: those are left as they are. The others are inserted
with the target's ids, their links (a message's session, a step's answer, a proposal's item, a
note's successor, the notes in an answer's context) mapped to the target's ids. Nothing in the
target is ever deleted. Costs are copied as they are: unknown (NULL) stays unknown. The search
index follows by itself (triggers: a note forgotten here leaves the target's search too). Rows
written before pai recorded hosts are the copying machine's (`this_host()`).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    func,
    insert,
    inspect,
    select,
    update,
)

from pai_tui.history.hosts import this_host
from pai_tui.history.models import Base, Kept

BATCH = 500
_NUMBER = re.compile(r"\d+")
_ROW = "row_"  # the bound name of the id an UPDATE changes (column names are taken)


@dataclass(frozen=True)
class Link:
    column: str
    table: str  # the table whose id it holds
    later: bool = False  # a row of the same table (maybe not in yet): set once all are in
    required: bool = False  # the row cannot exist without it (a foreign key)


@dataclass(frozen=True)
class Spec:
    table: str
    key: tuple[str, ...]  # what the row is and stays, its links mapped to the target's ids
    links: tuple[Link, ...] = ()
    unique: tuple[str, ...] = ()  # a unique index of the target's, where its values are set
    notes: tuple[str, ...] = ()  # columns naming notes by id ("3 7"): set once notes are in
    updates: bool = True  # False: the target's rows are its own to change

    @property
    def deferred(self) -> tuple[str, ...]:
        """Columns set once every row is in: they name rows that may come later."""
        return tuple(link.column for link in self.links if link.later) + self.notes


SPECS = (
    # An imported conversation is the same one whichever machine imported it.
    Spec("sessions", ("host", "created_at"), unique=("source", "external_id")),
    Spec("messages", ("session_id", "host", "role", "created_at", "external_id"),
         (Link("session_id", "sessions", required=True), Link("parent_id", "messages", True),
          Link("reply_to", "messages", True)), notes=("notes_used",)),
    Spec("kept_costs", ("created_at", "cost")),
    Spec("spans", ("span_id",), (Link("session_id", "sessions"), Link("turn_id", "messages"))),
    # How fetching a source went is the state of the scheduler that fetched it: a target's
    # own (its scheduler's) is never replaced by this machine's.
    Spec("feed_sources", ("name",), updates=False),
    Spec("feed_items", ("source", "key")),
    Spec("proposals", ("host", "created_at"),
         (Link("item_id", "feed_items"), Link("message_id", "messages"))),
    Spec("proposal_events", ("proposal_id", "at", "to_state", "cause"),
         (Link("proposal_id", "proposals", required=True),)),
    # A note's uid names it in every database (history/note_uids.py; the same in two databases
    # an older `pai db copy` wrote it to, and in one `pai history import jsonl` brought it to).
    Spec("notes", ("uid",),
         (Link("session_id", "sessions"), Link("message_id", "messages"),
          Link("superseded_by", "notes", True))),
)


@dataclass
class Counts:
    rows: int = 0  # in the source
    added: int = 0  # copied: the target had no such row
    updated: int = 0  # the target's was older: brought up to date
    unchanged: int = 0  # the target's is the same
    kept: int = 0  # differs, but the target's is another host's or changed there since
    skipped: int = 0  # its session (or proposal) is gone: nothing to attach it to


Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


def _hash(values: tuple[Any, ...]) -> bytes:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).digest()


class Found:
    """A row of the target: its id, a digest of its changing columns, and what decides whether
    this copy may change it."""

    __slots__ = ("deferred", "digest", "host", "id", "taken", "updated_at")

    def __init__(self, row_id: int, digest: bytes, host: str | None,
                 updated_at: datetime | None, deferred: tuple[Any, ...] | None):
        self.id, self.digest, self.host = row_id, digest, host
        self.updated_at, self.deferred = updated_at, deferred
        self.taken = False  # matched to a row of the source already


def _changing(table: Table, spec: Spec) -> tuple[str, ...]:
    """The columns compared (and updated): all but the id and the deferred ones."""
    return tuple(c.name for c in table.c if c.name != "id" and c.name not in spec.deferred)


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    result = conn.execute(select(table).order_by(table.c.id).execution_options(
        stream_results=True, yield_per=BATCH))
    for row in result.mappings():
        yield dict(row)


Index = dict[bytes, list[Found]]


def _index(conn: Connection | None, table: Table, spec: Spec) -> tuple[Index, Index]:
    """The target's rows by what they are (several: the same row written twice), and by the
    unique index `spec.unique`."""
    by_key: Index = defaultdict(list)
    by_unique: Index = defaultdict(list)
    if conn is None:
        return by_key, by_unique
    changing = _changing(table, spec)
    hosts: dict[str | None, str | None] = {}  # one string per host, not one per row
    for row in _rows(conn, table):
        deferred = tuple(row[name] for name in spec.deferred)
        host = row.get("host")
        found = Found(row["id"], _hash(tuple(row[name] for name in changing)),
                      hosts.setdefault(host, host), row.get("updated_at"),
                      deferred if any(v is not None for v in deferred) else None)
        by_key[_hash(tuple(row[name] for name in spec.key))].append(found)
        named = tuple(row[name] for name in spec.unique)
        if spec.unique and None not in named:
            by_unique[_hash(named)].append(found)
    return by_key, by_unique


def _take(candidates: list[Found] | None, digest: bytes) -> Found | None:
    """The target's row a source row is: one the same as it if there is one (a row an older
    copy wrote twice), else the first; taken, so that no other row is matched to it."""
    if not candidates:
        return None
    free = [found for found in candidates if not found.taken]
    choice = next((found for found in free if found.digest == digest), free[0] if free else None)
    if choice is not None:
        choice.taken = True
        candidates.remove(choice)
    return choice


@dataclass(frozen=True)
class Pending:
    """A row's deferred columns, as the source has them, and as the target has them (None: the
    row was inserted by this copy)."""

    source_id: int
    wanted: tuple[Any, ...]
    current: tuple[Any, ...] | None


class Copier:
    """Copies `source` into `target` (both at this pai's schema), or brings an earlier copy up
    to date; `target=None`: only counts what would be added (a target that does not exist
    yet); `dry_run`: counts, changes nothing."""

    def __init__(self, source: Engine, target: Engine | None, dry_run: bool = False,
                 progress: Progress | None = None):
        self.source, self.target, self.dry_run = source, target, dry_run
        self.progress = progress or (lambda _table, _done, _total: None)
        self.ids: dict[str, dict[int, int]] = defaultdict(dict)  # table: source id -> target's
        self.counts: dict[str, Counts] = {}
        self._placeholder = 0  # dry run: ids the target would give, negative
        self._pending: dict[str, list[Pending]] = defaultdict(list)
        self._updated: dict[str, set[int]] = defaultdict(set)  # source ids counted as updated

    @property
    def writing(self) -> bool:
        return self.target is not None and not self.dry_run

    def run(self) -> dict[str, Counts]:
        with self.source.connect() as source:
            for spec in SPECS:
                self.counts[spec.table] = self._copy(source, spec)
        for spec in SPECS:
            if spec.deferred:
                self._settle(spec)
        return self.counts

    def _copy(self, source: Connection, spec: Spec) -> Counts:
        table = Base.metadata.tables[spec.table]
        counts = Counts(rows=source.execute(select(func.count()).select_from(table)).scalar()
                        or 0)
        mapped = self.ids[spec.table]
        changing = _changing(table, spec)
        nothing = (None,) * len(spec.deferred)
        target = self.target.connect() if self.target is not None else None
        try:
            by_key, by_unique = _index(target, table, spec)
            if target is not None:
                target.commit()  # the reading's transaction: each batch is one of its own
            inserts: list[tuple[int, dict[str, Any]]] = []
            updates: list[dict[str, Any]] = []
            done = 0
            for row in _rows(source, table):
                done += 1
                values = self._values(row, spec, table)
                if values is None:
                    counts.skipped += 1
                    continue
                wanted = tuple(values.pop(name) for name in spec.deferred)
                digest = _hash(tuple(values[name] for name in changing))
                found = _take(by_key.get(_hash(tuple(values[name] for name in spec.key))),
                              digest)
                named = tuple(values[name] for name in spec.unique)
                if found is None and spec.unique and None not in named:
                    found = _take(by_unique.get(_hash(named)), digest)
                if found is None:
                    counts.added += 1
                    inserts.append((row["id"], {**values, **dict.fromkeys(spec.deferred)}))
                    if wanted != nothing:
                        self._pending[spec.table].append(Pending(row["id"], wanted, None))
                else:
                    mapped[row["id"]] = found.id
                    if not _may_change(spec, found, values):
                        if found.digest == digest:
                            counts.unchanged += 1
                        else:
                            counts.kept += 1
                        continue
                    if found.digest == digest:
                        counts.unchanged += 1
                    else:
                        counts.updated += 1
                        self._updated[spec.table].add(row["id"])
                        updates.append({_ROW: found.id,
                                        **{f"v_{name}": values[name] for name in changing}})
                    current = found.deferred or nothing
                    if wanted != nothing or current != nothing:
                        self._pending[spec.table].append(Pending(row["id"], wanted, current))
                if len(inserts) >= BATCH or len(updates) >= BATCH:
                    self._write(target, table, inserts, updates, changing)
                    inserts, updates = [], []
                    self.progress(spec.table, done, counts.rows)
            self._write(target, table, inserts, updates, changing)
            self.progress(spec.table, done, counts.rows)
        finally:
            if target is not None:
                target.close()
        return counts

    def _values(self, row: dict[str, Any], spec: Spec, table: Table) -> dict[str, Any] | None:
        """The row as the target will hold it (no id; links mapped but the deferred ones), or
        None to skip it."""
        # As the target will keep it: what looks like a key redacted (as every write does), so
        # that a row copied before is recognized by its text.
        values = {name: table.c[name].type.process_bind_param(value, None)
                  if isinstance(table.c[name].type, Kept) else value
                  for name, value in row.items() if name != "id"}
        if "host" in table.c and not values.get("host"):
            values["host"] = this_host()
        for link in spec.links:
            old = values.get(link.column)
            if old is None or link.later:
                continue
            new = self.ids[link.table].get(old)
            if new is None and link.required:
                return None
            values[link.column] = new
        return values

    def _write(self, target: Connection | None, table: Table,
               inserts: list[tuple[int, dict[str, Any]]], updates: list[dict[str, Any]],
               changing: tuple[str, ...]) -> None:
        self._insert(target, table, inserts)
        if not updates or not self.writing or target is None:
            return
        statement = (update(table).where(table.c.id == bindparam(_ROW))
                     .values({name: bindparam(f"v_{name}", type_=table.c[name].type)
                              for name in changing}))
        with target.begin():
            target.execute(statement, updates)

    def _insert(self, target: Connection | None, table: Table,
                batch: list[tuple[int, dict[str, Any]]]) -> None:
        if not batch:
            return
        mapped = self.ids[table.name]
        if not self.writing or target is None:
            for source_id, _ in batch:
                self._placeholder -= 1
                mapped[source_id] = self._placeholder
            return
        with target.begin():
            result = target.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [values for _, values in batch])
            for (source_id, _), new_id in zip(batch, result.scalars(), strict=True):
                mapped[source_id] = new_id

    def _settle(self, spec: Spec) -> None:
        """The deferred columns (a step's answer, a note's successor, the notes in an answer's
        context), named by the target's ids now that every row is in; a row whose only change
        is there counts as updated."""
        table = Base.metadata.tables[spec.table]
        mapped, counts = self.ids[spec.table], self.counts[spec.table]
        nothing = (None,) * len(spec.deferred)
        changes = []
        for pending in self._pending.pop(spec.table, []):
            row = mapped.get(pending.source_id)
            if row is None:
                continue
            current = pending.current or nothing
            wanted = tuple(self._resolve(spec, name, value, now) for name, value, now in zip(
                spec.deferred, pending.wanted, current, strict=True))
            if wanted == current:
                continue
            changes.append({_ROW: row, **{f"v_{name}": value
                                          for name, value in zip(spec.deferred, wanted,
                                                                 strict=True)}})
            if pending.current is not None and pending.source_id not in self._updated[
                    spec.table]:
                counts.unchanged, counts.updated = counts.unchanged - 1, counts.updated + 1
                self._updated[spec.table].add(pending.source_id)
        if not changes or not self.writing or self.target is None:
            return
        statement = (update(table).where(table.c.id == bindparam(_ROW))
                     .values({name: bindparam(f"v_{name}", type_=table.c[name].type)
                              for name in spec.deferred}))
        with self.target.begin() as conn:
            for start in range(0, len(changes), BATCH):
                conn.execute(statement, changes[start:start + BATCH])

    def _resolve(self, spec: Spec, column: str, value: Any, current: Any) -> Any:
        """A deferred column's source value as the target's: a link to a row that was not
        copied leaves the target's value as it is."""
        if value is None:
            return None
        if column in spec.notes:
            notes = self.ids["notes"]
            return _NUMBER.sub(lambda m: str(notes.get(int(m.group()), m.group())), value)
        table = next(link.table for link in spec.links if link.column == column)
        found = self.ids[table].get(value)
        return current if found is None else found


def _may_change(spec: Spec, found: Found, values: dict[str, Any]) -> bool:
    """Whether the target's row may be made the source's: never another host's row, nor one
    changed there after it was changed here (the newer change stays)."""
    if not spec.updates or ("host" in values and found.host != values["host"]):
        return False
    here = values.get("updated_at")
    return found.updated_at is None or here is None or found.updated_at <= here


class CopyError(Exception):
    """Why a copy cannot be made (said to the user; no password in it)."""


def same_database(one: str, other: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(one) == make_url(other)
    except Exception as error:
        raise CopyError(f"--to: cannot be read as a database URL ({error})") from error


def copy_history(source_url: str, target_url: str, backup_dir: Path | None, dry_run: bool,
                 progress: Progress | None = None) -> dict[str, Counts]:
    """Copy the history at `source_url` (migrated first, like any opening) into `target_url`
    (migrated too, unless `dry_run`). A target newer than this pai is refused untouched."""
    from pai_tui.history.migrations import LATEST, current_version, too_new
    from pai_tui.history.store import Store, make_engine
    from pai_tui.history.urls import shown_url

    where = shown_url(target_url)
    if same_database(target_url, source_url):
        raise CopyError(f"{where} is this history's own database: nothing to copy")
    try:
        source, _, _ = Store.open(source_url, backup_dir)
    except Exception as error:
        raise CopyError(f"cannot open this history: {error}") from error
    try:
        if source.refused:  # a newer pai's history: its newer columns would be lost
            raise CopyError(f"this history: {source.refused}; nothing was copied")
        engine = make_engine(target_url)
        try:
            with engine.connect() as conn:
                version = current_version(conn)
                empty = not inspect(conn).get_table_names()
        except Exception as error:
            raise CopyError(f"cannot reach {where}: {error}") from error
        finally:
            engine.dispose()
        if version > LATEST:
            raise CopyError(f"{where}: {too_new(version)}; nothing was copied")
        if dry_run:
            if not empty and version != LATEST:
                raise CopyError(f"{where} is at schema version {version}: a copy would migrate "
                                f"it to {LATEST} first, so a dry run cannot compare with it")
            return _copy_into(source.engine, None if empty else make_engine(target_url), True,
                              progress, where)
        try:
            target, _, _ = Store.open(target_url, None)
        except Exception as error:
            raise CopyError(f"cannot open {where}: {error}") from error
        try:
            return _copy_into(source.engine, target.engine, False, progress, where)
        finally:
            target.close()
    finally:
        source.close()


def _copy_into(source: Engine, target: Engine | None, dry_run: bool,
               progress: Progress | None, where: str) -> dict[str, Counts]:
    try:
        return Copier(source, target, dry_run, progress).run()
    except CopyError:
        raise
    except Exception as error:
        raise CopyError(f"copying to {where} failed: {error} (what was copied stays; run "
                        "again to copy the rest)") from error
    finally:
        if target is not None and dry_run:
            target.dispose()
