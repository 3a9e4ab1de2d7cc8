"""Gates: the named points of a turn where something may stop it. They are called, never
subscribed (the bus cannot veto), and fail closed.

The points, in order: before a prompt is answered (`UserPromptSubmit` hooks: chat, `pai ask`,
`pai skill run`, agent tasks); before every tool runs (`PreToolUse` hooks, *then* the permission
policy: a hook's deny stops the call before anyone is asked, its "allow" skips the question but
not a "deny" rule, its "ask" asks even where the policy allows); when the answer is done (`Stop`
hooks: an objection sends the model back to work, turn.py). Hooks are pai_tui/hooks/ (Claude
Code's contract; a gate hook that breaks blocks).

Who answers "may this tool run?" is one queue, `Approvals`: the app answers with a dialog, the
headless commands with the policy (and `--yes`). Questions asked at once (parallel turns) wait
their turn, one asked at a time, never stacked.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pai_tui import events, spans

if TYPE_CHECKING:
    from pai_tui.hooks.service import Hooks, Parent, Verdict
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

    async def authorize(self, question: ToolQuestion, hook: str | None = None) -> str | None:
        """None if the tool may run now; else why not (the policy, or the user, said no).
        `hook`: what a PreToolUse hook decided ("allow" skips the default question, not a rule
        of the user's; "ask" asks even where the policy allows)."""
        permissions = self._permissions()
        answerer = self.answerer
        rule = permissions.rule(question.tool)
        if hook == "allow" and (rule.action == "allow" or rule.source.startswith("default")):
            return None  # as in Claude Code: a rule of yours ("ask", "deny") still holds
        forced = hook == "ask" and rule.action == "allow"  # the hook wants the user asked
        if forced and answerer is None:
            return None if self.assume_yes else (
                f"a hook asks to confirm {question.tool.qualified} before it runs: run again "
                "with --yes to let it")
        if answerer is None:
            return permissions.headless(question.tool, self.assume_yes)
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        turn = question.turn.turn_id if question.turn is not None else 0
        self.waiting += 1
        self.asking[turn] += 1
        try:
            async with self._one_at_a_time:
                if forced:
                    decision = await self._ask(question)
                    return None if decision in ("yes", "always") else \
                        f"you declined to run {question.tool.qualified}"
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


@dataclass(frozen=True)
class PromptAdmission:
    """What the `UserPromptSubmit` gate said: why the turn stops (None: it goes on), and
    context the hooks added for the model."""

    refused: str | None = None
    context: str = ""


class Gates:
    """The points of a turn where it may be stopped."""

    def __init__(self, approvals: Approvals, hooks: Hooks | None = None):
        self.approvals = approvals
        self.hooks = hooks  # None: no hooks service (tests that build turns by hand)

    def _parent(self, ctx: TurnContext) -> Parent:
        from pai_tui.hooks.service import Parent

        return Parent(ctx.session_id, ctx.trace_id, ctx.span_id, ctx.turn_id, ctx.agent)

    def _tell(self, ctx: TurnContext, verdict: Verdict) -> None:
        """What the hooks said for the user (errors let through, their messages)."""
        if self.hooks is None:
            return
        for note in verdict.notes:
            self.hooks.bus.publish(events.TurnNotice(ctx.session_id, ctx.turn_id, note,
                                                     **ctx.ids))

    async def prompt_submitted(self, ctx: TurnContext, text: str | None) -> PromptAdmission:
        """Before anything is sent for `text`: the UserPromptSubmit hooks' word (and, at a
        session's first prompt, the context its SessionStart hooks add)."""
        if self.hooks is None:
            return PromptAdmission()
        started = await self.hooks.session_started(self._parent(ctx))
        self._tell(ctx, started)
        if text is not None:
            await self.hooks.note_prompt(ctx.session_id, text)
        verdict = await self.hooks.gate("UserPromptSubmit", {"prompt": text or ""},
                                        self._parent(ctx))
        self._tell(ctx, verdict)
        context = "\n\n".join(filter(None, [started.context, verdict.context]))
        return PromptAdmission(verdict.blocked, context)

    async def tool_hooks(self, ctx: TurnContext, name: str,
                         tool_input: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The PreToolUse hooks on a call of tool `name` (Claude Code's name): (why it must not
        run, or None; their permission decision, if any)."""
        if self.hooks is None:
            return None, None
        verdict = await self.hooks.gate("PreToolUse", {"tool_name": name,
                                                       "tool_input": dict(tool_input)},
                                        self._parent(ctx))
        self._tell(ctx, verdict)
        return verdict.blocked, verdict.permission

    async def tool_use(self, ctx: TurnContext, tool: Tool, args: list[str],
                       stdin: str | None, tool_input: Mapping[str, Any] | None = None,
                       ) -> str | None:
        """Before a tool runs: None to run it, else why not. PreToolUse hooks first (they see
        `tool_input`, default: the skill tool's argv and stdin), then the permission policy."""
        from pai_tui.hooks.payload import skill_tool_input, tool_name

        blocked, permission = await self.tool_hooks(
            ctx, tool_name(tool.qualified),
            tool_input if tool_input is not None else skill_tool_input(args, stdin))
        if blocked is not None:
            return blocked
        return await self.approvals.authorize(ToolQuestion(tool, args, stdin, ctx.agent, ctx),
                                              permission)

    async def turn_ending(self, ctx: TurnContext, text: str,
                          continued: bool = False) -> str | None:
        """When the answer is done: the Stop hooks' objection, if any. `continued`: the
        model already went on because of one (`stop_hook_active`)."""
        if self.hooks is None:
            return None
        verdict = await self.hooks.gate("Stop", {"stop_hook_active": continued,
                                                 "last_assistant_message": text},
                                        self._parent(ctx))
        self._tell(ctx, verdict)
        return verdict.blocked
