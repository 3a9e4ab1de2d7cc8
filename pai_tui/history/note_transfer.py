"""Notes of a pai export into the store (`pai history import jsonl`), matched by uid
(history/note_uids.py). A note not here is added as the file has it (status, times, host,
author), through the notes table's redacting columns, so the search index's triggers see it and
no key gets in. A note already here is left alone, unless the file's copy is newer (its status
followed: forgotten, restored, superseded) or names a link this one lacks.

Links name what they point at, not ids: the successor by uid, the session by its import keys
(`SessionKey`), the message by the key it is kept under in its session. What cannot be resolved
yet (a successor further down the file) is said `pending`, and resolved by `link_notes` once
every line is in; so are the notes imported answers had in their context (`link_notes_used`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from pai_tui.history.models import ChatSession, Message, NoteRow
from pai_tui.history.transfer import Outcome

if TYPE_CHECKING:  # (the importers come above the store: they never import it)
    from pai_tui.history.imports.model import ImportedNote, SessionKey

NOTES, SESSIONS, MESSAGES = NoteRow.__table__, ChatSession.__table__, Message.__table__
LINKS = ("superseded_by", "session_id", "message_id")
CHUNK = 500  # uids looked up per statement


def judge(s: Session, note: ImportedNote) -> Outcome:
    """What importing `note` would do (a dry run: links are not looked at)."""
    row = _found(s, note.uid)
    if row is None:
        return Outcome("imported")
    return Outcome("updated" if _newer(note, row) else "unchanged")


def import_note(s: Session, note: ImportedNote) -> Outcome:
    row = _found(s, note.uid)
    links = _links(s, note)
    pending = any(links[name] is None for name in _named(note))
    if row is None:
        s.connection().execute(insert(NOTES), _values(note) | links)
        return Outcome("imported", pending=pending)
    changes = {name: value for name, value in links.items()
               if value is not None and row[name] is None}
    if _newer(note, row):
        changes |= {"status": note.status, "updated_at": note.updated_at}
        if note.superseded_by is None:
            changes["superseded_by"] = None
    if changes:
        s.connection().execute(update(NOTES).where(NOTES.c.id == row["id"]).values(changes))
    return Outcome("updated" if changes else "unchanged", pending=pending)


def link_notes(s: Session, notes: list[ImportedNote]) -> set[str]:
    """Set the links of these notes (imported earlier in the run) that can be resolved now
    and are not set; the uids of the notes changed."""
    changed = set()
    for note in notes:
        row = _found(s, note.uid)
        if row is None:
            continue
        changes = {name: value for name, value in _links(s, note).items()
                   if value is not None and row[name] is None}
        if changes:
            s.connection().execute(update(NOTES).where(NOTES.c.id == row["id"]).values(changes))
            changed.add(note.uid)
    return changed


def link_notes_used(s: Session, contexts: Sequence[tuple[int, str, tuple[str, ...]]]) -> None:
    """`messages.notes_used` of imported answers: (session id, message key, the notes' uids)
    each, set where it is not yet; a note that is not here is left out."""
    wanted = sorted({uid for _, _, uids in contexts for uid in uids})
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        ids |= {uid: ident for uid, ident in s.connection().execute(
            select(NOTES.c.uid, NOTES.c.id).where(NOTES.c.uid.in_(wanted[start:start + CHUNK]))
            .order_by(NOTES.c.id.desc()))}  # (the first, should a copy have made two)
    changes = [{"session": session, "key": key[:300],
                "used": " ".join(str(ids[uid]) for uid in uids if uid in ids)}
               for session, key, uids in contexts if any(uid in ids for uid in uids)]
    if changes:
        s.connection().execute(
            update(MESSAGES).where(MESSAGES.c.session_id == bindparam("session"),
                                   MESSAGES.c.external_id == bindparam("key"),
                                   MESSAGES.c.notes_used.is_(None))
            .values(notes_used=bindparam("used")), changes)


def _found(s: Session, uid: str) -> dict[str, Any] | None:
    """The note `uid` here (the first, should a copy have made two)."""
    row = s.connection().execute(
        select(NOTES.c.id, NOTES.c.status, NOTES.c.updated_at, *(NOTES.c[n] for n in LINKS))
        .where(NOTES.c.uid == uid).order_by(NOTES.c.id).limit(1)).mappings().first()
    return None if row is None else dict(row)


def _newer(note: ImportedNote, row: dict[str, Any]) -> bool:
    """The file's note changed after this one did (it was forgotten, restored, superseded)."""
    updated: datetime = row["updated_at"]
    return note.updated_at > updated and note.status != row["status"]


def _named(note: ImportedNote) -> set[str]:
    named = set()
    if note.superseded_by:
        named.add("superseded_by")
    if note.session is not None:
        named.add("session_id")
        if note.message:
            named.add("message_id")
    return named


def _links(s: Session, note: ImportedNote) -> dict[str, int | None]:
    """The note's links as ids here; None where it names none, or nothing here yet."""
    session = None if note.session is None else _session(s, note.session)
    message = None
    if session is not None and note.message:
        message = _message(s, session, note.message)
    successor = _found(s, note.superseded_by) if note.superseded_by else None
    return {"superseded_by": None if successor is None else successor["id"],
            "session_id": None if session is None else session[0], "message_id": message}


def _session(s: Session, key: SessionKey) -> tuple[int, bool] | None:
    """The session here and whether it is the very one the note was written in (this is the
    database it was exported from), found as the session import finds it."""
    conn = s.connection()
    if key.native is not None:
        ident, created = key.native
        if conn.execute(select(SESSIONS.c.id).where(
                SESSIONS.c.id == ident, SESSIONS.c.source.is_(None),
                SESSIONS.c.created_at == created)).first():
            return ident, True
    found = conn.execute(select(SESSIONS.c.id).where(
        SESSIONS.c.source == key.source, SESSIONS.c.external_id == key.external_id)).scalar()
    return None if found is None else (found, False)


def _message(s: Session, session: tuple[int, bool], key: str) -> int | None:
    """The message kept under `key` in the session; in the very session it was written in, a
    message of pai's own (`pai:ID`) is itself."""
    conn = s.connection()
    found = conn.execute(select(MESSAGES.c.id).where(
        MESSAGES.c.session_id == session[0], MESSAGES.c.external_id == key)).scalar()
    number = key.removeprefix("pai:")
    if found is None and session[1] and number.isdigit():
        found = conn.execute(select(MESSAGES.c.id).where(
            MESSAGES.c.id == int(number), MESSAGES.c.session_id == session[0],
            MESSAGES.c.external_id.is_(None))).scalar()
    return found


def _values(note: ImportedNote) -> dict[str, Any]:
    return {"uid": note.uid, "kind": note.kind, "title": _text(note.title),
            "body": _text(note.body), "tags": _text(" ".join(note.tags)),
            "telos": _text(" ".join(note.telos)), "status": note.status,
            "created_by": note.created_by, "agent": _short(note.agent, 200),
            "host": _short(note.host, 255), "created_at": note.created_at,
            "updated_at": note.updated_at}


def _short(value: str | None, length: int) -> str | None:
    return _text(value)[:length] if value else value


def _text(value: str) -> str:
    """As both databases keep text: PostgreSQL refuses NUL characters."""
    return value.replace("\x00", "")
