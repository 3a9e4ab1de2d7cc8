"""The hooks of one pai process: gates the turn calls, observers fed by the bus.

Gates (UserPromptSubmit, PreToolUse, Stop) are awaited at fixed points of a turn (turns/gates.py)
and fail closed. SessionStart runs at a session's first prompt in this process, awaited for the
context it adds (as in Claude Code) but never blocking. Observers (PostToolUse,
PostToolUseFailure, SubagentStart/Stop, Notification, PreCompact, SessionEnd) subscribe to the
bus: a handler only queues the event, one thread of their own runs them, so they can never stall
a turn (a full queue drops, logged).

Every run is a `hook` span (name, event, exit code, duration, head of stderr), and its outcome
is kept in $PAI_HOME/cache/hook-runs.json for `pai hooks check`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pai_tui import events, spans
from pai_tui.config import Config
from pai_tui.hooks.payload import Transcripts, step_tool_input, tool_name
from pai_tui.hooks.registry import MATCHED_FIELD, Hook, Registry, load_registry
from pai_tui.hooks.run import Answer, Permission, head, interpret, run_hook, secrets_of

log = logging.getLogger(__name__)

_TRANSCRIPT = "transcript"  # a queue item that appends to the transcript (not an event)
QUEUE_SIZE = 256  # observer events waiting; beyond, new ones are dropped (and logged)
CLOSE_WAIT = 10.0  # seconds `close` lets queued observers (and SessionEnd) finish
_RANK = {"deny": 3, "ask": 2, "allow": 1}


@dataclass(frozen=True)
class Parent:
    """Where a hook run's span hangs (a turn), and who runs (an agent)."""

    session_id: int | None
    trace_id: str
    span_id: str | None = None
    turn_id: int | None = None
    agent: str | None = None


@dataclass
class Verdict:
    """What the hooks of one gate decided together."""

    blocked: str | None = None  # why the action stops
    context: str = ""  # added context for the model
    permission: Permission | None = None  # PreToolUse: deny > ask > allow
    notes: list[str] = field(default_factory=list)  # to show the user (errors, messages)
    answers: list[Answer] = field(default_factory=list)


def combine(answers: list[Answer]) -> Verdict:
    verdict = Verdict(answers=answers)
    contexts = []
    for answer in answers:
        if answer.outcome == "block" and verdict.blocked is None:
            verdict.blocked = answer.reason if answer.failed else \
                f"blocked by hook {answer.hook.name}: {answer.reason}"
        elif answer.outcome == "error":
            verdict.notes.append(answer.reason)
        if answer.message:
            verdict.notes.append(f"hook {answer.hook.name}: {answer.message}")
        if answer.context:
            contexts.append(answer.context)
        if answer.permission and _RANK[answer.permission] > _RANK.get(verdict.permission or "", 0):
            verdict.permission = answer.permission
    verdict.context = "\n\n".join(contexts)
    return verdict


