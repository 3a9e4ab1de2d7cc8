"""The bridge from the core's event bus to Textual messages."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.widget import Widget

from pai_tui import events


class BusEvent(Message):
    """A core event, delivered on the UI loop to the widget that listens for it."""

    def __init__(self, event: events.Event):
        super().__init__()
        self.event = event


def listen(widget: Widget, bus: events.Bus, *types: type[events.Event]) -> Callable[[], None]:
    """Forward events of `types` to `widget` as BusEvent messages (safe from any thread).

    Returns a function that stops the forwarding; call it when the widget unmounts.
    """
    stops = [bus.subscribe(t, lambda e: widget.post_message(BusEvent(e))) for t in types]

    def stop() -> None:
        for unsubscribe in stops:
            unsubscribe()

    return stop
