"""`pai ask`: one chat turn without the cockpit, streamed to stdout, saved to history; also the
headless turn of `pai skill run`.

Exit codes: 0 complete, 2 usage or configuration error (no model configured is one), 3 provider
error (stderr says which and what to do), 4 incomplete or cancelled, 5 the answer could not be
saved in the history (the database refused it for half a minute).
"""

from __future__ import annotations

import asyncio
import difflib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import click

from pai_tui import events
from pai_tui.cli import config_for
from pai_tui.cli.output import is_terminal, json_text, stdout_gone, tell, warn
from pai_tui.cockpit import Cockpit
from pai_tui.history.records import MessageRecord
from pai_tui.llm.providers import OFFLINE, ModelChoice
from pai_tui.safe_text import printable
from pai_tui.turns.service import NotSaved

if TYPE_CHECKING:
    from pai_tui.skills.router import RouteDecision
    from pai_tui.turns.turn import Turn

EXIT_OK, EXIT_USAGE, EXIT_PROVIDER, EXIT_INCOMPLETE, EXIT_NOT_SAVED = 0, 2, 3, 4, 5
ENDINGS = {"error": "the answer failed", "incomplete": "the answer is incomplete",
           "cancelled": "the answer was cancelled", "interrupted": "the answer was interrupted"}
EXIT_FOR_STATUS = {"complete": EXIT_OK, "error": EXIT_PROVIDER, "incomplete": EXIT_INCOMPLETE,
                   "cancelled": EXIT_INCOMPLETE, "interrupted": EXIT_INCOMPLETE}


class UsageError(Exception):
    """Bad options: `str()` says which and why."""


@dataclass
class AskOptions:
    prompt: str
    provider: str | None = None
    model: str | None = None
    system: str | None = None
    session: int | None = None
    as_json: bool = False
    skill: str | None = None  # run this skill (pai skill run) instead of routing the prompt
    yes: bool = False  # tools whose policy is "ask" may run
    no_skill: bool = False  # plain chat: the prompt is not routed (a leading /name is text)


def read_text(stream: TextIO) -> str:
    """All of `stream`, as UTF-8 with any undecodable byte replaced (never refused)."""
    raw = getattr(stream, "buffer", None)
    return raw.read().decode("utf-8", errors="replace") if raw is not None else stream.read()


def compose_prompt(prompt: str | None, stdin: TextIO) -> str:
    """The prompt argument and piped stdin, both when both are given."""
    piped = "" if stdin.isatty() else read_text(stdin)
    parts = [part for part in (prompt or "", piped) if part.strip()]
    if not parts:
        raise UsageError("nothing to ask: give a PROMPT, pipe text on stdin, or both")
    return "\n\n".join(parts)


class Printer:
    """Streams the answer's text to stdout (literally safe when stdout is a terminal) and notices
    to stderr (always literal). When stdout's reader goes away (`| head`) it says so through
    `on_closed` (set by `ask` to cancel the turn): a bus subscriber's exceptions are swallowed by
    the bus, so raising would only log and let the answer stream on, paid for, to nobody."""

    def __init__(self, out: TextIO, err: TextIO, stream_text: bool):
        self.out, self.err = out, err
        self.stream_text = stream_text
        self.safe = is_terminal(out)  # asked once: not a system call per delta
        self.ended_with_newline = True
        self.message_id: int | None = None
        self.stdout_closed = False
        self.on_closed: Callable[[], None] | None = None

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.TurnStarted):
            self.message_id = event.message_id
        elif isinstance(event, events.TextDelta) and self.stream_text:
            self._answer(event.text)
        elif isinstance(event, events.TurnNotice):
            tell(self.err, f"pai: {event.text}")
        elif isinstance(event, events.RouteDecided) and event.skill:
            tell(self.err, f"pai: skill {event.skill} ({event.how})")
        elif isinstance(event, events.StepStarted):
            detail = f" {event.detail}" if event.detail else ""
            tell(self.err, f"pai: ▸ {event.name}{detail}")
        elif isinstance(event, events.StepFinished):
            why = f": {event.error}" if event.error else ""
            tell(self.err, f"pai: {event.status} {event.name}{why}")
        elif isinstance(event, events.ContextTrimmed):
            tell(self.err, f"pai: {event.left_out} earlier message(s) left out to fit the "
                           f"model's {event.context_window:,}-token context window")

    def _answer(self, text: str) -> None:
        if self.stdout_closed:
            return
        text = printable(text) if self.safe else text
        try:
            self.out.write(text)
            self.out.flush()
        except (BrokenPipeError, ValueError):  # ValueError: stdout itself was closed
            self.closed()
            return
        if text:
            self.ended_with_newline = text.endswith("\n")

    def closed(self) -> None:
        """stdout is gone: write nothing more there, and stop the turn."""
        self.stdout_closed = True
        if self.on_closed is not None:
            self.on_closed()

    def finish(self) -> None:
        if self.stream_text and not self.ended_with_newline:
            self._answer("\n")


