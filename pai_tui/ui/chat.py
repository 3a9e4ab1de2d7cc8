"""The Chat pane: the message list and the multi-line input."""

from __future__ import annotations

from rich.text import Text
from textual import events as textual_events
from textual import on, work
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static, TextArea

from pai_tui import events
from pai_tui.cockpit import Cockpit, NotSaved, session_title
from pai_tui.history.records import MessageRecord
from pai_tui.literal import printable
from pai_tui.paths import bundled
from pai_tui.ui.bus import BusEvent, listen
from pai_tui.ui.keymap import bindings_for
from pai_tui.ui.pane import Pane

STATUS_LABELS = {
    "streaming": "…",
    "cancelled": "cancelled",
    "incomplete": "incomplete",
    "error": "error",
    "interrupted": "interrupted",
}


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


class MessageView(Static):
    """One message, shown literally (no markup, no escape sequences)."""

    def __init__(self, role: str, content: str = "", status: str = "complete",
                 label: str | None = None, message_id: int | None = None):
        super().__init__(classes=f"message -{role}")
        self.role, self.body, self.status = role, content, status
        self.label = label or ("you" if role == "user" else role)
        self.message_id = message_id

    @classmethod
    def from_record(cls, record: MessageRecord) -> MessageView:
        label = "you" if record.role == "user" else (record.provider or record.role)
        return cls(record.role, record.content, record.status, label, record.id)

    def on_mount(self) -> None:
        self._refresh_text()

    def append(self, text: str) -> None:
        self.body += text
        self._refresh_text()

    def finish(self, status: str, content: str) -> None:
        self.status, self.body = status, content
        self._refresh_text()

    def _refresh_text(self) -> None:
        self.set_class(self.status != "complete", "-unfinished")
        header = Text(printable(self.label), style="bold")
        if self.status in STATUS_LABELS:
            header.append(f"  [{STATUS_LABELS[self.status]}]", style="italic")
        self.update(Text("\n").join([header, Text(printable(self.body))]))


class EmptyChat(Static):
    def on_mount(self) -> None:
        try:
            logo = (bundled("assets") / "logo.txt").read_text(encoding="utf-8").rstrip("\n")
        except OSError:
            logo = "pai"
        hints = ("Type a message and press enter; ctrl+j starts a new line.\n"
                 "F1 lists every key; ctrl+p runs any action.")
        self.update(Text.assemble((logo + "\n\n", "bold"), (hints, "dim")))


class MessageList(VerticalScroll, can_focus=True):
    pass


class ChatPane(Pane):
    TITLE = "Chat"

    def __init__(self, cockpit: Cockpit, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit = cockpit
        self.session_id: int | None = None
        self.busy = False
        self._answer: MessageView | None = None

    def compose(self):  # type: ignore[override]
        with MessageList(id="messages"):
            yield EmptyChat(id="empty-chat")
        yield ChatInput(self.cockpit.config.keymap)

    def on_mount(self) -> None:
        super().on_mount()
        self._stop_listening = listen(self, self.cockpit.bus, events.TurnStarted,
                                      events.TextDelta, events.TurnFinished)

    def on_unmount(self) -> None:
        self._stop_listening()

    def focus_target(self) -> ChatInput:
        return self.query_one(ChatInput)

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    async def _show(self, view: MessageView) -> None:
        await self.query("#empty-chat").remove()
        await self.messages.mount(view)
        self.messages.scroll_end(animate=False)

    @on(ChatInput.Submitted)
    async def _submitted(self, message: ChatInput.Submitted) -> None:
        if self.busy:
            self.notify("Wait for the answer before sending again.", severity="warning")
            self.query_one(ChatInput).text = message.text
            return
        self.busy = True
        view = MessageView("user", message.text)
        await self._show(view)
        self._send(message.text, view)

    @work(group="chat", exit_on_error=False)
    async def _send(self, text: str, view: MessageView) -> None:
        try:
            try:
                user = await self.cockpit.save_user_message(self.session_id, text)
            except NotSaved as error:
                await view.remove()
                chat_input = self.query_one(ChatInput)
                if not chat_input.text:
                    chat_input.text = text  # nothing typed is lost
                self.notify(f"Not sent: your message could not be saved ({error}). "
                            "It is back in the input.", severity="error", timeout=15,
                            markup=False)
                return
            if self.session_id is None:
                self.session_id = user.session_id
                self.set_title(session_title(text))
            try:
                await self.cockpit.answer(user.session_id)
            except Exception as error:
                self.notify(f"Your message is saved; the answer failed: {error}",
                            severity="error", markup=False)
        finally:
            self.busy = False
            self._answer = None

    def set_title(self, title: str) -> None:
        self.border_subtitle = Text(printable(title))  # a Text: titles are never markup

    async def on_bus_event(self, message: BusEvent) -> None:
        event = message.event
        if getattr(event, "session_id", None) != self.session_id:
            return
        if isinstance(event, events.TurnStarted):
            self._answer = MessageView("assistant", "", "streaming", event.provider,
                                       event.message_id)
            await self._show(self._answer)
        elif isinstance(event, events.TextDelta) and self._answer is not None:
            self._answer.append(event.text)
            self.messages.scroll_end(animate=False)
        elif isinstance(event, events.TurnFinished) and self._answer is not None:
            self._answer.finish(event.status, event.text)

    async def new_session(self) -> None:
        """An empty chat; the session is created with its first message."""
        self.session_id = None
        self.set_title("")
        await self.messages.remove_children()
        await self.messages.mount(EmptyChat(id="empty-chat"))
        self.query_one(ChatInput).focus()

    @work(group="chat-open", exclusive=True, exit_on_error=False)
    async def open_session(self, session_id: int, title: str) -> None:
        records = await self.cockpit.messages(session_id)
        self.session_id = session_id
        self.set_title(title)
        await self.messages.remove_children()
        await self.messages.mount_all([MessageView.from_record(r) for r in records]
                                      or [EmptyChat(id="empty-chat")])
        self.messages.scroll_end(animate=False)
