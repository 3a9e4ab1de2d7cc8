"""The Agents pane: one row per agent run, live (who, the task, state, time, steps, tokens,
cost), newest first; finished runs from the history stay listed. Runs belong to the cockpit's
supervisor, not to this pane: closing or hiding it stops nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.text import Text
from textual import on, work
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pai_tui import events
from pai_tui.agents.status import run_status, status_of
from pai_tui.cockpit import Cockpit
from pai_tui.history.records import MessageRecord
from pai_tui.safe_text import printable
from pai_tui.ui.bus import Bridge, Listening
from pai_tui.ui.keymap import bindings_for
from pai_tui.ui.pane import EmptyState, Pane
from pai_tui.ui.panes import OpenSession
from pai_tui.ui.soon import Soon

MARKS = {"complete": "✓", "failed": "✗", "cancelled": "■", "over budget": "$",
         "interrupted": "✗"}
SPINNER = "◐◓◑◒"
TICK_S = 0.5  # the spinner and elapsed times move this often while a run goes
# Events of many runs at once (eight ending together) are drawn together, once, this soon.
DRAW_AFTER_S = 0.03
SHOWN = 50  # runs listed (the newest)
EMPTY = ("No agents running.\nalt+g starts one (architect, engineer, researcher, red-teamer…); "
         "they run here in parallel.")


@dataclass
class RunRow:
    run_id: int
    agent: str
    session_id: int
    task: str = ""
    status: str = "running"
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    steps: int = 0
    step: str = ""  # the tool running now
    tokens: tuple[int, int] = (0, 0)
    cost: float | None = None
    took: float | None = None  # seconds, for a run of an earlier start (from the history)
    who: str = ""  # the persona's name
    parent: int | None = None  # the run (or chat answer) that started it
    calls: int = 0  # model requests so far
    asking: bool = False  # a permission question of its waits for the user
    speaking: bool = False  # its voice is saying something now (♪)

    def text(self, now: float, depth: int = 0) -> Text:
        """The row: what matters first (a narrow pane cuts the end): who, the state, time,
        turns, tokens and cost so far, the step, then the task. A child run is indented."""
        running = self.status == "running"
        mark = "?" if running and self.asking else \
            SPINNER[int(now / TICK_S) % len(SPINNER)] if running else MARKS.get(self.status, "?")
        row = Text("  " * depth + ("└ " if depth else ""))
        row.append(f"{mark} ", style="bold reverse" if mark == "?" and running else "bold")
        persona = self.who and self.who != self.agent
        row.append(printable(self.who if persona else self.agent), style="bold")
        if self.speaking:
            row.append(" ♪", style="bold")
        row.append(self._state(running, now), style="dim")
        if persona:  # the agent's own name after the figures: a narrow pane keeps those
            row.append(f"  {printable(self.agent)}:")
        first_line = self.task.strip().split("\n", 1)[0]
        row.append(f"  {printable(first_line)}", style="italic")
        return row

    def _state(self, running: bool, now: float) -> str:
        seconds = self.took if self.took is not None else (self.ended or now) - self.started
        state = f"  {'asking' if running and self.asking else self.status} {seconds:.0f}s"
        if self.tokens != (0, 0) or not running:
            state += " · " + ("cost unknown" if self.cost is None else f"${self.cost:.4f}")
        if self.calls:
            state += f" · {self.calls} turn{'s' if self.calls != 1 else ''}"
        if self.tokens != (0, 0) or not running:
            state += f" · {self.tokens[1]:,} out"
        if self.steps:
            state += f" · {self.steps} step{'s' if self.steps != 1 else ''}"
        if running and self.step:
            state += f" · {printable(self.step)}"
        return state


def tree_order(rows: list[RunRow]) -> list[tuple[RunRow, int]]:
    """Runs newest first, each run's children (newest first) right under it, with their depth."""
    by_id = {row.run_id: row for row in rows}
    children: dict[int | None, list[RunRow]] = {}
    for row in sorted(rows, key=lambda r: -r.run_id):
        parent = row.parent if row.parent in by_id else None
        children.setdefault(parent, []).append(row)
    ordered: list[tuple[RunRow, int]] = []
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    while stack:
        row, depth = stack.pop()
        ordered.append((row, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(row.run_id, [])))
    return ordered


