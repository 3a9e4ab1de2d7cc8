"""The frame shared by the four panes: a bordered, titled, maximizable container."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget
from textual.worker import Worker

from pai_tui.ui.errors import report_worker_failure


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
