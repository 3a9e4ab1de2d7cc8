"""A turn's spans as a waterfall: one row per span in tree order (children under their parent,
in start order), each with its depth and its place in time; and the totals of a tree. Shared by
`pai trace` and the timeline screen, which only draw it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pai_tui import spans
from pai_tui.history.records import SpanRecord

BAR = "█"
MARKS = {"ok": "✓", "error": "✗", "cancelled": "■", "running": "…", "incomplete": "!"}


@dataclass(frozen=True)
class Row:
    span: SpanRecord
    depth: int
    offset: float  # seconds after the first span began
    duration: float | None  # None: not ended (running, or left unfinished)


@dataclass(frozen=True)
class Totals:
    """What a tree of spans used: its model calls' tokens and cost, its tool runs, its errors."""

    model_calls: int = 0
    tool_runs: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    unpriced: int = 0  # model calls whose cost is unknown (not in `cost`)

    def cost_text(self) -> str:
        if self.model_calls and self.unpriced == self.model_calls:
            return "cost unknown"
        known = f"${self.cost:.4f}"
        return known + (f" (+{self.unpriced} unpriced)" if self.unpriced else "")


def rows(records: Sequence[SpanRecord]) -> list[Row]:
    """The spans in tree order. A span whose parent is not among them is a root."""
    if not records:
        return []
    ids = {r.span_id for r in records}
    children: dict[str | None, list[SpanRecord]] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        parent = record.parent_span_id if record.parent_span_id in ids else None
        children.setdefault(parent, []).append(record)
    start = min(r.started_at for r in records)
    out: list[Row] = []
    stack = [(r, 0) for r in reversed(children.get(None, []))]
    while stack:
        record, depth = stack.pop()
        out.append(Row(record, depth, record.started_at - start, record.duration))
        stack.extend((child, depth + 1) for child in reversed(children.get(record.span_id, [])))
    return out


def end_of(records: Sequence[SpanRecord], now: float) -> float:
    """Where the waterfall ends: now while something runs, else the last moment known (a span
    its process left unfinished runs to there, not on forever)."""
    if any(r.status == "running" for r in records):
        return now
    return max(r.ended_at if r.ended_at is not None else r.started_at for r in records)


def span_of_time(records: Sequence[SpanRecord], now: float) -> float:
    """Seconds from the first start to the waterfall's end (`end_of`)."""
    if not records:
        return 0.0
    start = min(r.started_at for r in records)
    return max(end_of(records, now) - start, 1e-6)


def bar(row: Row, total: float, width: int, now_offset: float) -> str:
    """The row's bar in a column `width` wide, placed by time (an open span runs to now)."""
    duration = row.duration if row.duration is not None else max(0.0, now_offset - row.offset)
    begin = min(width - 1, int(row.offset / total * width))
    length = max(1, round(duration / total * width))
    return (" " * begin + BAR * min(length, width - begin)).ljust(width)


def totals(records: Sequence[SpanRecord]) -> Totals:
    """What a tree used. A model call still under way is left out: its cost is not unknown,
    only not told yet."""
    models = [r for r in records if r.kind == "model" and r.status != "running"]
    priced = [r.cost for r in models if r.cost is not None]
    return Totals(model_calls=len(models),
                  tool_runs=sum(r.kind == "tool" for r in records),
                  errors=sum(r.status == "error" for r in records if r.kind != "turn"),
                  input_tokens=sum(r.input_tokens for r in models),
                  output_tokens=sum(r.output_tokens for r in models),
                  cost=sum(priced), unpriced=len(models) - len(priced))


def subtree(records: Sequence[SpanRecord], root: str) -> list[SpanRecord]:
    """`root` and the spans under it."""
    wanted, found = {root}, True
    while found:
        found = False
        for r in records:
            if r.parent_span_id in wanted and r.span_id not in wanted:
                wanted.add(r.span_id)
                found = True
    return [r for r in records if r.span_id in wanted]


def label(span: SpanRecord) -> str:
    """What a row says of its span: for a tool its arguments, for a question its answer."""
    attributes = span.attributes
    if span.kind == "tool":
        return f"{span.name.removeprefix(spans.EXECUTE_TOOL + ' ')} " \
               f"{attributes.get(spans.TOOL_ARGUMENTS, '')}".rstrip()
    if span.kind == "permission":
        answer = attributes.get(spans.PERMISSION_ANSWER, "no answer")
        return f"{span.name} → {answer}"
    if span.kind == "route":
        return f"route → {attributes.get(spans.SKILL) or 'chat'} " \
               f"({attributes.get(spans.ROUTE_HOW, '?')})"
    if span.kind == "speech":
        return f"{span.name} ({attributes.get(spans.SPEECH_KIND, '?')}, " \
               f"{attributes.get(spans.SPEECH_VOICE, '?')})"
    return span.name


def detail(span: SpanRecord) -> str:
    """Tokens, cost, time to first token, exit code: what applies to the span."""
    attributes = span.attributes
    parts = []
    if span.kind in ("model", "turn") and (span.input_tokens or span.output_tokens):
        parts.append(f"{span.input_tokens:,}→{span.output_tokens:,} tok")
    if span.kind == "model":
        parts.append("cost unknown" if span.cost is None else f"${span.cost:.4f}")
        ttft = attributes.get(spans.TIME_TO_FIRST_TOKEN)
        if ttft is not None:
            parts.append(f"ttft {float(ttft) * 1000:.0f} ms")
    if spans.SPEECH_SECONDS in attributes:
        parts.append(f"{float(attributes[spans.SPEECH_SECONDS]):.1f} s of audio")
    if spans.EXIT_CODE in attributes:
        parts.append(f"exit {attributes[spans.EXIT_CODE]}")
    return " · ".join(parts)


def seconds(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
