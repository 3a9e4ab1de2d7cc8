"""Exporting the history: JSON Lines that `pai history import jsonl` reads back into the same
history, or Markdown in PAI's history layout
(`history/{sessions,learnings,research,decisions}/YYYY-MM/YYYY-MM-DD-HHMMSS_TYPE_slug.md`, YAML
frontmatter) for PAI's tools and for reading. Each kind of record (sessions, notes) is one entry
of KINDS. Text is redacted again on its way out (rows written before pai redacted keys on every
write); files are 0600, folders 0700."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pai_tui.history.records import MessageRecord, NoteRecord, SessionRecord
from pai_tui.paths import PRIVATE_FILE, private_folder
from pai_tui.scrub import redact_shapes

if TYPE_CHECKING:
    from pai_tui.history.store import Store

FORMAT = "pai-history"
VERSION = 1


@dataclass(frozen=True)
class Record:
    """One thing exported: its kind's folder and TYPE (PAI's layout), its JSON line, and its
    Markdown (frontmatter and body)."""

    folder: str  # sessions, learnings, research, decisions
    type: str  # SESSION, LEARNING, RESEARCH, DECISION
    created_at: datetime
    title: str
    line: dict[str, Any]
    frontmatter: dict[str, Any]
    body: str
    readable: bool = True  # written as Markdown too (a forgotten note is not: only in JSONL)

    @property
    def noun(self) -> str:
        return str(self.line["kind"])


def clean(text: str | None) -> str | None:
    return redact_shapes(text) if text else text


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def session_uid(session: SessionRecord) -> str:
    """How an export names a session of pai's own (an imported one keeps its source's id)."""
    return f"{session.created_at.isoformat()}#{session.id}"


def message_line(message: MessageRecord, uids: Mapping[int, str] | None = None,
                 ) -> dict[str, Any]:
    """A message as JSON; with `uids` (note id -> uid), the notes in its context named so that
    any database can resolve them (`notes_used_uids`)."""
    line = {
        "id": message.id, "external_id": message.external_id, "role": message.role,
        "content": clean(message.content), "status": message.status,
        "provider": message.provider, "model": message.model,
        "input_tokens": message.input_tokens, "output_tokens": message.output_tokens,
        "cost": message.cost, "error": clean(message.error), "skill": message.skill,
        "parent_id": message.parent_id, "reply_to": message.reply_to,
        "on_path": message.on_path, "output_estimated": message.output_estimated,
        "superseded": message.superseded, "agent": message.agent,
        "created_at": _time(message.created_at), "updated_at": _time(message.updated_at),
        "content_hash": message.content_hash, "notes_used": list(message.notes_used),
        "rating": message.rating,
    }
    if uids is not None:
        line["notes_used_uids"] = [uids[n] for n in message.notes_used if n in uids]
    return line


def session_record(session: SessionRecord, messages: list[MessageRecord],
                   uids: Mapping[int, str] | None = None) -> Record:
    line = {
        "kind": "session", "format": FORMAT, "version": VERSION, "id": session.id,
        "uid": session_uid(session), "source": session.source,
        "external_id": session.external_id, "content_hash": session.content_hash,
        "title": clean(session.title),
        "provider": session.provider, "model": session.model,
        "system_prompt": clean(session.system_prompt),
        "created_at": _time(session.created_at), "updated_at": _time(session.updated_at),
        "messages": [message_line(message, uids) for message in messages],
    }
    costs = [m.cost for m in messages if m.role != "user" and m.role != "system"]
    front = {
        "type": "session", "id": session.id, "title": clean(session.title),
        "created": _time(session.created_at), "updated": _time(session.updated_at),
        "source": session.source or "pai", "provider": session.provider,
        "model": session.model, "messages": len(messages),
        "input_tokens": sum(m.input_tokens for m in messages),
        "output_tokens": sum(m.output_tokens for m in messages),
        "cost_usd": None if None in costs else round(sum(c or 0.0 for c in costs), 6),
    }
    return Record("sessions", "SESSION", session.created_at, session.title, line, front,
                  transcript(messages))


def transcript(messages: list[MessageRecord]) -> str:
    """The session as Markdown: each message a section, steps quoted under their answer,
    messages off the active branch said to be."""
    parts = []
    for message in messages:
        text = clean(message.content) or ""
        when = message.created_at.strftime("%Y-%m-%d %H:%M:%S")
        if message.role == "step":
            quoted = "\n".join(f"> {line}" for line in text.splitlines() or [""])
            parts.append(f"> **{message.skill or 'step'}** ({message.status})\n{quoted}\n")
            continue
        who = {"user": "User", "assistant": "Assistant", "system": "System"}[message.role]
        model = f" ({message.model})" if message.model and message.role == "assistant" else ""
        branch = "" if message.on_path else " · other branch"
        parts.append(f"## {who}{model} · {when}{branch}\n\n{text}\n")
    return "\n".join(parts)


# Where PAI keeps each kind of note (a preference is a learning about the user).
NOTE_PLACES = {"learning": ("learnings", "LEARNING"), "decision": ("decisions", "DECISION"),
               "research": ("research", "RESEARCH"), "preference": ("learnings", "PREFERENCE")}


def message_key(message: MessageRecord) -> str:
    """How the session import keeps a message (its `external_id` there): the id it was
    imported with, else its id here."""
    return message.external_id or f"pai:{message.id}"


def session_key(session: SessionRecord) -> dict[str, Any]:
    """What names a session wherever its export is imported (imports/jsonl.py reads it as the
    session line's own keys)."""
    return {"id": session.id, "uid": session_uid(session), "source": session.source,
            "external_id": session.external_id, "created_at": _time(session.created_at)}


def note_record(note: NoteRecord, successor: str | None = None,
                session: SessionRecord | None = None, message: MessageRecord | None = None,
                ) -> Record:
    """A note; `successor` (the uid of the note that superseded it), `session` and `message`
    (where it came from) name its links in a way any database can resolve."""
    draft = note.draft
    folder, kind = NOTE_PLACES.get(draft.kind, ("learnings", draft.kind.upper()))
    line = {
        "kind": "note", "format": FORMAT, "version": VERSION, "id": note.id, "uid": note.uid,
        "note_kind": draft.kind, "title": clean(draft.title), "body": clean(draft.body),
        "tags": list(draft.tags), "telos": list(draft.telos), "status": note.status,
        "superseded_by": note.superseded_by, "superseded_by_uid": successor,
        "created_by": draft.created_by,
        "session_id": draft.session_id, "message_id": draft.message_id, "agent": draft.agent,
        "session": None if session is None else session_key(session),
        "message_key": None if message is None else message_key(message),
        "host": note.host, "created_at": _time(note.created_at),
        "updated_at": _time(note.updated_at),
    }
    front = {"type": draft.kind, "id": note.id, "title": clean(draft.title),
             "created": _time(note.created_at), "updated": _time(note.updated_at),
             "status": note.status, "tags": list(draft.tags), "telos": list(draft.telos),
             "created_by": draft.created_by, "session": draft.session_id,
             "superseded_by": note.superseded_by}
    body = f"# {clean(draft.title)}\n\n{clean(draft.body) or ''}\n"
    return Record(folder, kind, note.created_at, draft.title, line, front, body,
                  readable=note.status != "forgotten")


def _sessions(store: Store, session_id: int | None) -> Iterator[Record]:
    uids: dict[int, str] | None = None  # (read once, when an answer had notes in its context)
    for session, messages in store.export_sessions(session_id):
        if uids is None and any(m.notes_used for m in messages):
            uids = {note.id: note.uid for note in store.notes(statuses=())}
        yield session_record(session, messages, uids or {})


def _notes(store: Store, session_id: int | None) -> Iterator[Record]:
    """Every note, oldest first, forgotten ones too (JSONL keeps everything); with a session,
    the notes that came from it. Each names its successor, session and message by what they
    are, not by their ids here."""
    notes = store.notes(statuses=())
    uids = {note.id: note.uid for note in notes}
    sessions: dict[int, SessionRecord | None] = {}
    for note in reversed(notes):
        draft = note.draft
        if session_id is not None and draft.session_id != session_id:
            continue
        session = None
        if draft.session_id is not None:
            if draft.session_id not in sessions:
                sessions[draft.session_id] = store.get_session(draft.session_id)
            session = sessions[draft.session_id]
        message = None if draft.message_id is None else store.get_message(draft.message_id)
        if message is not None and (session is None or message.session_id != session.id):
            message = None  # named within its session only
        yield note_record(note, uids.get(note.superseded_by or -1), session, message)


# What export can write: a kind → its records in the store.
KINDS: dict[str, Callable[[Store, int | None], Iterator[Record]]] = {
    "sessions": _sessions,
    "notes": _notes,
}


def records(store: Store, session_id: int | None = None) -> Iterator[Record]:
    for kind in KINDS.values():
        yield from kind(store, session_id)


def _open_private(path: Path) -> IO[str]:
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)  # an existing file is narrowed too
    return os.fdopen(fd, "w", encoding="utf-8")


