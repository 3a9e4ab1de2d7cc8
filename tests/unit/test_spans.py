"""Span names as the timeline shows them: a model's name, or for the offline stand-in (which
has none) the provider's, never an empty or made-up one."""

from __future__ import annotations

from pai_tui import events
from pai_tui.llm.base import ChatMessage, ChatRequest
from pai_tui.llm.models import ModelInfo
from pai_tui.llm.providers import OFFLINE, ModelChoice
from pai_tui.turns.context import TurnContext
from pai_tui.turns.tracing import ModelCall, turn_span


def started(choice: ModelChoice) -> list[events.SpanStarted]:
    bus, seen = events.Bus(), []
    bus.subscribe(events.SpanStarted, seen.append)
    ctx = TurnContext(1, 2, choice)
    turn_span(bus, ctx)
    ModelCall(bus, ctx, ChatRequest([ChatMessage("user", "hi")], choice.model, None, 10),
              lambda: ModelInfo("m", 1000, 100, None, None))
    return seen


def test_the_offline_stand_in_is_named_by_its_provider() -> None:
    turn, call = started(ModelChoice(OFFLINE, ""))
    assert (turn.name, call.name) == (f"chat {OFFLINE}", f"chat {OFFLINE}")
    assert call.attributes["gen_ai.request.model"] == OFFLINE


def test_a_model_is_named_by_itself() -> None:
    turn, call = started(ModelChoice("anthropic", "claude-sonnet-4-6"))
    assert (turn.name, call.name) == ("chat claude-sonnet-4-6", "chat claude-sonnet-4-6")
    assert turn.span_id == f"{2:016x}" and call.parent_span_id == turn.span_id
