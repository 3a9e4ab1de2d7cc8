"""The terminal's own title (OSC 2), which a user looking at another window or tmux pane still
sees: it says when agents wait for an answer. Textual never sets it."""

from __future__ import annotations

from textual.app import App

from pai_tui.safe_text import one_line

QUIET = "pai"
# xterm's title stack: the title before pai's comes back where the terminal keeps one.
_PUSH, _POP = "\x1b[22;2t", "\x1b[23;2t"


def waiting_title(waiting: int, agent: str | None, tool: str) -> str:
    """"pai · 2 waiting · designer asks to run agents/write": names from outside kept on one line
    with no control character (one could end the title and write to the screen)."""
    who = f"{agent} asks" if agent else "asks"
    return one_line(f"{QUIET} · {waiting} waiting · {who} to run {tool}")[:120]


class TerminalTitle:
    """What pai last put in the title, and putting it back to the user's when done."""

    def __init__(self, app: App[object]):
        self._app = app
        self.shown: str | None = None  # None: the user's own title is there

    def show(self, title: str) -> None:
        if self.shown is None:
            self._write(_PUSH)
        self.shown = title
        self._write(f"\x1b]2;{title}\x07")

    def restore(self) -> None:
        """The user's title back (or "pai" where the terminal keeps no stack of titles)."""
        if self.shown is not None:
            self.shown = None
            self._write(f"\x1b]2;{QUIET}\x07{_POP}")

    def _write(self, sequence: str) -> None:
        driver = self._app._driver
        if driver is not None and not self._app.is_headless:
            driver.write(sequence)
            driver.flush()
