"""pai's own export (`pai history export --format jsonl`): one JSON object a line, `kind` saying
what it is (`session` now; notes will be one more kind). Everything is kept: a round trip gives
the same history. A session pai wrote itself comes back marked with the source `pai` (its id
there is `uid`), or, into the database it was exported from, is found there and left alone; an
imported one keeps its first source, id and content hashes, so importing the original file
later still adds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pai_tui.history.imports.model import (
    ImportedConversation,
    ImportedMessage,
    Malformed,
    Skipped,
    when,
)
from pai_tui.history.imports.reading import ImportFileError, parse_one, text_of

SOURCE = "pai"
FORMAT = "pai-history"
ROLES = ("user", "assistant", "system", "step")


def read(path: Path) -> Iterator[ImportedConversation | Skipped]:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    with path.open("rb") as stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield _line(line, f"{path.name}:{number}")


def _line(line: bytes, position: str) -> ImportedConversation | Skipped:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return Skipped(position, f"not valid JSON ({error.msg}, column {error.colno})")
    except ValueError as error:  # not UTF-8
        return Skipped(position, f"unreadable ({error})")
    if isinstance(item, dict) and item.get("kind") != "session":
        return Skipped(position, f"kind {item.get('kind')!r}: this pai imports sessions only")
    return parse_one(parse, item, position)


def parse(item: dict[str, Any], position: str) -> ImportedConversation:
    raw_messages = item.get("messages")
    if not isinstance(raw_messages, list):
        raise Malformed("no 'messages' list")
    keys = {m.get("id"): _key(m) for m in raw_messages if isinstance(m, dict)}
    messages = [_message(raw, keys, number) for number, raw in enumerate(raw_messages, 1)]
    source, ident = item.get("source"), item.get("external_id")
    native = None
    if not source or not ident:
        source, ident = SOURCE, item.get("uid")
        native = _native(item)
    if not ident:
        raise Malformed("no 'uid'")
    return ImportedConversation(native=native,
        source=str(source), external_id=str(ident), position=position,
        title=text_of(item.get("title")), created_at=when(item.get("created_at")),
        updated_at=when(item.get("updated_at")), provider=item.get("provider"),
        model=item.get("model"), system_prompt=item.get("system_prompt"), messages=messages,
        known_digest=item.get("content_hash"))


def _native(item: dict[str, Any]) -> tuple[int, datetime] | None:
    created = when(item.get("created_at"))
    ident = item.get("id")
    return (ident, created) if isinstance(ident, int) and created else None


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
        known_digest=raw.get("content_hash"))


def _rating(value: object) -> int | None:
    """A rating 1..10 as exported; anything else is no rating."""
    return value if isinstance(value, int) and 1 <= value <= 10 else None
