"""The Chat pane: the conversation (streamed, windowed) and the input."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from pai_tui import events
from pai_tui.cockpit import Cockpit, NotSaved, session_title
from pai_tui.history.records import MessageRecord
from pai_tui.llm.providers import ModelChoice
from pai_tui.safe_text import printable
from pai_tui.ui.bus import BusEvent, listen
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.messages import (
    AnswerView,
    EarlierMarker,
    EmptyChat,
    MessageList,
    NoteView,
    StepView,
    UserView,
    details_text,
)
from pai_tui.ui.pane import Pane

WINDOW = 24  # messages put on screen when a session opens, and per "show earlier"
MAX_SHOWN = 120  # beyond this, the oldest leave the screen (they stay in the history)
FLUSH_S = 0.05  # streamed text reaches the screen in batches this far apart (at least)
RENDER_SHARE_WAIT = 3  # after a render taking t, wait 3t: rendering takes <= 1/4 of the time


class ChatPane(Pane):
    TITLE = "Chat"

    class SessionShown(Message):
        """The chat now shows a session (or a new, empty one) answered by `choice`."""

        def __init__(self, choice: ModelChoice):
            super().__init__()
            self.choice = choice

    def __init__(self, cockpit: Cockpit, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit = cockpit
        self.session_id: int | None = None
        self.busy = False
        self._answer: AnswerView | None = None
        # Streamed text waiting for the next flush, by message id. Filled straight from the bus
        # (no Textual message per delta: long answers have tens of thousands of them).
        self._incoming: dict[int, list[str]] = {}
        self._next_flush = 0.0

    def compose(self):  # type: ignore[override]
        with MessageList(id="messages"):
            yield EarlierMarker(0)
            yield EmptyChat(id="empty-chat")
        yield Static(id="slash-hint")
        yield ChatInput(self.cockpit.config.keymap, self.cockpit.slash_completions)

    def on_mount(self) -> None:
        super().on_mount()
        self._stops = [
            listen(self, self.cockpit.bus, events.TurnStarted, events.TurnFinished,
                   events.ProviderNotice, events.ContextTrimmed, events.StepStarted,
                   events.StepFinished),
            self.cockpit.bus.subscribe(events.TextDelta, self._collect),
        ]
        self._flusher = self.set_interval(FLUSH_S, self._flush, pause=True)

    def on_unmount(self) -> None:
        for stop in self._stops:
            stop()

    def focus_target(self) -> ChatInput:
        return self.query_one(ChatInput)

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def marker(self) -> EarlierMarker:
        return self.query_one(EarlierMarker)

    def set_title(self, title: str) -> None:
        self.border_subtitle = Text(printable(title))  # a Text: titles are never markup

    def _views(self) -> list[Widget]:
        return [w for w in self.messages.children if isinstance(w, UserView | AnswerView)]

    async def _show(self, *views: Widget) -> None:
        await self.query("#empty-chat").remove()
        await self.messages.mount_all(views)
        self.messages.anchor()  # follow the bottom until the user scrolls up

    def _cost(self, provider: str | None, model: str | None, cost: float) -> float | None:
        """The stored cost, or None where the model's prices are unknown."""
        info = self.cockpit.providers.model_info(ModelChoice(provider or "", model or ""))
        return cost if info.input_price is not None else None

    def _view(self, record: MessageRecord) -> Widget:
        if record.role == "user":
            return UserView(record.content, record.id)
        return AnswerView.from_record(record, self._cost(record.provider, record.model,
                                                         record.cost))

    def _build_views(self, records: list[MessageRecord]) -> list[Widget]:
        """Views of stored messages; a step goes inside its answer (dropped if that answer is
        not among `records`: it is off screen too)."""
        views: list[Widget] = []
        answers: dict[int, AnswerView] = {}
        for record in records:
            if record.role == "step":
                parent = answers.get(record.parent_id or -1)
                if parent is not None:
                    parent.initial_steps.append(StepView.from_record(record))
                continue
            view = self._view(record)
            if isinstance(view, AnswerView):
                answers[view.message_id] = view
            views.append(view)
        return views

    @on(ChatInput.Changed)
    def _show_completions(self) -> None:
        """While a `/name` is typed, the skills it may be, above the input (tab completes)."""
        chat_input = self.query_one(ChatInput)
        matches = chat_input.completions()
        hint = self.query_one("#slash-hint", Static)
        hint.display = bool(matches)
        if matches:
            shown = "  ".join(matches[:12]) + ("  …" if len(matches) > 12 else "")
            hint.update(Text.assemble((printable(shown), "bold"), ("   tab completes", "dim")))

    # sending

    @on(ChatInput.Submitted)
    async def _submitted(self, message: ChatInput.Submitted) -> None:
        if self.busy:
            self.notify("Wait for the answer, or press esc to stop it.", severity="warning")
            self.query_one(ChatInput).text = message.text
            return
        self.busy = True
        view = UserView(message.text)
        await self._show(view)
        self._send(message.text, view)

    @work(group="chat", exit_on_error=False)
    async def _send(self, text: str, view: UserView) -> None:
        try:
            try:
                user = await self.cockpit.save_user_message(self.session_id, text)
            except NotSaved as error:
                await view.remove()
                chat_input = self.query_one(ChatInput)
                if not chat_input.text:
                    chat_input.text = text  # nothing typed is lost
                self.notify(f"Not sent: your message could not be saved ({error}). "
                            "It is back in the input.", severity="error", timeout=15,
                            markup=False)
                return
            view.message_id = user.id
            if self.session_id is None:
                self.session_id = user.session_id
                self.set_title(session_title(text))
            await self._answer_session(user.session_id)
        finally:
            self.busy = False

    async def _answer_session(self, session_id: int) -> None:
        try:
            await self.cockpit.answer(session_id)
        except Exception as error:  # the answer is saved with its status; say what broke
            self.notify(f"Your message is saved; the answer failed: {error}",
                        severity="error", markup=False)

    def cancel(self) -> bool:
        """Stop the answer being written (it is kept, marked cancelled)."""
        if not self.busy:
            return False
        self.workers.cancel_group(self, "chat")
        return True

    def retry(self) -> None:
        """Ask again for an answer to the last message (after an error, say)."""
        if self.busy:
            self.notify("An answer is being written: esc stops it.", severity="warning")
        elif self.session_id is None:
            self.notify("Nothing to retry yet.", severity="warning")
        else:
            self.busy = True
            self._retry(self.session_id)

    @work(group="chat", exit_on_error=False)
    async def _retry(self, session_id: int) -> None:
        try:
            await self._answer_session(session_id)
        finally:
            self.busy = False

    # streaming

    def _collect(self, event: events.TextDelta) -> None:
        if event.session_id == self.session_id:
            self._incoming.setdefault(event.message_id, []).append(event.text)

    async def _flush(self) -> None:
        answer = self._answer
        if answer is None or time.monotonic() < self._next_flush:
            return
        waiting = self._incoming.pop(answer.message_id, None)
        if waiting:
            started = time.monotonic()
            answer.feed("".join(waiting))
            await answer.flush()
            self.call_after_refresh(self._flushed, started)

    def _flushed(self, started: float) -> None:
        # Rendering may take at most a quarter of the time: on a fast stream with a long answer
        # the batches grow rather than the screen falling behind the network.
        cost = time.monotonic() - started
        self._next_flush = time.monotonic() + RENDER_SHARE_WAIT * cost

    async def on_bus_event(self, message: BusEvent) -> None:
        event = message.event
        if getattr(event, "session_id", None) != self.session_id:
            return
        if isinstance(event, events.TurnStarted):
            self._answer = AnswerView(event.message_id, event.provider, event.model,
                                      skill=event.skill)
            await self._show(self._answer)
            self._flusher.resume()
        elif isinstance(event, events.ProviderNotice) and self._answer is not None:
            self._answer.show_notice(event.text)
        elif isinstance(event, events.ContextTrimmed):
            await self._show(NoteView(
                f"{event.left_out} earlier message{'s' if event.left_out != 1 else ''} left out "
                f"to fit the model's {event.context_window:,}-token context window"))
        elif isinstance(event, events.TurnFinished):
            await self._finish(event)
        elif isinstance(event, events.StepStarted):
            if self._answer is not None and self._answer.message_id == event.parent_id:
                await self._answer.add_steps(StepView(event.message_id, event.kind, event.name,
                                                      event.detail))
        elif isinstance(event, events.StepFinished):
            answer = self._answer
            step = answer.step(event.message_id) if answer is not None else None
            if step is not None:
                await step.finish(event.status, event.output, event.error)

    async def _finish(self, event: events.TurnFinished) -> None:
        self._flusher.pause()
        self._incoming.pop(event.message_id, None)
        answer = self._answer
        self._answer = None
        if answer is None or answer.message_id != event.message_id:
            return
        details = details_text(answer.provider, answer.model, event.input_tokens,
                               event.output_tokens, event.cost)
        await answer.finish(event, details)
        await self._prune()

    async def _prune(self) -> None:
        views = self._views()
        excess = len(views) - MAX_SHOWN
        if excess > 0:
            await self.messages.remove_children(views[:excess])
            self.marker.show(self.marker.hidden + excess)

    # sessions

    async def new_session(self) -> None:
        """An empty chat; the session is created with its first message."""
        self.session_id = None
        self.set_title("")
        await self._reset([EmptyChat(id="empty-chat")], hidden=0)
        self.post_message(self.SessionShown(self.cockpit.default_choice))
        self.query_one(ChatInput).focus()

    async def _reset(self, widgets: list[Widget], hidden: int) -> None:
        await self.messages.remove_children()
        await self.messages.mount_all([EarlierMarker(hidden), *widgets])
        self.messages.scroll_end(animate=False)
        self.messages.anchor()

    @work(group="chat-open", exclusive=True, exit_on_error=False)
    async def open_session(self, session_id: int, title: str) -> None:
        """Show a session from the history: its newest messages; older ones on request."""
        if self.busy:
            self.notify("An answer is being written: esc stops it first.", severity="warning")
            return
        session = await self.cockpit.session(session_id)
        if session is None:
            self.notify("That session no longer exists.", severity="warning")
            return
        shown, earlier = await self.cockpit.recent_messages(session_id, WINDOW)
        self.session_id = session_id
        self.set_title(session.title or title)
        await self._reset(self._build_views(shown) or [EmptyChat(id="empty-chat")],
                          hidden=earlier)
        self.post_message(self.SessionShown(self.cockpit.choice_for(session)))

    @work(group="chat-open", exclusive=True, exit_on_error=False)
    async def show_earlier(self) -> None:
        first = next((v for v in self._views() if getattr(v, "message_id", None)), None)
        if self.session_id is None or self.marker.hidden <= 0 or first is None:
            self.notify("Nothing earlier in this session.", timeout=3)
            return
        records, earlier = await self.cockpit.recent_messages(
            self.session_id, WINDOW, before_id=first.message_id)  # type: ignore[attr-defined]
        views = self._build_views(records)
        self.messages.anchor(False)  # the user is reading back: stop following the bottom
        await self.messages.mount_all(views, after=self.marker)
        self.marker.show(earlier)
        if views:
            self.messages.scroll_to_widget(views[0], animate=False, top=True)