def write_jsonl(items: Iterator[Record], out: Path, now: datetime | None = None,
                ) -> tuple[Path, Counter[str]]:
    """One file in `out`, one line per record; returns it and how many of each kind."""
    private_folder(out)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    path, count = out / f"pai-history-{stamp}.jsonl", Counter[str]()
    with _open_private(path) as stream:
        for record in items:
            stream.write(json.dumps(record.line, ensure_ascii=False) + "\n")
            count[record.noun] += 1
    return path, count


def slug(title: str) -> str:
    words = re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-")
    return words[:60].rstrip("-") or "untitled"


def write_markdown(items: Iterator[Record], out: Path) -> tuple[Path, Counter[str]]:
    """A file per record under `out`/history/FOLDER/YYYY-MM/; returns the history folder and
    how many of each kind."""
    root, count, taken = out / "history", Counter[str](), set()
    for record in items:
        if not record.readable:
            continue
        folder = root / record.folder / record.created_at.strftime("%Y-%m")
        name = f"{record.created_at.strftime('%Y-%m-%d-%H%M%S')}_{record.type}_{slug(record.title)}"
        path = folder / f"{name}.md"
        for number in range(2, 10_000):
            if path not in taken:
                break
            path = folder / f"{name}-{number}.md"
        taken.add(path)
        for parent in reversed(path.relative_to(out).parents):
            private_folder(out / parent)
        with _open_private(path) as stream:
            stream.write(frontmatter(record.frontmatter) + "\n" + record.body)
        count[record.noun] += 1
    return root, count


def frontmatter(fields: dict[str, Any]) -> str:
    """YAML frontmatter: every value as JSON, which YAML reads as the same value."""
    lines = [f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"
