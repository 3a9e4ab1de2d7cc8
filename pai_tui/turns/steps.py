"""A turn's steps (tool runs, nested skills): each a `step` row under the answer, told on the
bus. Implements the skills' `StepSink`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pai_tui import events, spans
from pai_tui.events import Status, StepKind
from pai_tui.history.service import History
from pai_tui.turns.context import TurnContext


@dataclass
class StepRecorder:
    history: History
    bus: events.Bus
    ctx: TurnContext
    _spans: dict[int, spans.Span] = field(default_factory=dict)

    async def start(self, kind: StepKind, name: str, detail: str = "") -> int:
        ctx = self.ctx
        # Shielded: a cancel while the row is written must not leave a row nobody finishes.
        row = await asyncio.shield(self.history.run(
            lambda store: store.add_message(ctx.session_id, "step", "", "streaming", None, None,
                                            name, ctx.turn_id)))
        if kind != "agent":  # an agent's run is a span of its own, under this turn's
            self._spans[row.id] = self._span(row.id, kind, name, detail)
        self.bus.publish(events.StepStarted(ctx.session_id, row.id, ctx.turn_id, kind, name,
                                            detail, **ctx.ids))
        return row.id

    def _span(self, step_id: int, kind: StepKind, name: str, detail: str) -> spans.Span:
        ctx = self.ctx
        attributes: dict[str, Any] = {spans.OPERATION: spans.EXECUTE_TOOL, spans.TOOL_NAME: name,
                                      spans.TOOL_TYPE: "function" if kind == "tool" else "skill"}
        if detail:
            attributes[spans.TOOL_ARGUMENTS] = detail[:spans.ARGUMENTS_CHARS]
        return spans.start_span(self.bus, kind, f"{spans.EXECUTE_TOOL} {name}",
                                trace_id=ctx.trace_id, parent_span_id=ctx.span_id,
                                session_id=ctx.session_id, attributes=attributes,
                                span_id=spans.message_span_id(step_id), **ctx.ids)

    async def refused(self, name: str, why: str, detail: str = "") -> None:
        """A tool run that did not happen, and why."""
        step_id = await self.start("tool", name, detail)
        await self.finish(step_id, name, "denied", "", why)

    async def finish(self, step_id: int, name: str, status: Status, output: str,
                     error: str | None = None, exit_code: int | None = None) -> None:
        self._end_span(step_id, status, output, error, exit_code)
        await asyncio.shield(self.history.run(
            lambda store: store.update_message(step_id, content=output, status=status,
                                               error=error)))
        ctx = self.ctx
        self.bus.publish(events.StepFinished(ctx.session_id, step_id, ctx.turn_id, name, status,
                                             output, error, **ctx.ids))

    def _end_span(self, step_id: int, status: Status, output: str, error: str | None,
                  exit_code: int | None) -> None:
        span = self._spans.pop(step_id, None)
        if span is None:
            return
        attributes: dict[str, Any] = {spans.OUTPUT_BYTES: len(output.encode("utf-8", "replace"))}
        if exit_code is not None:
            attributes[spans.EXIT_CODE] = exit_code
        if error:
            attributes[spans.STATUS_DETAIL] = error[:spans.ARGUMENTS_CHARS]
        if self.history.config.timeline.capture_content:
            attributes[spans.TOOL_RESULT] = output[:spans.CONTENT_CHARS]
        span.end("ok" if status == "complete" else
                 "cancelled" if status == "cancelled" else "error", attributes)
