"""Spans: the timeline's unit. Every model call, tool run, permission question, routing decision
and turn (an agent's run is a turn) is a span, told on the bus when it starts and when it ends
(`events.SpanStarted` / `events.SpanEnded`); the timeline recorder (observe/timeline.py) writes
them to the store as they happen.

Attribute names follow the OpenTelemetry GenAI semantic conventions, pinned here to v1.41 (the
one place they are spelled), so that an export opens in otel-tui, Phoenix or Langfuse. What the
conventions do not name is `pai.*`.

Ids: a span for a row of the history (a turn's answer, a step) has the row's id as its span id
(`message_span_id`), so a turn's span is known from its message id, with no table to map them;
other spans get random ids. A trace is a tree of turns: the root turn's trace id is random, its
children (nested skills, agents it started) share it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pai_tui import events

SEMCONV_VERSION = "1.41.0"

# gen_ai.* (OpenTelemetry GenAI semantic conventions)
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
FINISH_REASONS = "gen_ai.response.finish_reasons"
CONVERSATION_ID = "gen_ai.conversation.id"
AGENT_NAME = "gen_ai.agent.name"
AGENT_ID = "gen_ai.agent.id"
TOOL_NAME = "gen_ai.tool.name"
TOOL_TYPE = "gen_ai.tool.type"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"  # content: only with content capture on
OUTPUT_MESSAGES = "gen_ai.output.messages"  # content: only with content capture on
ERROR_TYPE = "error.type"
EXIT_CODE = "process.exit.code"

# The operations (gen_ai.operation.name values) pai's spans are.
CHAT = "chat"
EXECUTE_TOOL = "execute_tool"
INVOKE_AGENT = "invoke_agent"

# pai's own: what no convention names.
COST = "pai.cost.usd"  # None: the model's prices are unknown
TIME_TO_FIRST_TOKEN = "pai.time_to_first_token_s"
OUTPUT_BYTES = "pai.tool.output_bytes"
SKILL = "pai.skill.name"
ROUTE_HOW = "pai.route.how"
ROUTE_REASONS = "pai.route.reasons"
PERMISSION_ANSWER = "pai.permission.answer"
PURPOSE = "pai.purpose"  # what a model call outside a turn was for ("upgrade.rerank")
STATUS_DETAIL = "pai.status.detail"  # why a span did not end well, for the user
HOOK_NAME = "pai.hook.name"  # a hook run (hooks/): its script's name
HOOK_EVENT = "pai.hook.event"  # the Claude Code event it ran for ("PreToolUse")
HOOK_OUTCOME = "pai.hook.outcome"  # ok, block, error
HOOK_STDERR = "pai.hook.stderr"  # the head of what it printed on stderr
HOOK_DURATION = "pai.hook.duration_s"
SPEECH_KIND = "pai.speech.kind"  # what a clip says: answer, start, finish, permission, test
SPEECH_VOICE = "pai.speech.voice"  # the engine voice id
SPEECH_CHARS = "pai.speech.chars"  # of text said (the text itself is never kept)
SPEECH_SECONDS = "pai.speech.seconds"  # the clip's length
SPEECH_FILE = "pai.speech.file"  # where the clip was kept ([voice] output = "folder")

# What a span is, for the timeline's marks and the summary's groups.
Kind = Literal["turn", "model", "tool", "skill", "permission", "route", "hook", "speech"]
SpanStatus = Literal["ok", "error", "cancelled"]

ARGUMENTS_CHARS = 500  # a tool's arguments as a span keeps them
CONTENT_CHARS = 4000  # captured content (opt-in), per attribute


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def message_span_id(message_id: int) -> str:
    """The span id of the turn or step whose row is `message_id`."""
    return f"{message_id:016x}"


@dataclass
class Span:
    """A span that has started: `end()` tells how it ended (once; later calls do nothing)."""

    bus: events.Bus
    span_id: str
    trace_id: str
    turn_id: int | None = None
    agent: str | None = None
    ended: bool = field(default=False, init=False)

    def end(self, status: SpanStatus = "ok", attributes: Mapping[str, Any] | None = None,
            ) -> None:
        if self.ended:
            return
        self.ended = True
        self.bus.publish(events.SpanEnded(self.span_id, status, _present(attributes),
                                          turn_id=self.turn_id, agent=self.agent))


def start_span(bus: events.Bus, kind: Kind, name: str, *, trace_id: str,
               parent_span_id: str | None, session_id: int | None,
               attributes: Mapping[str, Any] | None = None, span_id: str | None = None,
               turn_id: int | None = None, agent: str | None = None) -> Span:
    """Tell that a span began (now); the handle ends it."""
    span_id = span_id or new_span_id()
    bus.publish(events.SpanStarted(span_id, trace_id, parent_span_id, kind, name, session_id,
                                   _present(attributes), turn_id=turn_id, agent=agent))
    return Span(bus, span_id, trace_id, turn_id, agent)


def _present(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The attributes that have a value (None: unknown, so not said)."""
    return {key: value for key, value in (attributes or {}).items() if value is not None}


def error_type(error: BaseException) -> str:
    """`error.type` as the conventions want it: the exception's class name."""
    return type(error).__name__
