"""Hard budgets: what a tree of turns spends, checked before every model request and as usage
arrives. A turn's `Ledger` counts its own model calls (nested skills' included) and hands every
token and cent up to the ledgers of the turns above it, so a child's spending counts against its
parent's caps: an agent started by a run cannot spend past the run's budget.

A request the budget has no room for is not sent (`refused`): the stream gives a zero Usage and
ends, which the turn's budget listener turns into "stopped at the turn's budget (...)"
(collect.py). A call is counted as it goes by its watch (turns/tracing.py).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import AsyncIterator, Callable

from pai_tui.llm.base import ChatRequest, Delta, Usage

BUDGET_STOP = "stopped at the turn's budget"  # agents/status.py reads runs over budget by it


class Ledger:
    """Spending of one turn and its children, against its caps (None: no cap)."""

    def __init__(self, max_cost: float | None = None, max_output_tokens: int | None = None,
                 parent: Ledger | None = None, owner: str = "the turn"):
        self.max_cost, self.max_output_tokens = max_cost, max_output_tokens
        self.parent, self.owner = parent, owner
        self.cost = 0.0  # with its children's, against the caps
        self.output_tokens = 0
        # This turn's own spending (its children's is theirs), for showing it.
        self.own = Usage()
        self.own_cost: float | None = 0.0  # None once a call's prices are unknown
        self.own_calls = 0
        self._lock = threading.Lock()
        self.on_change: Callable[[Ledger], None] | None = None  # told of its own changes

    @property
    def depth(self) -> int:
        """How many turns are above this one."""
        depth, ledger = 0, self.parent
        while ledger is not None:
            depth, ledger = depth + 1, ledger.parent
        return depth

    def add(self, cost: float | None, output_tokens: int, input_tokens: int = 0,
            calls: int = 0) -> None:
        """Count spending here and in every ledger above (`cost` None: unknown prices, which
        count nothing against a cap but make this turn's own cost unknown)."""
        with self._lock:
            self.own = self.own + Usage(input_tokens, output_tokens)
            self.own_calls += calls
            self.own_cost = None if cost is None or self.own_cost is None else \
                self.own_cost + cost
        ledger: Ledger | None = self
        while ledger is not None:
            with ledger._lock:
                ledger.cost += cost or 0.0
                ledger.output_tokens += output_tokens
            ledger = ledger.parent
        if self.on_change is not None:
            self.on_change(self)

    def over(self) -> str | None:
        """Why no more may be spent (this turn's cap or one above it), or None."""
        ledger: Ledger | None = self
        while ledger is not None:
            why = ledger._own_over()
            if why is not None:
                whose = "" if ledger is self else f", {ledger.owner}'s"
                return f"{BUDGET_STOP} ({why}{whose})"
            ledger = ledger.parent
        return None

    def output_room(self) -> int | None:
        """Output tokens left under the tightest cap here and above; None: no cap."""
        rooms = []
        ledger: Ledger | None = self
        while ledger is not None:
            if ledger.max_output_tokens is not None:
                rooms.append(ledger.max_output_tokens - ledger.output_tokens)
            ledger = ledger.parent
        return min(rooms) if rooms else None

    def _own_over(self) -> str | None:
        if self.max_cost is not None and self.cost >= self.max_cost:
            return f"${self.max_cost:.2f}"
        if self.max_output_tokens is not None and self.output_tokens >= self.max_output_tokens:
            return f"{self.max_output_tokens:,} output tokens"
        return None


def refused() -> AsyncIterator[Delta]:
    """The stream of a request the budget has no room for: a zero Usage, which the turn's
    budget listener answers by stopping the turn (collect.py)."""

    async def nothing() -> AsyncIterator[Delta]:
        yield Usage()

    return nothing()


def fitted(request: ChatRequest, ledger: Ledger) -> ChatRequest:
    """`request` with its max_tokens cut to the output tokens its budgets have left."""
    room = ledger.output_room()
    if room is not None and room < request.max_tokens:
        return dataclasses.replace(request, max_tokens=max(1, room))
    return request
