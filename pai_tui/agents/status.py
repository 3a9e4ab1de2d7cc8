"""A run's state, from its answer's row or events: light enough for the UI to import at start."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pai_tui.history.records import MessageRecord

# How the turn engine says a run stopped at one of its limits (turns/budget.py, turns/turn.py).
BUDGET_STOPS = ("stopped at the turn's budget", "stopped at the turn's deadline")


def run_status(answer: MessageRecord) -> str:
    """A run's state from its answer's row."""
    return status_of(answer.status, answer.error)


def status_of(status: str, error: str | None) -> str:
    """A run's state from its answer's status and error."""
    if status == "streaming":
        return "running"
    if status in ("complete", "cancelled", "interrupted"):
        return status
    if (error or "").startswith(BUDGET_STOPS):
        return "over budget"
    return "failed"