def _choice(cockpit: Cockpit, options: AskOptions) -> ModelChoice | None:
    if options.provider is None and options.model is None:
        return None
    providers = cockpit.providers
    name = options.provider or cockpit.providers.default().provider
    if name != OFFLINE and providers.settings(name) is None:
        known = ", ".join([*providers.names(), OFFLINE])
        raise UsageError(f"no provider named {name!r} (known: {known})")
    model = providers.model_for(name, options.model)
    if not model:
        raise UsageError(f"provider {name!r} has no default model: give --model")
    return ModelChoice(name, model)


def no_model_help(cockpit: Cockpit) -> str:
    """Why there is no model to ask, and what to set: headless, that is a configuration
    error, not an answer."""
    lines = ["no model is configured, so nothing was asked.",
             "Set ANTHROPIC_API_KEY (Claude) or OPENAI_API_KEY (GPT) in the environment or in "
             f"{cockpit.config.home.root / 'secrets.toml'} (mode 600),",
             "or describe a provider in config.toml and name it in [chat] provider "
             "(`pai config path` says where; the README shows an Ollama example)."]
    problem = cockpit.providers.secrets.problem
    if problem:
        lines.append(problem)
    lines.append("`pai doctor` checks what is missing.")
    return "\n".join(f"pai ask: {line}" for line in lines)


async def ask(cockpit: Cockpit, options: AskOptions, out: TextIO = sys.stdout,
              err: TextIO = sys.stderr) -> int:
    try:
        return await _ask(cockpit, options, out, err)
    finally:
        await cockpit.providers.aclose()


async def _decision(cockpit: Cockpit, options: AskOptions) -> RouteDecision | None:
    """The route given on the command line: a skill by name, or plain chat; None: route it."""
    from pai_tui.skills.router import RouteDecision

    if options.no_skill:
        return RouteDecision(None, "chat", options.prompt, reasons=("--no-skill: plain chat",))
    if options.skill is None:
        return None
    decision = (await cockpit.skills.router()).command(options.skill, options.prompt)
    if decision.skill is None:
        index = await cockpit.skills.index()
        close = difflib.get_close_matches(options.skill, [s.key for s in index], n=3)
        hint = f" (did you mean {' or '.join(f'pai skill run {c}' for c in close)}?)" \
            if close else " (pai skill list lists them)"
        raise UsageError(f"there is no skill named {options.skill!r}{hint}")
    return decision


async def _ask(cockpit: Cockpit, options: AskOptions, out: TextIO, err: TextIO) -> int:
    choice = _choice(cockpit, options)
    history, turns = cockpit.history, cockpit.turns
    answering = choice
    if options.session is not None:
        session = await history.session(options.session)
        if session is None:
            raise UsageError(f"no session {options.session}")
        answering = choice or cockpit.providers.choice_for(session.provider, session.model)
    decision = await _decision(cockpit, options)  # an unknown skill is said before no model
    if (answering or cockpit.providers.default()).provider == OFFLINE:
        tell(err, no_model_help(cockpit))
        return EXIT_USAGE
    if cockpit.providers.secrets.problem:  # a key may be missing because of it: say so
        tell(err, f"pai: {cockpit.providers.secrets.problem}")
    if options.session is not None:
        if choice:
            await history.set_model(options.session, choice.provider, choice.model)
        if options.system is not None:
            await history.set_system_prompt(options.session, options.system)
    cockpit.approvals.assume_yes = options.yes
    printer = Printer(out, err, stream_text=not options.as_json)
    stop = cockpit.bus.subscribe(events.Event, printer)
    try:
        try:
            turn = await turns.start(options.session, options.prompt, choice=choice,
                                     system=options.system, decision=decision)
        except NotSaved as error:
            tell(err, f"pai: your message could not be saved, so it was not sent: {error}")
            return EXIT_USAGE
        answer = await _run(turn, printer)
    finally:
        stop()
        printer.finish()
    if options.as_json and not printer.stdout_closed:
        printer_json(printer, _as_json(answer))
    if printer.stdout_closed:
        return _stdout_closed(turn, printer)
    if answer.status != "complete":
        tell(err, f"pai: {ENDINGS.get(answer.status, 'the answer did not end')}: "
                  f"{answer.error or 'no reason given'}")
        if answer.status == "error" and not _skill_problem(answer):
            tell(err, "pai: `pai doctor` checks keys and providers.")
    if not turn.saved:
        tell(err, "pai: the answer was printed but could not be saved in the history; the "
                  "next start marks it interrupted")
        return EXIT_NOT_SAVED
    return EXIT_FOR_STATUS.get(answer.status, EXIT_INCOMPLETE)


