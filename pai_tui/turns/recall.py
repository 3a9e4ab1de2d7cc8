"""What the history adds to a turn's system prompt: the user's standing preferences, the notes
of the TELOS goals the message names (G1, P2...), then the active notes that best match the
message (their own word index, history/notes_words.py: what it costs grows with the notes,
not with the whole history), as one bounded block that says what it is. The answer remembers
which notes it was given (the user can open exactly that), and nothing shaped like a key is
ever put in (redacted once more, however the note was written). Code decides what goes in; the
model only reads it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pai_tui.history.records import NoteRecord

if TYPE_CHECKING:
    from pai_tui.config import NotesSettings
    from pai_tui.history.store import Store

TELOS_ID = re.compile(r"\b([A-Z]{1,2}\d{1,3})\b")  # G1, P2, M1 as the TELOS files write them
OPEN = ("<notes>\nNotes from the user's history (learnings, decisions, research, preferences "
        "kept from earlier sessions). Follow them where they apply; say so if one seems wrong."
        "\n")
CLOSE = "</notes>"


def recall(store: Store, question: str, settings: NotesSettings,
           dropped: Sequence[int] = ()) -> list[NoteRecord]:
    """Blocking: the notes for a turn answering `question`, best first, within the budget
    (`dropped`: notes the user took out of this turn)."""
    if not settings.in_context or not question.strip():
        return []
    found = store.recall_candidates(  # twice the room: some may not fit the budget
        question, sorted(set(TELOS_ID.findall(question))), settings.context_max * 2,
        settings.context_max)
    ranked = found.preferences + found.of_goals + found.related
    chosen: list[NoteRecord] = []
    room = settings.context_chars - len(OPEN) - len(CLOSE)
    for note_id in dict.fromkeys(ranked):  # each once, in order
        note = found.notes.get(note_id)
        if note is None or note_id in dropped or len(chosen) >= settings.context_max:
            continue
        size = len(line(note)) + 1
        if size <= room:
            chosen.append(note)
            room -= size
    return chosen


def line(note: NoteRecord) -> str:
    """One note as the model reads it."""
    from pai_tui.scrub import redact_shapes

    telos = f" ({', '.join(note.draft.telos)})" if note.draft.telos else ""
    said = f"- [{note.kind} {note.id}{telos}] {note.title}"
    body = " ".join(note.draft.body.split())
    if body and body != note.title:
        said += f": {body}"
    return redact_shapes(said)


def with_notes(system: str | None, notes: Sequence[NoteRecord]) -> str | None:
    """The system prompt with the notes' block after it (unchanged when there are none)."""
    if not notes:
        return system
    block = OPEN + "\n".join(line(note) for note in notes) + "\n" + CLOSE
    return f"{system}\n\n{block}" if system else block
