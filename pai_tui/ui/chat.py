"""The Chat pane: the conversation (streamed, windowed) and the input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.history.records import MessageRecord
from pai_tui.history.service import session_title
from pai_tui.llm.providers import ModelChoice
from pai_tui.safe_text import printable
from pai_tui.ui.bus import Bridge, Listening
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.markdown_body import lines_at_least
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
from pai_tui.ui.streaming import AnswerStream

if TYPE_CHECKING:
    from pai_tui.skills.router import RouteDecision
    from pai_tui.turns.strategies import Plan, Toolbox
    from pai_tui.turns.turn import Turn

WINDOW = 24  # messages put on screen when a session opens, and per "show earlier"
MOST_SHOWN = 400  # messages put on screen to show one a search found (from it to the end)
MAX_SHOWN = 120  # beyond this, the oldest leave the screen (they stay in the history)


def rough_height(view: Widget, width: int) -> int:
    """Lines `view` takes at least: its header and its text."""
    return 1 + lines_at_least(getattr(view, "body", ""), width)


class ChatPane(Listening, Pane):
    TITLE = "Chat"

    class SessionShown(Message):
        """The chat now shows a session (or a new, empty one) answered by `choice`."""

        def __init__(self, choice: ModelChoice):
            super().__init__()
            self.choice = choice

    def __init__(self, cockpit: Cockpit, bridge: Bridge, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit = cockpit
        self.bridge = bridge
        self.session_id: int | None = None
        self.busy = False
        self._answer: AnswerView | None = None
        self._followed: AnswerView | None = None  # an agent's run shown live (its session)
        self._asking: UserView | None = None  # the message being answered now
        self._sending: AnswerView | None = None  # its answer's place, until the turn starts
        self._queued: list[UserView] = []  # sent while busy: each goes when the one before ends
        self.without_notes: frozenset[int] = frozenset()  # left out of the next message (alt+p)

    def compose(self):  # type: ignore[override]
        with MessageList(id="messages"):
            yield EarlierMarker(0)
            yield EmptyChat(id="empty-chat")
        yield Static(Text("↓ new text below (PgDn scrolls down)", style="bold"),
                     id="new-below")
        yield Static(id="slash-hint")
        # The skills service is made on the first keystroke, not at start-up.
        yield ChatInput(self.cockpit.config.keymap, self._completions)

    def _completions(self, prefix: str) -> list[str]:
        """`/le` -> the note commands (/learn …) and the skills it may become."""
        from pai_tui.history.notes import CHAT_COMMANDS

        notes = [c for c in CHAT_COMMANDS if c.startswith(prefix.lower())]
        return notes + [s for s in self.cockpit.skills.completions(prefix) if s not in notes]

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#new-below").display = False
        self.set_class(self.cockpit.config.ui.details, "-details")  # as the user left it
        self._stop_listening = self.bridge.listen(
            self, events.TurnStarted, events.TurnFinished, events.TurnNotice,
            events.ContextTrimmed, events.StepStarted, events.StepFinished)

    def on_unmount(self) -> None:
        self._stop_listening()

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

    def last_answer(self) -> AnswerView | None:
        answers = [view for view in self._views() if isinstance(view, AnswerView)]
        return answers[-1] if answers else None

    def _views(self) -> list[Widget]:
        return [w for w in self.messages.children if isinstance(w, UserView | AnswerView)]

    async def _show(self, *views: Widget, after: Widget | None = None) -> None:
        await self.query("#empty-chat").remove()
        await self.messages.mount_all(views, after=after)
        self.messages.anchor()  # follow the bottom until the user scrolls up

    def _build_views(self, records: list[MessageRecord]) -> list[Widget]:
        """Views of stored messages: each question with its chosen answer ("answer k of n" when
        a retry gave it several); a step goes inside its answer (dropped if that answer is not
        shown)."""
        views: list[Widget] = []
        shown: dict[int, AnswerView] = {}
        alternatives: list[MessageRecord] = []  # the answers to the latest question

        def close_question() -> None:
            chosen = [a for a in alternatives if not a.superseded] or alternatives[-1:]
            if chosen:
                view = AnswerView.from_record(chosen[-1])
                if len(alternatives) > 1:
                    view.alternative = (alternatives.index(chosen[-1]) + 1, len(alternatives))
                shown[view.message_id] = view
                views.append(view)
            alternatives.clear()

        for record in records:
            if record.role == "user":
                close_question()
                views.append(UserView(record.content, record.id))
            elif record.role == "assistant":
                alternatives.append(record)
        close_question()
        for record in records:
            parent = shown.get(record.parent_id or -1) if record.role == "step" else None
            if parent is not None:
                parent.initial_steps.append(StepView.from_record(record))
        return views

    def _new_text(self) -> None:
        """New text arrived: if the user is reading further up, say there is more below."""
        if self.messages.behind:
            self.query_one("#new-below").display = True

    @on(MessageList.Moved)
    def _moved(self) -> None:
        if not self.messages.behind:
            self.query_one("#new-below").display = False

    @on(ChatInput.Page)
    def _page(self, message: ChatInput.Page) -> None:
        if message.direction < 0:
            self.messages.anchor(False)  # reading back: stop following the bottom
            self.messages.scroll_page_up(animate=False)
        else:
            self.messages.scroll_page_down(animate=False)
            self.call_after_refresh(self._follow_if_at_bottom)

    def _follow_if_at_bottom(self) -> None:
        if self.messages.scroll_y >= self.messages.max_scroll_y:
            self.messages.anchor()  # back at the bottom: follow it again

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
        """Send it; while an answer is being written, queue it (in order, never lost). A note
        command (/learn …, /decide …) keeps a note instead."""
        from pai_tui.history.notes import chat_note

        note = chat_note(message.text)
        if note is not None:
            self.keep_note(*note)
            return
        if self.busy:
            view = UserView(message.text, queued=True)
            self._queued.append(view)
            await self._show(view)
            return
        self.busy = True
        view, answer = UserView(message.text), AnswerView.sending()
        await self._show(view, answer)
        self._send(message.text, view, answer)

    @work(group="chat-note", exit_on_error=False)
    async def keep_note(self, kind: str, text: str) -> None:
        """Keep `text` as a note of `kind`, from this session; the input gets it back if it
        cannot be kept."""
        from pai_tui.history.notes import CHAT_COMMANDS, split_text
        from pai_tui.history.records import NoteDraft

        command = next(c for c, k in CHAT_COMMANDS.items() if k == kind)
        title, body = split_text(text)
        if not title:
            self._give_back(command + " ")
            self.notify(f"{command} what? Type what to remember after it: {command} TEXT",
                        severity="warning", timeout=5)
            return
        draft = NoteDraft(kind, title, body, session_id=self.session_id)
        try:
            note = await self.cockpit.history.run(lambda store: store.add_note(draft))
        except Exception as error:  # the store failed: nothing typed is lost
            self._give_back(f"{command} {text}")
            self.notify(f"Not kept ({error}); it is back in the input.", severity="error",
                        markup=False, timeout=10)
            return
        self.notify(f"Kept {kind} {note.id}: {printable(note.title)[:80]} (pai notes; "
                    "forget it there or in History)", markup=False, timeout=5)

    def _next_queued(self) -> None:
        """The answer ended: send the oldest queued message, if any."""
        if self.busy or not self._queued:
            return
        view = self._queued.pop(0)
        view.sent()
        self.busy = True
        self._send(view.body, view, AnswerView.sending())

    def take_back_queued(self) -> bool:
        """The queued messages leave the queue and go back into the input, before whatever is
        typed there (nothing typed is overwritten)."""
        if not self._queued:
            return False
        taken, self._queued = self._queued, []
        chat_input = self.query_one(ChatInput)
        texts = [view.body for view in taken] + ([chat_input.text] if chat_input.text else [])
        chat_input.text = "\n\n".join(texts)
        chat_input.move_cursor(chat_input.document.end)
        for view in taken:
            view.remove()
        return True

    @work(group="chat", exit_on_error=False)
    async def _send(self, text: str, view: UserView, answer: AnswerView) -> None:
        """Save and answer `text`, shown as `view` with the place of its `answer` under it
        (drawn while the message is saved, so that the turn's start costs the screen a line,
        not a layout, just when its request goes out)."""
        from pai_tui.turns.service import NotSaved

        self._sending = answer
        try:
            if not answer.is_mounted:
                await self._show(answer, after=view)
            plan = await self._delegation(text) if text.lstrip().startswith("@") else None
            if plan is False:
                await view.remove()
                self._give_back(text)
                return
            without, self.without_notes = self.without_notes, frozenset()  # this one only
            try:
                turn = await self.cockpit.turns.start(
                    self.session_id, text, decision=_as_written(text) if plan else None,
                    without_notes=without)
            except NotSaved as error:
                await view.remove()
                self._give_back(text)
                self.notify(f"Not sent: your message could not be saved ({error}). "
                            "It is back in the input.", severity="error", timeout=15,
                            markup=False)
                return
            if plan:
                turn.plan = plan
            elif self.cockpit.config.agents.delegate_tool:
                turn.toolbox = await self._delegate_tool(turn)
            view.message_id = turn.ctx.user_id
            if self.session_id is None:
                self.session_id = turn.ctx.session_id
                self.set_title(session_title(text))
            self._asking = view
            await self._run(turn)
        finally:
            if self._sending is answer:  # the turn never started
                self._sending = None
                await answer.remove()
            self._asking = None
            self.busy = False
            self._next_queued()

    def _give_back(self, text: str) -> None:
        """`text` back into the input, before what is typed there (nothing typed is lost)."""
        chat_input = self.query_one(ChatInput)
        chat_input.text = f"{text}\n\n{chat_input.text}" if chat_input.text else text

    async def _delegation(self, text: str) -> Plan | bool | None:
        """For `@agent task`: the plan that gives the task to the agents named; None when no
        name is an agent's (plain chat); False when only some are (nothing is sent)."""
        from pai_tui.agents.delegation import delegation, parse_mentions

        names, task = parse_mentions(text)
        if not names:
            return None
        supervisor = self.cockpit.agents
        catalog = await supervisor.catalog()
        found = [catalog.get(name) for name in names]
        agents = [agent for agent in found if agent is not None]
        if not agents:
            return None
        if len(agents) < len(names):
            unknown = ", ".join(n for n, a in zip(names, found, strict=True) if a is None)
            self.notify(f"No agent called {unknown} (alt+g lists them). Not sent; your message "
                        "is back in the input.", severity="error", markup=False)
            return False
        return delegation(supervisor, agents, task)

    async def _delegate_tool(self, turn: Turn) -> Toolbox:
        from pai_tui.agents.delegation import delegate_toolbox

        supervisor = self.cockpit.agents
        return delegate_toolbox(supervisor, list(await supervisor.catalog()), turn)

    async def _run(self, turn: Turn) -> None:
        try:
            await turn.run()
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
            try:
                turn = await self.cockpit.turns.retry(session_id)
            except LookupError as error:
                self.notify(f"Nothing retried: {error}.", severity="warning", markup=False)
                return
            await self._run(turn)
        finally:
            self.busy = False
            self._next_queued()

    # what the turns of the shown session say

    def _mine(self, event: events.Event) -> bool:
        return event.agent is None and getattr(event, "session_id", None) == self.session_id

    async def on_turn_started(self, event: events.TurnStarted) -> None:
        if self._mine(event):
            if self._sending is not None:  # its place is on screen already
                self._answer, self._sending = self._sending, None
                self._answer.started(event)
                self.messages.anchor()
            else:
                await self._show_new_answer(event)
            self.bridge.stream(event.message_id, AnswerStream(
                self._answer, self._new_text, self.query_one(ChatInput).since_typed))

    async def _show_new_answer(self, event: events.TurnStarted) -> None:
        self._answer = AnswerView(event.message_id, event.provider, event.model,
                                  skill=event.skill)
        if event.answers > 1:  # a retry: the new answer takes the place of the old
            self._answer.alternative = (event.answers, event.answers)
            await self._drop_last_answer()
        # Right under its question: queued messages may already stand below it.
        await self._show(self._answer, after=self._asking)

    def on_turn_notice(self, event: events.TurnNotice) -> None:
        if self._mine(event) and self._answer is not None:
            self._answer.show_notice(event.text)

    async def on_context_trimmed(self, event: events.ContextTrimmed) -> None:
        if self._mine(event):
            await self._show(NoteView(
                f"{event.left_out} earlier message{'s' if event.left_out != 1 else ''} left out "
                f"to fit the model's {event.context_window:,}-token context window"))

    async def on_step_started(self, event: events.StepStarted) -> None:
        answer = self._answer_of(event)
        if answer is not None and answer.message_id == event.parent_id:
            await answer.add_steps(StepView(event.message_id, event.kind, event.name,
                                            event.detail))

    async def on_step_finished(self, event: events.StepFinished) -> None:
        answer = self._answer_of(event)
        step = answer.step(event.message_id) if answer is not None else None
        if step is not None:
            await step.finish(event.status, event.output, event.error)

    async def on_turn_finished(self, event: events.TurnFinished) -> None:
        if self._mine(event):
            await self._finish(event)
        elif event.agent is not None and event.session_id == self.session_id:
            await self._run_ended(event)

    async def _run_ended(self, event: events.TurnFinished) -> None:
        """An agent's run shown here ended: its answer followed live ends in place (its final
        text, status and cost), else the session is read again to show it."""
        self.bridge.unstream(event.message_id)
        followed, self._followed = self._followed, None
        if followed is None or followed.message_id != event.message_id:
            await self._load(event.session_id)
            return
        await followed.finish(event, details_text(followed.provider, followed.model,
                                                  event.input_tokens, event.output_tokens,
                                                  event.cost, event.output_estimated))

    async def _drop_last_answer(self) -> None:
        views = self._views()
        if views and isinstance(views[-1], AnswerView):
            await views[-1].remove()

    async def _finish(self, event: events.TurnFinished) -> None:
        self.bridge.unstream(event.message_id)
        answer = self._answer
        self._answer = None
        if answer is None or answer.message_id != event.message_id:
            return
        details = details_text(answer.provider, answer.model, event.input_tokens,
                               event.output_tokens, event.cost, event.output_estimated)
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
        self.post_message(self.SessionShown(self.cockpit.providers.default()))
        self.query_one(ChatInput).focus()

    async def _reset(self, widgets: list[Widget], hidden: int) -> None:
        await self.messages.remove_children()
        await self.messages.mount_all([EarlierMarker(hidden), *widgets])
        self.messages.scroll_end(animate=False)
        self.messages.anchor()

    @work(group="chat-open", exclusive=True, exit_on_error=False)
    async def open_session(self, session_id: int, title: str, at: int | None = None) -> None:
        """Show a session from the history: its newest messages; older ones on request. `at`:
        a message to show (a search found it), scrolled to and marked."""
        if self.busy:
            self.notify("An answer is being written: esc stops it first.", severity="warning")
            return
        await self._load(session_id, title, at)

    async def _load(self, session_id: int, title: str = "", at: int | None = None) -> None:
        history = self.cockpit.history
        session = await history.session(session_id)
        if session is None:
            self.notify("That session no longer exists.", severity="warning")
            return
        window = WINDOW
        if at is not None:  # from the found message to the end (a few more above it)
            window = max(WINDOW, min(await history.messages_from(session_id, at) + 2, MOST_SHOWN))
        shown, earlier = await history.recent_messages(session_id, window)
        self.session_id = session_id
        self.set_title(session.title or title)
        views = self._build_views(shown) or [EmptyChat(id="empty-chat")]
        above, visible = ([], views) if at is not None else self._split_at_screen_top(views)
        await self._reset(visible, hidden=earlier)
        self._follow_run(shown, visible)
        if above:  # rendered after the first frame: the bottom shows at once
            self.call_after_refresh(self._mount_above, above, self.marker)
        if at is not None:
            self.call_after_refresh(self._show_found, at)
        choice = self.cockpit.providers.choice_for(session.provider, session.model)
        self.post_message(self.SessionShown(choice))

    def _show_found(self, message_id: int) -> None:
        """Scroll to the message a search found and mark it (until another is opened)."""
        found = next((v for v in self._views() if getattr(v, "message_id", None) == message_id),
                     None)
        if found is None:
            self.notify("That message is further back than the chat shows: scroll up (or "
                        "search again with --session).", severity="warning")
            return
        self.messages.anchor(False)  # the user is reading back: stop following the bottom
        found.add_class("-found")
        self.messages.scroll_to_widget(found, top=True, animate=False)

    def _follow_run(self, records: list[MessageRecord], views: list[Widget]) -> None:
        """An agent's run still going in the shown session: its text so far (all of it, from
        the bridge, beyond what was saved), then the rest live, paced as the chat's own."""
        self._followed = None
        running = next((r for r in reversed(records) if r.role == "assistant" and r.agent
                        and r.status == "streaming"), None)
        view = next((v for v in views if isinstance(v, AnswerView)
                     and running is not None and v.message_id == running.id), None)
        if running is None or view is None:
            return
        so_far = self.bridge.take(running.id)
        if so_far.startswith(running.content):
            view.feed(so_far[len(running.content):])
        self._followed = view
        self.bridge.stream(running.id, AnswerStream(view, self._new_text,
                                                    self.query_one(ChatInput).since_typed))

    def _answer_of(self, event: events.Event) -> AnswerView | None:
        """The answer on screen that `event` (a step's) belongs to, if any."""
        if self._mine(event):
            return self._answer
        followed = self._followed
        if followed is not None and followed.message_id == event.turn_id:
            return followed
        return None

    def _split_at_screen_top(self, views: list[Widget]) -> tuple[list[Widget], list[Widget]]:
        """`views` split into those above the screen and those on it, when scrolled to the
        bottom, by a height estimate that is never more than the rendered height (so what is
        on screen is complete however the Markdown renders)."""
        width, height = self.messages.size
        if not width or not height:
            return [], views
        lines = 0
        for start in range(len(views) - 1, -1, -1):
            lines += rough_height(views[start], width)
            if lines >= height:
                return views[:start], views[start:]
        return [], views

    @work(group="chat-open", exit_on_error=False)
    async def _mount_above(self, views: list[Widget], marker: EarlierMarker) -> None:
        if marker.is_attached:  # still the session they belong to
            await self.messages.mount_all(views, after=marker)

    @work(group="chat-open", exclusive=True, exit_on_error=False)
    async def switch_answer(self) -> None:
        """Show (and send from now on) the next answer to the last message, after a retry."""
        if self.busy or self.session_id is None:
            self.notify("No answers to switch between here.", severity="warning")
            return
        records = await self.cockpit.history.messages(self.session_id)
        question = max((m.id for m in records if m.role == "user"), default=0)
        answers = [m for m in records if m.role == "assistant" and m.id > question]
        if len(answers) < 2:
            self.notify("The last message has one answer (ctrl+r asks for another).",
                        severity="warning")
            return
        shown = next((i for i, a in reversed(list(enumerate(answers))) if not a.superseded),
                     len(answers) - 1)
        chosen = answers[(shown + 1) % len(answers)]
        await self.cockpit.history.choose_answer(chosen.id, self.session_id)
        await self._load(self.session_id)

    @work(group="chat-open", exclusive=True, exit_on_error=False)
    async def show_earlier(self) -> None:
        first = next((v for v in self._views() if getattr(v, "message_id", None)), None)
        if self.session_id is None or self.marker.hidden <= 0 or first is None:
            self.notify("Nothing earlier in this session.", timeout=3)
            return
        records, earlier = await self.cockpit.history.recent_messages(
            self.session_id, WINDOW, before_id=first.message_id)  # type: ignore[attr-defined]
        views = self._build_views(records)
        self.messages.anchor(False)  # the user is reading back: stop following the bottom
        await self.messages.mount_all(views, after=self.marker)
        self.marker.show(earlier)
        if views:
            self.messages.scroll_to_widget(views[0], animate=False, top=True)


def _as_written(text: str) -> RouteDecision:
    """A message the chat answers itself (a delegation): never routed to a skill."""
    from pai_tui.skills.router import RouteDecision

    return RouteDecision(None, "chat", text, reasons=("delegated to agents",))
