"""Typed events and the bus: the one way parts tell each other what happened.

Publishers never know who listens. Handlers run synchronously in the publisher's thread, so a UI
subscriber must hand events over to its own loop (`ui/bus.py` is the one bridge that does).
Every event says when it happened and, where it belongs to a turn, which turn and which agent
(None: the main chat), so that parallel turns can be told apart by any subscriber. Events never
carry secrets. The bus only tells: it never vetoes (gates are called, see turns/gates.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)


# How a message ends (see history/records.py); `streaming` while it is written.
Status = Literal["streaming", "complete", "cancelled", "incomplete", "error", "interrupted",
                 "denied"]
# How the router chose: a /name, a routing.toml rule, a PAI workflow table, the scores, the
# model, or plain chat.
RouteHow = Literal["slash", "rule", "table", "score", "model", "chat"]
StepKind = Literal["skill", "tool", "agent"]  # agent: a run the answer delegated to


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: when, and (for a turn's events) which turn and which agent."""

    at: float = field(default_factory=time.time)
    turn_id: int | None = None  # the answer's message id; None outside a turn
    agent: str | None = None  # the agent speaking; None for the main chat


@dataclass(frozen=True)
class StoreReady(Event):
    schema_version: int
    backup: str | None = None  # path of the backup made before migrating, if one was


@dataclass(frozen=True)
class StoreMigrating(Event):
    """A step of migrating the history is starting (a large history takes minutes)."""

    step: str


@dataclass(frozen=True)
class StoreFailed(Event):
    message: str


@dataclass(frozen=True)
class StoreReadOnly(Event):
    """A newer pai migrated the history (before this one opened it, or while it runs): it is
    read, listed and searched as usual, and every write is refused; `message` names both
    schema versions and says to upgrade pai. Told once."""

    message: str


@dataclass(frozen=True)
class SessionCreated(Event):
    session_id: int
    title: str


@dataclass(frozen=True)
class SessionUpdated(Event):
    session_id: int


@dataclass(frozen=True)
class MessageSaved(Event):
    """The user's message is stored (before anything is sent); its turn begins."""

    session_id: int
    message_id: int
    role: str
    status: Status


@dataclass(frozen=True)
class TurnStarted(Event):
    session_id: int
    message_id: int  # the assistant message being written
    provider: str
    model: str
    skill: str | None = None  # the skill answering, if one does
    answers: int = 1  # this is answer `answers` of `answers` to its question (retries)
    notes: tuple[int, ...] = ()  # the history's notes put in its context


@dataclass(frozen=True, init=False)
class TextDelta(Event):
    """A piece of an answer's text. The hot path (one per network chunk of a stream: tens of
    thousands per answer), so it is built without the dataclass machinery's per-field
    `object.__setattr__` (half the cost; still frozen to whoever holds it)."""

    session_id: int
    message_id: int
    text: str

    def __init__(self, session_id: int, message_id: int, text: str, *, at: float | None = None,
                 turn_id: int | None = None, agent: str | None = None):
        fields = self.__dict__
        fields["session_id"], fields["message_id"], fields["text"] = session_id, message_id, text
        fields["at"] = time.time() if at is None else at
        fields["turn_id"], fields["agent"] = turn_id, agent


@dataclass(frozen=True)
class TextEnded(Event):
    """The answer's text is all there: no TextDelta follows. TurnFinished comes once the answer
    is saved and counted; a screen can draw the end of the text meanwhile."""

    session_id: int
    message_id: int


@dataclass(frozen=True)
class TurnFinished(Event):
    session_id: int
    message_id: int
    status: Status  # complete, cancelled, incomplete, error
    text: str
    error: str | None = None  # why it is not complete, for the user
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None  # None: the model's prices are unknown
    output_estimated: bool = False  # output tokens counted from the text (the stream was cut)


@dataclass(frozen=True)
class UsageCounted(Event):
    """What a turn has spent so far (its own model calls, not those of the runs it started),
    as usage arrives: calls, tokens and cost. Says nothing of the text."""

    session_id: int
    message_id: int
    calls: int
    input_tokens: int
    output_tokens: int
    cost: float | None  # None: a model's prices are unknown


@dataclass(frozen=True)
class TurnNotice(Event):
    """Something to know while an answer is written: a retry, a key rotation, saving failing.
    Never holds a key."""

    session_id: int
    message_id: int
    text: str


@dataclass(frozen=True)
class ContextTrimmed(Event):
    session_id: int
    left_out: int  # messages not sent
    context_window: int


@dataclass(frozen=True)
class Connectivity(Event):
    """Whether the last attempt reached the provider (False: offline or endpoint down)."""

    online: bool
    detail: str = ""


@dataclass(frozen=True)
class ChoiceChanged(Event):
    """The provider/model answering the shown session (or new ones) changed."""

    session_id: int | None
    provider: str
    model: str


@dataclass(frozen=True)
class RouteDecided(Event):
    """Which skill (None: plain chat) a message goes to, how, and why."""

    session_id: int | None
    skill: str | None
    how: RouteHow
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepStarted(Event):
    """A nested skill call or a tool run began inside the answer `parent_id`."""

    session_id: int
    message_id: int  # the step's own row
    parent_id: int
    kind: StepKind
    name: str  # "first-principles", "summarize/wordcount"
    detail: str = ""  # the tool's arguments, shown literally


@dataclass(frozen=True)
class StepFinished(Event):
    session_id: int
    message_id: int
    parent_id: int
    name: str
    status: Status  # complete, error, cancelled, denied
    output: str
    error: str | None = None


@dataclass(frozen=True)
class SpanStarted(Event):
    """A span of the timeline began at `at` (spans.py says what spans are and their names)."""

    span_id: str
    trace_id: str
    parent_span_id: str | None
    kind: str  # spans.Kind
    name: str  # "chat claude-sonnet-4-5", "execute_tool agents/grep"
    session_id: int | None
    attributes: dict[str, Any]


@dataclass(frozen=True)
class SpanEnded(Event):
    """The span ended at `at`, `ok`, `error` or `cancelled`; `attributes` add to its own."""

    span_id: str
    status: str  # spans.SpanStatus
    attributes: dict[str, Any]


@dataclass(frozen=True)
class FoundItem:
    """An upgrade item worth telling the user about (its text as the feed gave it)."""

    id: int
    source: str
    title: str
    score: float
    why: str


@dataclass(frozen=True, kw_only=True)
class UpgradeItemsFound(Event):
    """A poll of the upgrade feed found items scoring at least `[upgrade] announce_score`,
    best first. Each item is found by one poll only, so it is told once."""

    items: tuple[FoundItem, ...]


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class Bus:
    """Publish/subscribe by event type (subclasses reach handlers of their bases)."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = {}
        self._lock = threading.Lock()

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Register `handler`; returns a function that unsubscribes it."""
        with self._lock:
            self._handlers.setdefault(event_type, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._handlers.get(event_type, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [
                handler
                for event_type in type(event).__mro__
                for handler in self._handlers.get(event_type, ())  # type: ignore[arg-type]
            ]
        for handler in targets:
            try:
                handler(event)
            except Exception:  # one broken subscriber must not stop the others
                log.exception("event handler %r failed on %r", handler, type(event).__name__)
