"""The usage summary: what the timeline counted today, this week or this month (local calendar),
by model, by agent and by skill (calls, tokens, cost, errors), and the slowest tools. Read in a
worker (`History.usage_summary`), again when the period changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static, Tab, Tabs
from textual.worker import Worker

from pai_tui.history.records import UsageRow
from pai_tui.history.service import Period, period_start
from pai_tui.observe.waterfall import Totals, seconds
from pai_tui.safe_text import one_line
from pai_tui.ui.errors import report_worker_failure
from pai_tui.ui.keymap import bindings_for

if TYPE_CHECKING:
    from pai_tui.history.service import History

PERIODS: dict[Period, str] = {"today": "Today", "week": "This week", "month": "This month"}
SLOWEST = 10  # tools listed
# (group, table title, what one call of it is)
GROUPS = (("model", "By model", "calls"), ("agent", "By agent", "runs"),
          ("skill", "By skill", "answers"))


def cost_text(row: UsageRow) -> str:
    """Said as the timeline says it: unknown costs are never $0."""
    return Totals(model_calls=row.calls, cost=row.cost or 0.0, unpriced=row.unpriced).cost_text()


def _table(title: str, *columns: tuple[str, int]) -> Table:
    """A table whose number columns have fixed widths: the tables line up, one under another."""
    table = Table(title=title, title_justify="left", title_style="bold", expand=True,
                  box=None, pad_edge=False, show_edge=False, header_style="dim")
    table.add_column(columns[0][0], ratio=1, no_wrap=True, overflow="ellipsis")
    for column, width in columns[1:]:
        table.add_column(column, justify="right", no_wrap=True, width=width)
    return table


def _errors(count: int) -> Text:
    return Text(str(count), style="bold red" if count else "")


def usage_table(title: str, calls: str, rows: Sequence[UsageRow]) -> RenderableType:
    """Calls, tokens, cost and errors per name, the costliest first."""
    table = _table(title, ("name", 0), (calls, 8), ("tokens in", 10), ("tokens out", 10),
                   ("cost", 22), ("errors", 6))
    for row in sorted(rows, key=lambda r: (-(r.cost or 0.0), -r.calls, r.name)):
        table.add_row(Text(one_line(row.name)), f"{row.calls:,}", f"{row.input_tokens:,}",
                      f"{row.output_tokens:,}", cost_text(row), _errors(row.errors))
    return table if rows else Group(Text(title, style="bold"), Text("none", style="dim"))


def tools_table(rows: Sequence[UsageRow]) -> RenderableType:
    """The tools whose slowest run was slowest, with their runs' total time."""
    title = "Slowest tools"
    table = _table(title, ("tool", 0), ("runs", 8), ("total", 10), ("slowest", 10),
                   ("errors", 6))
    for row in sorted(rows, key=lambda r: (-r.slowest, r.name))[:SLOWEST]:
        table.add_row(Text(one_line(row.name)), f"{row.calls:,}", seconds(row.seconds),
                      seconds(row.slowest), _errors(row.errors))
    return table if rows else Group(Text(title, style="bold"), Text("none", style="dim"))


def overview(rows: Sequence[UsageRow], period: Period, since: float) -> Text:
    """The period, when it began, and its model calls' sum."""
    day = datetime.fromtimestamp(since)
    text = Text(f"{PERIODS[period]}, since {day:%a} {day.day} {day:%b %Y}", style="bold")
    models = [r for r in rows if r.group == "model"]
    calls = sum(r.calls for r in models)
    used = Totals(model_calls=calls, cost=sum(r.cost or 0.0 for r in models),
                  unpriced=sum(r.unpriced for r in models),
                  input_tokens=sum(r.input_tokens for r in models),
                  output_tokens=sum(r.output_tokens for r in models))
    text.append(f" · {calls:,} model call{'s' if calls != 1 else ''} · "
                f"{used.input_tokens:,} in / {used.output_tokens:,} out · {used.cost_text()}",
                style="")
    return text


def summary(rows: Sequence[UsageRow], period: Period, since: float) -> RenderableType:
    parts: list[RenderableType] = [overview(rows, period, since)]
    for group, title, calls in GROUPS:
        parts += [Text(), usage_table(title, calls, [r for r in rows if r.group == group])]
    parts += [Text(), tools_table([r for r in rows if r.group == "tool"])]
    return Group(*parts)


class SummaryScreen(Screen[None]):
    BINDINGS = bindings_for("summary")

    def __init__(self, history: History, now: Callable[[], datetime] = datetime.now):
        super().__init__(id="summary")
        self.history, self.now = history, now
        self.period: Period = "today"
        self.loaded: Period | None = None  # the period on screen

    def compose(self) -> ComposeResult:
        yield Tabs(*(Tab(label, id=key) for key, label in PERIODS.items()), id="summary-tabs")
        with VerticalScroll(id="summary-body") as body:
            body.border_title = "Usage"
            body.border_subtitle = Text("p or ←/→ switches the period · esc closes")
            yield Static(Text("Reading the timeline…", style="italic"), id="summary-tables")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_failure(self.app, event)

    @on(Tabs.TabActivated, "#summary-tabs")
    def _switched(self, message: Tabs.TabActivated) -> None:
        if message.tab.id in PERIODS:
            self.period = message.tab.id  # type: ignore[assignment]
            self.load()

    def action_next_period(self) -> None:
        keys = list(PERIODS)
        self.query_one(Tabs).active = keys[(keys.index(self.period) + 1) % len(keys)]

    @work(group="summary", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        period = self.period
        since = period_start(period, self.now())
        rows = await self.history.usage_summary(since)
        self.query_one("#summary-tables", Static).update(summary(rows, period, since))
        self.loaded = period

    def action_close(self) -> None:
        self.dismiss()
