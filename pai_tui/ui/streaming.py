"""Feeding a streamed answer to its view at the pace the screen can take.

Rendering may take at most a quarter of the time: after a render that took t, the next waits 3t;
while the user types in the chat input, batches come at most four times a second, in the pauses
between keys.
On a fast stream with a long answer the batches grow rather than the screen falling behind the
network (measured by benchmarks/stream_realtime.py). The Chat pane uses it for the answer being
written; the Agents pane will use it for each agent's live transcript.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pai_tui.ui.messages import AnswerView

RENDER_SHARE_WAIT = 3
# While the user types (a key in the last TYPING_S), batches are TYPING_WAIT_S apart at least
# and drawn within AFTER_KEY_S of a key, in the pause before the next one: a key then rarely
# waits behind a batch being drawn (measured by benchmarks/stream_realtime.py).
TYPING_S = 0.5
TYPING_WAIT_S = 0.25
AFTER_KEY_S = 0.05


class AnswerStream:
    def __init__(self, view: AnswerView, written: Callable[[], None] | None = None,
                 since_typed: Callable[[], float] | None = None):
        self.view = view
        self._written = written  # told after each batch is on screen
        self._since_typed = since_typed  # seconds since the user last pressed a key
        self._next = 0.0
        self._last = 0.0  # when the last batch was written
        self._ended = False

    def ended(self) -> None:
        """No more text comes: what waits is drawn at once, whatever the pace."""
        self._ended = True

    def ready(self) -> bool:
        if self._ended:
            return True
        now = time.monotonic()
        if now < self._next:
            return False
        since_key = self._since_typed() if self._since_typed is not None else TYPING_S
        if since_key >= TYPING_S:
            return True
        # Typing: draw in the pause after a key (shown by then), not when the next may come.
        return now - self._last >= TYPING_WAIT_S and since_key <= AFTER_KEY_S

    async def write(self, text: str) -> None:
        started = self._last = time.monotonic()
        self.view.feed(text)
        await self.view.flush()
        self.view.call_after_refresh(self._rendered, started)

    def _rendered(self, started: float) -> None:
        cost = time.monotonic() - started
        self._next = time.monotonic() + RENDER_SHARE_WAIT * cost
        if self._written is not None:
            self._written()
