"""Simon Willison's `llm` keeps every prompt and response in `logs.db` (SQLite; `llm logs path`
says where). Two generations of tables (llm/migrations.py): the first, `log` then `logs` (one
row per exchange, `chat_id` naming the first of a chat, the time in `timestamp`,
`timestamp_utc` or `datetime_utc`); since m010, `conversations` and `responses` (with token
counts since m013, attachments since m012, tool calls and results since m017). Both are read:
a database upgraded by llm keeps a non-empty `logs` table beside the new ones. Each exchange is
a question and its answer; the file is opened read-only."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from pai_tui.history.imports.model import (
    ImportedConversation,
    ImportedMessage,
    Skipped,
    title_from,
    when,
)
from pai_tui.history.imports.reading import ImportFileError, text_of

SOURCE = "llm"


def default() -> Path:
    """Where llm keeps logs.db: $LLM_USER_PATH, else its folder under ~/.config (Linux)."""
    folder = os.environ.get("LLM_USER_PATH") or "~/.config/io.datasette.llm"
    return Path(folder).expanduser() / "logs.db"


def read(path: Path) -> Iterator[ImportedConversation | Skipped]:
    path = path.expanduser()
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file (llm logs path prints where it is)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise ImportFileError(f"{path}: not an SQLite database ({error})") from None
    with closing(db):
        if not tables & {"log", "logs", "responses"}:
            raise ImportFileError(f"{path}: no llm tables (log, logs or responses) in it")
        for table in ("log", "logs"):
            if table in tables:
                yield from _old_generation(db, table)
        if "responses" in tables:
            yield from _responses(db, tables)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')}


def _old_generation(db: sqlite3.Connection, table: str) -> Iterator[ImportedConversation]:
    columns = _columns(db, table)
    stamp = next((c for c in ("datetime_utc", "timestamp_utc", "timestamp") if c in columns),
                 "NULL")
    chat = "chat_id" if "chat_id" in columns else "NULL"
    rows = db.execute(f'SELECT *, {stamp} AS at, COALESCE({chat}, rowid) AS chat, '
                      f'rowid AS number FROM "{table}" ORDER BY chat, rowid')
    group: list[sqlite3.Row] = []
    for row in rows:
        if group and group[0]["chat"] != row["chat"]:
            yield _conversation(f"{table}:{group[0]['chat']}", group, {})
            group = []
        group.append(row)
    if group:
        yield _conversation(f"{table}:{group[0]['chat']}", group, {})


def _responses(db: sqlite3.Connection, tables: set[str]) -> Iterator[ImportedConversation]:
    rows = db.execute(
        "SELECT r.*, r.datetime_utc AS at, COALESCE(r.conversation_id, 'response:' || r.id) "
        "AS chat, r.rowid AS number FROM responses r "
        "ORDER BY chat, r.datetime_utc, r.rowid")
    group: list[sqlite3.Row] = []
    names = _conversation_names(db, tables)
    for row in rows:
        if group and group[0]["chat"] != row["chat"]:
            yield _conversation(group[0]["chat"], group, _extras(db, tables, group), names)
            group = []
        group.append(row)
    if group:
        yield _conversation(group[0]["chat"], group, _extras(db, tables, group), names)


def _conversation_names(db: sqlite3.Connection, tables: set[str]) -> dict[str, str]:
    if "conversations" not in tables:
        return {}
    return {row["id"]: row["name"] or "" for row in db.execute("SELECT id, name FROM "
                                                               "conversations")}


def _extras(db: sqlite3.Connection, tables: set[str], group: list[sqlite3.Row],
            ) -> dict[str, list[tuple[str, str]]]:
    """Per response id: its attachments and tool runs, as (kind, text) pairs."""
    ids = [row["id"] for row in group]
    marks = ", ".join("?" * len(ids))
    extras: dict[str, list[tuple[str, str]]] = {}
    queries = {
        "attachments": "SELECT p.response_id AS rid, 'attachment' AS kind, "
                       "COALESCE(a.type, '') || ' ' || COALESCE(a.path, a.url, a.id) AS body "
                       "FROM prompt_attachments p JOIN attachments a ON a.id = p.attachment_id "
                       f'WHERE p.response_id IN ({marks}) ORDER BY p."order"',
        "tool_calls": "SELECT response_id AS rid, 'tool/' || name AS kind, arguments AS body "
                      f"FROM tool_calls WHERE response_id IN ({marks}) ORDER BY id",
        "tool_results": "SELECT response_id AS rid, 'result/' || name AS kind, output AS body "
                        f"FROM tool_results WHERE response_id IN ({marks}) ORDER BY id",
    }
    for table, query in queries.items():
        if table in tables:
            for row in db.execute(query, ids):
                extras.setdefault(row["rid"], []).append((row["kind"], text_of(row["body"])))
    return extras


def _conversation(ident: str, rows: list[sqlite3.Row], extras: dict[str, list[tuple[str, str]]],
                  names: dict[str, str] | None = None) -> ImportedConversation:
    messages: list[ImportedMessage] = []
    for row in rows:
        messages += _exchange(row, extras.get(_get(row, "id") or "", []))
    name = (names or {}).get(ident, "")
    first = rows[0]
    return ImportedConversation(
        source=SOURCE, external_id=str(ident), position=f"conversation {ident}",
        title=name or title_from(text_of(_get(first, "prompt"))),
        created_at=when(first["at"]), updated_at=when(rows[-1]["at"]),
        model=_get(first, "model"), system_prompt=_get(first, "system") or None,
        messages=messages)


def _get(row: sqlite3.Row, name: str) -> Any:
    return row[name] if name in row.keys() else None  # noqa: SIM118 (a Row has no __contains__)


def _exchange(row: sqlite3.Row, extras: list[tuple[str, str]]) -> list[ImportedMessage]:
    key, at = str(_get(row, "id") or row["number"]), when(row["at"])
    attachments = [f"[attachment: {body}]" for kind, body in extras if kind == "attachment"]
    question = ImportedMessage(
        key=f"{key}/prompt", role="user", created_at=at, cost=0.0,
        content="\n\n".join(filter(None, [text_of(_get(row, "prompt")), *attachments])))
    answer = ImportedMessage(
        key=key, role="assistant", content=text_of(_get(row, "response")), created_at=at,
        model=_get(row, "model"), reply_to=question.key,
        input_tokens=int(_get(row, "input_tokens") or 0),
        output_tokens=int(_get(row, "output_tokens") or 0))
    steps = [ImportedMessage(key=f"{key}/{number}", role="step", content=body, created_at=at,
                             skill=kind.replace("result/", "tool/"), step_of=key)
             for number, (kind, body) in enumerate(extras) if kind != "attachment"]
    return [question, answer, *steps]
