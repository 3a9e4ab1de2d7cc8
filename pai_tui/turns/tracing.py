"""The spans a turn tells (spans.py): the turn itself, each model call, routing. Tool runs and
nested skills are told by their steps (steps.py), permission questions by the gate (gates.py).

Only names, numbers and the tool's arguments go into a span: no message content (unless
`[timeline] capture_content` is on) and never a key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pai_tui import spans
from pai_tui.llm.base import ChatRequest, Stop, Usage

if TYPE_CHECKING:
    from pai_tui import events
    from pai_tui.llm.models import ModelInfo
    from pai_tui.turns.context import TurnContext

def turn_span(bus: events.Bus, ctx: TurnContext) -> spans.Span:
    """The span of a whole turn: a chat answer (`chat`) or an agent's run (`invoke_agent`)."""
    choice = ctx.choice
    model = choice.model or choice.provider  # the offline stand-in has no model name
    attributes: dict[str, Any] = {spans.PROVIDER: choice.provider,
                                  spans.REQUEST_MODEL: model,
                                  spans.CONVERSATION_ID: str(ctx.session_id)}
    if ctx.agent:
        attributes |= {spans.OPERATION: spans.INVOKE_AGENT, spans.AGENT_NAME: ctx.agent,
                       spans.AGENT_ID: str(ctx.turn_id)}
        name = f"{spans.INVOKE_AGENT} {ctx.agent}"
    else:
        attributes[spans.OPERATION] = spans.CHAT
        name = f"{spans.CHAT} {model}"
    return spans.start_span(bus, "turn", name, trace_id=ctx.trace_id,
                            parent_span_id=ctx.parent_span_id, session_id=ctx.session_id,
                            attributes=attributes, span_id=ctx.span_id, **ctx.ids)


def child_span(bus: events.Bus, ctx: TurnContext, kind: spans.Kind, name: str,
               attributes: dict[str, Any] | None = None) -> spans.Span:
    """A span inside the turn `ctx` (a model call, a routing decision, a question)."""
    return spans.start_span(bus, kind, name, trace_id=ctx.trace_id, parent_span_id=ctx.span_id,
                            session_id=ctx.session_id, attributes=attributes, **ctx.ids)


class ModelCall:
    """One model call as a `chat` span of its turn (tokens, cost, time to the first token,
    finish reason, error type), counted in the turn's ledger as its usage arrives. The retry
    loop tells it (llm/retry.py `CallWatch`): watching adds nothing to the delta path."""

    def __init__(self, bus: events.Bus, ctx: TurnContext, request: ChatRequest,
                 info: Callable[[], ModelInfo]):
        model = request.model or ctx.choice.model or ctx.choice.provider
        self._span = child_span(bus, ctx, "model", f"{spans.CHAT} {model}", {
            spans.OPERATION: spans.CHAT, spans.PROVIDER: ctx.choice.provider,
            spans.REQUEST_MODEL: model, spans.REQUEST_MAX_TOKENS: request.max_tokens})
        self._ledger, self._info = ctx.ledger, info
        self._began = time.monotonic()
        self._first: float | None = None
        self._usage = Usage()
        self._cost = 0.0
        self._stop: Stop | None = None
        if self._ledger is not None:
            self._ledger.add(0.0, 0, calls=1)

    def began(self) -> None:
        if self._first is None:
            self._first = time.monotonic()

    def used(self, usage: Usage) -> None:
        """A running total: what is new in it is counted against the budgets."""
        cost = _cost(self._info, usage)
        if self._ledger is not None:
            self._ledger.add(None if cost is None else cost - self._cost,
                             usage.output_tokens - self._usage.output_tokens,
                             usage.input_tokens - self._usage.input_tokens)
        self._usage, self._cost = usage, cost or 0.0

    def stopped(self, stop: Stop) -> None:
        self._stop = stop

    def ended(self, failure: BaseException | None) -> None:
        usage, stop = self._usage, self._stop
        said: dict[str, Any] = {spans.INPUT_TOKENS: usage.input_tokens,
                                spans.OUTPUT_TOKENS: usage.output_tokens,
                                spans.COST: _cost(self._info, usage)}
        if self._first is not None:
            said[spans.TIME_TO_FIRST_TOKEN] = round(self._first - self._began, 4)
        if stop is not None:
            said[spans.FINISH_REASONS] = [stop.reason]
        status: spans.SpanStatus = "ok"
        if isinstance(failure, asyncio.CancelledError | GeneratorExit):
            status = "cancelled"
            if usage == Usage() and self._ledger is not None:
                # Stopped before the provider said what it took: what the request cost is not
                # known (it may be billed), so the turn's own cost is not shown as zero.
                self._ledger.add(None, 0)
        elif failure is not None:
            status, said[spans.ERROR_TYPE] = "error", spans.error_type(failure)
        elif stop is None:
            status, said[spans.STATUS_DETAIL] = "error", "the stream ended before its end marker"
        self._span.end(status, said)


def _cost(info: Callable[[], ModelInfo], usage: Usage) -> float | None:
    try:
        return info().cost(usage)
    except (ArithmeticError, LookupError, TypeError, ValueError):
        return None
