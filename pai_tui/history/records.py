"""Plain records the store hands out: safe across threads, importable without SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pai_tui.events import Status

# step: a nested skill call or a tool run inside an answer, shown in the transcript; never sent
# to the model as a message of its own.
Role = Literal["user", "assistant", "system", "step"]
# Status (defined with the events that carry it): streaming while being written, the others
# final. A row still `streaming` when the store opens belonged to a process that died: it becomes
# `interrupted`. denied: a step (tool run) that the permission policy or the user refused.
__all__ = ["FINAL_STATUSES", "MessageRecord", "Role", "SessionRecord", "SpanRecord", "Status",
           "UsageRow"]
FINAL_STATUSES: tuple[Status, ...] = ("complete", "cancelled", "incomplete", "error", "interrupted")


@dataclass(frozen=True)
class SessionRecord:
    id: int
    title: str
    provider: str | None
    model: str | None
    system_prompt: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int = 0
    source: str | None = None  # where it was imported from (chatgpt, claude…); None: pai's own
    external_id: str | None = None  # its id there
    content_hash: str | None = None  # of what was imported (the same again changes nothing)


@dataclass(frozen=True)
class MessageRecord:
    id: int
    session_id: int
    role: Role
    content: str
    status: Status
    provider: str | None
    model: str | None
    input_tokens: int
    output_tokens: int
    cost: float | None  # USD; None: the model's prices are unknown
    created_at: datetime
    updated_at: datetime
    error: str | None = None
    skill: str | None = None  # the skill that answered, or a step's "skill" / "skill/tool"
    parent_id: int | None = None  # a step's answer
    output_estimated: bool = False  # output tokens counted from the text, not told
    superseded: bool = False  # a retry replaced this answer (it stays reachable)
    agent: str | None = None  # the agent whose run this answer is; None: the main chat
    notes_used: tuple[int, ...] = ()  # the notes put in its context (turns/recall.py)
    rating: int | None = None  # the user's, 1..10; None: not rated
    external_id: str | None = None  # its id where it was imported from
    content_hash: str | None = None  # of what was imported
    reply_to: int | None = None  # the message it answers, in a tree (an imported ChatGPT chat)
    on_path: bool = True  # on the branch the user last saw (False: another branch)


@dataclass(frozen=True)
class SpanRecord:
    """One span of the timeline (spans.py). `status` is ok, error or cancelled once it ended;
    an open span is `running` while its turn is being written, else `incomplete` (its process
    died before it ended)."""

    span_id: str
    trace_id: str
    parent_span_id: str | None
    session_id: int | None
    turn_id: int | None
    agent: str | None
    kind: str
    name: str
    started_at: float  # seconds since the epoch
    ended_at: float | None
    status: str
    model: str | None
    skill: str | None
    input_tokens: int
    output_tokens: int
    cost: float | None
    attributes: dict[str, Any]

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else max(0.0, self.ended_at - self.started_at)


@dataclass(frozen=True)
class UsageRow:
    """One line of the timeline's summary: a model, an agent, a skill or a tool."""

    group: str  # "model", "agent", "skill", "tool"
    name: str
    calls: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost: float | None  # None: nothing priced (unknown prices)
    unpriced: int  # calls whose cost is unknown
    seconds: float  # total duration
    slowest: float  # the longest one


@dataclass(frozen=True)
class FeedItem:
    """An item as a feed gives it (upgrade/parse.py), before the store numbers it."""

    key: str  # identifies the item within its source (a hash of its GUID, link, or text)
    guid: str | None
    title: str
    url: str | None
    summary: str
    published: datetime | None  # naive UTC, like the store's times
    extra: dict[str, str] = field(default_factory=dict)  # a release's tag, a video's id


@dataclass(frozen=True)
class FeedItemRecord:
    """An item of the upgrade feed as the store keeps it."""

    id: int
    source: str
    item: FeedItem
    found_at: datetime
    read: bool
    score: float
    why: str


@dataclass(frozen=True)
class FeedSourceState:
    """How fetching a source has gone: what to send back (conditional GET), when to come back,
    and its trouble (errors in a row; paused after parse failures until the user refreshes)."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    tried_at: datetime | None = None
    fetched_at: datetime | None = None
    next_at: datetime | None = None
    error: str | None = None
    errors: int = 0
    parse_failures: int = 0
    paused: bool = False


@dataclass(frozen=True)
class Lease:
    """A job only one pai runs: who holds it, since when, until when it is theirs."""

    name: str
    holder: str  # HOST:PID:NONCE
    token: int
    acquired_at: datetime
    expires_at: datetime
    note: str = ""

    @property
    def where(self) -> str:
        """HOST:PID, as the user knows the holder."""
        return ":".join(self.holder.split(":")[:2])


@dataclass(frozen=True)
class SearchHit:
    """One thing the search found: what it is (`message`, `agent`, `item`), its id (the
    message's or the item's), where it belongs, a snippet with where the matches are in it,
    and how well it matched (higher is better)."""

    kind: str
    id: int
    session_id: int | None
    role: str | None
    agent: str | None
    model: str | None
    created_at: datetime
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    score: float


@dataclass(frozen=True)
class ProposalDraft:
    """A proposal as drafted, before the store numbers it."""

    item_id: int | None  # the feed item it cites
    title: str
    rationale: str
    diff: str  # a unified diff against PAI_HOME
    check: tuple[str, ...] | None  # an argv verifying it, run in PAI_HOME; None: none
    drafted_by: str  # "provider:model", or an agent's name
    message_id: int | None = None  # the answer that drafted it
    cost: float | None = None  # USD; None: unknown


@dataclass(frozen=True)
class ProposalEvent:
    """One transition of a proposal."""

    from_state: str | None  # None: drafted
    to_state: str
    at: datetime
    cause: str


@dataclass(frozen=True)
class ProposalRecord:
    """A proposal as the store keeps it, with its transitions (oldest first)."""

    id: int
    draft: ProposalDraft
    state: str
    created_at: datetime
    updated_at: datetime
    commit_sha: str | None = None
    revert_sha: str | None = None
    failure: str | None = None
    events: tuple[ProposalEvent, ...] = ()

    @property
    def title(self) -> str:
        return self.draft.title


NoteKind = Literal["learning", "decision", "research", "preference"]
NOTE_KINDS: tuple[str, ...] = ("learning", "decision", "research", "preference")
NoteStatus = Literal["active", "superseded", "forgotten"]


@dataclass(frozen=True)
class NoteDraft:
    """A note as written, before the store numbers it."""

    kind: str
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    telos: tuple[str, ...] = ()  # TELOS ids it relates to: G1, P2
    created_by: str = "user"  # user, agent, rule
    session_id: int | None = None  # where it came from
    message_id: int | None = None
    agent: str | None = None


@dataclass(frozen=True)
class NoteRecord:
    id: int
    draft: NoteDraft
    status: str
    superseded_by: int | None
    host: str | None
    created_at: datetime
    updated_at: datetime
    uid: str = ""  # its name in every database (history/note_uids.py)

    @property
    def kind(self) -> str:
        return self.draft.kind

    @property
    def title(self) -> str:
        return self.draft.title
