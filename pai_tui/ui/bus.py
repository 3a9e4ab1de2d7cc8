"""The one road from the core's event bus to the widgets.

Events are published in whatever thread runs the turn (the UI loop today; agents and the speech
thread later), so nothing here touches a widget from the publisher's thread:
- text deltas (the hot path: tens of thousands per answer) are appended to a per-turn deque
  (appending and popping a deque are atomic: no lock on the hot path), and one timer on the UI
  loop hands each turn's waiting text to the AnswerStream showing that turn, at the pace it can
  render: no Textual message per delta;
- every other event is posted to the widgets listening for its type (`post_message` is
  thread-safe) and dispatched there to `on_<event_name>` (`TurnStarted` → `on_turn_started`).
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections import deque
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from textual.app import App
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

from pai_tui import events

if TYPE_CHECKING:
    from pai_tui.ui.streaming import AnswerStream

FLUSH_S = 0.05  # streamed text reaches the screen in batches this far apart (at least)


class BusEvent(Message):
    """A core event, delivered on the UI loop to the widget that listens for it."""

    def __init__(self, event: events.Event):
        super().__init__()
        self.event = event


@cache
def handler_name(event_type: type[events.Event]) -> str:
    """`TurnStarted` → `on_turn_started`, the way Textual names message handlers."""
    return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", event_type.__name__).lower()


class Listening:
    """For widgets that listen to the bus: a BusEvent goes to its `on_<event_name>` method."""

    async def on_bus_event(self, message: BusEvent) -> None:
        handler = getattr(self, handler_name(type(message.event)), None)
        if handler is not None:
            result = handler(message.event)
            if inspect.isawaitable(result):
                await result


class Bridge:
    def __init__(self, app: App[object], bus: events.Bus):
        self.app = app
        self.bus = bus
        self._waiting: dict[int | None, deque[str]] = {}  # text not yet on screen, by turn
        self._streams: dict[int, AnswerStream] = {}  # UI loop only
        self._timer: Timer | None = None
        self._flushing = asyncio.Lock()  # the timer and an ended text take turns
        self._stops = [bus.subscribe(events.TextDelta, self._collect),
                       bus.subscribe(events.TextEnded, self._ended),
                       bus.subscribe(events.TurnFinished, self._forget)]

    def listen(self, widget: Widget, *types: type[events.Event]) -> Callable[[], None]:
        """Forward events of `types` to `widget` (safe from any thread). Returns a function
        that stops the forwarding; call it when the widget unmounts."""
        stops = [self.bus.subscribe(t, lambda e: widget.post_message(BusEvent(e)))
                 for t in types]

        def stop() -> None:
            for unsubscribe in stops:
                unsubscribe()

        return stop

    def stream(self, turn_id: int, stream: AnswerStream) -> None:
        """Show the text of `turn_id` through `stream` from now on (UI loop)."""
        self._streams[turn_id] = stream
        if self._timer is None:
            self._timer = self.app.set_interval(FLUSH_S, self._flush)
        self._timer.resume()

    def take(self, turn_id: int) -> str:
        """The text of `turn_id` not yet on screen (all of it for a turn never shown), taken
        (UI loop): whoever takes it shows it."""
        waiting = self._waiting.pop(turn_id, None)
        return "".join(waiting) if waiting else ""

    def unstream(self, turn_id: int) -> None:
        self._streams.pop(turn_id, None)
        self._waiting.pop(turn_id, None)
        if not self._streams and self._timer is not None:
            self._timer.pause()

    def close(self) -> None:
        for stop in self._stops:
            stop()

    def _collect(self, event: events.TextDelta) -> None:  # any thread; one publisher per turn
        waiting = self._waiting.get(event.turn_id)
        if waiting is None:
            waiting = self._waiting[event.turn_id] = deque()
        waiting.append(event.text)

    def _ended(self, event: events.TextEnded) -> None:  # any thread
        # The rest of the text is drawn now, while the turn saves the answer, not after.
        self.app.call_later(self._flush_ended, event.turn_id)

    async def _flush_ended(self, turn_id: int | None) -> None:
        stream = self._streams.get(turn_id) if turn_id is not None else None
        if stream is not None:
            stream.ended()
            await self._flush()

    def _forget(self, event: events.TurnFinished) -> None:  # any thread
        # The end shows the whole final text; whatever waits now is not needed.
        self._waiting.pop(event.turn_id, None)

    async def _flush(self) -> None:
        async with self._flushing:
            await self._flush_streams()

    async def _flush_streams(self) -> None:
        for turn_id, stream in list(self._streams.items()):
            if not stream.view.is_attached:  # its view left the screen (a new session, quit)
                self.unstream(turn_id)
                continue
            if not stream.ready():
                continue
            waiting = self._waiting.get(turn_id)
            if waiting:
                pieces = [waiting.popleft() for _ in range(len(waiting))]
                try:
                    await stream.write("".join(pieces))
                except NoMatches:  # the view is being taken down while it streams
                    self.unstream(turn_id)
