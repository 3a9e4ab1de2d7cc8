"""Imported conversations in the store, and sessions read out for export. Part of the store API
(`Store` inherits it). A conversation is known by its source and its id there; its content hash
says whether anything changed since it was last imported (nothing: it is left alone; something:
the messages not yet kept are added, those that changed are updated). Messages go in through
the ORM like any other, so the full-text index's triggers see them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pai_tui.history.models import ChatSession, Message, utcnow
from pai_tui.history.records import MessageRecord, SessionRecord
from pai_tui.history.rows import message_record, session_record

if TYPE_CHECKING:  # (the importers come above the store: they never import it)
    from pai_tui.history.imports.model import ImportedConversation, ImportedMessage

Verdict = Literal["imported", "updated", "unchanged", "skipped"]


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    messages: int = 0  # messages added (or that would be, in a dry run)
    reason: str = ""  # why it was skipped
    session_id: int | None = None


class TransferStore:
    """The store's import and export methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def import_conversations(self, batch: Sequence[ImportedConversation],
                             dry_run: bool = False) -> list[Outcome]:
        """Each conversation added, updated or left alone, in one transaction (a savepoint
        each: one that fails is skipped with the database's reason, the others are kept).
        `dry_run`: what would happen, nothing written."""
        if dry_run:
            with self._session(write=False) as s:
                return [_judge(s, conversation) for conversation in batch]
        outcomes = []
        with self._session() as s:
            for conversation in batch:
                try:
                    with s.begin_nested():
                        outcomes.append(_import(s, conversation))
                except (SQLAlchemyError, ValueError) as error:
                    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
                    outcomes.append(Outcome("skipped", reason=f"not saved: {reason}"))
        return outcomes

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


def _existing(s: Session, conversation: ImportedConversation) -> ChatSession | None:
    return s.scalar(select(ChatSession).where(
        ChatSession.source == conversation.source,
        ChatSession.external_id == conversation.external_id))


def _judge(s: Session, conversation: ImportedConversation) -> Outcome:
    row = _existing(s, conversation)
    if row is None:
        return Outcome("imported", len(conversation.messages))
    if row.content_hash == conversation.digest():
        return Outcome("unchanged", session_id=row.id)
    known = set(s.scalars(select(Message.external_id).where(Message.session_id == row.id)))
    fresh = [m for m in conversation.messages if m.key not in known]
    return Outcome("updated", len(fresh), session_id=row.id)


def _import(s: Session, conversation: ImportedConversation) -> Outcome:
    digest = conversation.digest()
    row = _existing(s, conversation)
    if row is not None and row.content_hash == digest:
        return Outcome("unchanged", session_id=row.id)
    verdict: Verdict = "updated" if row is not None else "imported"
    start = _start(conversation)
    if row is None:
        row = ChatSession(source=conversation.source, external_id=conversation.external_id,
                          created_at=start)
        s.add(row)
    row.title = conversation.title[:200] or "Imported conversation"
    row.provider, row.model = conversation.provider, conversation.model
    row.system_prompt, row.content_hash = conversation.system_prompt, digest
    row.updated_at = conversation.updated_at or _last(conversation) or start
    s.flush()
    added = _write_messages(s, row.id, conversation, start)
    return Outcome(verdict, added, session_id=row.id)


def _start(conversation: ImportedConversation) -> datetime:
    stamps = [m.created_at for m in conversation.messages if m.created_at]
    return conversation.created_at or min(stamps, default=None) or utcnow()


def _last(conversation: ImportedConversation) -> datetime | None:
    return max((m.created_at for m in conversation.messages if m.created_at), default=None)


def _write_messages(s: Session, session_id: int, conversation: ImportedConversation,
                    start: datetime) -> int:
    """Add the messages not kept yet, update those that changed, then link them (a reply to
    its message, a step to its answer) by their new ids. Returns how many were added."""
    kept = {row.external_id: row for row in s.scalars(
        select(Message).where(Message.session_id == session_id))}
    rows: list[tuple[Message, ImportedMessage]] = []
    added = 0
    for message in conversation.messages:
        row = kept.get(message.key)
        if row is None:
            row, added = Message(session_id=session_id, external_id=message.key), added + 1
            s.add(row)
        if row.content_hash != (digest := message.digest()):
            _fill(row, message, start, digest)
        rows.append((row, message))
    s.flush()
    ids = {message.key: row.id for row, message in rows}
    for row, message in rows:
        row.reply_to = ids.get(message.reply_to or "")
        row.parent_id = ids.get(message.step_of or "")
    return added


def _fill(row: Message, message: ImportedMessage, start: datetime, digest: str) -> None:
    created = message.created_at or start
    row.role, row.content, row.status = message.role, message.content, message.status
    row.provider, row.model, row.cost = message.provider, message.model, message.cost
    row.input_tokens, row.output_tokens = message.input_tokens, message.output_tokens
    row.error, row.skill, row.agent = message.error, message.skill, message.agent
    row.on_path, row.superseded = message.on_path, message.superseded
    row.output_estimated, row.content_hash = message.output_estimated, digest
    row.created_at, row.updated_at = created, message.updated_at or created
