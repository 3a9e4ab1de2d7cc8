"""A turn's steps (tool runs, nested skills): each a `step` row under the answer, told on the
bus. Implements the skills' `StepSink`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pai_tui import events
from pai_tui.events import Status, StepKind
from pai_tui.history.service import History
from pai_tui.turns.context import TurnContext


@dataclass
class StepRecorder:
    history: History
    bus: events.Bus
    ctx: TurnContext

    async def start(self, kind: StepKind, name: str, detail: str = "") -> int:
        ctx = self.ctx
        # Shielded: a cancel while the row is written must not leave a row nobody finishes.
        row = await asyncio.shield(self.history.run(
            lambda store: store.add_message(ctx.session_id, "step", "", "streaming", None, None,
                                            name, ctx.turn_id)))
        self.bus.publish(events.StepStarted(ctx.session_id, row.id, ctx.turn_id, kind, name,
                                            detail, **ctx.ids))
        return row.id

    async def refused(self, name: str, why: str, detail: str = "") -> None:
        """A tool run that did not happen, and why."""
        step_id = await self.start("tool", name, detail)
        await self.finish(step_id, name, "denied", "", why)

    async def finish(self, step_id: int, name: str, status: Status, output: str,
                     error: str | None = None) -> None:
        await asyncio.shield(self.history.run(
            lambda store: store.update_message(step_id, content=output, status=status,
                                               error=error)))
        ctx = self.ctx
        self.bus.publish(events.StepFinished(ctx.session_id, step_id, ctx.turn_id, name, status,
                                             output, error, **ctx.ids))
