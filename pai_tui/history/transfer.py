"""Imported conversations in the store, and sessions read out for export. Part of the store API
(`Store` inherits it). A conversation is known by its source and its id there; its content hash
says whether anything changed since it was last imported (nothing: it is left alone; something:
the messages not yet kept are added, those that changed are updated). Messages go in through
the ORM like any other, so the full-text index's triggers see them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pai_tui.history.models import ChatSession, Message, utcnow
from pai_tui.history.records import MessageRecord, SessionRecord
from pai_tui.history.rows import message_record, session_record

if TYPE_CHECKING:  # (the importers come above the store: they never import it)
    from pai_tui.history.imports.model import ImportedConversation, ImportedMessage

# Core statements (the Kept columns redact as with the ORM)
MESSAGES, SESSIONS = Message.__table__, ChatSession.__table__
# What the database (or its driver) says of a value it will not keep: a number too large for
# its column, say. The conversation holding it is skipped, with the reason.
REFUSED = (SQLAlchemyError, ValueError, ArithmeticError)
Verdict = Literal["imported", "updated", "unchanged", "skipped"]
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    messages: int = 0  # messages added (or that would be, in a dry run)
    reason: str = ""  # why it was skipped
    session_id: int | None = None
    pending: bool = False  # a note whose links are resolved once every line is in


def each_kept(transaction: Callable[[], AbstractContextManager[Session]], batch: Sequence[T],
              one: Callable[[Session, T], Outcome]) -> list[Outcome]:
    """`one(s, item)` for each item, in one transaction. Should one fail, the batch is done
    again with a savepoint each: that one is skipped with the database's reason, the others are
    kept."""
    try:
        with transaction() as s:
            return [one(s, item) for item in batch]
    except REFUSED:
        pass  # rolled back; found again below, with the others kept
    outcomes = []
    with transaction() as s:
        for item in batch:
            try:
                with s.begin_nested():
                    outcomes.append(one(s, item))
            except REFUSED as error:
                reason = str(getattr(error, "orig", None) or error).splitlines()[0]
                outcomes.append(Outcome("skipped", reason=f"not saved: {reason}"))
    return outcomes


class TransferStore:
    """The store's import and export methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def import_conversations(self, batch: Sequence[ImportedConversation],
                             dry_run: bool = False) -> list[Outcome]:
        """Each conversation added, updated or left alone, in one transaction. Should one fail,
        the batch is done again with a savepoint each: that one is skipped with the database's
        reason, the others are kept. `dry_run`: what would happen, nothing written."""
        if dry_run:
            with self._session(write=False) as s:
                return [_judge(s, conversation) for conversation in batch]
        return each_kept(self._session, batch, _import)

    def export_sessions(self, session_id: int | None = None,
                        ) -> Iterator[tuple[SessionRecord, list[MessageRecord]]]:
        """Each session (or the one asked for) with its messages, oldest session first, one at
        a time (a transaction each, none held between them)."""
        with self._session(write=False) as s:
            query = select(ChatSession.id).order_by(ChatSession.id)
            if session_id is not None:
                query = query.where(ChatSession.id == session_id)
            ids = list(s.scalars(query))
        for ident in ids:
            with self._session(write=False) as s:
                row = s.get(ChatSession, ident)
                if row is None:
                    continue  # deleted meanwhile
                messages = [message_record(m) for m in s.scalars(
                    select(Message).where(Message.session_id == ident).order_by(Message.id))]
                yield session_record(row, len(messages)), messages


def _existing(s: Session, conversation: ImportedConversation) -> tuple[int, str | None] | None:
    """The id and content hash of the session this conversation was imported as, if it was
    (a session of pai's own exported from this very database: itself, as it is now)."""
    if conversation.native is not None:
        ident, created = conversation.native
        row = s.connection().execute(select(SESSIONS.c.id).where(
            SESSIONS.c.id == ident, SESSIONS.c.source.is_(None),
            SESSIONS.c.created_at == created)).first()
        if row is not None:
            return row[0], conversation.digest()
    row = s.connection().execute(select(SESSIONS.c.id, SESSIONS.c.content_hash).where(
        SESSIONS.c.source == conversation.source,
        SESSIONS.c.external_id == conversation.external_id)).first()
    return None if row is None else (row[0], row[1])


def _judge(s: Session, conversation: ImportedConversation) -> Outcome:
    found = _existing(s, conversation)
    if found is None:
        return Outcome("imported", len(conversation.messages))
    if found[1] == conversation.digest():
        return Outcome("unchanged", session_id=found[0])
    known = set(s.scalars(select(Message.external_id).where(Message.session_id == found[0])))
    fresh = [m for m in conversation.messages if m.key not in known]
    return Outcome("updated", len(fresh), session_id=found[0])


