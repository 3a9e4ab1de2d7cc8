"""What a skill adds to a turn: its instructions become the system prompt, the skills it calls run
first (each a visible step), and its tools are offered to the model, each run a visible step
that passes the permission policy.

The turn engine (`turns/`) owns the answer (its row, streaming, statuses) and runs nested skills
as child turns; this module owns what a skill adds. It knows the engine only through two small
protocols defined here, `ToolHost` and `StepSink`, which `turns/` implements: skills/ never
imports the engine.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pai_tui.events import Status, StepKind
from pai_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    ToolCallPart,
    ToolResult,
    ToolResultPart,
    ToolSpec,
)
from pai_tui.safe_text import clip
from pai_tui.skills.model import Skill
from pai_tui.skills.tools import Tool, ToolRun

TOOL_PARAMETERS = {
    "type": "object",
    "properties": {
        "args": {"type": "array", "items": {"type": "string"},
                 "description": "Command-line arguments, one per item (no shell)."},
        "stdin": {"type": "string", "description": "Text passed to the tool on stdin."},
    },
    "additionalProperties": False,
}


class StepSink(Protocol):
    """Where a skill turn's steps (tool runs, nested skills) are recorded and told."""

    async def start(self, kind: StepKind, name: str, detail: str = "") -> int: ...

    async def finish(self, step_id: int, name: str, status: Status, output: str,
                     error: str | None = None, exit_code: int | None = None) -> None: ...

    async def refused(self, name: str, why: str, detail: str = "") -> None: ...


class ToolHost(Protocol):
    """What a skill turn needs from the turn running it: which tools may be offered, the
    gate before one runs, running it, and running a skill it calls (a child turn)."""

    def may_offer(self, tool: Tool) -> bool: ...

    async def authorize(self, tool: Tool, args: list[str], stdin: str | None) -> str | None:
        """None if the tool may run now; else why not."""
        ...

    async def run_tool(self, tool: Tool, args: list[str], stdin: bytes | None,
                       steps: StepSink | None) -> ToolRun: ...

    async def call_skill(self, caller: str, name: str, text: str, base: ChatRequest,
                         steps: StepSink) -> str:
        """Run skill `name` (called by the skill `caller`) on `text` as a step: its complete
        answer, or SkillError."""
        ...


def fence(text: str, info: str = "") -> str:
    """`text` as a Markdown code block that nothing inside it can close: shown literally."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * (longest + 1)
    return f"{ticks}{info}\n{text.rstrip(chr(10))}\n{ticks}"


NO_INPUT = "(No input came with the command: apply the skill to the conversation so far.)"
MODEL_COPY_CHARS = 30_000  # of a tool's output, for the model (the transcript keeps more)


class SkillError(Exception):
    """A skill cannot run as written: a skill it calls is missing, a file cannot be read.
    `str()` says which and what, for the user."""


class SkillIncomplete(SkillError):
    """A skill this one calls stopped before its end: the answer is incomplete."""


def prompt(skill: Skill, text: str, workflow: str | None = None) -> tuple[str, str]:
    """The system prompt and the user's message that run `skill` on `text`. Blocking (it
    reads the skill's files): call it in a thread."""
    text = text if text.strip() else NO_INPUT
    try:
        return _prompt(skill, text, workflow)
    except OSError as error:
        raise SkillError(f"the skill {skill.name} cannot be read: {error.strerror} "
                         f"({error.filename})") from error


def _prompt(skill: Skill, text: str, workflow: str | None) -> tuple[str, str]:
    if skill.kind == "fabric":
        from pai_tui.skills.fabric import fabric_prompt

        made = fabric_prompt(skill, text)
        return made.system, made.user
    return instructions(skill, workflow), text


def instructions(skill: Skill, workflow: str | None = None) -> str:
    """The system prompt of a skill turn: the SKILL.md body, then the chosen workflow (or the
    only one). Read now, not at indexing: progressive disclosure."""
    parts = [f"You are running the skill `{skill.name}`: {skill.description}", skill.body()]
    chosen = _workflow_file(skill, workflow)
    if chosen is not None:
        parts.append(f"## Workflow: {chosen.stem}\n\n"
                     f"{chosen.read_text(encoding='utf-8', errors='replace')}")
    return "\n\n".join(part for part in parts if part.strip())


