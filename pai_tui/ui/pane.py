"""The frame shared by the four panes: a bordered, titled, maximizable container."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget


class Pane(Vertical):
    ALLOW_MAXIMIZE = True
    TITLE = ""

    def on_mount(self) -> None:
        self.border_title = self.TITLE

    def focus_target(self) -> Widget:
        """The widget that takes the focus when the pane is chosen."""
        for widget in self.query("*"):
            if widget.focusable:
                return widget
        return self
