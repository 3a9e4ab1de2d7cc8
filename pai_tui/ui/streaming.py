"""Feeding a streamed answer to its view at the pace the screen can take.

Rendering may take at most a quarter of the time: after a render that took t, the next waits 3t.
On a fast stream with a long answer the batches grow rather than the screen falling behind the
network (measured by benchmarks/stream_realtime.py). The Chat pane uses it for the answer being
written; the Agents pane will use it for each agent's live transcript.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pai_tui.ui.messages import AnswerView

RENDER_SHARE_WAIT = 3


class AnswerStream:
    def __init__(self, view: AnswerView, written: Callable[[], None] | None = None):
        self.view = view
        self._written = written  # told after each batch is on screen
        self._next = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self._next

    async def write(self, text: str) -> None:
        started = time.monotonic()
        self.view.feed(text)
        await self.view.flush()
        self.view.call_after_refresh(self._rendered, started)

    def _rendered(self, started: float) -> None:
        cost = time.monotonic() - started
        self._next = time.monotonic() + RENDER_SHARE_WAIT * cost
        if self._written is not None:
            self._written()
