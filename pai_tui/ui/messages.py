"""How messages look in the Chat pane. Everything from outside (the user's text, the model's
answer, error messages) is shown literally: control characters are made visible and nothing is
read as markup; answers render as Markdown, streamed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalGroup, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from pai_tui import events
from pai_tui.history.records import MessageRecord
from pai_tui.llm.providers import OFFLINE
from pai_tui.paths import bundled
from pai_tui.safe_text import clip, printable
from pai_tui.ui.markdown_body import MarkdownBody

STATUS_LABELS = {"sending": "sending…", "streaming": "writing…", "cancelled": "cancelled",
                 "incomplete": "incomplete", "error": "error", "interrupted": "interrupted"}
# Why an answer is not complete, when no error message says more.
STATUS_REASONS = {"cancelled": "cancelled: stopped before the end; what came is kept",
                  "interrupted": "interrupted: pai stopped before the answer ended; what came "
                                 "is kept",
                  "incomplete": "incomplete: the answer did not reach its end",
                  "error": "error: no answer"}


def details_text(provider: str | None, model: str | None, input_tokens: int,
                 output_tokens: int, cost: float | None, estimated: bool = False) -> str:
    spent = "cost unknown" if cost is None else f"{'≈' if estimated else ''}${cost:.4f}"
    who = " · ".join(p for p in (provider, model) if p)
    out = f"≈{output_tokens:,} out (counted from the text)" if estimated else \
        f"{output_tokens:,} out"
    return f"{who} · {input_tokens:,} in / {out} · {spent}"


class UserView(Static):
    """A message the user sent."""

    def __init__(self, text: str, message_id: int | None = None, queued: bool = False):
        super().__init__(classes="message -user")
        self.body = text
        self.message_id = message_id
        self.queued = queued  # sent while an answer was written: it goes after that one

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        head = Text("you", style="bold")
        if self.queued:
            head.append("  queued: sent when the answer above ends (alt+q takes it back)",
                        style="italic dim")
        self.update(Text.assemble(head, "\n", printable(self.body)))

    def sent(self) -> None:
        self.queued = False
        self.show()


def _update_line(static: Static, text: Text) -> None:
    """Show `text` in `static`, laying the screen out again only if its height may change: a
    layout of the chat costs a frame 10-20 ms (at a turn's start, just as its request goes
    out). A hidden line is laid out when it shows."""
    old = static.content
    if isinstance(old, Text) and old == text:
        return
    width = static.size.width

    def one_row(shown: object) -> bool:
        return isinstance(shown, Text) and "\n" not in shown.plain and shown.cell_len < width

    static.update(text, layout=static.display and not (one_row(old) and one_row(text)))


class AnswerView(VerticalGroup):
    """A model's answer: a header (who, status, notices), the Markdown body, and a footer with
    model, tokens and cost (shown on demand) or why it did not complete (always shown)."""

    def __init__(self, message_id: int, provider: str | None, model: str | None,
                 status: str = "streaming", text: str = "", error: str | None = None,
                 details: str = "", skill: str | None = None):
        super().__init__(classes="message -assistant")
        self.message_id = message_id
        self.skill = skill
        self.initial_steps: list[StepView] = []  # steps of a stored answer, shown with it
        self.provider, self.model = provider, model
        self.status, self.body, self.error = status, text, error
        self.details = details
        self.notice = ""
        self.alternative: tuple[int, int] | None = None  # answer k of n to its question
        self.notes_used: tuple[int, ...] = ()  # the history's notes in its context
        self.rating: int | None = None  # the user's, 1..10
        self._pending: list[str] = []

    @classmethod
    def sending(cls) -> AnswerView:
        """The answer to a message being sent, shown with it: by the time the turn starts its
        place is on screen, and the start only names who writes it (a line, not a layout)."""
        return cls(0, None, None, status="sending")

    def started(self, event: events.TurnStarted) -> None:
        self.message_id, self.provider, self.model = event.message_id, event.provider, \
            event.model
        self.skill, self.status = event.skill, "streaming"
        self.notes_used = event.notes
        self._refresh_frame()

    @classmethod
    def from_record(cls, record: MessageRecord) -> AnswerView:
        details = details_text(record.provider, record.model, record.input_tokens,
                               record.output_tokens, record.cost, record.output_estimated)
        view = cls(record.id, record.provider, record.model, record.status, record.content,
                   record.error, details, record.skill)
        view.notes_used, view.rating = record.notes_used, record.rating
        return view

    def rated(self, rating: int) -> None:
        self.rating = rating
        self._refresh_frame()

    def compose(self) -> ComposeResult:
        yield Static(classes="answer-header")
        yield VerticalGroup(*self.initial_steps, classes="answer-steps")
        yield MarkdownBody(self.body, classes="answer-body")
        yield Static(classes="answer-footer")

    def on_mount(self) -> None:
        self._refresh_frame()

    async def add_steps(self, *steps: StepView) -> None:
        await self.query_one(".answer-steps", VerticalGroup).mount_all(steps)

    def step(self, message_id: int) -> StepView | None:
        return next((s for s in self.query(StepView) if s.message_id == message_id), None)

    def _refresh_frame(self) -> None:
        # An answer that ended short is marked; one being written is not, so that its end
        # restyles nothing (its header says "writing…").
        self.set_class(self.status not in ("complete", "streaming", "sending"), "-unfinished")
        who = "offline" if self.provider == OFFLINE else self.model or self.provider
        # While sending, who answers is not known yet (the turn's start says).
        header = Text() if self.status == "sending" else \
            Text(printable(who or "assistant"), style="bold")
        if self.skill:
            header.append(f"  skill {printable(self.skill)}", style="italic")
        if self.alternative is not None:
            shown, count = self.alternative
            header.append(f"  answer {shown} of {count} (alt+a switches)", style="dim")
        if self.notes_used:
            count = len(self.notes_used)
            header.append(f"  used {count} note{'s' * (count != 1)} (alt+j)", style="dim")
        if self.rating is not None:
            header.append(f"  rated {self.rating}/10", style="dim")
        if label := STATUS_LABELS.get(self.status):
            header.append(f"  {label}" if header else label, style="italic")
        if self.notice and self.status == "streaming":
            header.append(f"  {printable(self.notice)}", style="dim")
        _update_line(self.query_one(".answer-header", Static), header)
        footer = Text(printable(self.details), style="dim")
        if self.status in STATUS_REASONS:
            reason = self.error or STATUS_REASONS[self.status]
            footer = Text(printable(reason)) + Text("  ctrl+r retries", style="dim")
        _update_line(self.query_one(".answer-footer", Static), footer)

    # streaming

    def feed(self, text: str) -> None:
        self._pending.append(printable(text))

    async def flush(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.body += text
            await self.query_one(MarkdownBody).append(text)

    def show_notice(self, text: str) -> None:
        self.notice = text
        self._refresh_frame()

    async def finish(self, event: events.TurnFinished, details: str) -> None:
        """The end: the final text rendered whole (a half-open fence closes, anything the
        stream missed appears)."""
        self._pending.clear()
        self.status, self.error, self.details = event.status, event.error, details
        self.body = printable(event.text)
        await self.query_one(MarkdownBody).set_text(self.body)
        self._refresh_frame()


STEP_SHOWN_CHARS = 20_000  # of a step's output on screen (a tool may print a megabyte)
STEP_MARKS = {"streaming": "…", "complete": "✓", "error": "✗", "cancelled": "■",
              "denied": "⊘", "interrupted": "✗"}


class StepView(VerticalGroup):
    """A nested skill call or a tool run inside an answer: a line saying what ran and how it
    ended, and its output (literal) under it. A click folds or unfolds the output; tool output is
    unfolded, a nested skill's answer folded, at first."""

    def __init__(self, message_id: int, kind: str, name: str, detail: str = "",
                 status: str = "streaming", output: str = "", error: str | None = None):
        super().__init__(classes=f"step -{kind}")
        self.message_id, self.kind, self.step_name, self.detail = message_id, kind, name, detail
        self.status, self.output, self.error = status, output, error
        self.set_class(kind == "skill", "-folded")

    @classmethod
    def from_record(cls, record: MessageRecord) -> StepView:
        name = record.skill or ""
        kind = "agent" if name.startswith("@") else "tool" if "/" in name else "skill"
        return cls(record.id, kind, record.skill or "step", "", record.status, record.content,
                   record.error)

    def compose(self) -> ComposeResult:
        yield Static(classes="step-header")
        yield MarkdownBody(printable(clip(self.output, STEP_SHOWN_CHARS)), classes="step-body")

    def on_mount(self) -> None:
        self._refresh_header()

    def _refresh_header(self) -> None:
        mark = STEP_MARKS.get(self.status, "?")
        what = {"skill": "runs skill", "agent": "asks"}.get(self.kind, "runs")
        header = Text.assemble((f"{mark} ", "bold"), (f"{what} ", "dim"),
                               (printable(self.step_name), "bold"))
        if self.detail:
            header.append(f" {printable(self.detail)}", style="dim")
        if self.status not in ("streaming", "complete"):
            header.append(f"  {self.status}", style="italic")
        if self.error:
            header.append(f": {printable(self.error)}")
        if self.output:
            header.append("  · click folds", style="dim")
        self.query_one(".step-header", Static).update(header)

    async def finish(self, status: str, output: str, error: str | None) -> None:
        self.status, self.output, self.error = status, output, error
        await self.query_one(MarkdownBody).set_text(printable(clip(output, STEP_SHOWN_CHARS)))
        self._refresh_header()

    def on_click(self) -> None:
        self.toggle_class("-folded")


