"""A list of notes to tick, shared by two questions: before sending, which of the notes the
history would give the message stay in (all ticked; untick to leave one out of that turn), and
after a session, which of the learnings the model proposed are kept (none ticked: nothing is
kept that the user did not choose)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from pai_tui.history.records import NoteDraft, NoteRecord
from pai_tui.safe_text import printable
from pai_tui.ui.keymap import bindings_for


class NotePicker(ModalScreen[frozenset[int] | None]):
    """Dismissed with the positions ticked (None: cancelled)."""

    BINDINGS = bindings_for("note-picker")

    def __init__(self, title: str, explanation: str, labels: list[Text],
                 ticked: frozenset[int]):
        super().__init__(id="note-picker", classes="dialog")
        self.title_text, self.explanation = title, explanation
        self.labels, self.ticked = labels, ticked

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-frame") as frame:
            frame.border_title = self.title_text
            yield Static(Text(self.explanation, style="dim"))
            yield SelectionList[int](*(
                Selection(label, n, n in self.ticked) for n, label in enumerate(self.labels)),
                id="notes-choice")
            yield Static(Text("space ticks · enter keeps · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_keep(self) -> None:
        self.dismiss(frozenset(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


def note_label(note: NoteRecord) -> Text:
    text = Text(f"{note.kind} {note.id}: ", style="bold")
    text.append(printable(note.title))
    return text


def draft_label(draft: NoteDraft) -> Text:
    text = Text(f"{draft.kind}: ", style="bold")
    text.append(printable(draft.title))
    if draft.body:
        text.append(f"\n  {printable(' '.join(draft.body.split()))[:200]}", style="dim")
    return text
