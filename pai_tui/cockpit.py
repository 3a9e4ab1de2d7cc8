"""The composition root: builds the store, providers and bus from a Config.

The UI and the CLI are two faces of one Cockpit. Everything blocking runs in a thread; nothing here
imports Textual.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pai_tui import events
from pai_tui.config import Config
from pai_tui.history.records import MessageRecord, SessionRecord, Status
from pai_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    NetworkError,
    Notice,
    ProviderError,
    Stop,
    TextPart,
    Usage,
)
from pai_tui.llm.context import fit
from pai_tui.llm.models import ModelInfo
from pai_tui.llm.registry import OFFLINE, Choice, Providers
from pai_tui.llm.retry import RetryPolicy, stream_with_retries

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


def local_midnight_utc(now: datetime | None = None, month: bool = False) -> datetime:
    """Start of today (or of this month) in local time, as naive UTC like the store's times."""
    local = (now or datetime.now()).astimezone()
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if month:
        start = start.replace(day=1)
    return start.astimezone(UTC).replace(tzinfo=None)


class Cockpit:
    def __init__(self, config: Config, bus: events.Bus | None = None):
        self.config = config
        self.bus = bus or events.Bus()
        self.providers = Providers(config)
        self.retry_policy = RetryPolicy(config.chat.retries, config.chat.max_retry_wait)
        self.default_choice: Choice = self.providers.default()
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

    async def aclose(self) -> None:
        """Close the providers' connections (on the loop that opened them), then the store."""
        await self.providers.aclose()
        self.close()

    def close(self) -> None:
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    async def warm_up(self) -> None:
        """Import the default provider's SDK and make its client, in a thread (about a
        second), so that the first message does not wait for them and the UI never does."""
        name = self.default_choice.provider
        provider = await asyncio.to_thread(self.providers.build, name)
        prepare = getattr(provider, "prepare", None)
        if prepare is not None:
            keys = self.providers.keys(name)
            await asyncio.to_thread(prepare, keys[0].value if keys else None)

    # sessions

    async def sessions(self) -> list[SessionRecord]:
        store = await self.store()
        return await asyncio.to_thread(store.list_sessions)

    async def session(self, session_id: int) -> SessionRecord | None:
        store = await self.store()
        return await asyncio.to_thread(store.get_session, session_id)

    async def messages(self, session_id: int) -> list[MessageRecord]:
        store = await self.store()
        return await asyncio.to_thread(store.messages, session_id)

    async def recent_messages(self, session_id: int, limit: int, before_id: int | None = None,
                              ) -> tuple[list[MessageRecord], int]:
        """The newest `limit` messages (before `before_id`) and how many come before them."""
        store = await self.store()
        return await asyncio.to_thread(store.recent_messages, session_id, limit, before_id)

    async def new_session(self, title: str) -> SessionRecord:
        store = await self.store()
        choice = self.default_choice
        record = await asyncio.to_thread(store.create_session, title, choice.provider,
                                         choice.model, self.config.chat.system)
        self.bus.publish(events.SessionCreated(record.id, record.title))
        return record

    async def rename_session(self, session_id: int, title: str) -> None:
        store = await self.store()
        await asyncio.to_thread(store.rename_session, session_id, title.strip() or "Untitled")
        self.bus.publish(events.SessionUpdated(session_id))

    async def delete_session(self, session_id: int) -> None:
        store = await self.store()
        await asyncio.to_thread(store.delete_session, session_id)
        self.bus.publish(events.SessionUpdated(session_id))

    def choice_for(self, session: SessionRecord | None) -> Choice:
        """What answers a session: its own provider/model while that provider exists (and is
        not the offline stand-in), else the current default."""
        if session and session.provider and session.provider != OFFLINE \
                and self.providers.settings(session.provider) is not None:
            model = self.providers.model_for(session.provider, session.model)
            return Choice(session.provider, model or "")
        return self.default_choice

    async def choose(self, session_id: int | None, choice: Choice) -> None:
        """Answer with `choice` from now on: in this session (if any) and in new ones."""
        self.default_choice = choice
        if session_id is not None:
            store = await self.store()
            await asyncio.to_thread(store.set_session_options, session_id,
                                    provider=choice.provider, model=choice.model)
        self.bus.publish(events.ChoiceChanged(session_id, choice.provider, choice.model))

    async def set_system_prompt(self, session_id: int, prompt: str) -> None:
        store = await self.store()
        await asyncio.to_thread(store.set_session_options, session_id,
                                system_prompt=prompt.strip())
        self.bus.publish(events.SessionUpdated(session_id))

    async def costs(self) -> tuple[float, float]:
        """Money spent today and this month (local calendar)."""
        store = await self.store()
        today = await asyncio.to_thread(store.cost_since, local_midnight_utc())
        month = await asyncio.to_thread(store.cost_since, local_midnight_utc(month=True))
        return today, month

    # one chat turn

    async def send(self, session_id: int | None, text: str) -> MessageRecord:
        """Save the user's message, then answer it. Returns the final assistant message."""
        user = await self.save_user_message(session_id, text)
        return await self.answer(user.session_id)

    async def save_user_message(self, session_id: int | None, text: str) -> MessageRecord:
        """Save the message (in a new session if `session_id` is None) before anything else.

        Raises NotSaved, with a reason safe to show, when it could not be saved.
        """
        choice = self.default_choice
        try:
            store = await self.store()
            if session_id is None:
                session, user = await asyncio.to_thread(
                    store.begin_session, session_title(text), text, choice.provider,
                    choice.model, self.config.chat.system)
                self.bus.publish(events.SessionCreated(session.id, session.title))
            else:
                user = await asyncio.to_thread(store.add_message, session_id, "user", text)
        except Exception as error:
            raise NotSaved(self.redact(str(error)) or type(error).__name__) from error
        self.bus.publish(events.MessageSaved(user.session_id, user.id, "user", user.status))
        return user

    def _prepare_turn(self, store: Store, session_id: int,
                      ) -> tuple[Choice, ModelInfo, ChatRequest, MessageRecord, int]:
        """Blocking: what to send (the newest turns that fit), and the answer's row."""
        session = store.get_session(session_id)
        if session is None:
            raise LookupError(f"no session {session_id}")
        choice = self.choice_for(session)
        info = self.providers.model_info(choice)
        context = [ChatMessage(m.role, m.content)  # type: ignore[arg-type]
                   for m in store.messages(session_id)
                   if m.content and (m.role == "user" or m.status == "complete")]
        while context and context[-1].role == "assistant":  # a retry answers the user again
            context.pop()
        reserve = min(self.config.chat.max_output_tokens, info.max_output_tokens)
        kept, left_out = fit(context, session.system_prompt, info.context_window, reserve)
        answer = store.add_message(session_id, "assistant", "", "streaming", choice.provider,
                                   choice.model)
        request = ChatRequest(kept, choice.model, session.system_prompt, reserve)
        return choice, info, request, answer, left_out

    async def answer(self, session_id: int) -> MessageRecord:
        """Answer the session's latest user message, streaming and persisting as it grows.

        Returns the saved answer, whose status says how it ended (`error` and `incomplete` carry
        the reason). Cancelling the task keeps the partial answer, marked `cancelled`.
        """
        store = await self.store()
        # One trip to the database thread: every hop costs the first token some milliseconds.
        turn = await asyncio.to_thread(self._prepare_turn, store, session_id)
        choice, info, request, answer, left_out = turn
        if left_out:
            self.bus.publish(events.ContextTrimmed(session_id, left_out, info.context_window))
        self.bus.publish(events.TurnStarted(session_id, answer.id, choice.provider,
                                            choice.model))
        reserve = request.max_tokens

        parts: list[str] = []
        usage = Usage()
        stop: Stop | None = None
        status: Status = "incomplete"
        error: str | None = None
        last_save = time.monotonic()
        try:
            provider = self.providers.built(choice.provider) or \
                await asyncio.to_thread(self.providers.build, choice.provider)
            stream = stream_with_retries(provider, request, self.providers.keys(choice.provider),
                                         self.retry_policy,
                                         self.providers.key_variables(choice.provider))
            async for delta in stream:
                if isinstance(delta, TextPart):
                    parts.append(delta.text)
                    self.bus.publish(events.TextDelta(session_id, answer.id, delta.text))
                    if time.monotonic() - last_save >= PERSIST_EVERY_S:
                        last_save = time.monotonic()
                        await asyncio.to_thread(store.update_message, answer.id,
                                                content="".join(parts))
                elif isinstance(delta, Notice):
                    self.bus.publish(events.ProviderNotice(session_id, answer.id, delta.text))
                elif isinstance(delta, Usage):
                    usage = delta
                elif isinstance(delta, Stop):
                    stop = delta
            status, error = _ending(stop, reserve)
            self.bus.publish(events.Connectivity(True))
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except ProviderError as failure:
            status, error = ("incomplete" if parts else "error"), str(failure)
            if isinstance(failure, NetworkError):
                self.bus.publish(events.Connectivity(False, str(failure)))
        except Exception as failure:  # a bug, not the network: keep what came, say what broke
            status, error = ("incomplete" if parts else "error"), f"{type(failure).__name__}: " \
                f"{failure}"
            raise
        finally:
            final = "".join(parts)
            cost = info.cost(usage)
            await asyncio.shield(asyncio.to_thread(
                store.update_message, answer.id, content=final, status=status,
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                cost=cost or 0.0, error=error))
            self.bus.publish(events.TurnFinished(session_id, answer.id, status, final, error,
                                                 usage.input_tokens, usage.output_tokens, cost))
            self.bus.publish(events.SessionUpdated(session_id))
        saved = await asyncio.to_thread(store.get_message, answer.id)
        assert saved is not None
        return saved


def _ending(stop: Stop | None, max_tokens: int) -> tuple[Status, str | None]:
    if stop is None:
        return "incomplete", "the stream ended before its end marker (the connection was cut)"
    if stop.reason == "max_tokens":
        return "incomplete", f"the answer reached the output limit ({max_tokens} tokens)"
    return "complete", None
