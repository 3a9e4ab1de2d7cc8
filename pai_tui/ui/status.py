"""The status bar: who answers, today's and this month's cost, scheduler, voice, history, and
whatever the user should act on (offline, a local Ollama to use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.reactive import reactive
from textual.widgets import Static
from textual.worker import Worker

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.llm.providers import ModelChoice
from pai_tui.safe_text import printable
from pai_tui.ui.bus import Bridge, Listening
from pai_tui.ui.errors import report_worker_failure
from pai_tui.ui.soon import Soon

if TYPE_CHECKING:
    from pai_tui.voice.service import VoiceService

COSTS_AFTER_S = 0.15  # the spending is summed once for the answers that end together


def money(usd: float) -> str:
    """Dollars to the cent; a little spent is never shown as nothing."""
    return "<$0.01" if 0 < usd < 0.005 else f"${usd:.2f}"


class StatusBar(Listening, Static):
    choice: reactive[str] = reactive("offline")
    cost_today: reactive[float] = reactive(0.0)
    cost_month: reactive[float] = reactive(0.0)
    # Answers whose price is unknown spent money too: "+" says the sum is a lower bound.
    unpriced_today: reactive[bool] = reactive(False)
    unpriced_month: reactive[bool] = reactive(False)
    agents_running: reactive[int] = reactive(0)
    agents_today: reactive[float] = reactive(0.0)
    scheduler: reactive[str] = reactive("off")
    voice: reactive[str] = reactive("off")
    history: reactive[str] = reactive("opening…")  # opening… / migrating… / ready / read-only /
    # unavailable
    offline: reactive[str] = reactive("")  # why the provider cannot be reached, if it cannot
    hint: reactive[str] = reactive("")  # something to act on, shown instead of the key hints

    def __init__(self, cockpit: Cockpit, bridge: Bridge, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit = cockpit
        self.bridge = bridge

    def on_mount(self) -> None:
        self.show_choice(self.cockpit.providers.default())
        self._stop_listening = self.bridge.listen(self, events.StoreReady, events.StoreFailed,
                                                  events.TurnStarted, events.TurnFinished,
                                                  events.Connectivity, events.ChoiceChanged,
                                                  events.StoreReadOnly, events.StoreMigrating)
        self._running: set[int] = set()  # agents' runs going now
        # One sum of the spending for the answers that end together (eight agents at once).
        self._costs = Soon(self, COSTS_AFTER_S, self.refresh_costs)
        self._voice: VoiceService | None = None
        self._stop_voice: Callable[[], None] = lambda: None

    def on_unmount(self) -> None:
        self._stop_listening()
        self._stop_voice()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_failure(self.app, event)

    def show_choice(self, choice: ModelChoice) -> None:
        self.choice = str(choice)

    def on_store_ready(self, event: events.StoreReady) -> None:
        self.history = "ready"
        if event.backup:
            self.notify(f"History migrated to schema v{event.schema_version}; "
                        f"backup at {event.backup}", markup=False)
        self.refresh_costs()

    def on_store_migrating(self, event: events.StoreMigrating) -> None:
        """Said at each step: a large history's migration takes minutes, and the history
        waits for it."""
        self.history = "migrating…"
        self.notify(f"History: {event.step}…", timeout=30, markup=False)

    def on_store_read_only(self, event: events.StoreReadOnly) -> None:
        """Said once; the mark stays (every write would say it again)."""
        self.history = "read-only"
        self.notify(f"History read-only: {event.message}", severity="warning", timeout=20,
                    markup=False)

    def on_store_failed(self, event: events.StoreFailed) -> None:
        self.history = "unavailable"
        self.notify(f"History unavailable: {event.message}", severity="error", timeout=15,
                    markup=False)

    def on_turn_started(self, event: events.TurnStarted) -> None:
        if event.agent is not None:
            self._running.add(event.message_id)
            self.agents_running = len(self._running)

    def on_turn_finished(self, event: events.TurnFinished) -> None:
        self._running.discard(event.message_id)
        self.agents_running = len(self._running)
        self._costs.ask()

    def follow_voice(self, voice: VoiceService) -> None:
        """Show voice's state from now on: on, off (muted), speaking, unavailable (why)."""
        if self._voice is None:
            self._stop_voice = self.bridge.listen(self, events.SpanStarted, events.SpanEnded)
        self._voice = voice
        self.show_voice()

    def show_voice(self) -> None:
        if self._voice is not None:
            self.voice = self._voice.state()

    def on_span_started(self, event: events.SpanStarted) -> None:
        if event.kind == "speech":
            self.voice = "speaking"

    def on_span_ended(self, event: events.SpanEnded) -> None:
        if self.voice == "speaking":
            self.show_voice()

    def on_connectivity(self, event: events.Connectivity) -> None:
        self.offline = "" if event.online else event.detail
        if not event.online:
            self.notify(f"{event.detail}. ctrl+r retries.", severity="warning", markup=False)

    def on_choice_changed(self, event: events.ChoiceChanged) -> None:
        self.show_choice(ModelChoice(event.provider, event.model))

    @work(group="costs", exclusive=True, exit_on_error=False)
    async def refresh_costs(self) -> None:
        spent = await self.cockpit.history.costs()
        self.cost_today, self.cost_month = spent.today, spent.month
        self.unpriced_today, self.unpriced_month = spent.unpriced_today > 0, \
            spent.unpriced_month > 0
        self.agents_today = spent.agents_today

    def render(self) -> Text:
        narrow = self.size.width < 100
        today = money(self.cost_today) + ("+" if self.unpriced_today else "")
        month = money(self.cost_month) + ("+" if self.unpriced_month else "")
        cost = f" {today}" + ("" if narrow else f" today · {month} month") + " "
        parts: list[tuple[str, str]] = [(f" ● {printable(self.choice)} ", "bold")]
        if self.offline:
            parts.append((" ⚠ offline ", "bold reverse"))
        parts.append((cost, ""))
        if self.agents_running or self.agents_today:
            parts.append((f" agents {self.agents_running} · {money(self.agents_today)} ",
                          "bold" if self.agents_running else ""))
        parts += [
            (f" {'sched' if narrow else 'scheduler'} {self.scheduler} ", ""),
            (f" voice {self.voice} ", ""),
            (f" history {self.history} ", ""),
        ]
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (part, style) in enumerate(parts):
            if index:
                text.append("│", "dim")
            text.append(part, style)
        hints = self.hint or ("F1 help" if narrow else "F1 help · ctrl+p palette")
        padding = self.size.width - text.cell_len - len(hints) - 1
        if padding > 0:
            text.append(" " * padding)
            text.append(hints + " ", "bold" if self.hint else "dim")
        elif self.hint:
            text.append(" " + self.hint, "bold")
        return text
