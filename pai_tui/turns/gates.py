"""Gates: the named points of a turn where something may stop it. They are called, never
subscribed (the bus cannot veto), and fail closed.

Today: before a prompt is answered (the point where `UserPromptSubmit` hooks will be called) and
before a tool runs (`PreToolUse` hooks later; the permission policy now). Who answers "may this
tool run?" is one queue, `Approvals`: the app answers with a dialog, the headless commands with
the policy (and `--yes`). Questions asked at once (parallel turns) wait their turn, one asked at a
time, never stacked.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pai_tui import events, spans

if TYPE_CHECKING:
    from pai_tui.skills.permissions import Decision, Permissions
    from pai_tui.skills.tools import Tool
    from pai_tui.turns.context import TurnContext


@dataclass(frozen=True)
class ToolQuestion:
    """What the user is shown before a tool whose policy is "ask" runs."""

    tool: Tool
    args: list[str]
    stdin: str | None
    agent: str | None = None  # who asks; None: the main chat
    turn: TurnContext | None = None  # the turn asking (its timeline records the question)


Answerer = Callable[[ToolQuestion], Awaitable["Decision"]]


class Approvals:
    """The one queue of "may this tool run?" questions."""

    def __init__(self, permissions: Callable[[], Permissions], bus: events.Bus | None = None):
        self._permissions = permissions
        self._bus = bus  # where questions are told as spans of their turn
        self.answerer: Answerer | None = None  # the app's dialog; None: headless
        self.assume_yes = False  # headless: --yes lets "ask" tools run
        self._one_at_a_time: asyncio.Lock | None = None
        self.waiting = 0  # questions asked and not yet answered (the Agents pane says it)
        self.asking: Counter[int] = Counter()  # of those, by the turn asking

    async def authorize(self, question: ToolQuestion) -> str | None:
        """None if the tool may run now; else why not (the policy, or the user, said no)."""
        permissions = self._permissions()
        answerer = self.answerer
        if answerer is None:
            return permissions.headless(question.tool, self.assume_yes)
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        turn = question.turn.turn_id if question.turn is not None else 0
        self.waiting += 1
        self.asking[turn] += 1
        try:
            async with self._one_at_a_time:
                return await permissions.authorize(question.tool, question.args,
                                                   lambda tool, args: self._ask(question))
        finally:
            self.waiting -= 1
            self.asking[turn] -= 1
            if self.asking[turn] <= 0:
                del self.asking[turn]


    async def _ask(self, question: ToolQuestion) -> Decision:
        """The user's answer, the question and its answer a span of the asking turn."""
        assert self.answerer is not None
        if self._bus is None or question.turn is None:
            return await self.answerer(question)
        from pai_tui.turns.tracing import child_span

        tool = question.tool.qualified
        span = child_span(self._bus, question.turn, "permission", f"permission {tool}",
                          {spans.TOOL_NAME: tool,
                           spans.TOOL_ARGUMENTS: " ".join(question.args)[:spans.ARGUMENTS_CHARS]})
        answer: Decision | None = None
        try:
            answer = await self.answerer(question)
            return answer
        finally:
            span.end("ok" if answer is not None else "cancelled",
                     {spans.PERMISSION_ANSWER: answer})


class Gates:
    """The points of a turn where it may be stopped."""

    def __init__(self, approvals: Approvals):
        self.approvals = approvals

    async def prompt_submitted(self, ctx: TurnContext, text: str | None) -> str | None:
        """Before anything is sent for `text`: None to go on, else why the turn stops.
        (UserPromptSubmit hooks will be called here.)"""
        return None

    async def tool_use(self, ctx: TurnContext, tool: Tool, args: list[str],
                       stdin: str | None) -> str | None:
        """Before a tool runs: None to run it, else why not."""
        return await self.approvals.authorize(ToolQuestion(tool, args, stdin, ctx.agent, ctx))
