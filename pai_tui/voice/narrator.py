"""The bus subscriber that decides what is said: an answer's spoken line, an agent starting
("Architect: design the export feature") and finishing (with how it ended), and a permission
question waiting (said first). Each kind is on or off in `[voice]`; `only_main` keeps the agents
quiet. It only decides: the speaker says, on its own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pai_tui import events, spans
from pai_tui.config import VoiceSettings
from pai_tui.voice.lines import spoken_line
from pai_tui.voice.model import Utterance, UtteranceKind
from pai_tui.voice.voices import VoiceBook

FINISHED = {"complete": "done", "cancelled": "stopped", "error": "failed",
            "incomplete": "cut off", "interrupted": "interrupted", "denied": "refused"}


def spoken_name(agent: str) -> str:
    """`qa-tester` -> `QA tester`: how a name is said."""
    words = agent.replace("_", " ").replace("-", " ").split()
    if not words:
        return agent
    first = words[0].upper() if len(words[0]) <= 2 else words[0].capitalize()
    return " ".join([first, *words[1:]])


def upgrade_line(items: tuple[events.FoundItem, ...], max_chars: int) -> str:
    """"New upgrade for G2: Textual 1.2 adds …", or "3 new upgrades. Best, for G2: …": the
    best item's title and the goal it serves most."""
    best = items[0]
    goal = best.why.split(" — ", 1)[0].strip()
    title = spoken_line(best.title, max_chars) or "untitled"
    if len(items) == 1:
        return f"New upgrade for {goal}: {title}"
    return f"{len(items)} new upgrades. Best, for {goal}: {title}"


@dataclass(frozen=True)
class _TurnSpan:
    trace_id: str
    span_id: str
    session_id: int | None
    root: bool


class Narrator:
    def __init__(self, settings: VoiceSettings, bus: events.Bus, book: VoiceBook,
                 say: Callable[[Utterance], None],
                 task_of: Callable[[int], str | None] = lambda turn_id: None):
        self.settings, self.book, self._say, self._task_of = settings, book, say, task_of
        self.muted = False
        self._turns: dict[int, _TurnSpan] = {}
        self._lock = threading.Lock()
        self._unsubscribe = [bus.subscribe(events.SpanStarted, self._on_span),
                             bus.subscribe(events.TurnStarted, self._on_started),
                             bus.subscribe(events.TurnFinished, self._on_finished),
                             bus.subscribe(events.UpgradeItemsFound, self._on_upgrades)]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def _on_span(self, event: events.SpanStarted) -> None:
        if event.kind == "turn" and event.turn_id is not None:
            with self._lock:
                self._turns[event.turn_id] = _TurnSpan(event.trace_id, event.span_id,
                                                       event.session_id,
                                                       event.parent_span_id is None)
        elif event.kind == "permission" and self.settings.permission:
            tool = str(event.attributes.get(spans.TOOL_NAME) or "a tool")
            who = spoken_name(event.agent) if event.agent else "pai"
            self._utter(f"{who} asks permission to run {tool.replace('/', ' ')}", "permission",
                        event, priority=True, anyone=True)

    def _on_started(self, event: events.TurnStarted) -> None:
        if event.agent is None or not self.settings.agent_start:
            return
        task = self._task_of(event.message_id) or ""
        said = spoken_line(task, 100) if task else "starting"
        self._utter(f"{spoken_name(event.agent)}: {said}", "start", event)

    def _on_finished(self, event: events.TurnFinished) -> None:
        with self._lock:
            turn = self._turns.pop(event.turn_id or event.message_id, None)
        line = spoken_line(event.text, self.settings.max_chars) \
            if self.settings.answers and event.status == "complete" else ""
        if event.agent is None:
            if line and (turn is None or turn.root):
                self._utter(line, "answer", event, turn=turn)
            return
        if self.settings.agent_finish:
            how = FINISHED.get(event.status, event.status)
            self._utter(f"{spoken_name(event.agent)} {how}" + (f": {line}" if line else ""),
                        "finish", event, turn=turn)
        elif line:
            self._utter(f"{spoken_name(event.agent)}: {line}", "answer", event, turn=turn)

    def _on_upgrades(self, event: events.UpgradeItemsFound) -> None:
        if self.settings.upgrades and event.items:
            self._utter(upgrade_line(event.items, self.settings.max_chars), "upgrade", event)

    def _utter(self, text: str, kind: UtteranceKind, event: events.Event, *,
               priority: bool = False, anyone: bool = False, turn: _TurnSpan | None = None,
               ) -> None:
        """Say `text` in the voice of the event's agent (the main voice under `only_main`:
        a question waiting is said anyway, by the main voice)."""
        if self.muted or not text.strip():
            return
        agent = event.agent
        if agent is not None and self.settings.only_main:
            if not anyone:
                return
            agent = None
        if isinstance(event, events.SpanStarted):  # a question: its span is the parent
            trace, parent = event.trace_id, event.span_id
        else:
            if turn is None and event.turn_id is not None:
                with self._lock:
                    turn = self._turns.get(event.turn_id)
            trace, parent = (turn.trace_id, turn.span_id) if turn else (None, None)
        session = getattr(event, "session_id", None)
        self._say(Utterance(text, self.book.voice_for(agent), kind, agent, priority,
                            event.turn_id, session, trace, parent))
