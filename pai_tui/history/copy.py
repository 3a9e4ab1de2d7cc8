"""`pai db copy`: the history copied into another database (a local SQLite file into the
PostgreSQL the machines share), once, and again without duplicates.

A row is matched in the target by what it is, not by its id (the target may hold other hosts'
rows under the same ids): a session by its host, creation time and title, a message by its
session, role, creation time and text, and so on (`SPECS`). Rows already there are left alone;
the others are inserted with the target's ids, their links (a message's session, a step's
answer, a proposal's item, a note's successor, the notes in an answer's context) mapped to the
target's ids. Costs are copied as
they are: unknown (NULL) stays unknown. The search index fills itself (triggers).
Rows written before pai recorded hosts are the copying machine's (`this_host()`).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Link:
    column: str
    table: str  # the table whose id it holds
    later: bool = False  # a row of the same table: set once all are in
    required: bool = False  # the row cannot exist without it (a foreign key)


@dataclass(frozen=True)
class Spec:
    table: str
    key: tuple[str, ...]  # what the row is, its links mapped to the target's ids
    links: tuple[Link, ...] = ()
    unique: tuple[str, ...] = ()  # a unique index of the target's, where its values are set


SPECS = (
    # An imported conversation is the same one whichever machine imported it.
    Spec("sessions", ("host", "created_at", "title"), unique=("source", "external_id")),
    Spec("messages", ("session_id", "role", "created_at", "content"),
         (Link("session_id", "sessions", required=True), Link("parent_id", "messages", True),
          Link("reply_to", "messages", True))),
    Spec("kept_costs", ("created_at", "cost")),
    Spec("spans", ("span_id",), (Link("session_id", "sessions"), Link("turn_id", "messages"))),
    Spec("feed_sources", ("name",)),
    Spec("feed_items", ("source", "key")),
    Spec("proposals", ("host", "created_at", "title"),
         (Link("item_id", "feed_items"), Link("message_id", "messages"))),
    Spec("proposal_events", ("proposal_id", "at", "to_state", "cause"),
         (Link("proposal_id", "proposals", required=True),)),
    Spec("notes", ("host", "created_at", "kind", "title", "body"),
         (Link("session_id", "sessions"), Link("message_id", "messages"),
          Link("superseded_by", "notes", True))),
)


@dataclass
class Counts:
    rows: int = 0  # in the source
    added: int = 0
    present: int = 0  # already in the target
    skipped: int = 0  # its session (or proposal) is gone: nothing to attach it to


Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


def _fingerprint(values: tuple[Any, ...]) -> bytes:
    return hashlib.sha256(repr(values).encode()).digest()


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    result = conn.execute(select(table).order_by(table.c.id).execution_options(
        stream_results=True, yield_per=BATCH))
    for row in result.mappings():
        yield dict(row)


def _present(conn: Connection | None, table: Table, key: tuple[str, ...],
             ) -> dict[bytes, list[int]]:
    """The target's rows by what they are (several: the same row written twice)."""
    found: dict[bytes, list[int]] = defaultdict(list)
    if conn is None:
        return found
    query = (select(table.c.id, *(table.c[name] for name in key)).order_by(table.c.id)
             .execution_options(stream_results=True, yield_per=BATCH))
    for row in conn.execute(query):
        found[_fingerprint(tuple(row[1:]))].append(row[0])
    return found