def _workflow_file(skill: Skill, workflow: str | None) -> Path | None:
    files = skill.workflow_files()
    if workflow:
        wanted = re.sub(r"[\s_-]+", "", Path(workflow).stem).lower()
        for path in files:
            if re.sub(r"[\s_-]+", "", path.stem).lower() == wanted:
                return path
    return files[0] if len(files) == 1 else None


def step_output(run: ToolRun) -> str:
    """A tool run as the transcript shows it: literal output in code blocks, and its end."""
    pieces = []
    if run.stdout:
        pieces.append(fence(run.stdout))
    if run.stderr:
        pieces.append("stderr:\n\n" + fence(run.stderr))
    # A quick success is just "exit 0"; a slow or failed run says more.
    quick = run.ok and run.duration < 1.0
    pieces.append(f"*{'exit 0' if quick else run.status()}*")
    return "\n\n".join(pieces)


@dataclass
class SkillTurn:
    """What one skill adds to an answer."""

    host: ToolHost
    skill: Skill
    steps: StepSink
    workflow: str | None = None
    tools: dict[str, Tool] = field(default_factory=dict)  # by the name the model sees

    def __post_init__(self) -> None:
        """Blocking (it lists the skill's tools folder): build it in a thread."""
        from pai_tui.llm.tool_loop import ToolNames
        from pai_tui.skills.tools import tools_of

        names = ToolNames()
        for tool in tools_of(self.skill):
            # A denied tool is not even offered (nor run with --help to describe it).
            if tool.runnable and self.host.may_offer(tool):
                self.tools[names.name(self.skill.key, tool.name)] = tool

    async def refused(self, part: ToolResultPart) -> None:
        """A call the tool loop answered itself (unreadable arguments, the limit...)."""
        tool = self.tools.get(part.call.name)
        await self.steps.refused(tool.qualified if tool else part.call.name,
                                 part.result.content)

    async def specs(self) -> list[ToolSpec]:
        from pai_tui.skills.tools import help_text

        specs = []
        for name, tool in self.tools.items():
            described = await asyncio.to_thread(help_text, tool)
            specs.append(ToolSpec(name, described[:1000] or f"The {tool.name} tool of "
                                  f"{self.skill.name}.", TOOL_PARAMETERS))
        return specs

    async def request(self, base: ChatRequest, user_text: str) -> ChatRequest:
        """The base request turned into this skill's: nested skills run first (their output
        joins the input), the skill's instructions lead the system prompt, its tools offered."""
        messages = list(base.messages)
        text = user_text
        for name in self.skill.calls:
            output = await self.host.call_skill(self.skill.name, name, text, base, self.steps)
            text = f"{text}\n\n## Output of the skill `{name}`\n\n{output}"
        system, text = await asyncio.to_thread(prompt, self.skill, text, self.workflow)
        if messages and messages[-1].role == "user":
            messages[-1] = ChatMessage("user", text)
        if base.system:
            system = f"{base.system}\n\n{system}"
        return ChatRequest(messages, base.model, system, base.max_tokens,
                           tools=await self.specs())

    async def execute(self, call: ToolCallPart) -> ToolResult:
        """Run the tool the model asked for, if the gate allows; the result goes back."""
        tool = self.tools[call.name]  # the loop runs only the tools offered
        raw_args = call.arguments.get("args", [])
        args = [str(a) for a in raw_args] if isinstance(raw_args, list) else [str(raw_args)]
        stdin = call.arguments.get("stdin")
        stdin = stdin if isinstance(stdin, str) else None
        refused = await self.host.authorize(tool, args, stdin)
        if refused is not None:  # the step says why, and so does the model's result
            await self.steps.refused(tool.qualified, refused, shlex.join(args))
            return ToolResult(call.id, f"Not run: {refused}", True)
        run = await self.host.run_tool(tool, args, stdin.encode() if stdin is not None else None,
                                       self.steps)
        return ToolResult(call.id, clip(run.as_text(), MODEL_COPY_CHARS), not run.ok)
