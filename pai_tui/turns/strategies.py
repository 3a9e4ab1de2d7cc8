"""How a routed turn is answered: plain chat, a skill (its instructions, nested skills and
tools), or a routing rule's tool run directly with no model. One small function each."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pai_tui.skills.skill_turn import SkillTurn, step_output
from pai_tui.turns.collect import Collected, Listeners, collect, ending
from pai_tui.turns.steps import StepRecorder

if TYPE_CHECKING:
    from pai_tui.llm.base import ToolCallPart, ToolResult, ToolResultPart, ToolSpec
    from pai_tui.llm.tool_loop import Execute
    from pai_tui.skills.model import Skill
    from pai_tui.skills.router import RouteDecision
    from pai_tui.turns.prepare import Prepared
    from pai_tui.turns.turn import Ending, Streamer, Turn

Run = Callable[["Turn", "Prepared", "Streamer", Collected, "Ending", Listeners],
               Awaitable[None]]


@dataclass(frozen=True)
class Toolbox:
    """Tools a turn offers its model that are not a skill's (an agent's built-in tools): their
    specs, the function that runs a call (its gate included), and who hears of calls the tool
    loop refused itself."""

    specs: tuple[ToolSpec, ...]
    execute: Execute
    refused: Callable[[ToolResultPart], Awaitable[None]] | None = None

    def plus(self, other: Toolbox) -> Toolbox:
        """Both toolboxes' tools; each call goes to the toolbox that offers it."""
        mine = {spec.name for spec in self.specs}

        async def execute(call: ToolCallPart) -> ToolResult:
            return await (self.execute if call.name in mine else other.execute)(call)

        async def refused(part: ToolResultPart) -> None:
            owner = self if part.call.name in mine else other
            if owner.refused is not None:
                await owner.refused(part)

        return Toolbox(self.specs + other.specs, execute, refused)


@dataclass(frozen=True)
class Plan:
    run: Run
    label: str | None = None  # the skill answering ("summarize", "summarize/wordcount")


def plan(decision: RouteDecision | None, skill: Skill | None,
         toolbox: Toolbox | None = None) -> Plan:
    """The strategy for a routing decision (plain chat with `toolbox`'s tools, if given)."""
    if decision is not None and decision.error:  # "/nosuchskill": say so, send nothing
        error = decision.error

        async def refuse(turn: Turn, prepared: Prepared, streamer: Streamer, got: Collected,
                         end: Ending, listen: Listeners) -> None:
            end.status, end.error = "error", error

        return Plan(refuse)
    if skill is None or decision is None:
        if toolbox is not None and toolbox.specs:
            return Plan(lambda *args: toolbox_answer(toolbox, *args))
        return Plan(plain_chat)
    if decision.tool is not None and decision.workflow is None:
        return Plan(lambda *args: direct_tool(skill, decision, *args),
                    f"{skill.key}/{decision.tool}")
    return Plan(lambda *args: skill_answer(skill, decision, *args), skill.key)


async def plain_chat(turn: Turn, prepared: Prepared, streamer: Streamer, got: Collected,
                     end: Ending, listen: Listeners) -> None:
    await collect(streamer(prepared.request), got, listen)
    _ended(turn, prepared, got, end)


async def toolbox_answer(toolbox: Toolbox, turn: Turn, prepared: Prepared,
                         streamer: Streamer, got: Collected, end: Ending,
                         listen: Listeners) -> None:
    """The model answers with the toolbox's tools offered."""
    from dataclasses import replace

    request = replace(prepared.request, tools=toolbox.specs)
    listen.refused = toolbox.refused
    stream = turn.services.tool_stream(streamer, request, toolbox.execute,
                                       turn.ctx.limits.max_tool_turns)
    await collect(stream, got, listen)
    _ended(turn, prepared, got, end)


async def skill_answer(skill: Skill, decision: RouteDecision, turn: Turn, prepared: Prepared,
                       streamer: Streamer, got: Collected, end: Ending,
                       listen: Listeners) -> None:
    """The skill's instructions lead, the skills it calls run first, its tools are offered."""
    steps = StepRecorder(turn.services.history, turn.services.bus, turn.ctx)
    # Reading the skill's files happens off the event loop.
    skill_turn = await asyncio.to_thread(SkillTurn, turn.tools, skill, steps, decision.workflow)
    request = await skill_turn.request(prepared.request, decision.text)
    listen.refused = skill_turn.refused
    stream = turn.services.tool_stream(streamer, request, skill_turn.execute,
                                       turn.ctx.limits.max_tool_turns)
    await collect(stream, got, listen)
    _ended(turn, prepared, got, end)


async def direct_tool(skill: Skill, decision: RouteDecision, turn: Turn, prepared: Prepared,
                      streamer: Streamer, got: Collected, end: Ending,
                      listen: Listeners) -> None:
    """A routing rule that names a tool and no workflow: the tool runs, no model needed. Its
    output is the answer (literal, in code blocks)."""
    tool = await turn.services.skills.find_tool(skill, decision.tool or "")
    if tool is None:
        end.status, end.error = "error", f"the skill {skill.name} has no tool {decision.tool!r}"
        return
    try:
        args = shlex.split(decision.text)
    except ValueError as error:
        end.status, end.error = "error", f"cannot read the arguments: {error}"
        return
    refused = await turn.tools.authorize(tool, args, None)
    if refused is not None:
        end.status, end.error = "error", f"not run: {refused}"
        return
    run = await turn.tools.run_tool(tool, args)
    text = step_output(run)
    got.parts.append(text)
    if listen.text is not None:
        listen.text(text)
    end.status, end.error = ("complete", None) if run.ok else \
        ("error", f"{tool.qualified}: {run.status()}")


def _ended(turn: Turn, prepared: Prepared, got: Collected, end: Ending) -> None:
    from pai_tui import events

    end.status, end.error = ending(got, prepared.request.max_tokens)
    turn.services.bus.publish(events.Connectivity(True))
