"""The chat input: multi-line, enter sends, our keys handled in order with typed text."""

from __future__ import annotations

from textual import events as textual_events
from textual.message import Message
from textual.widgets import TextArea

from pai_tui.ui.keymap import bindings_for


class ChatInput(TextArea):
    """Multi-line input: enter sends, ctrl+j starts a new line (so do alt+enter and shift+enter
    where the terminal reports them; tmux and xterm send plain enter for both)."""

    BINDINGS = bindings_for("chat-input")

    class Submitted(Message):
        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, keymap: dict[str, str]) -> None:
        self.keymap = keymap
        super().__init__(id="chat-input", soft_wrap=True, show_line_numbers=False,
                         tab_behavior="focus", compact=True,
                         placeholder="Message pai… (enter sends, ctrl+j new line)")

    async def _on_key(self, event: textual_events.Key) -> None:
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

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            return
        self.clear()
        self.post_message(self.Submitted(text))

    def action_newline(self) -> None:
        self.insert("\n")