class Hooks:
    """The hooks service: built by the cockpit on first use."""

    def __init__(self, config: Config, bus: events.Bus, cwd: Path | None = None):
        self.config, self.bus = config, bus
        self.cwd = cwd or Path.cwd()
        self._registry: Registry | None = None
        self._loading = threading.Lock()
        self._redact: dict[str, str] | None = None
        self._runs_lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, dict[str, Any], Parent] | None] = \
            queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._traces: dict[int, str] = {}  # turn id -> its trace id
        self._steps: dict[int, tuple[str, str]] = {}  # running tool step -> (tool, detail)
        self._closed = False
        self._sessions: set[int] = set()  # seen: each gets a SessionEnd
        self._created: set[int] = set()  # made by this process (SessionStart "startup")
        self._opened: set[int] = set()  # whose SessionStart hooks ran
        self._unsubscribe = [bus.subscribe(kind, handler) for kind, handler in (
            (events.SpanStarted, self._on_span), (events.SessionCreated, self._on_session),
            (events.TurnStarted, self._on_turn_started),
            (events.TurnFinished, self._on_turn_finished),
            (events.StepStarted, self._on_step_started),
            (events.StepFinished, self._on_step_finished),
            (events.ContextTrimmed, self._on_trimmed))]

    # --- what is registered ------------------------------------------------------------------

    def registry(self) -> Registry:
        """The registered hooks, read once (blocking: call it off the UI loop)."""
        with self._loading:
            if self._registry is None:
                self._registry = load_registry(self.config)
                for warning in self._registry.warnings:
                    log.warning("hooks: %s", warning)
            return self._registry

    async def loaded(self) -> Registry:
        """The registry, read in a thread the first time (no thread hop after)."""
        registry = self._registry
        return registry if registry is not None else await asyncio.to_thread(self.registry)

    def redact(self) -> dict[str, str]:
        if self._redact is None:
            self._redact = secrets_of(self.config)
        return self._redact

    @property
    def transcripts(self) -> Transcripts:
        return Transcripts(self.transcript_folder, self.redact())

    @property
    def transcript_folder(self) -> Path:
        return self.config.home.root / "transcripts"

    def transcript_path(self, session: int | str) -> Path:
        return Transcripts.path_in(self.transcript_folder, session)

    def payload(self, event: str, fields: Mapping[str, Any], parent: Parent) -> dict[str, Any]:
        """Claude Code's common input fields, then the event's."""
        session = parent.session_id if parent.session_id is not None else "none"
        data: dict[str, Any] = {
            "session_id": str(session),
            "transcript_path": str(self.transcript_path(session)),
            "cwd": str(self.cwd), "hook_event_name": event, "permission_mode": "default"}
        if parent.agent:
            data |= {"agent_id": str(parent.turn_id), "agent_type": parent.agent}
        return data | dict(fields)

    # --- running -----------------------------------------------------------------------------

    async def gate(self, event: str, fields: Mapping[str, Any], parent: Parent) -> Verdict:
        """Run the hooks of gate `event` on `fields`, all at once; their combined verdict. A
        hooks file pai cannot read blocks every gate (it might hold the guard)."""
        registry = await self.loaded()
        if registry.error is not None:
            return Verdict(blocked=f"the hooks settings cannot be used, so {event} fails "
                                   f"closed: {registry.error}")
        return await self._run_matching(registry, event, fields, parent)

    async def session_started(self, parent: Parent) -> Verdict:
        """SessionStart, once per session in this process, at its first prompt: awaited (its
        stdout and additionalContext are context for the model, as in Claude Code) but never
        blocking: its failures and objections are notes."""
        session = parent.session_id
        if session is None or session in self._opened:
            return Verdict()
        self._opened.add(session)
        self._sessions.add(session)
        registry = await self.loaded()
        source = "startup" if session in self._created else "resume"
        verdict = await self._run_matching(registry, "SessionStart", {"source": source},
                                           Parent(session, parent.trace_id, parent.span_id,
                                                  parent.turn_id))
        notes = [*verdict.notes, *filter(None, [verdict.blocked])]
        return Verdict(None, verdict.context, None, notes, verdict.answers)

    async def run_event(self, event: str, fields: Mapping[str, Any],
                        parent: Parent) -> Verdict:
        """Run the hooks of any event and wait for them (`pai hooks test`)."""
        registry = await self.loaded()
        return await self._run_matching(registry, event, fields, parent)

    async def _run_matching(self, registry: Registry, event: str, fields: Mapping[str, Any],
                            parent: Parent) -> Verdict:
        matched_field = MATCHED_FIELD.get(event)
        value = fields.get(matched_field) if matched_field else None
        hooks = registry.matching(event, value if isinstance(value, str) else None)
        if not hooks:
            return Verdict()
        payload = self.payload(event, fields, parent)
        answers = await asyncio.gather(*(self._run_one(hook, event, payload, parent)
                                         for hook in hooks))
        return combine(list(answers))

    async def _run_one(self, hook: Hook, event: str, payload: Mapping[str, Any],
                       parent: Parent) -> Answer:
        span = spans.start_span(self.bus, "hook", f"hook {hook.name}", trace_id=parent.trace_id,
                                parent_span_id=parent.span_id, session_id=parent.session_id,
                                attributes={spans.HOOK_NAME: hook.name, spans.HOOK_EVENT: event},
                                turn_id=parent.turn_id, agent=parent.agent)
        answer: Answer | None = None
        try:
            run = await run_hook(hook, payload, self.config, self.cwd)
            answer = interpret(hook, run, event)
            return answer
        finally:
            if answer is None or answer.run is None:
                span.end("cancelled")
            else:
                run = answer.run
                status: spans.SpanStatus = "error" if answer.failed or \
                    answer.outcome == "error" else "ok"
                span.end(status, {spans.EXIT_CODE: run.exit_code,
                                  spans.HOOK_OUTCOME: answer.outcome,
                                  spans.HOOK_DURATION: round(run.duration, 4),
                                  spans.HOOK_STDERR: head(run.stderr) or None,
                                  spans.STATUS_DETAIL: answer.reason[:500] or None})
                await asyncio.to_thread(self._remember, hook, event, answer)

    # --- last runs (`pai hooks check`) -------------------------------------------------------

    @property
    def runs_file(self) -> Path:
        return self.config.home.cache / "hook-runs.json"

    def last_runs(self) -> dict[str, Any]:
        try:
            data = json.loads(self.runs_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remember(self, hook: Hook, event: str, answer: Answer) -> None:
        from pai_tui.paths import private_folder, write_private

        run = answer.run
        assert run is not None
        with self._runs_lock:
            runs = self.last_runs()
            runs[hook.command] = {"name": hook.name, "event": event, "at": time.time(),
                                  "exit_code": run.exit_code, "outcome": answer.outcome,
                                  "failed": answer.failed, "status": run.status(),
                                  "stderr": head(run.stderr)}
            with contextlib.suppress(OSError):
                private_folder(self.runs_file.parent)
                write_private(self.runs_file, json.dumps(runs, indent=1).encode())

    # --- observers: the bus feeds a queue, a thread of their own runs them --------------------

    def _observe(self, event: str, fields: dict[str, Any], parent: Parent) -> None:
        """Queue observer `event` (any thread; never blocks)."""
        registry = self._registry
        if registry is not None and not registry.has(event):
            return
        self._enqueue((event, fields, parent))

    def _enqueue(self, item: tuple[str, dict[str, Any], Parent]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            log.warning("hooks: %s dropped: %d observer events already waiting", item[0],
                        QUEUE_SIZE)
            return
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="pai-hooks",
                                                daemon=True)
                self._thread.start()

    def _work(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            while True:
                item = self._queue.get()
                try:
                    if item is None:
                        return
                    if item[0] == _TRANSCRIPT:
                        self._write_transcript(**item[1])
                    else:
                        loop.run_until_complete(self._run_observer(*item))
                except Exception:
                    log.exception("hooks: an observer failed")
                finally:
                    self._queue.task_done()
        finally:
            loop.close()

    async def _run_observer(self, event: str, fields: dict[str, Any], parent: Parent) -> None:
        registry = self.registry()
        verdict = await self._run_matching(registry, event, fields, parent)
        notes = [*verdict.notes, *filter(None, [verdict.blocked])]  # an observer cannot block
        for note in notes:
            log.warning("hooks: %s", note)
        if parent.turn_id is not None and parent.session_id is not None:
            for note in notes:
                self.bus.publish(events.TurnNotice(parent.session_id, parent.turn_id, note,
                                                   turn_id=parent.turn_id, agent=parent.agent))

    def _parent(self, session_id: int | None, turn_id: int | None,
                agent: str | None) -> Parent:
        trace = self._traces.get(turn_id) if turn_id is not None else None
        if trace is None:
            return Parent(session_id, spans.new_trace_id(), None, turn_id, agent)
        return Parent(session_id, trace, spans.message_span_id(turn_id), turn_id, agent)

    def _on_span(self, event: events.SpanStarted) -> None:
        if event.kind == "turn" and event.turn_id is not None:
            self._traces[event.turn_id] = event.trace_id
        elif event.kind == "permission":
            tool = str(event.attributes.get(spans.TOOL_NAME, "a tool"))
            self._observe("Notification", {
                "message": f"pai needs your permission to use {tool_name(tool)}",
                "title": "Permission needed", "notification_type": "permission_prompt"},
                self._parent(event.session_id, event.turn_id, event.agent))

    def _on_session(self, event: events.SessionCreated) -> None:
        self._sessions.add(event.session_id)
        self._created.add(event.session_id)

    def _on_turn_started(self, event: events.TurnStarted) -> None:
        self._sessions.add(event.session_id)
        if event.agent:
            self._observe("SubagentStart", {"agent_id": str(event.message_id),
                                            "agent_type": event.agent},
                          self._parent(event.session_id, event.message_id, event.agent))

    def _on_turn_finished(self, event: events.TurnFinished) -> None:
        parent = self._parent(event.session_id, event.message_id, event.agent)
        self._traces.pop(event.message_id, None)
        if self._has_hooks() and event.text:  # written on the hooks' thread, in order
            self._enqueue((_TRANSCRIPT, {"session_id": event.session_id, "role": "assistant",
                                         "text": event.text}, parent))
        if event.agent:
            transcript = str(self.transcript_path(event.session_id))
            self._observe("SubagentStop", {
                "agent_id": str(event.message_id), "agent_type": event.agent,
                "stop_hook_active": False, "last_assistant_message": event.text,
                "agent_transcript_path": transcript}, parent)

    def _on_step_started(self, event: events.StepStarted) -> None:
        if event.kind == "tool":
            self._steps[event.message_id] = (tool_name(event.name), event.detail)

    def _on_step_finished(self, event: events.StepFinished) -> None:
        step = self._steps.pop(event.message_id, None)
        if step is None or event.status not in ("complete", "error"):
            return
        name, detail = step
        fields: dict[str, Any] = {"tool_name": name, "tool_input": step_tool_input(name, detail),
                                  "tool_use_id": str(event.message_id)}
        if event.status == "complete":
            fields["tool_response"] = {"output": event.output}
            kind = "PostToolUse"
        else:
            fields["error"] = event.error or event.output
            kind = "PostToolUseFailure"
        self._observe(kind, fields, self._parent(event.session_id, event.parent_id,
                                                 event.agent))

    def _on_trimmed(self, event: events.ContextTrimmed) -> None:
        self._observe("PreCompact", {"trigger": "auto", "custom_instructions": ""},
                      self._parent(event.session_id, event.turn_id, event.agent))

    def _has_hooks(self) -> bool:
        registry = self._registry
        return registry is not None and bool(registry.hooks)

    def _write_transcript(self, session_id: int, role: str, text: str) -> None:
        try:
            self.transcripts.append(session_id, role, text, str(self.cwd))
        except OSError as error:
            log.warning("hooks: the transcript could not be written: %s", error)

    async def note_prompt(self, session_id: int, text: str) -> None:
        """Add the user's prompt to the session's transcript (when there are hooks to read
        it)."""
        registry = await self.loaded()
        if registry.hooks:
            await asyncio.to_thread(self._write_transcript, session_id, "user", text)

    # --- closing -----------------------------------------------------------------------------

    def close(self, wait: float = CLOSE_WAIT) -> None:
        """SessionEnd for the sessions seen, then let queued observers finish (at most `wait`
        seconds; then the running ones are killed)."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for session in sorted(self._sessions):
            self._observe("SessionEnd", {"reason": "other"}, Parent(session,
                                                                      spans.new_trace_id()))
        thread = self._thread
        if thread is None:
            return
        self._queue.put(None)
        thread.join(wait)
        loop = self._loop
        if thread.is_alive() and loop is not None:
            log.warning("hooks: observers still running after %g s: stopped", wait)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_cancel_all, loop)
            thread.join(3.0)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        task.cancel()

