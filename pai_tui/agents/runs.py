"""Agent runs: one agent given one task, run as a turn of its own (its own session, its
system prompt, its model and its budget as the turn's hard limits), several at once up to
`[agents] max_parallel`, the rest waiting their turn. Parallelism is code, never a prompt.

A run's identity is its answer's message id; the store keeps the agent's name on that row, so
runs are listed (`pai agent ps`) from the history. The agent's built-in tools (agents/tools.py)
are offered, gated and kept as steps (agents/toolbox.py); an agent with `isolation: worktree`
works in a git worktree of its own (agents/worktree.py). An agent whose file names `delegate`
(Claude Code's `Task`) may hand work to the other agents: each such child runs in its parent's
slot (the parent waits for it), within its parent's budget (turns/budget.py).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.agents import worktree
from pai_tui.agents.models import choose_model
from pai_tui.agents.names import DELEGATE
from pai_tui.agents.status import run_status
from pai_tui.agents.toolbox import agent_toolbox
from pai_tui.llm.base import Usage
from pai_tui.turns.context import Limits

if TYPE_CHECKING:
    from pai_tui.agents.catalog import AgentCatalog
    from pai_tui.agents.definition import AgentDefinition
    from pai_tui.config import Config
    from pai_tui.history.records import MessageRecord
    from pai_tui.llm.providers import ModelChoice, Providers
    from pai_tui.skills.router import RouteDecision
    from pai_tui.turns.context import TurnContext
    from pai_tui.turns.service import Turns
    from pai_tui.turns.strategies import Toolbox
    from pai_tui.turns.turn import Turn

    DelegateToolbox = Callable[["Supervisor", list[AgentDefinition], Turn], Toolbox]

MAX_DEPTH = 3  # agents started by agents started by agents: no deeper (no runaway chains)

@dataclass(frozen=True)
class RunRequest:
    agent: AgentDefinition
    task: str
    # Caps given for this run (the command line), tighter than the agent's own or not.
    max_usd: float | None = None
    max_turns: int | None = None
    max_seconds: float | None = None
    folder: Path | None = None  # where its tools work; None: the current folder
    parent: TurnContext | None = None  # the turn that started it (a chat delegating)


@dataclass(frozen=True)
class RunResult:
    request: RunRequest
    choice: ModelChoice
    answer: MessageRecord
    status: str  # complete, failed, cancelled, over budget, interrupted
    notes: tuple[str, ...] = ()  # what the run could not honour (said, never silent)
    branch: str | None = None  # the git branch holding its work (isolation: worktree)
    folder: Path | None = None  # the worktree left with that work


class Supervisor:
    """Runs agents, at most `max_parallel` at once. Not a widget: what starts a run may go away
    (a pane closes) and the run goes on."""

    def __init__(self, config: Config, providers: Providers, turns: Turns):
        self.config, self.providers, self.turns = config, providers, turns
        self._slots = asyncio.Semaphore(config.agents.max_parallel)
        self.active: dict[int, tuple[RunRequest, Turn]] = {}  # running now, by run id
        self._catalog: AgentCatalog | None = None
        # Builds the `delegate` tool (agents/delegation.py; given by the composition root,
        # which keeps the two modules from importing each other).
        self.delegate_toolbox: DelegateToolbox | None = None
        self._watcher: asyncio.Task[None] | None = None
        # Worktrees being committed or removed after their run ended (a stopped run too):
        # quitting waits for them, or a worktree is left half done.
        self.keeping: set[asyncio.Task[worktree.Kept]] = set()

    async def catalog(self, reload: bool = False) -> AgentCatalog:
        """The agents pai can run (read from disk in a thread, once until `reload`)."""
        if self._catalog is None or reload:
            from pai_tui.agents.catalog import load_catalog

            self._catalog = await asyncio.to_thread(load_catalog, self.config)
        return self._catalog

    def stop(self, run_id: int) -> bool:
        """Stop a running run (and whatever it started); False if it is not running."""
        found = self.active.get(run_id)
        if found is None:
            return False
        found[1].ctx.cancel.cancel()
        return True

    def _watch_stops(self) -> None:
        """Look for `pai agent stop` requests from other processes while runs are going."""
        if self._watcher is None or self._watcher.done():
            from pai_tui.agents.stops import watch

            self._watcher = asyncio.create_task(
                watch(self.config.home.root, lambda: set(self.active), self.stop))

    def stop_all(self) -> int:
        """Stop every running run; how many were stopped."""
        running = list(self.active)
        for run_id in running:
            self.stop(run_id)
        return len(running)

    async def run_all(self, requests: list[RunRequest]) -> list[RunResult]:
        """Every request, at once up to the limit; results in the order asked."""
        return list(await asyncio.gather(*(self.run(r) for r in requests)))

    async def run(self, request: RunRequest) -> RunResult:
        """Run `request`; WorktreeError (before anything is saved or sent) when its agent
        works in a worktree and none can be made."""
        choice, notes = self.plan(request)
        async with self._slot(request):
            folder = request.folder or Path.cwd()
            tree = await self._worktree(request, folder)
            if tree is not None:
                folder, notes = tree.path, (*notes, *filter(None, [tree.note]))
            kept: worktree.Kept | None = None
            try:
                answer = await self._run_turn(request, choice, folder)
            finally:
                if tree is not None:  # the agent's work is kept, whatever happened
                    kept = await asyncio.shield(self._keeping(tree, request))
        result = RunResult(request, choice, answer, run_status(answer), notes)
        if kept is not None:
            result = replace(result, branch=kept.branch, folder=kept.path,
                             notes=(*result.notes, *filter(None, [kept.note])))
        await self._keep_result(request, answer)
        return result

    async def _keep_result(self, request: RunRequest, answer: MessageRecord) -> None:
        """An agent whose results are kept (`keeps: research`, the researcher; `decision`,
        the architect): its finished answer becomes a note, found by search and given to
        later turns."""
        from pai_tui.history.notes import split_text
        from pai_tui.history.records import NoteDraft

        agent = request.agent
        if agent.keeps is None or answer.status != "complete" or not answer.content.strip():
            return
        task, _ = split_text(request.task)
        draft = NoteDraft(agent.keeps, f"{agent.name}: {task}", answer.content,
                          created_by="agent", session_id=answer.session_id,
                          message_id=answer.id, agent=agent.name)
        await self.turns.services.history.run(lambda store: store.add_note(draft))

    async def _run_turn(self, request: RunRequest, choice: ModelChoice,
                        folder: Path) -> MessageRecord:
        turn = await self.turns.start(None, request.task, choice=choice,
                                      system=request.agent.prompt or None,
                                      decision=_plain(request.task),
                                      agent=request.agent.name,
                                      limits=self.limits(request, choice),
                                      parent=request.parent)
        turn.toolbox = await self._toolbox(request.agent, turn, folder)
        self.active[turn.ctx.turn_id] = (request, turn)
        self._watch_stops()
        try:
            return await turn.run()
        except asyncio.CancelledError:
            if not _stopped_alone(turn):
                raise
            # This run alone was stopped (`stop`): its parent, which awaits it, goes on.
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return turn.answer
        finally:
            self.active.pop(turn.ctx.turn_id, None)

    async def _toolbox(self, agent: AgentDefinition, turn: Turn, folder: Path) -> Toolbox:
        """The agent's built-in tools, and `delegate` (the other agents) if its file names it
        and the run is not already MAX_DEPTH agents deep."""
        toolbox = agent_toolbox(agent, turn, folder)
        ledger = turn.ctx.ledger
        deep = ledger is not None and ledger.depth >= MAX_DEPTH
        if DELEGATE not in (agent.tools or ()) or self.delegate_toolbox is None or deep:
            return toolbox
        others = [a for a in await self.catalog() if a.key != agent.key]
        return toolbox.plus(self.delegate_toolbox(self, others, turn))

    async def _worktree(self, request: RunRequest, folder: Path) -> worktree.Worktree | None:
        if request.agent.isolation != "worktree":
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return await worktree.start(folder, self.config.home.root, request.agent.name,
                                    f"{stamp}-{next(_SERIAL)}")

    def _keeping(self, tree: worktree.Worktree, request: RunRequest,
                 ) -> asyncio.Task[worktree.Kept]:
        task = asyncio.create_task(self._keep(tree, request))
        self.keeping.add(task)
        task.add_done_callback(self.keeping.discard)
        return task

    async def settle(self, wait: float) -> None:
        """Give the worktrees of ended runs up to `wait` seconds to be kept."""
        if self.keeping:
            await asyncio.wait(set(self.keeping), timeout=wait)

    @staticmethod
    async def _keep(tree: worktree.Worktree, request: RunRequest) -> worktree.Kept:
        first_line = request.task.strip().split("\n", 1)[0][:60]
        return await worktree.finish(tree, f"{request.agent.name}: {first_line}\n\n"
                                           f"Left uncommitted by the agent; committed by pai.")

    def _slot(self, request: RunRequest) -> AbstractAsyncContextManager[object]:
        """A place among the runs going at once. A run started by an agent's run takes its
        parent's (which waits for it): asking for another could wait forever."""
        parent = request.parent
        return nullcontext() if parent is not None and parent.agent else self._slots

    def plan(self, request: RunRequest) -> tuple[ModelChoice, tuple[str, ...]]:
        """The run's model, and what it cannot honour (said before it starts)."""
        agent = request.agent
        choice, note = choose_model(agent.model, self.providers, self.config.agents.models)
        notes = [note] if note else []
        if self._max_usd(request) is not None and \
                self.providers.model_info(choice).cost(Usage(1, 1)) is None:
            notes.append(f"{choice.model} has no known prices, so the ${self._max_usd(request)}"
                         f" cap cannot be checked: set its prices in config.toml")
        if agent.unavailable_tools:
            notes.append(f"{agent.name} runs without {', '.join(agent.unavailable_tools)} "
                         f"(not in pai)")
        return choice, tuple(notes)

    def limits(self, request: RunRequest, choice: ModelChoice) -> Limits:
        """The agent's budget, tightened by the request's caps, as the turn's hard limits."""
        budget, base = request.agent.budget, self.turns.limits()
        turns = _least(budget.max_turns, request.max_turns)
        seconds = _least(budget.max_seconds, request.max_seconds)
        tokens = budget.max_output_tokens
        parent = request.parent.limits.deadline if request.parent is not None else None
        return replace(
            base,
            max_tool_turns=turns or base.max_tool_turns,
            max_output_tokens=min(tokens, base.max_output_tokens) if tokens else
            base.max_output_tokens,
            output_budget=tokens or None,
            max_cost=self._max_usd(request),
            deadline=_least(time.monotonic() + seconds if seconds else None, parent))

    @staticmethod
    def _max_usd(request: RunRequest) -> float | None:
        return _least(request.agent.budget.max_usd, request.max_usd)


