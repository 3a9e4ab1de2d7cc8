"""Notes in the store (history/notes_schema.py): added, read, superseded by an edit, forgotten
and restored; never deleted, never changed in place (an edit is a new note). Part of the store
API (`Store` inherits it)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, literal, or_, select
from sqlalchemy.orm import Session

from pai_tui.history.hosts import this_host
from pai_tui.history.models import NoteRow, utcnow
from pai_tui.history.notes_words import related_note_ids
from pai_tui.history.records import NoteDraft, NoteRecord

if TYPE_CHECKING:  # (the importers come above the store: they never import it)
    from pai_tui.history.imports.model import ImportedNote
    from pai_tui.history.transfer import Outcome

TITLE_CHARS = 100
# What typed in the chat keeps a note instead of asking: /learn TEXT, /decide TEXT ...
CHAT_COMMANDS = {"/learn": "learning", "/decide": "decision", "/research": "research",
                 "/prefer": "preference"}


def split_text(text: str) -> tuple[str, str]:
    """A title (the first line, cut at a word) and a body (all of it, when there is more)."""
    text = text.strip()
    first = text.splitlines()[0].strip() if text else ""
    title = first if len(first) <= TITLE_CHARS else \
        first[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return title, ("" if title == text else text)


def chat_note(text: str) -> tuple[str, str] | None:
    """(kind, what to keep) when `text` is a note command (/learn …), else None."""
    word, _, rest = text.strip().partition(" ")
    kind = CHAT_COMMANDS.get(word.lower())
    return None if kind is None else (kind, rest.strip())


@dataclass(frozen=True)
class NoteCandidates:
    """What a turn may be given (turns/recall.py chooses), each list by id, best first."""

    preferences: list[int]
    of_goals: list[int]
    related: list[int]
    notes: dict[int, NoteRecord]  # each of them, by id


class NoteError(Exception):
    """A note cannot be changed so (no such note, or not in a state that allows it)."""


class NoteStore:
    """The store's note methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_note(self, draft: NoteDraft, now: datetime | None = None) -> NoteRecord:
        with self._session() as s:
            row = _row(draft, now or utcnow())
            s.add(row)
            s.flush()
            return _record(row)

    def note(self, note_id: int) -> NoteRecord | None:
        with self._session(write=False) as s:
            row = s.get(NoteRow, note_id)
            return None if row is None else _record(row)

    def notes(self, kinds: Sequence[str] = (), statuses: Sequence[str] = ("active",),
              ids: Sequence[int] | None = None, limit: int | None = None) -> list[NoteRecord]:
        """Notes, newest first."""
        query = select(NoteRow)
        if kinds:
            query = query.where(NoteRow.kind.in_(kinds))
        if statuses:
            query = query.where(NoteRow.status.in_(statuses))
        if ids is not None:
            query = query.where(NoteRow.id.in_(ids))
        with self._session(write=False) as s:
            rows = s.scalars(query.order_by(NoteRow.id.desc()).limit(limit))
            return [_record(row) for row in rows]

    def recall_candidates(self, message: str, goals: Sequence[str], limit: int,
                          preferences: int) -> NoteCandidates:
        """In one read: the newest active preferences, the newest active notes about the TELOS
        ids `goals`, and the active notes that best match any word of `message`
        (history/notes_words.py), up to `limit` of each of the last two."""
        with self._session(write=False) as s:
            liked = list(s.scalars(_active_ids().where(NoteRow.kind == "preference")
                                   .limit(preferences)))
            padded = literal(" ") + NoteRow.telos + literal(" ")
            of_goals = list(s.scalars(_active_ids().where(or_(
                *(padded.contains(f" {goal} ", autoescape=True) for goal in goals)))
                .limit(limit))) if goals else []
            related = related_note_ids(s, message, limit)
            wanted = {*liked, *of_goals, *related}
            rows = s.scalars(select(NoteRow).where(NoteRow.id.in_(wanted))) if wanted else []
            return NoteCandidates(liked, of_goals, related, {row.id: _record(row) for row in rows})

    def supersede_note(self, note_id: int, draft: NoteDraft,
                       now: datetime | None = None) -> NoteRecord:
        """`draft` replaces the active note `note_id` (an edit): the new note, the old one
        kept, superseded, pointing at it."""
        at = now or utcnow()
        with self._session() as s:
            old = _active(s, note_id)
            new = _row(draft, at)
            s.add(new)
            s.flush()
            old.status, old.superseded_by, old.updated_at = "superseded", new.id, at
            return _record(new)

    def forget_note(self, note_id: int, now: datetime | None = None) -> NoteRecord:
        """Tombstone an active note: gone from search and context, kept to be restored."""
        with self._session() as s:
            row = _active(s, note_id)
            row.status, row.updated_at = "forgotten", now or utcnow()
            return _record(row)

    def restore_note(self, note_id: int, now: datetime | None = None) -> NoteRecord:
        with self._session() as s:
            row = s.get(NoteRow, note_id)
            if row is None:
                raise NoteError(f"no note {note_id} (pai notes list --all)")
            if row.status != "forgotten":
                raise NoteError(f"note {note_id} is {row.status}, not forgotten: nothing to "
                                "restore")
            row.status, row.updated_at = "active", now or utcnow()
            return _record(row)

    def import_notes(self, batch: Sequence[ImportedNote], dry_run: bool = False,
                     ) -> list[Outcome]:
        """Notes of a pai export (history/note_transfer.py), in one transaction; one the
        database refuses is skipped with its reason. `dry_run`: what would happen."""
        from pai_tui.history import note_transfer
        from pai_tui.history.transfer import each_kept

        if dry_run:
            with self._session(write=False) as s:
                return [note_transfer.judge(s, note) for note in batch]
        return each_kept(self._session, batch, note_transfer.import_note)

    def link_notes(self, notes: Sequence[ImportedNote]) -> set[str]:
        """The links of imported notes that name what came after them in the file; the uids
        of the notes changed."""
        from pai_tui.history import note_transfer

        with self._session() as s:
            return note_transfer.link_notes(s, list(notes))

    def link_notes_used(self, contexts: Sequence[tuple[int, str, tuple[str, ...]]]) -> None:
        """The notes imported answers had in their context, by their ids here."""
        from pai_tui.history import note_transfer

        with self._session() as s:
            note_transfer.link_notes_used(s, contexts)


