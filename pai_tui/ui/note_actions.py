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