_SERIAL = itertools.count(1)  # two runs in one second get two worktrees


def _stopped_alone(turn: Turn) -> bool:
    """Whether the run was stopped by its own cancel, not by one above it."""
    token = turn.ctx.cancel
    return token.cancelled and (token.parent is None or not token.parent.cancelled)


def _least(*limits: float | None) -> float | None:
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None


def _plain(task: str) -> RouteDecision:
    """An agent's task is answered by the agent, never routed to a skill by the chat's router."""
    from pai_tui.skills.router import RouteDecision

    return RouteDecision(None, "chat", task, reasons=("an agent's run",))


def run_record(result: RunResult) -> dict[str, object]:
    """A finished run as `pai agent run --json` prints it (a contract: id, agent, status, text,
    usage, cost, branch)."""
    answer = result.answer
    return {"id": answer.id, "agent": result.request.agent.name, "status": result.status,
            "text": answer.content, "error": answer.error,
            "usage": {"input_tokens": answer.input_tokens,
                      "output_tokens": answer.output_tokens},
            "cost": answer.cost, "model": answer.model, "branch": result.branch,
            "folder": str(result.folder) if result.folder else None,
            "notes": list(result.notes)}


def ps_record(answer: MessageRecord) -> dict[str, object]:
    """A run as `pai agent ps --json` prints it (a contract: id, agent, status, parent_id,
    input_tokens, output_tokens, cost, started_at)."""
    return {"id": answer.id, "agent": answer.agent, "status": run_status(answer),
            "parent_id": answer.parent_id, "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens, "cost": answer.cost,
            "started_at": answer.created_at.isoformat(), "session": answer.session_id,
            "model": answer.model, "error": answer.error}
