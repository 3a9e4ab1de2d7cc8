"""The app's actions that feed the history's memory: keep the last answer as a learning (from
an editable draft), and rate it 1 to 10 (PAI's scale); a low rating asks what went wrong and
offers to keep that as a learning. Nothing is kept without the user saying so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from pai_tui.cockpit import Cockpit
from pai_tui.history.records import NoteDraft
from pai_tui.safe_text import printable
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.messages import AnswerView

LOW = 4  # a rating this low or lower asks what went wrong
DRAFT_CHARS = 400  # of the answer put in a learning's draft


class NoteActions:
    def __init__(self, app: App[None], cockpit: Cockpit, find: Callable[[type], Any]):
        self.app, self.cockpit, self._find = app, cockpit, find

    def _answer(self, doing: str) -> AnswerView | None:
        chat: ChatPane = self._find(ChatPane)
        answer = chat.last_answer()
        if answer is None or not answer.message_id or answer.status in ("sending", "streaming"):
            self.app.notify(f"No finished answer to {doing} yet.", timeout=3)
            return None
        return answer

    def preview_notes(self) -> None:
        self.app.run_worker(self._preview(), group="note-preview", exclusive=True,
                            exit_on_error=False)

    async def _preview(self) -> None:
        from pai_tui.turns.recall import recall
        from pai_tui.ui.chat_input import ChatInput
        from pai_tui.ui.notes_preview import NotePicker, note_label

        chat: ChatPane = self._find(ChatPane)
        text = chat.query_one(ChatInput).text
        settings = self.cockpit.config.notes
        if not text.strip():
            self.app.notify("Write the message first: its notes are those that match it.",
                            timeout=4)
            return
        notes = await self.cockpit.history.run(lambda store: recall(store, text, settings))
        if not notes:
            self.app.notify("No notes from your history match this message"
                            + ("" if settings.in_context else " ([notes] in_context is off)")
                            + ".", timeout=4)
            return
        ticked = frozenset(n for n, note in enumerate(notes)
                           if note.id not in chat.without_notes)
        chosen = await self.app.push_screen_wait(NotePicker(
            "Notes for this message", "Ticked notes go into the context of the message you "
            "are writing; untick one to leave it out of this turn.",
            [note_label(note) for note in notes], ticked))
        if chosen is not None:
            chat.without_notes = frozenset(n.id for i, n in enumerate(notes) if i not in chosen)
            self.app.notify(f"The next message gets {len(chosen)} of {len(notes)} notes.",
                            timeout=4)

    def propose_learnings(self) -> None:
        chat: ChatPane = self._find(ChatPane)
        if chat.session_id is None:
            self.app.notify("No session to learn from yet.", timeout=3)
            return
        self.app.run_worker(self._propose(chat.session_id), group="note-propose",
                            exclusive=True, exit_on_error=False)

    async def _propose(self, session_id: int) -> None:
        from pai_tui.turns.ask_json import Unanswered
        from pai_tui.turns.learnings import propose
        from pai_tui.ui.notes_preview import NotePicker, draft_label

        self.app.notify("Reading the session for what is worth keeping…", timeout=3)
        try:
            drafts = await propose(self.cockpit.turns, self.cockpit.history, session_id)
        except Unanswered as error:
            self.app.notify(f"No learnings: {error}", severity="warning", markup=False,
                            timeout=10)
            return
        if not drafts:
            self.app.notify("The model found nothing worth keeping in this session.",
                            timeout=5)
            return
        chosen = await self.app.push_screen_wait(NotePicker(
            "Learnings from this session", "Proposed by the model from this session. Tick "
            "what to keep: nothing is kept that you do not tick.",
            [draft_label(d) for d in drafts], frozenset()))
        keep = [d for n, d in enumerate(drafts) if chosen and n in chosen]
        if keep:
            await self.cockpit.history.run(lambda store: [store.add_note(d) for d in keep])
        self.app.notify(f"Kept {len(keep)} of {len(drafts)} proposed notes.", timeout=5)

    def keep_as_learning(self) -> None:
        answer = self._answer("keep")
        if answer is not None:
            self.app.run_worker(self._keep(answer, draft_of(answer.body)), group="note-keep",
                                exclusive=True, exit_on_error=False)

    def rate(self) -> None:
        answer = self._answer("rate")
        if answer is not None:
            self.app.run_worker(self._rate(answer), group="note-rate", exclusive=True,
                                exit_on_error=False)

    async def _keep(self, answer: AnswerView, draft: str, heading: str = "") -> None:
        from pai_tui.history.notes import split_text
        from pai_tui.ui.dialogs import TextDialog

        said = await self.app.push_screen_wait(TextDialog(
            heading or "Keep as a learning (edit it first: the first line is its title)",
            draft))
        title, body = split_text(said or "")
        if not title:
            return
        chat: ChatPane = self._find(ChatPane)
        note = NoteDraft("learning", title, body, session_id=chat.session_id,
                         message_id=answer.message_id)
        kept = await self.cockpit.history.run(lambda store: store.add_note(note))
        self.app.notify(f"Kept learning {kept.id}: {printable(kept.title)[:80]}", markup=False,
                        timeout=5)

    async def _rate(self, answer: AnswerView) -> None:
        from pai_tui.ui.dialogs import InputDialog

        said = await self.app.push_screen_wait(InputDialog(
            "Rate the last answer", question="1 (useless) to 10 (perfect):"))
        if said is None or not said.strip():
            return
        rating = int(said.strip()) if said.strip().isdigit() else 0
        if not 1 <= rating <= 10:
            self.app.notify(f"{printable(said.strip())!r} is not a rating: 1 to 10.",
                            severity="warning", markup=False, timeout=5)
            return
        await self.cockpit.history.run(lambda store: store.rate(answer.message_id, rating))
        answer.rated(rating)
        if rating <= LOW:
            await self._keep(answer, f"What went wrong: \n\n(answer rated {rating}/10: "
                                     f"{draft_of(answer.body, 160)})",
                             f"Rated {rating}/10: what went wrong? (kept as a learning; esc "
                             "skips)")


def draft_of(text: str, chars: int = DRAFT_CHARS) -> str:
    """The start of an answer, as a learning's draft: whole lines, at most `chars`."""
    kept = " ".join(text.split())
    return kept if len(kept) <= chars else kept[:chars].rsplit(" ", 1)[0] + "…"
