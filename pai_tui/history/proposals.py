"""Upgrade proposals in the store: drafts numbered and kept, and each move from one state to
another written with its time and cause, in the transaction that checks the state it leaves (two
pai moving one proposal at once cannot both move it). Which moves are allowed is the lifecycle's
to say (upgrade/proposals.py); the store only refuses a move from a state not in `allowed`.
Part of the store API (`Store` inherits it)."""

from __future__ import annotations

import json
from collections.abc import Collection
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pai_tui.history.models import ProposalEventRow, ProposalRow, utcnow
from pai_tui.history.records import ProposalDraft, ProposalEvent, ProposalRecord

# What a move may set besides the state.
MOVE_FIELDS = frozenset({"commit_sha", "revert_sha", "failure"})


class ProposalStore:
    """The store's proposal methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_proposal(self, draft: ProposalDraft, state: str, cause: str,
                     now: datetime | None = None) -> ProposalRecord:
        at = now or utcnow()
        check = None if draft.check is None else json.dumps(list(draft.check))
        with self._session() as s:
            row = ProposalRow(item_id=draft.item_id, title=draft.title,
                              rationale=draft.rationale, diff=draft.diff, check_argv=check,
                              state=state, created_at=at, updated_at=at,
                              drafted_by=draft.drafted_by, message_id=draft.message_id,
                              cost=draft.cost)
            s.add(row)
            s.flush()
            s.add(ProposalEventRow(proposal_id=row.id, from_state=None, to_state=state, at=at,
                                   cause=cause))
            s.flush()
            s.refresh(row)  # as stored: key shapes redacted (Kept)
            return _record(s, row)

    def proposal(self, proposal_id: int) -> ProposalRecord | None:
        with self._session(write=False) as s:
            row = s.get(ProposalRow, proposal_id)
            return None if row is None else _record(s, row)

    def proposals(self, states: Collection[str] | None = None,
                  updated_before: datetime | None = None) -> list[ProposalRecord]:
        """Proposals, newest first: in `states` if given, last moved before `updated_before`
        if given."""
        query = select(ProposalRow).order_by(ProposalRow.id.desc())
        if states is not None:
            query = query.where(ProposalRow.state.in_(list(states)))
        if updated_before is not None:
            query = query.where(ProposalRow.updated_at < updated_before)
        with self._session(write=False) as s:
            return [_record(s, row) for row in s.scalars(query)]

    def move_proposal(self, proposal_id: int, allowed: Collection[str], to: str, cause: str,
                      now: datetime | None = None, **fields: Any,
                      ) -> tuple[ProposalRecord | None, bool]:
        """Move the proposal to `to` if its state is in `allowed`, setting `fields`
        (MOVE_FIELDS). Returns the proposal (None: no such one) and whether it moved."""
        unknown = set(fields) - MOVE_FIELDS
        if unknown:
            raise ValueError(f"a move cannot set {', '.join(sorted(unknown))}")
        at = now or utcnow()
        with self._session() as s:
            row = s.get(ProposalRow, proposal_id)
            if row is None or row.state not in allowed:
                return (None if row is None else _record(s, row)), False
            s.add(ProposalEventRow(proposal_id=row.id, from_state=row.state, to_state=to, at=at,
                                   cause=cause))
            row.state, row.updated_at = to, at
            for name, value in fields.items():
                setattr(row, name, value)
            s.flush()
            s.refresh(row)
            return _record(s, row), True


def _record(s: Session, row: ProposalRow) -> ProposalRecord:
    events = s.scalars(select(ProposalEventRow).where(ProposalEventRow.proposal_id == row.id)
                       .order_by(ProposalEventRow.id))
    check = None if row.check_argv is None else tuple(json.loads(row.check_argv))
    draft = ProposalDraft(row.item_id, row.title, row.rationale, row.diff, check,
                          row.drafted_by, row.message_id, row.cost)
    return ProposalRecord(row.id, draft, row.state, row.created_at, row.updated_at,
                          row.commit_sha, row.revert_sha, row.failure,
                          tuple(ProposalEvent(e.from_state, e.to_state, e.at, e.cause)
                                for e in events))
