"""The frame shared by the four panes (a bordered, titled, maximizable container), and what
they share: EmptyState, `ago`."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker

from pai_tui.ui.errors import report_worker_failure


def ago(moment: datetime, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', 'yesterday', or the date (moments are naive UTC)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    seconds = max(0, (now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 2 * 86400:
        return "yesterday"
    return moment.strftime("%Y-%m-%d")


class EmptyState(Static, can_focus=True):
    """A focusable explanation shown where a pane has nothing yet."""


class Pane(Vertical):
    ALLOW_MAXIMIZE = True
    TITLE = ""

    def on_mount(self) -> None:
        self.border_title = self.TITLE

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_failure(self.app, event)

    def focus_target(self) -> Widget:
        """The widget that takes the focus when the pane is chosen."""
        for widget in self.query("*"):
            if widget.focusable:
                return widget
        return self
