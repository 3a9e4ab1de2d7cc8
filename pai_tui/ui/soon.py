"""Work done once for a burst of reasons: the first ask starts a timer, the asks before it fires
are folded in. For reloads that agents ending at once would otherwise do once each."""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakSet

from textual.app import App
from textual.widget import Widget

# Asked and not yet done, so that "is the screen settled?" can also wait for these.
_PENDING: WeakSet[Soon] = WeakSet()


class Soon:
    def __init__(self, widget: Widget, delay: float, work: Callable[[], object]):
        self._widget, self._delay, self._work = widget, delay, work
        self._pending = False

    def ask(self) -> None:
        if not self._pending:
            self._pending = True
            _PENDING.add(self)
            self._widget.set_timer(self._delay, self._run)

    def _run(self) -> None:
        self._pending = False
        _PENDING.discard(self)
        self._work()


def pending(app: App) -> bool:
    """Whether work asked for on `app`'s mounted widgets is still waiting for its moment."""
    return any(app in soon._widget.ancestors for soon in list(_PENDING))
