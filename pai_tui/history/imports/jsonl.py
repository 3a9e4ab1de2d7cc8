"""pai's own export (`pai history export --format jsonl`): one JSON object a line, `kind` saying
what it is (`session` or `note`). Everything is kept: a round trip gives the same history.

A session pai wrote itself comes back marked with the source `pai` (its id there is `uid`), or,
into the database it was exported from, is found there and left alone; an imported one keeps its
first source, id and content hashes, so importing the original file later still adds nothing.

A note is known everywhere by its `uid` (history/note_uids.py): one already here is left alone
(or follows the file's status, when the file's is newer). Its links are named by what they are,
not by the ids of the database it came from: its successor by uid, its session by the keys the
session import keeps (`session`), its message by the key that message is kept under
(`message_key`). They are resolved in this database after every line is read, whatever the
order of the lines; a link that names nothing here (the note's session was not in the file nor
imported before) is dropped, not kept as the old id: that id names another session here, or
none (history/imports/writer.py). A line exported before notes had uids gets the uid migration
20 gave its note, so the database it came from still knows it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pai_tui.history.imports.model import (
    ImportedConversation,
    ImportedMessage,
    ImportedNote,
    Malformed,
    SessionKey,
    Skipped,
    when,
)
from pai_tui.history.imports.reading import ImportFileError, parse_one, text_of
from pai_tui.history.note_uids import UID_CHARS, content_uid
from pai_tui.history.records import NOTE_KINDS

SOURCE = "pai"
FORMAT = "pai-history"
ROLES = ("user", "assistant", "system", "step")
STATUSES = ("active", "superseded", "forgotten")
AUTHORS = ("user", "agent", "rule")
Item = ImportedConversation | ImportedNote | Skipped


def read(path: Path) -> Iterator[Item]:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    with path.open("rb") as stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield _line(line, f"{path.name}:{number}")


def _line(line: bytes, position: str) -> Item:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return Skipped(position, f"not valid JSON ({error.msg}, column {error.colno})")
    except ValueError as error:  # not UTF-8
        return Skipped(position, f"unreadable ({error})")
    if isinstance(item, dict) and item.get("kind") == "note":
        return parse_one(parse_note, item, position)
    if isinstance(item, dict) and item.get("kind") != "session":
        return Skipped(position, f"kind {item.get('kind')!r}: not one pai exports (session, "
                                 "note)")
    return parse_one(parse, item, position)


def parse(item: dict[str, Any], position: str) -> ImportedConversation:
    raw_messages = item.get("messages")
    if not isinstance(raw_messages, list):
        raise Malformed("no 'messages' list")
    keys = {m.get("id"): _key(m) for m in raw_messages if isinstance(m, dict)}
    messages = [_message(raw, keys, number) for number, raw in enumerate(raw_messages, 1)]
    key = session_key(item)
    return ImportedConversation(native=key.native,
        source=key.source, external_id=key.external_id, position=position,
        title=text_of(item.get("title")), created_at=when(item.get("created_at")),
        updated_at=when(item.get("updated_at")), provider=item.get("provider"),
        model=item.get("model"), system_prompt=item.get("system_prompt"), messages=messages,
        known_digest=item.get("content_hash"))


def session_key(item: dict[str, Any]) -> SessionKey:
    """How a session line (or a note line's `session`) names its session: the source and id it
    was first imported from, else `pai` and its export uid (and its id and time here)."""
    source, ident = item.get("source"), item.get("external_id")
    if source and ident:
        native = _from_uid(str(ident)) if source == SOURCE else None
        return SessionKey(str(source), str(ident), native)
    if not item.get("uid"):
        raise Malformed("no 'uid'")
    return SessionKey(SOURCE, str(item["uid"]), _native(item))


def _native(item: dict[str, Any]) -> tuple[int, datetime] | None:
    created = when(item.get("created_at"))
    ident = item.get("id")
    return (ident, created) if isinstance(ident, int) and created else None


def _from_uid(uid: str) -> tuple[int, datetime] | None:
    """A session pai wrote, imported elsewhere and exported from there: its uid (`TIME#ID`,
    export.session_uid) still names it in the database it was written in."""
    moment, _, ident = uid.rpartition("#")
    try:
        created = when(moment)
    except Malformed:
        return None
    return (int(ident), created) if ident.isdigit() and created else None


def _key(raw: dict[str, Any]) -> str:
    return text_of(raw.get("external_id")) or f"pai:{raw.get('id')}"


def _message(raw: Any, keys: dict[Any, str], number: int) -> ImportedMessage:
    if not isinstance(raw, dict):
        raise Malformed(f"message {number} is not an object")
    if raw.get("role") not in ROLES:
        raise Malformed(f"message {number}: role {raw.get('role')!r} is not one of "
                        f"{', '.join(ROLES)}")
    cost = raw.get("cost")
    return ImportedMessage(
        key=_key(raw), role=raw["role"], content=text_of(raw.get("content")),
        created_at=when(raw.get("created_at")), updated_at=when(raw.get("updated_at")),
        status=str(raw.get("status") or "complete"), provider=raw.get("provider"),
        model=raw.get("model"), input_tokens=int(raw.get("input_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
        cost=None if cost is None else float(cost), error=raw.get("error"),
        skill=raw.get("skill"), agent=raw.get("agent"),
        reply_to=keys.get(raw.get("reply_to")), step_of=keys.get(raw.get("parent_id")),
        on_path=bool(raw.get("on_path", True)), superseded=bool(raw.get("superseded")),
        output_estimated=bool(raw.get("output_estimated")), rating=_rating(raw.get("rating")),
        known_digest=raw.get("content_hash"),
        notes_used=_words(raw.get("notes_used_uids"), f"message {number}: notes_used_uids"))


def _rating(value: object) -> int | None:
    """A rating 1..10 as exported; anything else is no rating."""
    return value if isinstance(value, int) and 1 <= value <= 10 else None


def parse_note(item: dict[str, Any], position: str) -> ImportedNote:
    kind, status = item.get("note_kind"), item.get("status")
    if kind not in NOTE_KINDS:
        raise Malformed(f"note_kind {kind!r} is not one of {', '.join(NOTE_KINDS)}")
    if status not in STATUSES:
        raise Malformed(f"status {status!r} is not one of {', '.join(STATUSES)}")
    created_by = item.get("created_by") or "user"
    if created_by not in AUTHORS:
        raise Malformed(f"created_by {created_by!r} is not one of {', '.join(AUTHORS)}")
    title, body = text_of(item.get("title")), text_of(item.get("body"))
    if not title.strip():
        raise Malformed("no 'title'")
    created = when(item.get("created_at"))
    if created is None:
        raise Malformed("no 'created_at'")
    uid = item.get("uid") or content_uid(created, kind, title, body)
    if not isinstance(uid, str) or len(uid) > UID_CHARS:
        raise Malformed(f"uid {uid!r} is not text of at most {UID_CHARS} characters")
    session = item.get("session")
    if session is not None and not isinstance(session, dict):
        raise Malformed("'session' is not an object")
    successor = item.get("superseded_by_uid")
    return ImportedNote(
        uid=uid, position=position, kind=kind, title=title, body=body, status=status,
        created_by=created_by, created_at=created,
        updated_at=when(item.get("updated_at")) or created,
        tags=_words(item.get("tags"), "tags"), telos=_words(item.get("telos"), "telos"),
        host=_name(item.get("host")), agent=_name(item.get("agent")),
        superseded_by=str(successor) if successor else None,
        session=None if not session else session_key(session),
        message=_name(item.get("message_key")))


def _words(value: object, field: str) -> tuple[str, ...]:
    """Tags or TELOS ids: a list of words (or the words of one text)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(word, str) for word in value):
        return tuple(word for text in value for word in text.split())
    raise Malformed(f"'{field}' is not a list of words")


def _name(value: object) -> str | None:
    return None if value is None or value == "" else text_of(value)
