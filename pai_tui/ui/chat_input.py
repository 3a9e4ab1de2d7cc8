"""The chat input: multi-line, enter sends, our keys handled in order with typed text."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from textual import events as textual_events
from textual.message import Message
from textual.widgets import TextArea

from pai_tui.safe_text import pasteable
from pai_tui.ui.keymap import bindings_for


class ChatInput(TextArea):
    """Multi-line input: enter sends, ctrl+j starts a new line (so do alt+enter and shift+enter
    where the terminal reports them; tmux and xterm send plain enter for both)."""

    BINDINGS = bindings_for("chat-input")

    class Submitted(Message):
        def __init__(self, text: str):
            super().__init__()
            self.text = text

    class Page(Message):
        """Scroll the conversation a page up (-1) or down (1), from the input."""

        def __init__(self, direction: int):
            super().__init__()
            self.direction = direction

    def __init__(self, keymap: dict[str, str],
                 completer: Callable[[str], list[str]] | None = None) -> None:
        self.keymap = keymap
        self.completer = completer  # "/su" -> ["/summarize", ...]
        self._typed_at = 0.0
        super().__init__(id="chat-input", soft_wrap=True, show_line_numbers=False,
                         tab_behavior="focus", compact=True,
                         placeholder="Message pai… (enter sends, ctrl+j new line)")

    def since_typed(self) -> float:
        """Seconds since the user last pressed a key here."""
        return time.monotonic() - self._typed_at

    async def _on_key(self, event: textual_events.Key) -> None:
        self._typed_at = time.monotonic()
        # Textual calls this, then TextArea's handler (which types printable keys).
        # Our bindings are handled here, in the input's own queue, so that `enter` or `ctrl+j`
        # pressed right after fast typing (or sent by tmux in one burst) land after that text;
        # a priority binding would run first, ahead of the keys still queued. The user's keymap
        # applies to these as to every binding.
        bindings = self._bindings.copy()
        bindings.apply_keymap(self.keymap)
        for binding in bindings.key_to_bindings.get(event.key, ()):
            event.stop()
            event.prevent_default()
            await self.run_action(binding.action)
            return
        if event.key.startswith("alt+"):
            # A shortcut, not text: terminals attach the bare letter to alt+x, which TextArea's
            # own handler (called after this one unless prevented) would type.
            event.prevent_default()

    def _on_paste(self, event: textual_events.Paste) -> None:
        # Textual calls this, then TextArea's handler (which inserts the text): the escape
        # sequences of text copied from a terminal would be inserted raw and, being drawn
        # zero-width, put the cursor in the wrong place, so later keys landed out of order.
        event.text = pasteable(event.text)
        if not event.text:
            event.prevent_default()

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            return
        self.clear()
        self.post_message(self.Submitted(text))

    def action_page(self, direction: int) -> None:
        self.post_message(self.Page(direction))

    def action_newline(self) -> None:
        self.insert("\n")

    def slash_prefix(self) -> str | None:
        """The `/name` being typed, while the input holds nothing else."""
        return self.text if re.fullmatch(r"/[\w.-]*", self.text) else None

    def completions(self) -> list[str]:
        prefix = self.slash_prefix()
        if prefix is None or self.completer is None:
            return []
        return self.completer(prefix)

    def action_complete(self) -> None:
        """Complete `/na` to the one matching name (or the longest common part of several);
        anything else: tab moves the focus on, as everywhere."""
        matches = self.completions()
        if not matches:
            self.screen.focus_next()
            return
        done = matches[0] + " " if len(matches) == 1 else _common_start(matches)
        if len(done) > len(self.text):
            self.text = done
            self.move_cursor(self.document.end)


def _common_start(words: list[str]) -> str:
    shortest = min(words, key=len)
    for i, char in enumerate(shortest):
        if any(word[i] != char for word in words):
            return shortest[:i]
    return shortest
