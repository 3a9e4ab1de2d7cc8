"""The ORM models of the current schema (migrations.py builds and evolves the tables)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from pai_tui.history.hosts import this_host
from pai_tui.history.note_uids import UID_CHARS, new_uid


class Kept(TypeDecorator[str]):
    """Text as pai keeps it: whatever is shaped like a key (a vendor's, a private key block) is
    replaced by `[redacted KIND]` on its way into the database, by every write that binds it
    (ORM or Core): one place, so no path forgets it. The detector is the one behind the
    secrets guard and the redaction of tool output (secrets/detect.py)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        from pai_tui.scrub import redact_shapes

        return redact_shapes(value) if value else value


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class ChatSession(Base):
    __tablename__ = "sessions"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (ids never handed out twice)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Kept(200))
    provider: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(200))
    system_prompt: Mapped[str | None] = mapped_column(Kept)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # Imported conversations (migrations._v15_imports): where from (NULL: written by pai), the
    # id there, and a hash of what was imported (the same again changes nothing).
    source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(255), default=this_host, index=True)

    messages: Mapped[list[Message]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Message.id",
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_session_id_id", "session_id", "id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Kept, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    provider: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float | None] = mapped_column(Float)  # USD; NULL: the price is unknown
    error: Mapped[str | None] = mapped_column(Kept)  # why the answer failed, for the user
    skill: Mapped[str | None] = mapped_column(String(200))  # "summarize", "summarize/wordcount"
    parent_id: Mapped[int | None] = mapped_column(Integer)  # a step's answer
    # The output tokens were counted from the text (the stream ended before the provider said).
    output_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)  # a retry replaced it
    writer: Mapped[str | None] = mapped_column(String(200))  # host:pid:start while streaming
    agent: Mapped[str | None] = mapped_column(String(200), index=True)  # an agent's run
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    notes_used: Mapped[str | None] = mapped_column(Text)  # ids of the notes in its context
    rating: Mapped[int | None] = mapped_column(Integer)  # the user's, 1..10; NULL: not rated
    external_id: Mapped[str | None] = mapped_column(String(300))  # its id where it was imported
    content_hash: Mapped[str | None] = mapped_column(String(64))  # of what was imported
    reply_to: Mapped[int | None] = mapped_column(Integer)  # the message it answers (a tree)
    on_path: Mapped[bool] = mapped_column(Boolean, default=True)  # on the branch last shown
    host: Mapped[str | None] = mapped_column(String(255), default=this_host, index=True)

    session: Mapped[ChatSession] = relationship(back_populates="messages")


class KeptCost(Base):
    """What a deleted answer cost, kept for the spending totals (its text is gone)."""

    __tablename__ = "kept_costs"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # when it was answered
    cost: Mapped[float | None] = mapped_column(Float)  # USD; NULL: the price was unknown


class SpanRow(Base):
    """One span of the timeline (spans.py); see migrations._v10_timeline."""

    __tablename__ = "spans"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    span_id: Mapped[str] = mapped_column(String(16), unique=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    parent_span_id: Mapped[str | None] = mapped_column(String(16))
    session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    turn_id: Mapped[int | None] = mapped_column(Integer, index=True)
    agent: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[float] = mapped_column(Float, index=True)
    ended_at: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(200))
    skill: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float | None] = mapped_column(Float)
    attributes: Mapped[str] = mapped_column(Kept, default="{}")
    host: Mapped[str | None] = mapped_column(String(255), default=this_host)


class FeedSourceRow(Base):
    """How fetching one upgrade source went; see migrations._v11_upgrade_feed."""

    __tablename__ = "feed_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)  # what was fetched
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    tried_at: Mapped[datetime | None] = mapped_column(DateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)  # the last good answer
    next_at: Mapped[datetime | None] = mapped_column(DateTime)  # not polled before this
    error: Mapped[str | None] = mapped_column(Text)  # the last failure, kept after a success
    errors: Mapped[int] = mapped_column(Integer, default=0)  # failures in a row
    parse_failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    paused: Mapped[bool] = mapped_column(Boolean, default=False)  # until the user refreshes it


class FeedItemRow(Base):
    """One item of an upgrade source. A deleted item keeps its row (its key), emptied, so that
    it never comes back."""

    __tablename__ = "feed_items"
    __table_args__ = (Index("ux_feed_items_source_key", "source", "key", unique=True),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64))
    guid: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    found_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    why: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[str] = mapped_column(Text, default="{}")  # JSON: a release's tag, a video id
    host: Mapped[str | None] = mapped_column(String(255), default=this_host)


class LeaseRow(Base):
    """Who holds a job that only one pai may run (the upgrade scheduler); see
    migrations._v12_leases."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300))  # HOST:PID:NONCE
    token: Mapped[int] = mapped_column(Integer, default=0)  # fencing: +1 at each new holder
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")  # what the holder says (its next run)


class SearchDoc(Base):
    """One searchable text (a message, an agent's result, an upgrade item), kept by triggers in
    the database; see history/search_schema.py."""

    __tablename__ = "search_docs"
    __table_args__ = (Index("ux_search_docs_kind_ref", "kind", "ref_id", unique=True),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # message, agent, item
    ref_id: Mapped[int] = mapped_column(Integer)  # the message's or item's id
    session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    agent: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    body: Mapped[str] = mapped_column(Text)


class ProposalRow(Base):
    """An upgrade proposal: a diff to PAI_HOME and where it is in its lifecycle; see
    migrations._v14_proposals."""

    __tablename__ = "proposals"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Kept)
    rationale: Mapped[str] = mapped_column(Kept)
    diff: Mapped[str] = mapped_column(Kept)
    check_argv: Mapped[str | None] = mapped_column(Kept)  # JSON list of strings
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    revert_sha: Mapped[str | None] = mapped_column(String(64))
    failure: Mapped[str | None] = mapped_column(Kept)
    drafted_by: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[float | None] = mapped_column(Float)  # USD; NULL: unknown
    host: Mapped[str | None] = mapped_column(String(255), default=this_host)


class ProposalEventRow(Base):
    """One transition of a proposal: from, to, when, why."""

    __tablename__ = "proposal_events"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"),
                                             index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime)
    cause: Mapped[str] = mapped_column(Kept)


class NoteRow(Base):
    """A note (history/notes_schema.py): append-only; an edit supersedes, a forget tombstones."""

    __tablename__ = "notes"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(Kept)
    body: Mapped[str] = mapped_column(Kept)
    tags: Mapped[str] = mapped_column(Kept, default="")  # (text too: redacted like the body)
    telos: Mapped[str] = mapped_column(Kept, default="")
    status: Mapped[str] = mapped_column(String(20), index=True, default="active")
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("notes.id"))
    created_by: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(255), default=this_host)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Its name in every database (history/note_uids.py): export and import match notes by it.
    uid: Mapped[str] = mapped_column(String(UID_CHARS), default=new_uid, index=True)