class NoteView(Static):
    """A line pai adds to the conversation (not sent to the model)."""

    def __init__(self, text: str):
        super().__init__(Text(text, style="dim italic"), classes="note")


class EarlierMarker(Static):
    """Says how many older messages are not on screen, and how to see them."""

    def __init__(self, hidden: int):
        super().__init__(id="earlier", classes="note")
        self.hidden = hidden

    def on_mount(self) -> None:
        self.show(self.hidden)

    def show(self, hidden: int) -> None:
        self.hidden = hidden
        self.display = hidden > 0
        self.update(Text(f"↑ {hidden} earlier message{'s' if hidden != 1 else ''} "
                         "(alt+u shows more)", style="dim italic"))


class EmptyChat(Static):
    def on_mount(self) -> None:
        try:
            logo = (bundled("assets") / "logo.txt").read_text(encoding="utf-8").rstrip("\n")
        except OSError:
            logo = "pai"
        hints = ("Type a message and press enter; ctrl+j starts a new line.\n"
                 "F1 lists every key; ctrl+p runs any action.")
        self.update(Text.assemble((logo + "\n\n", "bold"), (hints, "dim")))


class MessageList(VerticalScroll, can_focus=True):
    class Moved(Message):
        """The view scrolled (by the user or by new text)."""

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.post_message(self.Moved())

    @property
    def behind(self) -> bool:
        """Whether there is text below what is shown."""
        return self.scroll_y < self.max_scroll_y - 0.5
