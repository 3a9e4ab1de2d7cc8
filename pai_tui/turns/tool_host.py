"""What a skill turn may ask of the turn running it (the skills' `ToolHost`): which tools it
may offer, the gate before a tool runs, running it as a step, and running a skill it calls as a
child turn whose answer becomes its input."""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pai_tui.llm.base import ChatMessage, ChatRequest, Usage
from pai_tui.skills.skill_turn import (
    SkillError,
    SkillIncomplete,
    SkillTurn,
    StepSink,
    prompt,
    step_output,
)
from pai_tui.turns.collect import Collected, Listeners, collect

if TYPE_CHECKING:
    from pai_tui.events import Status
    from pai_tui.skills.tools import Tool, ToolRun
    from pai_tui.turns.context import TurnContext
    from pai_tui.turns.turn import Services


@dataclass
class TurnTools:
    services: Services
    ctx: TurnContext
    spent: Usage = field(default_factory=Usage)  # tokens of the skills it called

    def may_offer(self, tool: Tool) -> bool:
        allowed = self.ctx.tools is None or tool.qualified in self.ctx.tools
        return allowed and self.services.skills.permissions.rule(tool).action != "deny"

    async def authorize(self, tool: Tool, args: list[str], stdin: str | None) -> str | None:
        return await self.services.gates.tool_use(self.ctx, tool, args, stdin)

    async def run_tool(self, tool: Tool, args: list[str], stdin: bytes | None = None,
                       steps: StepSink | None = None) -> ToolRun:
        """Run a skill's tool; a step of the answer when `steps` is given."""
        step_id = await steps.start("tool", tool.qualified, shlex.join(args)) if steps else None
        run = None
        try:
            run = await self.services.skills.run_tool(tool, args, stdin)
        finally:
            if steps is not None and step_id is not None:
                if run is None:
                    await steps.finish(step_id, tool.qualified, "cancelled", "")
                else:
                    await steps.finish(step_id, tool.qualified,
                                       "complete" if run.ok else "error", step_output(run),
                                       None if run.ok else run.status(), run.exit_code)
        return run

    async def call_skill(self, caller: str, name: str, text: str, base: ChatRequest,
                         steps: StepSink) -> str:
        """Run skill `name` on `text` through the model, as a step; its answer is returned."""
        skill = await self.services.skills.get(name)
        step_id = await steps.start("skill", name)
        got = Collected()
        status: Status = "error"
        error: str | None = None
        try:
            if skill is None:
                raise SkillError(f"the skill {caller} calls {name!r}, which is not installed "
                                 "(pai skill list lists the skills)")
            inner_host = TurnTools(self.services, self.ctx.child(step_id))
            inner = await asyncio.to_thread(SkillTurn, inner_host, skill, steps)
            system, user = await asyncio.to_thread(prompt, skill, text)
            request = ChatRequest([ChatMessage("user", user)], base.model, system,
                                  base.max_tokens, tools=await inner.specs())
            try:
                streamer = await self.services.streamer(inner_host.ctx)
                stream = self.services.tool_stream(streamer, request, inner.execute,
                                                   self.ctx.limits.max_tool_turns)
                await collect(stream, got, Listeners(refused=inner.refused))
            finally:
                self.spent = self.spent + got.usage + inner_host.spent
            stop = got.stop
            if stop is None or stop.reason in ("max_tokens", "tool_limit"):
                why = "was cut off" if stop is None else f"stopped early ({stop.reason})"
                raise SkillIncomplete(f"the skill {name} {why}, so {caller} has no complete "
                                      "input")
            status = "complete"
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except Exception as failure:
            error = str(failure)
            raise
        finally:
            await steps.finish(step_id, name, status, got.text, error)
        return got.text
