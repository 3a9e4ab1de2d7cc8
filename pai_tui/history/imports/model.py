"""What every importer hands the writer: conversations in pai's terms, or an item it skipped
(with where it was and why). Plain data: importers know their format, the writer knows the store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from pai_tui.history.records import Role


class Malformed(ValueError):
    """An item that cannot be read as its format says (the message says what is wrong)."""


@dataclass
class ImportedMessage:
    key: str  # its id in the source, unique within its conversation
    role: Role
    content: str
    created_at: datetime | None = None
    status: str = "complete"
    provider: str | None = None
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None  # None: unknown (never 0 for an answer whose price nobody said)
    error: str | None = None
    skill: str | None = None  # a step's "tool/NAME"
    agent: str | None = None  # a subagent's run
    reply_to: str | None = None  # the key of the message it answers (a tree)
    step_of: str | None = None  # the key of the answer a step belongs to
    on_path: bool = True  # on the branch the user last saw
    superseded: bool = False
    output_estimated: bool = False
    rating: int | None = None  # the user's, 1..10 (pai's own exports)
    updated_at: datetime | None = None
    known_digest: str | None = None  # the hash a pai export carried (kept as it was)
    # The notes put in its context (pai's own exports), by uid: set once the notes are in. Not
    # hashed: they are links, and hashes made before pai exported them stay as they were.
    notes_used: tuple[str, ...] = ()

    def digest(self) -> str:
        return self.known_digest or digest([getattr(self, name) for name in MESSAGE_FIELDS])


MESSAGE_FIELDS = tuple(f.name for f in fields(ImportedMessage)
                       if f.name not in ("known_digest", "notes_used"))


@dataclass
class ImportedConversation:
    source: str  # chatgpt, claude, claude-code, llm, or the source a pai export kept
    external_id: str  # its id there
    title: str
    position: str  # where it is in the file, for the report
    created_at: datetime | None = None
    updated_at: datetime | None = None
    provider: str | None = None
    model: str | None = None
    system_prompt: str | None = None
    messages: list[ImportedMessage] = field(default_factory=list)
    known_digest: str | None = None  # the hash a pai export carried (kept as it was)
    done: float | None = None  # how much of the input was read when it came (for progress)
    # A session pai wrote, exported: its id and creation time in the database it came from
    # (imported back into that database, it is already there).
    native: tuple[int, datetime] | None = None
    _digests: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def message_digest(self, message: ImportedMessage) -> str:
        """The message's hash, made once (the conversation's hash is made of them)."""
        if id(message) not in self._digests:
            self._digests[id(message)] = message.digest()
        return self._digests[id(message)]

    def digest(self) -> str:
        if self.known_digest:
            return self.known_digest
        head = [self.title, self.system_prompt, self.model, self.provider]
        return digest([head, [self.message_digest(message) for message in self.messages]])


@dataclass(frozen=True)
class SessionKey:
    """How a session is known wherever it was imported: the source and id the session import
    keeps (`pai` and the export's uid for one pai wrote), and, for one pai wrote, its id and
    creation time in the database it came from (there, it is itself)."""

    source: str
    external_id: str
    native: tuple[int, datetime] | None = None


@dataclass
class ImportedNote:
    """A note of a pai export, its links named by what they are in any database: itself and
    its successor by uid, its session by `SessionKey`, its message by the key that message is
    kept under in its session (`ImportedMessage.key`)."""

    uid: str
    position: str
    kind: str
    title: str
    body: str
    status: str  # active, superseded, forgotten
    created_by: str  # user, agent, rule
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()
    telos: tuple[str, ...] = ()
    host: str | None = None
    agent: str | None = None  # the agent whose run it came from
    superseded_by: str | None = None  # the uid of the note that replaced it
    session: SessionKey | None = None
    message: str | None = None
    done: float | None = None


@dataclass(frozen=True)
class Skipped:
    position: str  # "conversation 12", "file.jsonl:40"
    reason: str


def digest(value: object) -> str:
    """A SHA-256 of `value` as canonical JSON (times as ISO text)."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def when(value: object) -> datetime | None:
    """A time as the sources write it (seconds since the epoch, or ISO 8601 text, with or
    without a zone) as naive UTC like the store's, or None when there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Malformed(f"not a time: {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value  # milliseconds
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    if not isinstance(value, str):
        raise Malformed(f"not a time: {value!r}")
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Malformed(f"not a time: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def title_from(text: str, fallback: str = "Imported conversation") -> str:
    """The first non-blank line of `text`, shortened, as a session's title."""
    from pai_tui.history.service import session_title

    return session_title(text) if text.strip() else fallback
