"""One turn, from the saved question to the saved answer:
gates → prepare → route → a strategy (plain chat, skill turn, direct tool) → collect → finish.

The user's message and the answer's row are saved before a turn exists (`Turns.start`), so a
turn has its identity (the answer's message id) from its first event, and whatever stops it
has a row to explain itself in.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pai_tui import events, spans
from pai_tui.config import Config
from pai_tui.events import Status
from pai_tui.history.records import MessageRecord
from pai_tui.history.service import History
from pai_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    Delta,
    MalformedStream,
    NetworkError,
    ProviderError,
    Usage,
)
from pai_tui.llm.keys import Key
from pai_tui.llm.providers import Providers
from pai_tui.llm.retry import RetryPolicy, stream_with_retries
from pai_tui.llm.window import estimate_output_tokens
from pai_tui.skills.service import Skills
from pai_tui.skills.skill_turn import SkillError, SkillIncomplete
from pai_tui.turns.answer_row import AnswerRow
from pai_tui.turns.collect import Collected, Listeners
from pai_tui.turns.context import TurnContext
from pai_tui.turns.gates import Gates
from pai_tui.turns.prepare import Prepared, prepare
from pai_tui.turns.tool_host import TurnTools

if TYPE_CHECKING:
    from pai_tui.llm.models import ModelInfo
    from pai_tui.llm.tool_loop import Execute
    from pai_tui.turns.strategies import Plan, Toolbox

Streamer = Callable[[ChatRequest], AsyncIterator[Delta]]
STOP_CONTINUES = 3  # times Stop hooks may send the model back to work in one turn


@dataclass
class Services:
    """What turns use; built by the composition root."""

    config: Config
    bus: events.Bus
    history: History
    providers: Providers
    skills: Skills
    gates: Gates
    retry: RetryPolicy

    async def streamer(self, ctx: TurnContext) -> Streamer:
        """How turn `ctx` asks its model: a request in, its deltas out, retried and rotated;
        each call within the turn's budgets (none sent once they are spent) and a span of the
        turn. Building a provider imports its SDK: the first time, in a thread."""
        from pai_tui.turns.budget import fitted, refused
        from pai_tui.turns.tracing import ModelCall

        providers, choice, ledger = self.providers, ctx.choice, ctx.ledger
        provider = providers.built(choice.provider) or \
            await asyncio.to_thread(providers.build, choice.provider)
        keys = providers.keys(choice.provider)
        variables = providers.key_variables(choice.provider)

        def info() -> ModelInfo:
            return providers.model_info(choice)

        def call(request: ChatRequest) -> AsyncIterator[Delta]:
            if ledger is not None:
                if ledger.over() is not None:
                    return refused()
                request = fitted(request, ledger)
            watch = ModelCall(self.bus, ctx, request, info)
            return stream_with_retries(provider, request, keys, self.retry, variables,
                                       watch=watch, on_key=self._key_note)

        return call

    def _key_note(self, key: Key, refused: ProviderError | None) -> None:
        """When a key was last accepted or refused (`pai secrets list`): written on a thread,
        never waited for."""
        from pai_tui.llm.key_store import record_use

        home = self.providers.config.home.root
        reason = f"HTTP {refused.status}" if refused is not None and refused.status else \
            "refused"
        asyncio.get_running_loop().run_in_executor(
            None, lambda: record_use(home, key.value, ok=refused is None, reason=reason))

    @staticmethod
    def tool_stream(streamer: Streamer, request: ChatRequest, execute: Execute,
                    max_turns: int) -> AsyncIterator[Delta]:
        """The model's answer with its tools (`execute` runs one call), over as many round
        trips as it takes."""
        from pai_tui.llm.tool_loop import stream_with_tools

        return stream_with_tools(streamer, request, execute, max_turns)


@dataclass
class Ending:
    """How the answer ends: its status, why if not complete, and the skill that answered."""

    status: Status = "incomplete"
    error: str | None = None
    skill: str | None = None

    def failed(self, failure: Exception, got: Collected) -> None:
        """A provider or skill failure: incomplete if something came (or the stream began and
        then sent what pai cannot read), else an error."""
        began = got.parts or isinstance(failure, SkillIncomplete | MalformedStream)
        self.status = "incomplete" if began else "error"
        self.error = str(failure) if isinstance(failure, ProviderError | SkillError) else \
            f"{type(failure).__name__}: {failure}"


class Turn:
    def __init__(self, services: Services, ctx: TurnContext, question: str | None,
                 answer: MessageRecord, prepared: Prepared | Exception | None = None):
        self.services = services
        self.ctx = ctx
        self.question = question
        self.answer = answer  # the row as it was made: streaming, empty
        self.tools = TurnTools(services, ctx)
        self.answers = 1  # this answer is the n-th to its question (retries)
        self.saved = True  # False: the database refused the answer to the end
        self._prepared = prepared  # made when the question was saved (or why it failed)
        self.toolbox: Toolbox | None = None  # tools offered besides skills' (an agent's)
        self.plan: Plan | None = None  # how it is answered, if not by routing (a delegation)
        self._started = False
        self._notes: tuple[int, ...] = ()  # the history's notes in its context
        self._span: spans.Span | None = None

    # what the turn tells

    def _publish(self, event: events.Event) -> None:
        self.services.bus.publish(event)

    def _text(self, text: str) -> None:
        ctx = self.ctx
        self.services.bus.publish(events.TextDelta(ctx.session_id, ctx.turn_id, text,
                                                   turn_id=ctx.turn_id, agent=ctx.agent))

    def _notice(self, text: str) -> None:
        ctx = self.ctx
        self._publish(events.TurnNotice(ctx.session_id, ctx.turn_id, text, **ctx.ids))

    def _start(self, skill: str | None) -> None:
        if not self._started:
            self._started = True
            ctx = self.ctx
            self._publish(events.TurnStarted(ctx.session_id, ctx.turn_id, ctx.choice.provider,
                                             ctx.choice.model, skill, self.answers,
                                             self._notes, **ctx.ids))

    # the turn

    async def run(self) -> MessageRecord:
        """Answer the question, streaming and saving as it grows. Returns the saved answer,
        whose status says how it ended (`error` and `incomplete` carry the reason). A cancel
        keeps the partial answer, marked `cancelled`."""
        from pai_tui.turns.tracing import turn_span

        self.ctx.cancel.attach()
        self._span = turn_span(self.services.bus, self.ctx)
        row = AnswerRow(self.services.history, self.ctx.turn_id, self._notice)
        got, end = Collected(), Ending()
        prepared: Prepared | None = None
        try:
            async with asyncio.timeout(self.ctx.limits.seconds_left()):
                prepared = await self._prepare()
                await self._answer(prepared, row, got, end)
        except asyncio.CancelledError:
            end.status = "cancelled"
            raise
        except TimeoutError:
            end.status, end.error = "incomplete", "stopped at the turn's deadline"
        except (ProviderError, SkillError) as failure:
            end.failed(failure, got)
            if isinstance(failure, NetworkError):
                self._publish(events.Connectivity(False, str(failure)))
        except Exception as failure:  # a bug, not the network: keep what came, say what broke
            end.failed(failure, got)
            raise
        finally:
            await self._finish(row, prepared, got, end)
        return self.answer

    async def _prepare(self) -> Prepared:
        services, ctx = self.services, self.ctx
        prepared, self._prepared = self._prepared, None
        if prepared is None:
            # One trip to the database thread: every hop costs the first token milliseconds.
            prepared = await services.history.run(prepare, services.providers, ctx,
                                                   ctx.limits.max_output_tokens,
                                                   services.skills.loaded_router(),
                                                   services.config.notes)
        if isinstance(prepared, Exception):
            raise prepared
        if prepared.left_out:
            self._publish(events.ContextTrimmed(ctx.session_id, prepared.left_out,
                                                prepared.info.context_window, **ctx.ids))
        return prepared

    async def _answer(self, prepared: Prepared, row: AnswerRow, got: Collected,
                      end: Ending) -> None:
        from pai_tui.turns import strategies
        from pai_tui.turns.route import decide
        from pai_tui.turns.tracing import child_span

        services, ctx = self.services, self.ctx
        admission = await services.gates.prompt_submitted(ctx, prepared.question)
        if admission.refused is not None:
            end.status, end.error = "error", admission.refused
            return
        if admission.context:  # what UserPromptSubmit hooks added, as Claude Code adds it
            prepared = dataclasses.replace(prepared, request=_with_context(prepared.request,
                                                                           admission.context))
        streamer = await services.streamer(ctx)
        routing = child_span(services.bus, ctx, "route", "route")
        decision, skill = await decide(services.skills, services.bus, ctx, prepared.question,
                                       streamer, prepared.routed)
        routing.end("ok", {spans.SKILL: decision.skill, spans.ROUTE_HOW: decision.how,
                           spans.ROUTE_REASONS: list(decision.reasons)})
        plan = self.plan or strategies.plan(decision, skill, self.toolbox)
        end.skill = plan.label
        self._notes = tuple(note.id for note in prepared.notes)
        self._start(plan.label)
        listen = Listeners(text=self._text, save=row.save_text, notice=self._notice,
                           over_budget=self._over_budget())
        for rounds in range(STOP_CONTINUES + 1):
            await plan.run(self, prepared, streamer, got, end, listen)
            if end.status != "complete":
                return
            objection = await services.gates.turn_ending(ctx, got.text, rounds > 0)
            if objection is None:
                return
            # Claude Code's Stop contract: the model goes on with the hook's reason. A skill's
            # prompt is rebuilt from the question, so there it is only told.
            if plan.label is not None or rounds == STOP_CONTINUES:
                self._notice(f"Stop hook: {objection}")
                return
            self._notice(f"Stop hook: {objection} (the model goes on)")
            prepared = dataclasses.replace(prepared, request=_continued(
                prepared.request, got.text, objection))

    def _over_budget(self) -> Callable[[Usage], str | None] | None:
        """Why the turn must stop now (its budget, or one above it, is spent), checked as usage
        arrives."""
        ledger = self.ctx.ledger
        return None if ledger is None else lambda usage: ledger.over()

    async def _finish(self, row: AnswerRow, prepared: Prepared | None, got: Collected,
                      end: Ending) -> None:
        ctx = self.ctx
        final = got.text
        self._publish(events.TextEnded(ctx.session_id, ctx.turn_id, **ctx.ids))
        usage = got.usage + self.tools.spent  # the skills it called count in its cost
        # A stream cut before the provider counted the output: count it from the text.
        estimated = end.status != "complete" and bool(final) and got.usage.output_tokens == 0
        if estimated:
            usage = usage + Usage(0, estimate_output_tokens(final))
        cost = _cost(prepared, usage)
        if ctx.ledger is not None and ctx.ledger.own_cost is None:
            cost = None  # a call's price, or what a stopped call took, is not known
        saved = await row.finish(content=final, status=end.status,
                                 input_tokens=usage.input_tokens,
                                 output_tokens=usage.output_tokens, cost=cost,
                                 error=end.error, skill=end.skill, output_estimated=estimated)
        self.saved = saved
        if not saved:
            end.error = "; ".join(filter(None, (end.error, f"the answer could not be saved "
                                                           f"({row.failure})")))
        self.answer = dataclasses.replace(
            self.answer, content=final, status=end.status, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cost=cost, error=end.error, skill=end.skill,
            output_estimated=estimated)
        self._start(end.skill)  # a turn stopped before it started still shows, and ends
        self._end_span(end, usage, cost, final)
        self._publish(events.TurnFinished(ctx.session_id, ctx.turn_id, end.status, final,
                                          end.error, usage.input_tokens, usage.output_tokens,
                                          cost, estimated, **ctx.ids))
        self._publish(events.SessionUpdated(ctx.session_id))

    def _end_span(self, end: Ending, usage: Usage, cost: float | None, final: str) -> None:
        attributes: dict[str, object] = {spans.INPUT_TOKENS: usage.input_tokens,
                                         spans.OUTPUT_TOKENS: usage.output_tokens,
                                         spans.COST: cost, spans.SKILL: end.skill}
        if end.error:
            attributes[spans.STATUS_DETAIL] = end.error
        if self.services.config.timeline.capture_content:
            attributes[spans.OUTPUT_MESSAGES] = final[:spans.CONTENT_CHARS]
        status: spans.SpanStatus = ("ok" if end.status == "complete" else
                                    "cancelled" if end.status == "cancelled" else "error")
        if self._span is not None:
            self._span.end(status, attributes)


def _with_context(request: ChatRequest, context: str) -> ChatRequest:
    """`request` with hooks' added context at the end of its system prompt."""
    added = f"<hook-context>\n{context}\n</hook-context>"
    system = f"{request.system}\n\n{added}" if request.system else added
    return dataclasses.replace(request, system=system)


def _continued(request: ChatRequest, answer: str, objection: str) -> ChatRequest:
    """`request` followed by the answer so far and a Stop hook's reason to go on."""
    messages = [*request.messages, ChatMessage("assistant", answer),
                ChatMessage("user", f"A Stop hook did not let you finish yet: {objection}")]
    return dataclasses.replace(request, messages=messages)


def _cost(prepared: Prepared | None, usage: Usage) -> float | None:
    """What the answer cost; None (unknown) if it cannot be worked out: the answer is saved
    whatever goes wrong here."""
    try:
        return prepared.info.cost(usage) if prepared else None
    except (ArithmeticError, TypeError, ValueError):
        return None