class Copier:
    """Copies `source` into `target` (both at this pai's schema); `target=None`: only counts
    what would be added (a target that does not exist yet)."""

    def __init__(self, source: Engine, target: Engine | None, dry_run: bool = False,
                 progress: Progress | None = None):
        self.source, self.target, self.dry_run = source, target, dry_run
        self.progress = progress or (lambda _table, _done, _total: None)
        self.ids: dict[str, dict[int, int]] = defaultdict(dict)  # table: source id -> target's
        self._placeholder = 0  # dry run: ids the target would give, negative
        self._notes_used: list[tuple[int, str]] = []  # new messages' notes, by source ids

    def run(self) -> dict[str, Counts]:
        counts = {}
        with self.source.connect() as source:
            for spec in SPECS:
                counts[spec.table] = self._copy(source, spec)
        if self.target is not None and not self.dry_run:
            self._map_notes_used()
        return counts

    def _map_notes_used(self) -> None:
        """The notes an answer had in its context, named by the target's ids (notes are copied
        after the messages that may cite them)."""
        notes, messages = self.ids["notes"], self.ids["messages"]
        table = Base.metadata.tables["messages"]
        changes = [{"row": messages[source_id], "used": _NUMBER.sub(
                    lambda m: str(notes.get(int(m.group()), m.group())), used)}
                   for source_id, used in self._notes_used if source_id in messages]
        if not changes or self.target is None:
            return
        statement = (update(table).where(table.c.id == bindparam("row"))
                     .values(notes_used=bindparam("used")))
        with self.target.begin() as conn:
            for start in range(0, len(changes), BATCH):
                conn.execute(statement, changes[start:start + BATCH])

    def _copy(self, source: Connection, spec: Spec) -> Counts:
        table = Base.metadata.tables[spec.table]
        counts = Counts(rows=source.execute(select(func.count()).select_from(table)).scalar()
                        or 0)
        mapped = self.ids[spec.table]
        later: list[tuple[int, dict[str, int]]] = []  # source id, its links to set after
        writing = self.target is not None and not self.dry_run
        target = self.target.connect() if self.target is not None else None
        try:
            present = _present(target, table, spec.key)
            unique = _present(target, table, spec.unique) if spec.unique else {}
            if target is not None:
                target.commit()  # the reading's transaction: each batch is one of its own
            batch: list[tuple[int, dict[str, Any]]] = []
            done = 0
            for row in _rows(source, table):
                done += 1
                values = self._values(row, spec, table, later)
                if values is None:
                    counts.skipped += 1
                    continue
                same = present.get(_fingerprint(tuple(values[name] for name in spec.key)))
                named = tuple(values[name] for name in spec.unique)
                if spec.unique and None not in named and not same:
                    same = unique.get(_fingerprint(named))
                if same:
                    mapped[row["id"]] = same.pop(0)
                    counts.present += 1
                    continue
                counts.added += 1
                batch.append((row["id"], values))
                if values.get("notes_used"):
                    self._notes_used.append((row["id"], values["notes_used"]))
                if len(batch) >= BATCH:
                    self._insert(target, table, batch, writing)
                    batch = []
                    self.progress(spec.table, done, counts.rows)
            self._insert(target, table, batch, writing)
            if writing and target is not None:
                self._link_later(target, table, later)
            self.progress(spec.table, done, counts.rows)
        finally:
            if target is not None:
                target.close()
        return counts

    def _values(self, row: dict[str, Any], spec: Spec, table: Table,
                later: list[tuple[int, dict[str, int]]]) -> dict[str, Any] | None:
        """The row as the target will hold it (no id; links mapped), or None to skip it."""
        # As the target will keep it: what looks like a key redacted (as every write does), so
        # that a row copied before is recognized by its text.
        values = {name: table.c[name].type.process_bind_param(value, None)
                  if isinstance(table.c[name].type, Kept) else value
                  for name, value in row.items() if name != "id"}
        if "host" in table.c and not values.get("host"):
            values["host"] = this_host()
        deferred: dict[str, int] = {}
        for link in spec.links:
            old = values.get(link.column)
            if old is None:
                continue
            if link.later:
                values[link.column] = None
                deferred[link.column] = old
                continue
            new = self.ids[link.table].get(old)
            if new is None and link.required:
                return None
            values[link.column] = new
        if deferred:
            later.append((row["id"], deferred))
        return values

    def _insert(self, target: Connection | None, table: Table,
                batch: list[tuple[int, dict[str, Any]]], writing: bool) -> None:
        if not batch:
            return
        mapped = self.ids[table.name]
        if not writing or target is None:
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

    def _link_later(self, target: Connection, table: Table,
                    later: list[tuple[int, dict[str, int]]]) -> None:
        """Links to rows of the same table (a step's answer, a note's successor), set where the
        target has none yet: a copy run again changes nothing."""
        mapped = self.ids[table.name]
        by_column: dict[str, list[dict[str, int]]] = defaultdict(list)
        for source_id, links in later:
            for column, old in links.items():
                if source_id in mapped and old in mapped:
                    by_column[column].append({"row": mapped[source_id], "to": mapped[old]})
        for column, pairs in by_column.items():
            statement = (update(table).where(table.c.id == bindparam("row"),
                                             table.c[column].is_(None))
                         .values({column: bindparam("to")}))
            with target.begin():
                for start in range(0, len(pairs), BATCH):
                    target.execute(statement, pairs[start:start + BATCH])



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
