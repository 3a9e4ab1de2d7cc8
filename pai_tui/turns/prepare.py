"""What a turn sends: the conversation so far as questions and the answers they got, the newest
part that fits the model's context window, and the question being answered.

Each question is asked on its own. A question whose answer failed with nothing is kept in the
transcript but not sent again (else one bad message would sink every later turn); an answer cut
short, cancelled or interrupted is sent with the text that came, so the roles still alternate.
Of several answers to one question (retries), the chosen one is sent (the one not superseded),
or if it has no text, the newest that has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pai_tui.history.records import MessageRecord, NoteRecord, SessionRecord
from pai_tui.llm.base import ChatMessage, ChatRequest
from pai_tui.llm.models import ModelInfo
from pai_tui.llm.window import fit
from pai_tui.turns.recall import recall, with_notes

if TYPE_CHECKING:
    from pai_tui.config import NotesSettings
    from pai_tui.history.store import Store
    from pai_tui.llm.providers import Providers
    from pai_tui.skills.router import RouteDecision, Router
    from pai_tui.turns.context import TurnContext


@dataclass(frozen=True)
class Prepared:
    session: SessionRecord
    info: ModelInfo
    request: ChatRequest
    left_out: int  # earlier messages not sent, to fit the window
    question: str | None  # the user's message being answered: what is routed
    routed: RouteDecision | None = None  # routed in the same thread trip, when it could be
    notes: tuple[NoteRecord, ...] = ()  # from the history, in the system prompt


def conversation(stored: list[MessageRecord], question_id: int | None) -> list[ChatMessage]:
    """The messages to send, oldest first, ending with the question `question_id`. An answer
    that delegated to agents is sent with their results (its steps named `@agent`): the user
    read them as part of it."""
    results = _agents_results(stored)
    sent: list[ChatMessage] = []
    asked: MessageRecord | None = None
    answers: list[MessageRecord] = []
    for message in stored:
        if message.role == "user":
            answer = _sent_answer(answers)
            if asked is not None and answer is not None:
                sent += [ChatMessage("user", asked.content),
                         ChatMessage("assistant", "\n\n".join(
                             [answer.content, *results.get(answer.id, [])]))]
            if message.id == question_id:
                sent.append(ChatMessage("user", message.content))
                break
            asked, answers = message, []
        elif message.role == "assistant" and message.content and message.status != "streaming":
            answers.append(message)
    return sent


def _agents_results(stored: list[MessageRecord]) -> dict[int, list[str]]:
    """The agents' results of each answer that delegated, by answer id."""
    results: dict[int, list[str]] = {}
    for message in stored:
        if message.role == "step" and (message.skill or "").startswith("@") and \
                message.parent_id is not None and message.content:
            results.setdefault(message.parent_id, []).append(
                f"### {message.skill}\n\n{message.content}")
    return results


def _sent_answer(answers: list[MessageRecord]) -> MessageRecord | None:
    chosen = [a for a in answers if not a.superseded]
    return chosen[-1] if chosen else (answers[-1] if answers else None)


def prepare(store: Store, providers: Providers, ctx: TurnContext, max_output_tokens: int,
            router: Router | None = None, notes: NotesSettings | None = None) -> Prepared:
    """Blocking (one trip to the database thread): the request of the turn `ctx`, and its
    routing decision when a `router` is given (routing is pure computation: doing it in the
    same trip saves the first token a thread hop)."""
    session = store.get_session(ctx.session_id)
    if session is None:
        raise LookupError(f"no session {ctx.session_id}")
    info = providers.model_info(ctx.choice)
    stored = store.messages(ctx.session_id)
    question = next((m.content for m in stored if m.id == ctx.user_id), None)
    reserve = min(max_output_tokens, info.max_output_tokens)
    recalled = _recall(store, ctx, question, notes)
    system = with_notes(session.system_prompt, recalled)
    kept, left_out = fit(conversation(stored, ctx.user_id), system, info.context_window,
                         reserve)
    request = ChatRequest(kept, ctx.choice.model, system, reserve)
    routed = router.route(question) if router is not None and question is not None \
        and ctx.decision is None else None
    return Prepared(session, info, request, left_out, question, routed, tuple(recalled))


def _recall(store: Store, ctx: TurnContext, question: str | None,
            settings: NotesSettings | None) -> list[NoteRecord]:
    """A chat turn's or an agent run's notes (not a nested skill's: its parent had them),
    remembered on the answer."""
    if settings is None or question is None or (ctx.parent_id is not None and not ctx.agent):
        return []
    recalled = recall(store, question, settings, ctx.without_notes)
    if recalled:
        store.set_notes_used(ctx.turn_id, [note.id for note in recalled])
    return recalled
