"""Small modal dialogs: a line of text, a yes/no question, a multi-line text. Each returns its
answer through `dismiss` (None when cancelled with esc)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events as textual_events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from pai_tui.safe_text import printable


class _NoShortcutText:
    """For a dialog's text fields: a shortcut (alt+1, alt+m...) types nothing. Terminals attach
    the bare character to alt+x, which the field would otherwise type, or type over a
    selection; the app's pane keys do nothing while a dialog is open."""

    async def _on_key(self, event: textual_events.Key) -> None:
        if event.key.startswith("alt+"):
            event.prevent_default()


class DialogInput(_NoShortcutText, Input):
    pass


class DialogTextArea(_NoShortcutText, TextArea):
    pass


class _Dialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, title: str, value: str = "", question: str = ""):
        super().__init__(classes="dialog")
        self.title_text, self.value, self.question = title, value, question

    def frame(self) -> Vertical:
        frame = Vertical(classes="dialog-frame")
        frame.border_title = Text(self.title_text)
        return frame

    def question_view(self) -> ComposeResult:
        if self.question:
            yield Static(Text(self.question))

    def action_cancel(self) -> None:
        self.dismiss(None)


class InputDialog(_Dialog):
    """One line of text; enter accepts."""

    HINT = "enter saves · esc cancels"

    def compose(self) -> ComposeResult:
        with self.frame():
            yield from self.question_view()
            yield DialogInput(self.value, id="dialog-input")
            yield from self.extra()
            yield Static(Text(self.HINT, style="dim"))

    def extra(self) -> ComposeResult:
        yield from ()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.accept(message.value)

    def accept(self, value: str) -> None:
        # A plain method, not a handler: Textual calls a handler of each class in the MRO.
        self.dismiss(value)


class ToolRunDialog(InputDialog):
    """A tool's command line, and optionally what it reads on stdin (`stdin` after it closes)."""

    HINT = "enter runs · tab moves to stdin · esc cancels"

    def __init__(self, title: str, value: str = "", question: str = ""):
        super().__init__(title, value, question)
        self.stdin: str | None = None

    def extra(self) -> ComposeResult:
        yield Static(Text("stdin (optional):", style="dim"))
        yield DialogTextArea("", id="dialog-stdin", soft_wrap=True)

    def accept(self, value: str) -> None:
        self.stdin = self.query_one("#dialog-stdin", TextArea).text or None
        super().accept(value)


class ConfirmDialog(_Dialog):
    """A yes/no question: y or enter on Yes confirms, n or esc declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "No", show=False),
        Binding("y", "confirm", "Yes", show=False),
    ]

    def __init__(self, title: str, question: str, yes: str = "Yes"):
        super().__init__(title, question=question)
        self.yes = yes

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(Text(self.question))
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, message: Button.Pressed) -> None:
        self.dismiss("yes" if message.button.id == "yes" else None)

    def action_confirm(self) -> None:
        self.dismiss("yes")


class TextDialog(_Dialog):
    """Several lines of text. ctrl+o or the Save button saves (enter makes a new line)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+o", "save", "Save", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        with self.frame():
            yield from self.question_view()
            yield DialogTextArea(self.value, id="dialog-text", soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+o)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, message: Button.Pressed) -> None:
        if message.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)


class PermissionDialog(_Dialog):
    """May this tool run? y: yes, once; a: always (saved in config.toml); n or esc: no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "No", show=False),
        Binding("y", "answer('yes')", "Yes", show=False),
        Binding("a", "answer('always')", "Always", show=False),
    ]

    STDIN_SHOWN = 600  # characters of the tool's input shown

    def __init__(self, tool: str, args: list[str], path: str, stdin: str | None = None,
                 agent: str | None = None):
        super().__init__(f"Run {tool}?" if agent is None else f"Run {tool} for {agent}?")
        self.tool, self.args, self.path, self.stdin = tool, args, path, stdin
        self.agent = agent  # who asks; None: the chat's model

    def compose(self) -> ComposeResult:
        with self.frame():
            who = ("The model", "") if self.agent is None else \
                ("The agent ", (printable(self.agent), "bold"))
            yield Static(Text.assemble(*who, " asks to run the tool ", (self.tool, "bold"),
                                       f"\n{self.path}\nwith the arguments:"))
            shown = "\n".join(f"  {printable(arg)}" for arg in self.args) or "  (none)"
            yield Static(Text(shown, style="bold"), classes="permission-args")
            if self.stdin:
                cut = len(self.stdin) - self.STDIN_SHOWN
                preview = printable(self.stdin[:self.STDIN_SHOWN]) + (
                    f"… ({cut:,} more characters)" if cut > 0 else "")
                yield Static(Text.assemble("and this input:\n", (preview, "dim")))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes, once (y)", id="yes", variant="primary")
                yield Button("Always for this tool (a)", id="always")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, message: Button.Pressed) -> None:
        self.dismiss(message.button.id if message.button.id in ("yes", "always") else None)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
