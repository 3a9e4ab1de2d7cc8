"""Delegation from chat: `@architect design an export feature` gives the task to the agent;
`@architect @red-teamer ...` to both at once. The chat's turn is answered by its agents: each
runs as a child of that turn (one cancel for all: stopping the answer stops them), and the
answer is their final messages, each headed by the persona, its status, tokens and cost (the
cost is the children's, kept on their own rows; the chat's answer itself spends nothing)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.agents.definition import agent_key
from pai_tui.agents.runs import RunRequest, RunResult
from pai_tui.hooks.payload import agent_tool_input, tool_name
from pai_tui.llm.base import ToolCallPart, ToolResult, ToolSpec
from pai_tui.turns.collect import Collected, Listeners
from pai_tui.turns.steps import StepRecorder
from pai_tui.turns.strategies import Plan, Toolbox

AGENT_STEP = "@"  # an agent's step is named "@architect"

if TYPE_CHECKING:
    from pai_tui.agents.definition import AgentDefinition
    from pai_tui.agents.runs import Supervisor
    from pai_tui.turns.prepare import Prepared
    from pai_tui.turns.turn import Ending, Streamer, Turn

_MENTIONS = re.compile(r"\s*((?:@[\w-]+[\s,]+)+)(\S.*)", re.S)


def parse_mentions(text: str) -> tuple[list[str], str]:
    """The agents named at the start of `text` (`@a @b task`) and the task; ([], text) if it
    does not start with a mention."""
    match = _MENTIONS.fullmatch(text)
    if match is None:
        return [], text
    return re.findall(r"@([\w-]+)", match.group(1)), match.group(2).strip()


def delegation(supervisor: Supervisor, agents: list[AgentDefinition], task: str) -> Plan:
    """How the chat's turn is answered when it delegates `task` to `agents`."""

    async def run(turn: Turn, prepared: Prepared, streamer: Streamer, got: Collected,
                  end: Ending, listen: Listeners) -> None:
        steps = StepRecorder(turn.services.history, turn.services.bus, turn.ctx)
        results = await asyncio.gather(*(_one(supervisor, agent, task, turn, steps)
                                         for agent in agents))
        for result in results:
            _say(f"- {summary(result)}\n", got, listen)
        unfinished = [r for r in results if r.status != "complete"]
        end.status = "incomplete" if unfinished else "complete"
        end.error = "; ".join(f"{r.request.agent.name}: {r.status}" for r in unfinished) or None

    return Plan(run)


async def _one(supervisor: Supervisor, agent: AgentDefinition, task: str, turn: Turn,
               steps: StepRecorder) -> RunResult:
    """One agent's run as a step of the chat's answer: a block headed by the persona, its
    status, tokens and cost, with the agent's final message (the model is sent it too:
    turns/prepare.py)."""
    step_id = await steps.start("agent", f"{AGENT_STEP}{agent.name}", agent.title)
    result: RunResult | None = None
    try:
        [result] = await supervisor.run_all([RunRequest(agent, task, parent=turn.ctx)])
        return result
    finally:
        if result is None:
            await steps.finish(step_id, f"{AGENT_STEP}{agent.name}", "cancelled", "")
        else:
            answer = result.answer
            await steps.finish(step_id, f"{AGENT_STEP}{agent.name}", answer.status,
                               f"*{facts(result)}*\n\n{answer.content.strip()}", answer.error)


def facts(result: RunResult) -> str:
    """A run's status, tokens and cost (and branch), in a line."""
    answer = result.answer
    cost = "cost unknown" if answer.cost is None else f"${answer.cost:.4f}"
    line = f"{result.status} · {answer.input_tokens:,} in / {answer.output_tokens:,} out · {cost}"
    return line + (f" · branch {result.branch}" if result.branch else "")


def summary(result: RunResult) -> str:
    """Who answered, and how it went."""
    agent = result.request.agent
    return f"**{agent.title}**" + (f" ({agent.name})" if agent.persona else "") + \
        f": {facts(result)}"


def section(result: RunResult) -> str:
    """One agent's result as the `delegate` tool gives it to the model: who, status, tokens and
    cost, then its final message."""
    answer = result.answer
    body = answer.content.strip() or f"*{answer.error or 'no answer'}*"
    return f"### {summary(result)}\n\n{body}\n\n"


def _say(text: str, got: Collected, listen: Listeners) -> None:
    got.parts.append(text)
    if listen.text is not None:
        listen.text(text)


DELEGATE = "delegate"


def delegate_toolbox(supervisor: Supervisor, agents: list[AgentDefinition], turn: Turn,
                     ) -> Toolbox:
    """The chat model's `delegate` tool: it names one of `agents` and a task; the agent runs as
    a child of `turn` and its final message is the tool's result (not its transcript)."""
    names = {agent.key: agent for agent in agents}
    listing = "; ".join(f"{a.name}: {' '.join(a.description.split())[:120]}" for a in agents)
    spec = ToolSpec(DELEGATE, f"Hand a task to one of the user's named agents and get its "
                              f"final answer. Agents: {listing}",
                    {"type": "object", "required": ["agent", "task"],
                     "properties": {"agent": {"type": "string", "enum": sorted(names)},
                                    "task": {"type": "string"}}})

    async def execute(call: ToolCallPart) -> ToolResult:
        agent = names.get(agent_key(str(call.arguments.get("agent", ""))))
        task = str(call.arguments.get("task", "")).strip()
        if agent is None or not task:
            return ToolResult(call.id, f"Not run: give 'agent' (one of {', '.join(names)}) "
                                       f"and 'task'", True)
        blocked, _ = await turn.services.gates.tool_hooks(  # the policy does not ask here
            turn.ctx, tool_name(DELEGATE), agent_tool_input(DELEGATE, call.arguments, Path()))
        if blocked is not None:
            return ToolResult(call.id, f"Not run: {blocked}", True)
        [result] = await supervisor.run_all([RunRequest(agent, task, parent=turn.ctx)])
        return ToolResult(call.id, section(result), result.status != "complete")

    return Toolbox((spec,), execute)