def _import(s: Session, conversation: ImportedConversation) -> Outcome:
    """One conversation, in Core statements (the ORM's unit of work costs more than the rows
    here: an export holds thousands of conversations)."""
    digest = conversation.digest()
    found = _existing(s, conversation)
    if found is not None and found[1] == digest:
        return Outcome("unchanged", session_id=found[0])
    start = _start(conversation)
    values = {
        "title": (_text(conversation.title) or "")[:200] or "Imported conversation",
        "provider": _short(conversation.provider, 100),
        "model": _short(conversation.model, 200),
        "system_prompt": _text(conversation.system_prompt), "content_hash": digest,
        "updated_at": conversation.updated_at or _last(conversation) or start,
    }
    conn = s.connection()
    if found is None:
        session_id = conn.execute(insert(SESSIONS).returning(SESSIONS.c.id), values | {
            "source": conversation.source, "external_id": conversation.external_id,
            "created_at": start}).scalar_one()
    else:
        session_id = found[0]
        conn.execute(update(SESSIONS).where(SESSIONS.c.id == session_id).values(values))
    added = _write_messages(s, session_id, conversation, start, found is None)
    return Outcome("imported" if found is None else "updated", added, session_id=session_id)


def _start(conversation: ImportedConversation) -> datetime:
    stamps = [m.created_at for m in conversation.messages if m.created_at]
    return conversation.created_at or min(stamps, default=None) or utcnow()


def _last(conversation: ImportedConversation) -> datetime | None:
    return max((m.created_at for m in conversation.messages if m.created_at), default=None)


def _write_messages(s: Session, session_id: int, conversation: ImportedConversation,
                    start: datetime, new: bool) -> int:
    """Add the messages not kept yet, update those that changed, then link them (a reply to
    its message, a step to its answer) by their ids. Core statements, several rows each: an
    export of 200,000 messages must not take a round of the ORM per message. Returns how many
    were added."""
    kept = {} if new else {key: (ident, digest) for key, ident, digest in s.execute(
        select(Message.external_id, Message.id, Message.content_hash)
        .where(Message.session_id == session_id))}
    fresh, changed = [], []
    for message in conversation.messages:
        digest = conversation.message_digest(message)
        if message.key not in kept:
            fresh.append(_values(message, start, digest) | {"session_id": session_id})
        elif kept[message.key][1] != digest:
            changed.append(_values(message, start, digest) | {"row_id": kept[message.key][0]})
    conn = s.connection()
    if fresh:  # (no RETURNING: SQLite would send the rows one statement each)
        conn.execute(insert(MESSAGES), fresh)
        ids = {key: ident for key, ident in conn.execute(  # (dict() would call its keys())
            select(MESSAGES.c.external_id, MESSAGES.c.id)
            .where(MESSAGES.c.session_id == session_id))}
    else:
        ids = {key: ident for key, (ident, _) in kept.items()}
    if changed:
        conn.execute(update(MESSAGES).where(MESSAGES.c.id == bindparam("row_id")),
                     [{k: v for k, v in row.items() if k != "external_id"} for row in changed])
    _link(conn, conversation, ids)
    return len(fresh)


def _link(conn: Connection, conversation: ImportedConversation, ids: dict[str, int]) -> None:
    links = [{"row_id": ids[m.key], "reply": ids.get(m.reply_to or ""),
              "parent": ids.get(m.step_of or "")}
             for m in conversation.messages if m.reply_to or m.step_of]
    if links:
        conn.execute(update(MESSAGES).where(MESSAGES.c.id == bindparam("row_id"))
                     .values(reply_to=bindparam("reply"), parent_id=bindparam("parent")), links)


def _values(message: ImportedMessage, start: datetime, digest: str) -> dict[str, Any]:
    created = message.created_at or start
    return {
        "external_id": message.key[:300], "role": message.role,
        "content": _text(message.content) or "",
        "status": message.status[:20], "provider": _short(message.provider, 100),
        "model": _short(message.model, 200), "input_tokens": message.input_tokens,
        "output_tokens": message.output_tokens, "cost": message.cost,
        "error": _text(message.error),
        "skill": _short(message.skill, 200), "agent": _short(message.agent, 200),
        "on_path": message.on_path, "superseded": message.superseded,
        "output_estimated": message.output_estimated, "content_hash": digest,
        "rating": message.rating,
        "created_at": created, "updated_at": message.updated_at or created,
    }


def _short(value: str | None, length: int) -> str | None:
    """A name cut to its column's length (PostgreSQL refuses longer ones; SQLite keeps them)."""
    return value[:length] if value else value


def _text(value: str | None) -> str | None:
    """Text as both databases keep it: PostgreSQL refuses NUL characters (exports hold some)."""
    return value.replace("\x00", "") if value else value
