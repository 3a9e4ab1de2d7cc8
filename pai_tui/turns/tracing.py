"""The spans a turn tells (spans.py): the turn itself, each model call, routing. Tool runs and
nested skills are told by their steps (steps.py), permission questions by the gate (gates.py).

Only names, numbers and the tool's arguments go into a span: no message content (unless
`[timeline] capture_content` is on) and never a key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from pai_tui import spans
from pai_tui.llm.base import ChatRequest, Delta, Stop, TextPart, ToolCallPart, Usage

if TYPE_CHECKING:
    from pai_tui import events
    from pai_tui.llm.models import ModelInfo
    from pai_tui.turns.context import TurnContext

Streamer = Callable[[ChatRequest], AsyncIterator[Delta]]


def turn_span(bus: events.Bus, ctx: TurnContext) -> spans.Span:
    """The span of a whole turn: a chat answer (`chat`) or an agent's run (`invoke_agent`)."""
    choice = ctx.choice
    attributes: dict[str, Any] = {spans.PROVIDER: choice.provider,
                                  spans.REQUEST_MODEL: choice.model,
                                  spans.CONVERSATION_ID: str(ctx.session_id)}
    if ctx.agent:
        attributes |= {spans.OPERATION: spans.INVOKE_AGENT, spans.AGENT_NAME: ctx.agent,
                       spans.AGENT_ID: str(ctx.turn_id)}
        name = f"{spans.INVOKE_AGENT} {ctx.agent}"
    else:
        attributes[spans.OPERATION] = spans.CHAT
        name = f"{spans.CHAT} {choice.model}"
    return spans.start_span(bus, "turn", name, trace_id=ctx.trace_id,
                            parent_span_id=ctx.parent_span_id, session_id=ctx.session_id,
                            attributes=attributes, span_id=ctx.span_id, **ctx.ids)


def child_span(bus: events.Bus, ctx: TurnContext, kind: spans.Kind, name: str,
               attributes: dict[str, Any] | None = None) -> spans.Span:
    """A span inside the turn `ctx` (a model call, a routing decision, a question)."""
    return spans.start_span(bus, kind, name, trace_id=ctx.trace_id, parent_span_id=ctx.span_id,
                            session_id=ctx.session_id, attributes=attributes, **ctx.ids)


def traced(streamer: Streamer, bus: events.Bus, ctx: TurnContext,
           info: Callable[[], ModelInfo]) -> Streamer:
    """`streamer`, each call of it a `chat` span of the turn `ctx`: tokens, cost, time to the
    first token, the finish reason, the error type."""

    def call(request: ChatRequest) -> AsyncIterator[Delta]:
        return _call(streamer, request, bus, ctx, info)

    return call


async def _call(streamer: Streamer, request: ChatRequest, bus: events.Bus, ctx: TurnContext,
                info: Callable[[], ModelInfo]) -> AsyncIterator[Delta]:
    choice = ctx.choice
    span = child_span(bus, ctx, "model", f"{spans.CHAT} {request.model or choice.model}", {
        spans.OPERATION: spans.CHAT, spans.PROVIDER: choice.provider,
        spans.REQUEST_MODEL: request.model or choice.model,
        spans.REQUEST_MAX_TOKENS: request.max_tokens})
    began = time.monotonic()
    first: float | None = None
    usage = Usage()
    stop: Stop | None = None
    status: spans.SpanStatus = "error"
    ended: dict[str, Any] = {}
    try:
        async for delta in streamer(request):
            if first is None and isinstance(delta, TextPart | ToolCallPart):
                first = time.monotonic()
            elif isinstance(delta, Usage):
                usage = delta
            elif isinstance(delta, Stop):
                stop = delta
            yield delta
        status = "ok" if stop is not None else "error"
        if stop is None:
            ended[spans.STATUS_DETAIL] = "the stream ended before its end marker"
    except (asyncio.CancelledError, GeneratorExit):
        status = "cancelled"
        raise
    except Exception as error:
        ended[spans.ERROR_TYPE] = spans.error_type(error)
        raise
    finally:
        ended |= {spans.INPUT_TOKENS: usage.input_tokens,
                  spans.OUTPUT_TOKENS: usage.output_tokens, spans.COST: _cost(info, usage)}
        if first is not None:
            ended[spans.TIME_TO_FIRST_TOKEN] = round(first - began, 4)
        if stop is not None:
            ended[spans.FINISH_REASONS] = [stop.reason]
        span.end(status, ended)


def _cost(info: Callable[[], ModelInfo], usage: Usage) -> float | None:
    try:
        return info().cost(usage)
    except (ArithmeticError, LookupError, TypeError, ValueError):
        return None
