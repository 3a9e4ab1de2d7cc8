"""Migration 20 (frozen: a later change is a new migration): every note gets `uid`, a key that
names it in every database it travels to (`pai history export` / `import jsonl`), where its
integer id does not.

A note written from now on gets a random one (`new_uid`). A note written before is given one
made of what it is: its creation time, kind, title and body (and, for a second note identical to
an earlier one, how many came before it). So a note that `pai db copy` put in two databases
before this migration gets the same uid in both, and a note line exported before uids existed
is recognised when it comes back (`content_uid`, which the importer uses too).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, bindparam, select
from sqlalchemy.engine import Connection

UID_CHARS = 64


def new_uid() -> str:
    return uuid.uuid4().hex


def content_uid(created_at: datetime, kind: str, title: str, body: str, ordinal: int = 0,
                ) -> str:
    """The uid of a note written before uids: a hash of what it is (`ordinal`: how many
    identical notes came before it)."""
    parts: list[object] = [created_at.isoformat(), kind, title, body]
    if ordinal:
        parts.append(ordinal)
    text = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def create(conn: Connection) -> None:
    conn.exec_driver_sql(f"ALTER TABLE notes ADD COLUMN uid VARCHAR({UID_CHARS})")
    notes = Table("notes", MetaData(), Column("id", Integer, primary_key=True),
                  Column("created_at", DateTime), Column("kind", String(20)),
                  Column("title", Text), Column("body", Text), Column("uid", String(UID_CHARS)))
    seen: Counter[str] = Counter()
    changes = []
    for ident, created, kind, title, body in conn.execute(
            select(notes.c.id, notes.c.created_at, notes.c.kind, notes.c.title, notes.c.body)
            .order_by(notes.c.id)):
        uid = content_uid(created, kind, title, body)
        changes.append({"row": ident, "uid": content_uid(created, kind, title, body, seen[uid])})
        seen[uid] += 1
    if changes:
        conn.execute(notes.update().where(notes.c.id == bindparam("row"))
                     .values(uid=bindparam("uid")), changes)
    conn.exec_driver_sql("CREATE INDEX ix_notes_uid ON notes (uid)")
