"""Notes in full, literal: those the history put in an answer's context (turns/recall.py),
opened for the last answer (alt+j), or one note opened from the History pane."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from pai_tui.history.records import NoteRecord
from pai_tui.safe_text import printable
from pai_tui.ui.keymap import bindings_for


class NotesUsedScreen(Screen[None]):
    BINDINGS = bindings_for("notes-used")

    def __init__(self, message_id: int | None, notes: list[NoteRecord]):
        super().__init__(id="notes-used")
        self.message_id, self.notes = message_id, notes

    def compose(self) -> ComposeResult:
        if self.message_id is None:
            head = Text("A note from your history", style="bold")
            head.append("\nin History: f forgets it (u restores), v switches the view",
                        style="dim")
        else:
            head = Text(f"The notes given to answer {self.message_id}", style="bold")
            head.append("\nfrom your history, added to the system prompt before it was asked "
                        "([notes] in config.toml; pai notes forget ID keeps one out)",
                        style="dim")
        with VerticalScroll():
            yield Static(head, id="notes-head")
            for note in self.notes:
                yield Static(note_text(note), classes="note-used")
            yield Static(Text("esc or q closes", style="dim"), id="notes-hint")

    def action_close(self) -> None:
        self.dismiss()


def note_text(note: NoteRecord) -> Text:
    text = Text(f"\n{note.kind} {note.id}: ", style="bold")
    text.append(printable(note.title), style="bold")
    facts = [note.status] + [f"telos {' '.join(note.draft.telos)}"] * bool(note.draft.telos)
    facts += [f"tags {' '.join(note.draft.tags)}"] * bool(note.draft.tags)
    text.append(f"\n{printable(' · '.join(facts))}", style="dim")
    if note.draft.body:
        text.append(f"\n{printable(note.draft.body)}")
    return text
