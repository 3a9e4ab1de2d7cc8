"""What a turn is run with: who it belongs to, which model answers, its limits, and the one
cancellation shared by the whole tree of turns it starts (steps, nested skills, agents).

Passed down instead of the composition root: a turn and its children see only this.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pai_tui.spans import message_span_id, new_trace_id

if TYPE_CHECKING:
    from pai_tui.llm.providers import ModelChoice
    from pai_tui.skills.router import RouteDecision
    from pai_tui.turns.budget import Ledger


@dataclass(frozen=True)
class Limits:
    """Hard limits of a turn, its children included."""

    max_tool_turns: int = 8  # model <-> tool round trips per model call
    max_output_tokens: int = 8192  # per model call
    output_budget: int | None = None  # output tokens of all its model calls (an agent's budget)
    max_cost: float | None = None  # USD; the answer stops once it has cost this much
    deadline: float | None = None  # time.monotonic() after which the answer stops

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())


class CancelToken:
    """One cancellation for a tree of turns: cancelling it cancels every task attached to it,
    wherever it runs, and every token made from it with `child()` (the runs a turn started);
    a child's cancel stops the child alone. A task attached after the cancel is cancelled at
    once."""

    def __init__(self, parent: CancelToken | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._children: list[CancelToken] = []
        self.parent = parent
        self.cancelled = parent is not None and parent.cancelled

    def child(self) -> CancelToken:
        token = CancelToken(self)
        self._children.append(token)
        return token

    def attach(self, task: asyncio.Task[Any] | None = None) -> None:
        """Let the cancel reach `task` (the current one by default) until it ends."""
        task = task or asyncio.current_task()
        if task is None:
            return
        if self.cancelled:
            task.cancel()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        self.cancelled = True
        for task in list(self._tasks):
            task.cancel()
        for child in self._children:
            child.cancel()


@dataclass(frozen=True)
class TurnContext:
    """One turn: its ids, its agent, its model, what it may use, its limits, its cancel."""

    session_id: int
    turn_id: int  # the answer's message id: the turn's identity in events and the store
    choice: ModelChoice
    limits: Limits = field(default_factory=Limits)
    cancel: CancelToken = field(default_factory=CancelToken)
    user_id: int | None = None  # the user's message this turn answers
    parent_id: int | None = None  # the turn this one runs under (a nested skill, an agent)
    agent: str | None = None  # None: the main chat
    tools: frozenset[str] | None = None  # tools it may be offered ("skill/tool"); None: any
    decision: RouteDecision | None = None  # routed already (pai skill run); None: route it
    trace_id: str = field(default_factory=new_trace_id)  # the tree's: children share it
    ledger: Ledger | None = None  # what it spends against its budget and its parents'
    without_notes: frozenset[int] = frozenset()  # notes the user took out of this turn

    @property
    def ids(self) -> dict[str, Any]:
        """The identity every event of this turn carries."""
        return {"turn_id": self.turn_id, "agent": self.agent}

    @property
    def span_id(self) -> str:
        """The span of this turn on the timeline (spans.py)."""
        return message_span_id(self.turn_id)

    @property
    def parent_span_id(self) -> str | None:
        return None if self.parent_id is None else message_span_id(self.parent_id)

    def child(self, turn_id: int, **changes: Any) -> TurnContext:
        """A turn under this one: same session, model, limits and cancel."""
        return replace(self, turn_id=turn_id, parent_id=self.turn_id, decision=None,
                       **changes)
