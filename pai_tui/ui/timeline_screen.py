"""The timeline of one turn or agent's run (`History.trace`): a header (who, model, status, time,
tokens, cost) over a waterfall, one line per span in tree order (observe/waterfall.py lays it
out), each bar placed and sized by time. Read again every half second, in a worker, while
something in it runs: the store is never read on the UI loop."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from pai_tui import spans
from pai_tui.history.records import SpanRecord
from pai_tui.observe import waterfall
from pai_tui.safe_text import one_line
from pai_tui.ui.errors import report_worker_failure
from pai_tui.ui.keymap import bindings_for

if TYPE_CHECKING:
    from pai_tui.history.service import History

REFRESH_S = 0.5
EMPTY_READS = 10  # an answer just begun has spans a moment later (the recorder writes in batches)
BAR_WIDTH = 32
OPEN_BAR = "░"  # a span not ended: running, or left unfinished by a process that died
KIND_STYLES = {"turn": "bold magenta", "model": "cyan", "tool": "yellow", "skill": "green",
               "permission": "blue", "route": "dim"}
STATUS_STYLES = {"ok": "green", "error": "bold red", "cancelled": "bold yellow",
                 "incomplete": "bold yellow", "running": "bold cyan"}


def root_of(records: Sequence[SpanRecord]) -> SpanRecord:
    return waterfall.rows(records)[0].span


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def _took(span: SpanRecord, end: float) -> str:
    if span.duration is not None:
        return waterfall.seconds(span.duration)
    return f"{waterfall.seconds(end - span.started_at)}…" if span.status == "running" else "?"


def _used(totals: waterfall.Totals) -> str:
    return f"{_plural(totals.model_calls, 'call')} · " \
           f"{totals.input_tokens:,}→{totals.output_tokens:,} tok · {totals.cost_text()}"


def _mark(span: SpanRecord) -> Text:
    return Text(waterfall.MARKS.get(span.status, "?"),
                style=STATUS_STYLES.get(span.status, "bold red"))


def _trouble(span: SpanRecord) -> Text:
    """Unless it ended well: how, and why (outside text, shown literally)."""
    if span.status == "ok":
        return Text()
    why = span.attributes.get(spans.STATUS_DETAIL) or span.attributes.get(spans.ERROR_TYPE)
    return Text(span.status + (f": {one_line(str(why))}" if why else ""),
                style=STATUS_STYLES.get(span.status, "bold red"))


def _detail(span: SpanRecord, records: Sequence[SpanRecord]) -> Text:
    """Trouble first (the column may cut what follows), then tokens, cost, time to the first
    token, exit code; a turn's are its whole run's."""
    if span.kind == "turn":
        said = _used(waterfall.totals(waterfall.subtree(records, span.span_id)))
    else:
        said = "" if span.status == "running" else waterfall.detail(span)
    trouble = _trouble(span)
    return Text.assemble(trouble, "  " if trouble and said else "", (one_line(said), "dim"))


def _line(row: waterfall.Row, records: Sequence[SpanRecord], total: float, start: float,
          end: float) -> tuple[Text, ...]:
    span = row.span
    kind = KIND_STYLES.get(span.kind, "")
    name = Text("  " * row.depth)
    name.append(one_line(waterfall.label(span)), style=kind)
    drawn = waterfall.bar(row, total, BAR_WIDTH, end - start)
    if row.duration is None:
        drawn = drawn.replace(waterfall.BAR, OPEN_BAR)
    bar = Text(drawn, style="red" if span.status == "error" else kind)
    return _mark(span), name, bar, Text(_took(span, end)), _detail(span, records)


def waterfall_table(records: Sequence[SpanRecord], now: float) -> Table:
    """The spans in tree order, indented by depth, each bar offset by when it began."""
    start, end = min(r.started_at for r in records), waterfall.end_of(records, now)
    total = waterfall.span_of_time(records, end)
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False, header_style="dim")
    table.add_column("", width=1, no_wrap=True)
    table.add_column("span", ratio=1, min_width=16, no_wrap=True, overflow="ellipsis")
    table.add_column(f"0 → {waterfall.seconds(total)}", width=BAR_WIDTH, no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    table.add_column("tokens · cost", max_width=60, no_wrap=True, overflow="ellipsis")
    for row in waterfall.rows(records):
        table.add_row(*_line(row, records, total, start, end))
    return table


def header(records: Sequence[SpanRecord], now: float) -> Text:
    """Who answered, with what model, how it ended, how long it took, what it used."""
    root = root_of(records)
    took = now - root.started_at if root.status == "running" else root.duration
    used = waterfall.totals(records)
    ended = _trouble(root) or Text("ok", style=STATUS_STYLES["ok"])
    text = Text.assemble((one_line(root.agent or "chat"), "bold"), " · ",
                         one_line(root.model or "model unknown"), " · ", _mark(root), " ",
                         ended, " · ", waterfall.seconds(took), " · ",
                         f"{used.input_tokens:,} in / {used.output_tokens:,} out · ",
                         used.cost_text())
    counts = [_plural(used.model_calls, "model call"), _plural(used.tool_runs, "tool run"),
              _plural(used.errors, "error")]
    if root.skill:
        counts.append(f"skill {one_line(root.skill)}")
    text.append("\n" + " · ".join(counts) + "\n", style="dim")
    return text


class TimelineScreen(Screen[None]):
    BINDINGS = bindings_for("timeline")

    def __init__(self, history: History, turn_id: int):
        super().__init__(id="timeline")
        self.history, self.turn_id = history, turn_id
        self.records: list[SpanRecord] = []
        self.reads = 0
        self._reading = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="timeline-body") as body:
            body.border_title = f"Timeline of {self.turn_id}"
            body.border_subtitle = Text("esc closes")
            yield Static(Text("Reading the timeline…", style="italic"), id="timeline-header")
            yield Static(id="timeline-waterfall")

    def on_mount(self) -> None:
        self._timer = self.set_interval(REFRESH_S, self._tick, pause=True)
        self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_failure(self.app, event)

    @property
    def live(self) -> bool:
        """Whether to read again: something runs, or nothing is recorded yet (the turn has
        just begun; after a few tries, it has no timeline)."""
        if not self.records:
            return self.reads < EMPTY_READS
        return any(r.status == "running" for r in self.records)

    def _tick(self) -> None:
        if not self._reading:  # a slow read is let finish, not started again
            self.reload()

    @work(group="timeline", exit_on_error=False)
    async def reload(self) -> None:
        self._reading = True
        try:
            self.records = await self.history.trace(self.turn_id)
        finally:
            self._reading = False
        self.reads += 1
        self._draw(time.time())
        if self.live:
            self._timer.resume()
        else:
            self._timer.pause()

    def _draw(self, now: float) -> None:
        said = self.query_one("#timeline-header", Static)
        lines = self.query_one("#timeline-waterfall", Static)
        if not self.records:
            said.update(Text("Nothing on the timeline for this answer " + (
                "yet…" if self.live else "(answers from before the timeline have none)."),
                style="italic"))
            lines.update("")
            return
        root = root_of(self.records)
        whose = f"{one_line(root.agent)}'s run" if root.agent else "answer"
        self.query_one("#timeline-body").border_title = Text(f"Timeline of {whose} "
                                                             f"{self.turn_id}")
        said.update(header(self.records, now))
        lines.update(waterfall_table(self.records, now))

    def action_close(self) -> None:
        self.dismiss()