class AgentsPane(Listening, Pane):
    TITLE = "Agents"
    BINDINGS = bindings_for("agents")

    def __init__(self, cockpit: Cockpit, bridge: Bridge, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit, self.bridge = cockpit, bridge
        self.rows: dict[int, RunRow] = {}
        self.clock: Callable[[], float] = time.monotonic  # a test's own, for fixed times
        self._draws = Soon(self, DRAW_AFTER_S, self._draw)

    def compose(self):  # type: ignore[override]
        yield OptionList(id="agents-list")
        yield EmptyState(Text(EMPTY, style="dim"), id="agents-state")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#agents-list").display = False
        self._stop_listening = self.bridge.listen(
            self, events.StoreReady, events.TurnStarted, events.TurnFinished,
            events.StepStarted, events.StepFinished, events.UsageCounted)
        self._ticker = self.set_interval(TICK_S, self._tick, pause=True)

    def on_unmount(self) -> None:
        self._stop_listening()
        if self._stop_speech is not None:
            self._stop_speech()

    _stop_speech: Callable[[], None] | None = None
    _speech: dict[str, int]  # speech span id -> the run speaking

    def follow_speech(self) -> None:
        """Mark the run whose voice speaks (once voice is on: spans are not watched before)."""
        if self._stop_speech is None:
            self._speech = {}
            self._stop_speech = self.bridge.listen(self, events.SpanStarted, events.SpanEnded)

    def on_span_started(self, event: events.SpanStarted) -> None:
        row = self.rows.get(event.turn_id) if event.turn_id is not None else None
        if event.kind == "speech" and row is not None:
            self._speech[event.span_id] = row.run_id
            row.speaking = True
            self._show()

    def on_span_ended(self, event: events.SpanEnded) -> None:
        run_id = self._speech.pop(event.span_id, None)
        row = self.rows.get(run_id) if run_id is not None else None
        if row is not None:
            row.speaking = run_id in self._speech.values()
            self._show()

    async def on_store_ready(self, event: events.StoreReady) -> None:
        history = self.cockpit.history
        titles = {s.id: s.title for s in await history.sessions()}  # a run's title is its task
        catalog = await self.cockpit.agents.catalog()
        for record in reversed(await history.runs()):
            agent = catalog.get(record.agent or "")
            row = _row_of(record, titles.get(record.session_id, ""))
            row.who = agent.persona.name if agent is not None and agent.persona else ""
            self.rows.setdefault(record.id, row)
        self._show()

    def on_turn_started(self, event: events.TurnStarted) -> None:
        if event.agent is None:
            return
        found = self.cockpit.agents.active.get(event.message_id)
        row = RunRow(event.message_id, event.agent, event.session_id, started=self.clock())
        if found is not None:
            request, turn = found
            persona = request.agent.persona
            row.task, row.parent = request.task, turn.ctx.parent_id
            row.who = persona.name if persona else ""
        self.rows[event.message_id] = row
        self._show()

    def on_usage_counted(self, event: events.UsageCounted) -> None:
        row = self.rows.get(event.message_id)
        if row is not None and row.status == "running":
            row.calls, row.cost = event.calls, event.cost
            row.tokens = (event.input_tokens, event.output_tokens)
            self._show()

    def on_step_started(self, event: events.StepStarted) -> None:
        row = self.rows.get(event.parent_id)
        if event.agent is not None and row is not None:
            row.steps += 1
            row.step = f"{event.name} {event.detail}".strip()
            self._show()

    def on_step_finished(self, event: events.StepFinished) -> None:
        row = self.rows.get(event.parent_id)
        if event.agent is not None and row is not None:
            row.step = ""

    def on_turn_finished(self, event: events.TurnFinished) -> None:
        row = self.rows.get(event.message_id)
        if event.agent is None or row is None:
            return
        row.status = status_of(event.status, event.error)
        row.ended, row.step = self.clock(), ""
        row.tokens, row.cost = (event.input_tokens, event.output_tokens), event.cost
        self._show()

    @on(OptionList.OptionSelected, "#agents-list")
    def _selected(self, message: OptionList.OptionSelected) -> None:
        """Enter on a run: its transcript in the Chat pane (task, tool runs, answer)."""
        row = self.rows.get(int(message.option.id or 0))
        if row is not None:
            self.post_message(OpenSession(row.session_id, f"{row.agent}: {row.task}"))

    def action_stop_run(self) -> None:
        listing = self.query_one("#agents-list", OptionList)
        option = listing.highlighted_option
        if option is None or not self.cockpit.agents.stop(int(option.id or 0)):
            self.notify("No running agent under the cursor.", severity="warning")

    def _highlighted(self) -> RunRow | None:
        option = self.query_one("#agents-list", OptionList).highlighted_option
        return self.rows.get(int(option.id or 0)) if option is not None else None

    @work(group="agents-rerun", exit_on_error=False)
    async def action_run_again(self) -> None:
        """The run under the cursor, again: the same agent on the same task (its first
        message, read from the history: the row shows only its first line)."""
        row = self._highlighted()
        if row is None:
            self.notify("No run under the cursor.", severity="warning")
            return
        task = await self._message_of(row, "user")
        if task is None:
            self.notify("That run's task is no longer in the history.", severity="warning")
            return
        await self.app.start_agent(row.agent, task)  # type: ignore[attr-defined]

    @work(group="agents-copy", exit_on_error=False)
    async def action_copy_result(self) -> None:
        """The final message of the run under the cursor, into the chat input."""
        row = self._highlighted()
        result = await self._message_of(row, "assistant") if row is not None else None
        if not result:
            self.notify("No result to copy yet.", severity="warning")
            return
        from pai_tui.ui.chat_input import ChatInput

        chat_input = self.app.query_one(ChatInput)
        chat_input.insert(result)
        chat_input.focus()

    async def _message_of(self, row: RunRow, role: str) -> str | None:
        messages = await self.cockpit.history.messages(row.session_id)
        if role == "assistant":
            return next((m.content for m in messages if m.id == row.run_id), None)
        return next((m.content for m in messages if m.role == role and m.id < row.run_id),
                    None)

    def action_open_timeline(self) -> None:
        from pai_tui.ui.timeline_screen import TimelineScreen

        row = self._highlighted()
        if row is None:
            self.notify("No run under the cursor.", severity="warning")
            return
        self.app.push_screen(TimelineScreen(self.cockpit.history, row.run_id))

    def _tick(self) -> None:
        self._show()

    def _show(self) -> None:
        """Draw the rows soon: what else happens meanwhile is drawn with them."""
        self._draws.ask()

    def _draw(self) -> None:
        """Put the rows on screen, newest first, keeping the highlighted run."""
        listing = self.query_one("#agents-list", OptionList)
        state = self.query_one("#agents-state", EmptyState)
        rows = sorted(self.rows.values(), key=lambda r: -r.run_id)[:SHOWN]
        running = any(r.status == "running" for r in rows)
        asking = self.cockpit.approvals.asking
        for row in rows:
            row.asking = asking.get(row.run_id, 0) > 0
        if running:
            self._ticker.resume()
        else:
            self._ticker.pause()
        waiting = self.cockpit.approvals.waiting if running else 0
        self.border_subtitle = " · ".join(filter(None, [
            f"{sum(r.status == 'running' for r in rows)} running" if running else "",
            f"{waiting} asking" if waiting else ""]))
        if not rows:
            return
        keep = listing.highlighted_option.id if listing.highlighted_option else None
        ordered = tree_order(rows)
        now = self.clock()
        listing.set_options(Option(row.text(now, depth), id=str(row.run_id))
                            for row, depth in ordered)
        ids = [str(row.run_id) for row, _ in ordered]
        listing.highlighted = ids.index(keep) if keep in ids else 0
        had_focus = state.has_focus
        state.display, listing.display = False, True
        if had_focus:
            listing.focus()


def _row_of(record: MessageRecord, task: str) -> RunRow:
    row = RunRow(record.id, record.agent or "?", record.session_id, task,
                 status=run_status(record), parent=record.parent_id)
    row.tokens, row.cost = (record.input_tokens, record.output_tokens), record.cost
    row.took = (record.updated_at - record.created_at).total_seconds()
    return row

