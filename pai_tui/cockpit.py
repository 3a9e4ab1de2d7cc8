"""The composition root: builds the store, providers and bus from a Config.

The UI and the CLI are two faces of one Cockpit. Everything blocking runs in a thread; nothing here
imports Textual."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING

from pai_tui import events
from pai_tui.config import Config
from pai_tui.history.records import MessageRecord, SessionRecord, Status
from pai_tui.llm.base import ChatMessage, Provider, Stop, TextPart, Usage
from pai_tui.llm.offline import OfflineProvider

if TYPE_CHECKING:
    from pai_tui.history.store import Store

PERSIST_EVERY_S = 1.0  # a killed process loses at most this much of a streaming answer
TITLE_LENGTH = 60


class NotSaved(Exception):
    """The user's message could not be saved, so nothing was sent. `str()` says why."""


def session_title(text: str) -> str:
    """The first non-blank line of the first message, shortened."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "New session")
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


class Cockpit:
    def __init__(self, config: Config, bus: events.Bus | None = None):
        self.config = config
        self.bus = bus or events.Bus()
        self.provider: Provider = OfflineProvider(config.home.config)
        self._store: Store | None = None
        self._store_lock = threading.Lock()

    @property
    def database_url(self) -> str:
        from pai_tui.history.urls import sqlite_url

        return self.config.database_url or sqlite_url(self.config.home.database)

    # store

    def open_store(self) -> Store:
        """Open (and migrate) the store once. Blocking: call from a thread."""
        with self._store_lock:
            if self._store is None:
                from pai_tui.history.store import Store

                try:
                    store, result, _ = Store.open(self.database_url, self.config.home.backups)
                except Exception as error:
                    self.bus.publish(events.StoreFailed(self.redact(str(error))))
                    raise
                self._store = store
                backup = str(result.backup) if result.backup else None
                self.bus.publish(events.StoreReady(result.to_version, backup))
            return self._store

    def redact(self, text: str) -> str:
        """An error text with the database URL's password taken out."""
        if not self.config.database_url:
            return text
        from pai_tui.history.urls import redact

        return redact(text, self.config.database_url)

    async def store(self) -> Store:
        if self._store is not None:
            return self._store
        return await asyncio.to_thread(self.open_store)

    def close(self) -> None:
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # sessions

    async def sessions(self) -> list[SessionRecord]:
        store = await self.store()
        return await asyncio.to_thread(store.list_sessions)

    async def messages(self, session_id: int) -> list[MessageRecord]:
        store = await self.store()
        return await asyncio.to_thread(store.messages, session_id)

    async def new_session(self, title: str) -> SessionRecord:
        store = await self.store()
        record = await asyncio.to_thread(
            store.create_session, title, self.provider.name, self.provider.model
        )
        self.bus.publish(events.SessionCreated(record.id, record.title))
        return record

    # one chat turn

    async def send(self, session_id: int | None, text: str) -> MessageRecord:
        """Save the user's message, then answer it. Returns the final assistant message."""
        user = await self.save_user_message(session_id, text)
        return await self.answer(user.session_id)

    async def save_user_message(self, session_id: int | None, text: str) -> MessageRecord:
        """Save the message (in a new session if `session_id` is None) before anything else.

        Raises NotSaved, with a reason safe to show, when it could not be saved.
        """
        provider = self.provider
        try:
            store = await self.store()
            if session_id is None:
                session, user = await asyncio.to_thread(
                    store.begin_session, session_title(text), text, provider.name,
                    provider.model)
                self.bus.publish(events.SessionCreated(session.id, session.title))
            else:
                user = await asyncio.to_thread(store.add_message, session_id, "user", text)
        except Exception as error:
            raise NotSaved(self.redact(str(error)) or type(error).__name__) from error
        self.bus.publish(events.MessageSaved(user.session_id, user.id, "user", user.status))
        return user

    async def answer(self, session_id: int) -> MessageRecord:
        """Stream the answer to the session's messages, persisting it as it grows.

        Cancelling the task keeps the partial answer, marked `cancelled`.
        """
        store = await self.store()
        history = await asyncio.to_thread(store.messages, session_id)
        context = [ChatMessage(m.role, m.content) for m in history  # type: ignore[arg-type]
                   if m.role in ("user", "assistant") and m.content]
        provider = self.provider
        answer = await asyncio.to_thread(
            store.add_message, session_id, "assistant", "", "streaming", provider.name,
            provider.model,
        )
        self.bus.publish(events.TurnStarted(session_id, answer.id, provider.name, provider.model))

        parts: list[str] = []
        usage = Usage()
        status: Status = "incomplete"
        last_save = time.monotonic()
        try:
            async for delta in provider.stream(context):
                if isinstance(delta, TextPart):
                    parts.append(delta.text)
                    self.bus.publish(events.TextDelta(session_id, answer.id, delta.text))
                    if time.monotonic() - last_save >= PERSIST_EVERY_S:
                        last_save = time.monotonic()
                        await asyncio.to_thread(store.update_message, answer.id,
                                                content="".join(parts))
                elif isinstance(delta, Usage):
                    usage = delta
                elif isinstance(delta, Stop):
                    status = "complete" if delta.reason in ("end", "max_tokens") else "incomplete"
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except Exception:
            status = "error"
            raise
        finally:
            final = "".join(parts)
            await asyncio.shield(asyncio.to_thread(
                store.update_message, answer.id, content=final, status=status,
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            ))
            self.bus.publish(events.TurnFinished(session_id, answer.id, status, final))
            self.bus.publish(events.SessionUpdated(session_id))
        saved = await asyncio.to_thread(store.get_message, answer.id)
        assert saved is not None
        return saved
