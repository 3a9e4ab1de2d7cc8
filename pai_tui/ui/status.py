"""The status bar: provider/model, today's cost, scheduler, voice, history state, help hints."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.literal import printable
from pai_tui.ui.bus import BusEvent, listen


class StatusBar(Static):
    provider: reactive[str] = reactive("offline")
    model: reactive[str] = reactive("")
    cost_today: reactive[float] = reactive(0.0)
    scheduler: reactive[str] = reactive("off")
    voice: reactive[str] = reactive("off")
    history: reactive[str] = reactive("opening…")  # opening… / ready / unavailable
    hints: reactive[str] = reactive("F1 help · ctrl+p palette")

    def __init__(self, cockpit: Cockpit, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit = cockpit

    def on_mount(self) -> None:
        self.provider = self.cockpit.provider.name
        self.model = self.cockpit.provider.model
        self._stop_listening = listen(self, self.cockpit.bus, events.StoreReady,
                                      events.StoreFailed)

    def on_unmount(self) -> None:
        self._stop_listening()

    def on_bus_event(self, message: BusEvent) -> None:
        event = message.event
        if isinstance(event, events.StoreReady):
            self.history = "ready"
            if event.backup:
                self.notify(f"History migrated to schema v{event.schema_version}; "
                            f"backup at {event.backup}", markup=False)
        elif isinstance(event, events.StoreFailed):
            self.history = "unavailable"
            self.notify(f"History unavailable: {event.message}", severity="error",
                        timeout=15, markup=False)

    def render(self) -> Text:
        model = f" {self.model}" if self.model and self.provider != "offline" else ""
        narrow = self.size.width < 100
        parts: list[tuple[str, str]] = [
            (f" ● {printable(self.provider)}{printable(model)} ", "bold"),
            (f" ${self.cost_today:.2f}{'' if narrow else ' today'} ", ""),
            (f" {'sched' if narrow else 'scheduler'} {self.scheduler} ", ""),
            (f" voice {self.voice} ", ""),
            (f" history {self.history} ", ""),
        ]
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (part, style) in enumerate(parts):
            if index:
                text.append("│", "dim")
            text.append(part, style)
        hints = "F1 help" if narrow else self.hints
        padding = self.size.width - text.cell_len - len(hints) - 1
        if padding > 0:
            text.append(" " * padding)
            text.append(hints + " ", "dim")
        return text