async def _run(turn: Turn, printer: Printer) -> MessageRecord:
    """The turn's answer; when stdout closes midway the printer cancels the turn, which keeps
    what came (marked cancelled) and is not an error here."""
    printer.on_closed = turn.ctx.cancel.cancel
    try:
        return await turn.run()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not printer.stdout_closed or task is None or task.uncancel() > 0:
            raise  # a real cancel (ctrl-c) too: let it through
        return turn.answer


def printer_json(printer: Printer, value: object) -> None:
    """The --json object on stdout, unless its reader is gone."""
    try:
        printer.out.write(json_text(value) + "\n")
        printer.out.flush()
    except (BrokenPipeError, ValueError):
        printer.stdout_closed = True


def _stdout_closed(turn: Turn, printer: Printer) -> int:
    """Exit like ctrl-c, with one line on stderr (which may be gone as well)."""
    if printer.out is sys.stdout:
        stdout_gone()
    saved = "saved, marked cancelled" if turn.saved else "not saved"
    tell(printer.err, f"pai: stdout was closed, so the answer was stopped; what came is "
                      f"{saved}.")
    return EXIT_INCOMPLETE


def _as_json(answer: MessageRecord) -> dict[str, object]:
    return {"text": answer.content, "status": answer.status, "error": answer.error,
            "session": answer.session_id, "message": answer.id, "provider": answer.provider,
            "model": answer.model,
            "usage": {"input_tokens": answer.input_tokens,
                      "output_tokens": answer.output_tokens},
            # the output tokens were counted from the text (the stream ended early)
            "usage_estimated": answer.output_estimated,
            "cost": answer.cost}  # None: the model's prices are unknown (set them in config.toml)


def _skill_problem(answer: MessageRecord) -> bool:
    """Whether the answer failed in a skill (a tool, an unknown /name) rather than a provider."""
    reason = answer.error or ""
    return "/" in (answer.skill or "") or reason.startswith(("no skill named", "the skill"))


@click.command("ask")
@click.argument("prompt", required=False)
@click.option("--provider", help="Provider name (anthropic, openai, or one in config.toml).")
@click.option("--model", help="Model name (default: the provider's).")
@click.option("--system", help="System prompt for this session.")
@click.option("--session", "session", type=int, metavar="ID", help="Continue session ID.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (text, status, usage, cost) at the end instead of "
                   "streaming.")
@click.option("--yes", is_flag=True,
              help="Let the model run tools of the skill answering whose policy is 'ask'.")
@click.option("--no-skill", is_flag=True,
              help="Plain chat: do not route the prompt to a skill (a leading /name is text).")
@click.pass_context
def ask_command(ctx: click.Context, prompt: str | None, provider: str | None,
                model: str | None, system: str | None, session: int | None, as_json: bool,
                yes: bool, no_skill: bool) -> None:
    """Ask a model and stream the answer to stdout; saved to history like a chat turn.

    Text piped on stdin is sent too, after PROMPT:

    \b
        cat notes.md | pai ask "summarize"

    The message is routed like a chat message: "/name ..." or a routing rule runs a skill
    (--no-skill: never).

    Exit codes: 0 complete, 2 usage or configuration error (or no model configured),
    3 provider error, 4 incomplete or cancelled, 5 the answer could not be saved.
    """
    config = config_for(ctx)
    try:
        text = compose_prompt(prompt, sys.stdin)
    except UsageError as error:
        warn(f"pai ask: {error}")
        ctx.exit(EXIT_USAGE)
    options = AskOptions(text, provider, model, system, session, as_json, yes=yes,
                         no_skill=no_skill)
    cockpit = Cockpit(config)
    code = EXIT_USAGE
    try:
        code = asyncio.run(ask(cockpit, options))
    except UsageError as error:
        warn(f"pai ask: {error}")
    except KeyboardInterrupt:
        warn("pai: cancelled; the partial answer is saved, marked cancelled.")
        code = EXIT_INCOMPLETE
    finally:
        cockpit.close()
    ctx.exit(code)
