"""Before sending: the notes the history would put in the message's context, each ticked; the
user unticks what should stay out of this one turn (turns/recall.py decides the rest)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from pai_tui.history.records import NoteRecord
from pai_tui.safe_text import printable
from pai_tui.ui.keymap import bindings_for


class NotesPreview(ModalScreen[frozenset[int] | None]):
    """Dismissed with the notes to leave out (None: nothing changed)."""

    BINDINGS = bindings_for("notes-preview")

    def __init__(self, notes: list[NoteRecord], left_out: frozenset[int]):
        super().__init__(id="notes-preview", classes="dialog")
        self.notes, self.left_out = notes, left_out

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-frame") as frame:
            frame.border_title = "Notes for this message"
            yield Static(Text("Ticked notes go into the context of the message you are "
                              "writing; untick one to leave it out of this turn.", style="dim"))
            yield SelectionList[int](*(
                Selection(label(note), note.id, note.id not in self.left_out)
                for note in self.notes), id="notes-choice")
            yield Static(Text("space ticks · enter keeps · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_keep(self) -> None:
        chosen = set(self.query_one(SelectionList).selected)
        self.dismiss(frozenset(n.id for n in self.notes if n.id not in chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)


def label(note: NoteRecord) -> Text:
    text = Text(f"{note.kind} {note.id}: ", style="bold")
    text.append(printable(note.title))
    return text
