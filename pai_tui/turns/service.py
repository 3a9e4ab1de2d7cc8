"""Starting turns: the user's message and the answer's row are saved first (one trip to the
database, before anything is sent, which also prepares the request), then the turn is returned,
ready to run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from pai_tui import events
from pai_tui.history.records import MessageRecord, SessionRecord
from pai_tui.history.service import session_title
from pai_tui.llm.providers import OFFLINE, ModelChoice
from pai_tui.turns.budget import Ledger
from pai_tui.turns.context import Limits, TurnContext
from pai_tui.turns.prepare import Prepared, prepare
from pai_tui.turns.turn import Services, Turn

if TYPE_CHECKING:
    from pai_tui.history.store import Store
    from pai_tui.skills.router import RouteDecision


class NotSaved(Exception):
    """The user's message could not be saved, so nothing was sent. `str()` says why."""


class Turns:
    def __init__(self, services: Services):
        self.services = services

    def default_choice(self) -> ModelChoice:
        """What answers new sessions (llm/providers.py says: [chat] in config.toml, else the
        first provider with a key, else the offline stand-in)."""
        return self.services.providers.default()

    def choice_for(self, session: SessionRecord) -> ModelChoice:
        return self.services.providers.choice_for(session.provider, session.model)

    def limits(self) -> Limits:
        config = self.services.config
        return Limits(max_tool_turns=config.skills.max_tool_turns,
                      max_output_tokens=config.chat.max_output_tokens)

    async def start(self, session_id: int | None, text: str, *,
                    choice: ModelChoice | None = None, system: str | None = None,
                    decision: RouteDecision | None = None, agent: str | None = None,
                    limits: Limits | None = None, parent: TurnContext | None = None,
                    without_notes: frozenset[int] = frozenset()) -> Turn:
        """Save `text` (in a new session if `session_id` is None, answered by `choice` with
        `system`, else the defaults) and the answer's row; the turn that answers it
        (`without_notes`: notes of the history the user took out of its context).

        Raises NotSaved, with a reason safe to show, when it could not be saved. Under a
        `parent` turn (an agent's run it started), stopping the parent stops it too.
        """
        history = self.services.history
        limits = limits or self.limits()
        try:
            session, created, user, answer, prepared = await history.run(
                self._save_and_prepare, session_id, text, choice, system, decision, limits,
                agent, parent, without_notes)
        except Exception as error:
            raise NotSaved(history.redact(str(error)) or type(error).__name__) from error
        if created:
            self.services.bus.publish(events.SessionCreated(session.id, session.title,
                                                            agent=agent))
        return self._turn(session, user, answer, decision, agent, limits, prepared, parent,
                          without_notes)

    async def retry(self, session_id: int) -> Turn:
        """A new answer to the session's last question, replacing the answers it had (they stay
        reachable: `History.choose_answer`). Raises LookupError if it has no question."""
        session, user, answer, earlier = await self.services.history.run(self._save_retry,
                                                                         session_id)
        turn = self._turn(session, user, answer, None, None)
        turn.answers = earlier + 1
        return turn

    async def send(self, session_id: int | None, text: str, **options: object,
                   ) -> MessageRecord:
        """Save the user's message, then answer it. Returns the final answer."""
        turn = await self.start(session_id, text, **options)  # type: ignore[arg-type]
        return await turn.run()

    def _turn(self, session: SessionRecord, user: MessageRecord, answer: MessageRecord,
              decision: RouteDecision | None, agent: str | None,
              limits: Limits | None = None,
              prepared: Prepared | Exception | None = None,
              parent: TurnContext | None = None,
              without_notes: frozenset[int] = frozenset()) -> Turn:
        ctx = replace(self._context(session, user, answer, decision, limits, agent, parent),
                      without_notes=without_notes)
        self.services.bus.publish(events.MessageSaved(session.id, user.id, "user", user.status,
                                                      **ctx.ids))
        return Turn(self.services, ctx, user.content, answer, prepared)

    def _context(self, session: SessionRecord, user: MessageRecord, answer: MessageRecord,
                 decision: RouteDecision | None, limits: Limits | None,
                 agent: str | None = None, parent: TurnContext | None = None) -> TurnContext:
        choice = ModelChoice(answer.provider or OFFLINE, answer.model or "")
        limits = limits or self.limits()
        ledger = Ledger(limits.max_cost, limits.output_budget,
                        parent.ledger if parent is not None else None,
                        f"the {agent} run" if agent else "the chat turn")
        if agent is not None:  # an agent's spending is shown as it goes (the Agents pane)
            ledger.on_change = self._usage_teller(session.id, answer.id, agent)
        ctx = TurnContext(session.id, answer.id, choice, limits, user_id=user.id, agent=agent,
                          decision=decision, ledger=ledger)
        if parent is not None:  # stopping the parent stops it (not the other way round)
            ctx = replace(ctx, parent_id=parent.turn_id, cancel=parent.cancel.child(),
                          trace_id=parent.trace_id)
        return ctx

    def _usage_teller(self, session_id: int, turn_id: int, agent: str,
                      ) -> Callable[[Ledger], None]:
        bus = self.services.bus

        def tell(ledger: Ledger) -> None:
            own = ledger.own
            bus.publish(events.UsageCounted(session_id, turn_id, ledger.own_calls,
                                            own.input_tokens, own.output_tokens,
                                            ledger.own_cost, turn_id=turn_id, agent=agent))

        return tell

    def _save_and_prepare(self, store: Store, session_id: int | None, text: str,
                          choice: ModelChoice | None, system: str | None,
                          decision: RouteDecision | None, limits: Limits,
                          agent: str | None = None, parent: TurnContext | None = None,
                          without_notes: frozenset[int] = frozenset(),
                          ) -> tuple[SessionRecord, bool, MessageRecord, MessageRecord,
                                     Prepared | Exception]:
        """Blocking: the question saved, and the request prepared in the same trip to the
        database thread (a trip costs the first token milliseconds, more while the screen
        draws). A failure to prepare is the turn's to report when it runs, not a failure to
        save."""
        session, created, user, answer = self._save_question(
            store, session_id, text, choice, system, agent,
            parent.turn_id if parent is not None else None)
        ctx = replace(self._context(session, user, answer, decision, limits, agent, parent),
                      without_notes=without_notes)
        services = self.services
        try:
            prepared: Prepared | Exception = prepare(
                store, services.providers, ctx, limits.max_output_tokens,
                services.skills.loaded_router(), services.config.notes)
        except Exception as error:  # handed to the turn, which reports it when it runs
            prepared = error
        return session, created, user, answer, prepared

    def _save_question(self, store: Store, session_id: int | None, text: str,
                       choice: ModelChoice | None, system: str | None,
                       agent: str | None = None, parent_id: int | None = None,
                       ) -> tuple[SessionRecord, bool, MessageRecord, MessageRecord]:
        """Blocking: the question saved and the answer's row made, in one transaction."""
        if session_id is None:
            choice = choice or self.default_choice()
            if system is None:
                system = self.services.config.chat.system
        else:
            found = store.get_session(session_id)
            if found is None:
                raise LookupError(f"no session {session_id}")
            choice = choice or self.choice_for(found)
        session, user, answer = store.ask(session_id, text, choice.provider, choice.model,
                                          title=session_title(text), system_prompt=system,
                                          agent=agent, parent_id=parent_id)
        return session, session_id is None, user, answer

    def _save_retry(self, store: Store, session_id: int,
                    ) -> tuple[SessionRecord, MessageRecord, MessageRecord, int]:
        session = store.get_session(session_id)
        question = next((m for m in reversed(store.messages(session_id)) if m.role == "user"),
                        None)
        if session is None or question is None:
            raise LookupError("nothing to answer again in this session")
        earlier = store.supersede_answers(session_id, question.id)
        choice = self.choice_for(session)
        answer = store.add_message(session_id, "assistant", "", "streaming", choice.provider,
                                   choice.model)
        return session, question, answer, earlier