def _active_ids() -> Select[tuple[int]]:
    return select(NoteRow.id).where(NoteRow.status == "active").order_by(NoteRow.id.desc())


def _active(s: Session, note_id: int) -> NoteRow:
    row = s.get(NoteRow, note_id)
    if row is None:
        raise NoteError(f"no note {note_id} (pai notes list)")
    if row.status != "active":
        after = f" by note {row.superseded_by}" if row.superseded_by else ""
        raise NoteError(f"note {note_id} is {row.status}{after}: only an active note can "
                        "change" + (" (pai notes restore it first)"
                                    if row.status == "forgotten" else ""))
    return row


def _row(draft: NoteDraft, at: datetime) -> NoteRow:
    return NoteRow(kind=draft.kind, title=draft.title, body=draft.body,
                   tags=" ".join(draft.tags), telos=" ".join(draft.telos), status="active",
                   created_by=draft.created_by, session_id=draft.session_id,
                   message_id=draft.message_id, agent=draft.agent, host=this_host(),
                   created_at=at, updated_at=at)


def _record(row: NoteRow) -> NoteRecord:
    draft = NoteDraft(row.kind, row.title, row.body, tuple(row.tags.split()),
                      tuple(row.telos.split()), row.created_by, row.session_id,
                      row.message_id, row.agent)
    return NoteRecord(row.id, draft, row.status, row.superseded_by, row.host, row.created_at,
                      row.updated_at, row.uid)
