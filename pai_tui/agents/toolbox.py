"""An agent run's built-in tools as its turn offers them: the specs of the agent's tools, each
call gated by the PreToolUse hooks (which see Claude Code's tool names: `Bash`, `Read`...)
and the permission policy (read-only tools are allowed, the others asked; fail
closed), run in the run's working folder, and kept as a step of the answer.

Permissions name them `agents/<tool>` in `[skills.permissions]` (e.g. `"agents/bash" = "allow"`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pai_tui.agents.names import BUILTIN_TOOLS, DELEGATE, READ_ONLY_TOOLS
from pai_tui.agents.tools import Workspace, run_tool, tool_specs
from pai_tui.hooks.payload import agent_tool_input
from pai_tui.llm.base import ToolCallPart, ToolResult, ToolResultPart
from pai_tui.safe_text import clip
from pai_tui.skills.skill_turn import MODEL_COPY_CHARS
from pai_tui.skills.tools import Tool
from pai_tui.turns.steps import StepRecorder
from pai_tui.turns.strategies import Toolbox

if TYPE_CHECKING:
    from pai_tui.agents.definition import AgentDefinition
    from pai_tui.turns.turn import Turn

PERMISSION_PREFIX = "agents"  # the "skill" part of their permission keys


def agent_toolbox(agent: AgentDefinition, turn: Turn, folder: Path) -> Toolbox:
    """The tools `agent` may use in `turn`, working in `folder` (every built-in tool when its
    file names none)."""
    names = [name for name in agent.tools if name != DELEGATE] if agent.tools is not None \
        else BUILTIN_TOOLS
    workspace = Workspace(folder)
    steps = StepRecorder(turn.services.history, turn.services.bus, turn.ctx)

    async def execute(call: ToolCallPart) -> ToolResult:
        tool = gate_tool(call.name, folder)
        detail = _detail(call.arguments)
        tool_input = agent_tool_input(call.name, call.arguments, folder)
        refused = await turn.services.gates.tool_use(turn.ctx, tool, [detail], None, tool_input)
        if refused is not None:
            await steps.refused(tool.qualified, refused, detail)
            return ToolResult(call.id, f"Not run: {refused}", True)
        step_id = await steps.start("tool", tool.qualified, detail)
        outcome = await run_tool(workspace, call.name, call.arguments)
        await steps.finish(step_id, tool.qualified, "error" if outcome.is_error else "complete",
                           outcome.content, outcome.content[:300] if outcome.is_error else None,
                           outcome.exit_code)
        return ToolResult(call.id, clip(outcome.content, MODEL_COPY_CHARS), outcome.is_error)

    async def refused(part: ToolResultPart) -> None:
        await steps.refused(f"{PERMISSION_PREFIX}/{part.call.name}", part.result.content)

    return Toolbox(tuple(tool_specs(names)), execute, refused)


def gate_tool(name: str, folder: Path) -> Tool:
    """The built-in tool `name` as the permission policy sees it."""
    return Tool(skill=PERMISSION_PREFIX, name=name, path=Path(name), folder=folder,
                safe=name in READ_ONLY_TOOLS,
                why_safe="a built-in tool that only reads, inside the run's folder")


def _detail(arguments: dict[str, Any]) -> str:
    """The call's arguments in a line, for the step and the permission question."""
    if set(arguments) <= {"command"} and isinstance(arguments.get("command"), str):
        return arguments["command"][:300]
    return json.dumps(arguments, ensure_ascii=False)[:300]
