"""Work done once for a burst of reasons: the first ask starts a timer, the asks before it fires
are folded in. For reloads that agents ending at once would otherwise do once each."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


class Soon:
    def __init__(self, widget: Widget, delay: float, work: Callable[[], object]):
        self._widget, self._delay, self._work = widget, delay, work
        self._pending = False

    def ask(self) -> None:
        if not self._pending:
            self._pending = True
            self._widget.set_timer(self._delay, self._run)

    def _run(self) -> None:
        self._pending = False
        self._work()
