"""The timeline in the store: spans written as they start and end (one transaction per batch),
a turn's tree of spans, the turns and runs of a period, and the summary by model, agent, skill
and tool. Part of the store API (`Store` inherits it)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from pai_tui import events, spans
from pai_tui.history.models import Message, SpanRow, utcnow
from pai_tui.history.records import SpanRecord, UsageRow

# Attributes that also have a column of their own (so that the summary is a query, not a scan).
_COLUMNS = {spans.INPUT_TOKENS: "input_tokens", spans.OUTPUT_TOKENS: "output_tokens",
            spans.COST: "cost", spans.SKILL: "skill", spans.REQUEST_MODEL: "model"}
NAME_CHARS = 300
# An open span of a turn that ended this recently is not incomplete: its end is being written.
ENDS_ON_THEIR_WAY_S = 10.0


class TimelineStore:
    """The store's timeline methods (mixed into `Store`, which provides `_session`)."""

    def _session(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def record_spans(self, started: Sequence[events.SpanStarted],
                     ended: Sequence[events.SpanEnded]) -> None:
        """Write spans that began and complete those that ended, in one transaction. An end
        whose start is in `started` is written with it (one row, one write)."""
        ends = {end.span_id: end for end in ended}
        with self._session() as s:
            for start in started:
                row = _new_row(start)
                end = ends.pop(start.span_id, None)
                if end is not None:
                    _apply_end(row, end)
                s.add(row)
            if not ends:
                return
            rows = s.scalars(select(SpanRow).where(SpanRow.span_id.in_(list(ends))))
            for row in rows:
                _apply_end(row, ends[row.span_id])

    def trace(self, turn_id: int) -> list[SpanRecord]:
        """The spans of turn `turn_id` and everything under it (its model calls, tools,
        questions, nested skills, the agents it started), in start order. Empty if it has
        none."""
        with self._session(write=False) as s:
            root = s.scalar(select(SpanRow).where(
                SpanRow.span_id == spans.message_span_id(turn_id)))
            if root is None:
                return []
            rows = list(s.scalars(select(SpanRow).where(SpanRow.trace_id == root.trace_id)
                                  .order_by(SpanRow.started_at, SpanRow.id)))
            wanted = _subtree(rows, root.span_id)
            live = _live_turns(s, [r.turn_id for r in wanted if r.ended_at is None])
            return [_record(row, live) for row in wanted]

    def turn_spans(self, since: float | None = None, agents_only: bool = False,
                   limit: int = 200) -> list[SpanRecord]:
        """Turns and agents' runs (their `turn` spans), newest first."""
        with self._session(write=False) as s:
            query = select(SpanRow).where(SpanRow.kind == "turn")
            if since is not None:
                query = query.where(SpanRow.started_at >= since)
            if agents_only:
                query = query.where(SpanRow.agent.is_not(None))
            rows = list(s.scalars(query.order_by(SpanRow.started_at.desc(), SpanRow.id.desc())
                                  .limit(limit)))
            live = _live_turns(s, [r.turn_id for r in rows if r.ended_at is None])
            return [_record(row, live) for row in rows]

    def usage_summary(self, since: float) -> list[UsageRow]:
        """Since `since`: model calls by model, runs by agent, answers by skill, tool runs by
        tool. Ended spans only (an open one has nothing to count yet)."""
        with self._session(write=False) as s:
            rows = list(s.scalars(select(SpanRow).where(
                SpanRow.started_at >= since, SpanRow.ended_at.is_not(None),
                SpanRow.kind.in_(("model", "turn", "tool")))))
        groups: dict[tuple[str, str], list[SpanRow]] = {}
        for row in rows:
            for key in _groups(row):
                groups.setdefault(key, []).append(row)
        return [_usage(group, name, members) for (group, name), members in sorted(groups.items())]

    def purpose_costs(self, purpose: str, since: float) -> list[float | None]:
        """What each model call made for `purpose` (`spans.PURPOSE`, outside any session) since
        `since` cost: None where unknown (no prices, or a call that never ended), for the daily
        budgets of calls made outside a turn (upgrade/rerank_model.py)."""
        with self._session(write=False) as s:
            rows = list(s.scalars(select(SpanRow).where(
                SpanRow.kind == "model", SpanRow.session_id.is_(None),
                SpanRow.started_at >= since)))
        return [row.cost if row.ended_at is not None else None for row in rows
                if json.loads(row.attributes or "{}").get(spans.PURPOSE) == purpose]

    def delete_spans(self, s: Session, session_id: int) -> None:
        """A deleted session's spans go with it (they name its tools' arguments)."""
        s.execute(delete(SpanRow).where(SpanRow.session_id == session_id))


def _new_row(start: events.SpanStarted) -> SpanRow:
    attributes = dict(start.attributes)
    row = SpanRow(span_id=start.span_id, trace_id=start.trace_id,
                  parent_span_id=start.parent_span_id, session_id=start.session_id,
                  turn_id=start.turn_id, agent=start.agent, kind=start.kind,
                  name=start.name[:NAME_CHARS], started_at=start.at, input_tokens=0,
                  output_tokens=0, attributes=_json(attributes))
    _copy_columns(row, attributes)
    return row


def _apply_end(row: SpanRow, end: events.SpanEnded) -> None:
    attributes = json.loads(row.attributes or "{}") | dict(end.attributes)
    row.ended_at, row.status = max(end.at, row.started_at), end.status
    row.attributes = _json(attributes)
    _copy_columns(row, attributes)


def _copy_columns(row: SpanRow, attributes: dict[str, Any]) -> None:
    for name, column in _COLUMNS.items():
        value = attributes.get(name)
        if value is None:
            continue
        if column in ("input_tokens", "output_tokens"):
            value = int(value)
        elif column == "cost":
            value = float(value)
        else:
            value = str(value)[:200]
        setattr(row, column, value)


def _json(attributes: dict[str, Any]) -> str:
    return json.dumps(attributes, ensure_ascii=False, default=str, separators=(",", ":"))


def _subtree(rows: list[SpanRow], root: str) -> list[SpanRow]:
    children: dict[str | None, list[SpanRow]] = {}
    for row in rows:
        children.setdefault(row.parent_span_id, []).append(row)
    wanted: set[str] = set()
    stack = [root]
    while stack:
        span_id = stack.pop()
        wanted.add(span_id)
        stack.extend(child.span_id for child in children.get(span_id, ()))
    return [row for row in rows if row.span_id in wanted]


def _live_turns(s: Session, turn_ids: list[int | None]) -> set[int]:
    """Of these turns, those still being written (their answer is `streaming`), or that ended
    a moment ago: their spans' ends are on their way (the recorder writes in batches)."""
    ids = [i for i in set(turn_ids) if i is not None]
    if not ids:
        return set()
    recent = utcnow() - timedelta(seconds=ENDS_ON_THEIR_WAY_S)
    return set(s.scalars(select(Message.id).where(
        Message.id.in_(ids), or_(Message.status == "streaming",
                                 and_(Message.status != "interrupted",
                                      Message.updated_at >= recent)))))


def _record(row: SpanRow, live: set[int]) -> SpanRecord:
    status = row.status or ("running" if row.turn_id in live else "incomplete")
    return SpanRecord(
        span_id=row.span_id, trace_id=row.trace_id, parent_span_id=row.parent_span_id,
        session_id=row.session_id, turn_id=row.turn_id, agent=row.agent, kind=row.kind,
        name=row.name, started_at=row.started_at, ended_at=row.ended_at, status=status,
        model=row.model, skill=row.skill, input_tokens=row.input_tokens or 0,
        output_tokens=row.output_tokens or 0, cost=row.cost,
        attributes=json.loads(row.attributes or "{}"))


def _groups(row: SpanRow) -> Iterator[tuple[str, str]]:
    if row.kind == "model":
        yield "model", row.model or "?"
    elif row.kind == "tool":
        yield "tool", row.name.removeprefix(f"{spans.EXECUTE_TOOL} ")
    elif row.kind == "turn":
        if row.agent:
            yield "agent", row.agent
        if row.skill:
            yield "skill", row.skill


def _usage(group: str, name: str, rows: list[SpanRow]) -> UsageRow:
    durations = [max(0.0, (row.ended_at or row.started_at) - row.started_at) for row in rows]
    priced = [row.cost for row in rows if row.cost is not None]
    return UsageRow(group=group, name=name, calls=len(rows),
                    errors=sum(row.status == "error" for row in rows),
                    input_tokens=sum(row.input_tokens or 0 for row in rows),
                    output_tokens=sum(row.output_tokens or 0 for row in rows),
                    cost=sum(priced) if priced else None, unpriced=len(rows) - len(priced),
                    seconds=sum(durations), slowest=max(durations, default=0.0))

