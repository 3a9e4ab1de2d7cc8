"""ORM rows as the plain records the store hands out (records.py)."""

from __future__ import annotations

from pai_tui.history.models import ChatSession, Message
from pai_tui.history.records import MessageRecord, SessionRecord


def session_record(row: ChatSession, count: int = 0) -> SessionRecord:
    return SessionRecord(
        id=row.id, title=row.title, provider=row.provider, model=row.model,
        system_prompt=row.system_prompt, created_at=row.created_at, updated_at=row.updated_at,
        message_count=count, source=row.source, external_id=row.external_id,
        content_hash=row.content_hash,
    )


def message_record(row: Message) -> MessageRecord:
    return MessageRecord(
        id=row.id, session_id=row.session_id, role=row.role,  # type: ignore[arg-type]
        content=row.content, status=row.status,  # type: ignore[arg-type]
        provider=row.provider, model=row.model, input_tokens=row.input_tokens,
        output_tokens=row.output_tokens, cost=row.cost, created_at=row.created_at,
        updated_at=row.updated_at, error=row.error, skill=row.skill,
        parent_id=row.parent_id, output_estimated=bool(row.output_estimated),
        superseded=bool(row.superseded), agent=row.agent,
        notes_used=tuple(int(n) for n in (row.notes_used or "").split()), rating=row.rating,
        external_id=row.external_id, content_hash=row.content_hash,
        reply_to=row.reply_to, on_path=row.on_path is not False,
    )
