"""The row of an answer being written. Saved about every second while it streams and once at the
end. A failing database (disk full, another process holding a lock) never stops the answer: the
text keeps streaming, saving is retried with backoff, the user is told once why, and when saving
recovers the whole text is written. Only if it never recovers does the answer end unsaved, and
the status says so."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pai_tui.history.service import History

RETRY_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # seconds between tries of the final save (~30 s)
PROGRESS_BACKOFF_MAX = 8.0  # seconds: the longest pause between tries of a progress save


class AnswerRow:
    def __init__(self, history: History, message_id: int, tell: Callable[[str], None]):
        self.history = history
        self.message_id = message_id
        self._tell = tell  # says something to the user (once per failure streak)
        self.failure: str | None = None  # why saving fails now; None while it works
        self._next_try = 0.0
        self._backoff = 0.5
        self._saving: asyncio.Task[None] | None = None  # the progress save in flight

    def _failed(self, error: BaseException) -> None:
        reason = self.history.redact(str(error)) or type(error).__name__
        if self.failure is None:
            self._tell(f"saving the answer is failing ({reason}); it goes on, and saving is "
                       "retried")
        self.failure = reason
        self._next_try = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, PROGRESS_BACKOFF_MAX)

    def _recovered(self) -> None:
        if self.failure is not None:
            self._tell("saving works again; the whole answer so far is saved")
        self.failure, self._backoff = None, 0.5

    async def save_text(self, text: str) -> None:
        """Save the text so far, in the background: the stream never waits for the database.
        Skipped while a save is in flight or a failure's backoff lasts."""
        if time.monotonic() < self._next_try or (self._saving and not self._saving.done()):
            return
        self._saving = asyncio.create_task(self._save_text(text))

    async def _save_text(self, text: str) -> None:
        try:
            await self.history.run(lambda store: store.save_progress(self.message_id, text))
        except Exception as error:  # the database, not the answer: keep streaming
            self._failed(error)
        else:
            self._recovered()

    async def finish(self, **fields: Any) -> bool:
        """The final save, retried for about half a minute. Shielded: a second cancel cannot
        stop it. Returns whether it was saved."""
        return await asyncio.shield(self._finish(fields))

    async def _finish(self, fields: dict[str, Any]) -> bool:
        # A progress save still in flight cannot land after this one: it only writes while the
        # row is `streaming` (Store.save_progress).
        for wait in (*RETRY_WAITS, None):
            try:
                await self.history.update_message(self.message_id, **fields)
            except Exception as error:
                self._failed(error)
                if wait is None:
                    return False
                await asyncio.sleep(wait)
            else:
                self._recovered()
                return True
        return False
