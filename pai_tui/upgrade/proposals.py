"""The lifecycle of an upgrade proposal, as code: which state may follow which, and the one way
to move a proposal (checked and written in one store transaction, with its time and cause).

    proposed → accepted → applied → verified
    proposed | accepted → rejected | expired (EXPIRE_AFTER unanswered: `expire`)
    applied → failed (verification failed; the commit was reverted)
    applied | verified → reverted
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from pai_tui.history.records import ProposalRecord
    from pai_tui.history.service import History

State = Literal["proposed", "accepted", "applied", "verified", "rejected", "expired", "failed",
                "reverted"]
STATES: tuple[State, ...] = get_args(State)
# Each state, and the states it may be reached from.
REACHED_FROM: dict[State, tuple[State, ...]] = {
    "proposed": (),
    "accepted": ("proposed",),
    "applied": ("accepted",),
    "verified": ("applied",),
    "rejected": ("proposed", "accepted"),
    "expired": ("proposed", "accepted"),
    "failed": ("applied",),
    "reverted": ("applied", "verified"),
}
OPEN: tuple[State, ...] = ("proposed", "accepted")  # waiting for the user
EXPIRE_AFTER = timedelta(days=30)
# What the user can do next, said after a refusal.
NEXT: dict[str, str] = {"proposed": "accept or reject it", "accepted": "apply or reject it",
                        "applied": "revert it", "verified": "revert it"}


class ProposalError(Exception):
    """Why a proposal could not be drafted, moved, applied or reverted; `str()` is the message
    for the user (what the faces catch)."""


class IllegalTransition(ProposalError):
    """A move the lifecycle does not allow from the proposal's current state."""

    def __init__(self, proposal_id: int, current: str, to: str):
        self.proposal_id, self.current, self.to = proposal_id, current, to
        hint = f"; you can {NEXT[current]}" if current in NEXT else ""
        super().__init__(f"proposal {proposal_id} is {current}: it cannot become {to} "
                         f"(only a proposal that is {' or '.join(REACHED_FROM[to]) or 'new'} "
                         f"can){hint}")


class NoSuchProposal(ProposalError, LookupError):
    def __init__(self, proposal_id: int):
        super().__init__(f"no proposal {proposal_id} (pai upgrade proposals)")


def allowed(current: str, to: State) -> bool:
    return current in REACHED_FROM[to]


async def move(history: History, proposal_id: int, to: State, cause: str,
               now: datetime | None = None, **fields: Any) -> ProposalRecord:
    """Move the proposal to `to`, writing `cause`; IllegalTransition (naming its state) when
    the lifecycle does not allow it, NoSuchProposal when there is none."""
    record, moved = await history.run(lambda store: store.move_proposal(
        proposal_id, REACHED_FROM[to], to, cause, now, **fields))
    if record is None:
        raise NoSuchProposal(proposal_id)
    if not moved:
        raise IllegalTransition(proposal_id, record.state, to)
    return record


async def expire(history: History, now: datetime) -> list[int]:
    """Expire the proposals left unanswered (proposed or accepted, untouched for EXPIRE_AFTER)
    by `now` (naive UTC, like the store's times); their ids. For the scheduler's daily job."""
    stale = await history.run(lambda store: store.proposals(OPEN, now - EXPIRE_AFTER))
    expired = []
    for proposal in stale:
        record, moved = await history.run(lambda store, p=proposal: store.move_proposal(
            p.id, OPEN, "expired", f"unanswered for {EXPIRE_AFTER.days} days", now))
        if moved and record is not None:
            expired.append(record.id)
    return expired
