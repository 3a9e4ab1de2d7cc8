"""Run by benchmarks/startup.py inside a pseudo-terminal: start an app, and at its first painted
frame (Textual's Ready event) write the wall-clock time and the focused widget's id, then exit.

    python _ready_probe.py OUTFILE pai|bare
"""

from __future__ import annotations

import sys
import time

from textual.app import App
from textual.widgets import Static

OUTFILE, MODE = sys.argv[1], sys.argv[2]

def _record_ready(self: App, _event: object) -> None:
    focused = self.focused.id if self.focused is not None else "-"
    with open(OUTFILE, "w") as out:
        out.write(f"{time.time()} {focused}\n")
    self.exit()


App._on_ready = _record_ready  # type: ignore[attr-defined]


class Bare(App[None]):
    """The baseline: a bare Textual app that paints one Static."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("hello")


if __name__ == "__main__":
    if MODE == "bare":
        Bare().run()
    else:
        from pai_tui.cli import main

        sys.argv = ["pai"]
        main()
