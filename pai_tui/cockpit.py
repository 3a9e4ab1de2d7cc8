"""The composition root: builds the store, providers and bus from a Config.

The UI and the CLI are two faces of one Cockpit. Everything blocking runs in a thread; nothing here
imports Textual.
"""

from __future__ import annotations

import asyncio
import re
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
    Delta,
    NetworkError,
    Notice,
    ProviderError,
    Stop,
    TextPart,
    ToolResultPart,
    Usage,
)
from pai_tui.llm.models import ModelInfo
from pai_tui.llm.providers import OFFLINE, ModelChoice, Providers
from pai_tui.llm.retry import RetryPolicy, stream_with_retries
from pai_tui.llm.window import fit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from pai_tui.history.store import Store
    from pai_tui.skills.index import SkillIndex
    from pai_tui.skills.model import Skill
    from pai_tui.skills.permissions import Decision, Permissions
    from pai_tui.skills.router import RouteDecision, Router
    from pai_tui.skills.runner import SkillTurn, StepRecorder
    from pai_tui.skills.tools import Tool, ToolRun

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
        self.default_choice: ModelChoice = self.providers.default()
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._skills: tuple[SkillIndex, Router] | None = None
        self._skills_lock = threading.Lock()
        self._permissions: Permissions | None = None
        # Who answers "may this tool run?": the app sets a dialog; without one (headless) the
        # policy decides, with `assume_yes` from --yes.
        self.asker: Callable[[Tool, list[str], str | None], Awaitable[Decision]] | None = None
        self.assume_yes = False

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

    # skills

    @property
    def permissions(self) -> Permissions:
        """Which tools may run (made on first use: nothing of the skills loads at start-up)."""
        if self._permissions is None:
            from pai_tui.skills.permissions import Permissions

            self._permissions = Permissions(self.config)
        return self._permissions

    def load_skills(self) -> tuple[SkillIndex, Router]:
        """The skill index and its router, built once. Blocking: call from a thread."""
        with self._skills_lock:
            if self._skills is None:
                from pai_tui.skills.index import load_index
                from pai_tui.skills.router import Router
                from pai_tui.skills.runner import SkillTurn  # noqa: F401  (ready for a turn)

                index = load_index(self.config)
                self._skills = index, Router(index, self.config)
            return self._skills

    async def reload_skills(self) -> SkillIndex:
        """Read the skills and the routing table again (a skill was added or edited)."""
        with self._skills_lock:
            self._skills = None
        return (await asyncio.to_thread(self.load_skills))[0]

    async def skill_index(self) -> SkillIndex:
        skills = self._skills or await asyncio.to_thread(self.load_skills)
        return skills[0]

    async def router(self) -> Router:
        skills = self._skills or await asyncio.to_thread(self.load_skills)
        return skills[1]

    def slash_completions(self, prefix: str) -> list[str]:
        """`/su` -> the slash commands it may become (none until the skills are loaded)."""
        return self._skills[1].completions(prefix) if self._skills else []

    async def authorize(self, tool: Tool, args: list[str], stdin: str | None = None,
                        ) -> str | None:
        """None if `tool` may run now; else why not (the policy, or the user, said no). The
        user is shown the arguments and the input the tool would get."""
        asker = self.asker
        if asker is None:
            return self.permissions.headless(tool, self.assume_yes)
        return await self.permissions.authorize(
            tool, args, lambda tool, args: asker(tool, args, stdin))

    async def run_tool(self, tool: Tool, args: list[str], stdin: bytes | None = None,
                       steps: StepRecorder | None = None) -> ToolRun:
        """Run a skill's tool with pai's settings; a step of the answer when `steps` is given."""
        import shlex

        from pai_tui.skills.runner import step_output
        from pai_tui.skills.tools import run_skill_tool

        step_id = await steps.start("tool", tool.qualified, shlex.join(args)) if steps else None
        run = None
        try:
            run = await run_skill_tool(self.config, tool, args, stdin=stdin)
        finally:
            if steps is not None and step_id is not None:
                if run is None:
                    await steps.finish(step_id, tool.qualified, "cancelled", "")
                else:
                    await steps.finish(step_id, tool.qualified,
                                       "complete" if run.ok else "error", step_output(run),
                                       None if run.ok else run.status())
        return run

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

    def choice_for(self, session: SessionRecord | None) -> ModelChoice:
        """What answers a session: its own provider/model while that provider exists (and is
        not the offline stand-in), else the current default."""
        if session and session.provider and session.provider != OFFLINE \
                and self.providers.settings(session.provider) is not None:
            model = self.providers.model_for(session.provider, session.model)
            return ModelChoice(session.provider, model or "")
        return self.default_choice

    async def choose(self, session_id: int | None, choice: ModelChoice) -> None:
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

    async def send(self, session_id: int | None, text: str,
                   decision: RouteDecision | None = None) -> MessageRecord:
        """Save the user's message, then answer it (routed, unless `decision` is given).
        Returns the final assistant message."""
        user = await self.save_user_message(session_id, text)
        return await self.answer(user.session_id, decision)

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
                      ) -> tuple[ModelChoice, ModelInfo, ChatRequest, MessageRecord, int,
                                 str | None]:
        """Blocking: what to send (the newest turns that fit), the answer's row, and the text of
        the newest user message (what is routed: never merged with an earlier one)."""
        session = store.get_session(session_id)
        if session is None:
            raise LookupError(f"no session {session_id}")
        choice = self.choice_for(session)
        info = self.providers.model_info(choice)
        stored = store.messages(session_id)
        last_user = next((m.content for m in reversed(stored) if m.role == "user"), None)
        context = [ChatMessage(m.role, m.content)  # type: ignore[arg-type]
                   for m in stored
                   if m.content and (m.role == "user" or (m.role == "assistant"
                                                          and m.status == "complete"))]
        while context and context[-1].role == "assistant":  # a retry answers the user again
            context.pop()
        reserve = min(self.config.chat.max_output_tokens, info.max_output_tokens)
        kept, left_out = fit(context, session.system_prompt, info.context_window, reserve)
        answer = store.add_message(session_id, "assistant", "", "streaming", choice.provider,
                                   choice.model)
        request = ChatRequest(kept, choice.model, session.system_prompt, reserve)
        return choice, info, request, answer, left_out, last_user

    async def _decide(self, session_id: int, choice: ModelChoice, text: str | None,
                      decision: RouteDecision | None) -> tuple[RouteDecision | None, Skill | None]:
        """The routing decision for the turn (given, or made now for `text`) and the skill it
        names. A failure of the skills degrades to plain chat, with a notice."""
        try:
            if decision is None:
                if text is None:
                    return None, None
                decision = (await self.router()).route(text)
                if decision.how == "model" and decision.candidates:
                    decision = await self._model_route(choice, decision)
                self.bus.publish(events.RouteDecided(session_id, decision.skill, decision.how,
                                                     tuple(decision.reasons)))
            if decision.skill is None:
                return decision, None  # plain chat, or an unknown slash command
            skill = (await self.skill_index()).get(decision.skill)
            if skill is None:
                raise LookupError(f"no skill named {decision.skill!r} is installed")
            return decision, skill
        except (ProviderError, OSError, ValueError, LookupError) as error:
            # routing must never cost the user the answer
            self.bus.publish(events.ProviderNotice(session_id, 0, f"skills: {error}; "
                                                   "answering as plain chat"))
            return None, None

    async def _attempts(self, choice: ModelChoice) -> Callable[[ChatRequest], AsyncIterator[Delta]]:
        """How to ask `choice`'s provider: a request in, its deltas out, retried and rotated."""
        provider = self.providers.built(choice.provider) or \
            await asyncio.to_thread(self.providers.build, choice.provider)
        keys = self.providers.keys(choice.provider)
        variables = self.providers.key_variables(choice.provider)

        def attempt(request: ChatRequest) -> AsyncIterator[Delta]:
            return stream_with_retries(provider, request, keys, self.retry_policy, variables)

        return attempt

    async def _model_route(self, choice: ModelChoice, decision: RouteDecision) -> RouteDecision:
        """Below the router's confidence, with [skills] model_routing on: the model picks one
        of the top candidates, or none (plain chat). Only this fuzzy choice is the model's."""
        from pai_tui.skills.router import RouteDecision as Decision

        index = await self.skill_index()
        listed = [s for s in (index.get(name) for name in decision.candidates) if s is not None]
        menu = "\n".join(f"- {s.key}: {s.description[:300]}" for s in listed)
        prompt = ("Which skill should handle the message below? Answer with one name from the "
                  f"list, or `none` if it is ordinary conversation.\n\n{menu}\n\n"
                  f"Message:\n{decision.text[:4000]}")
        attempt = await self._attempts(choice)
        said: list[str] = []
        async for delta in attempt(ChatRequest([ChatMessage("user", prompt)], choice.model,
                                               max_tokens=20)):
            if isinstance(delta, TextPart):
                said.append(delta.text)
        pick = _named_skill("".join(said), listed)
        reasons = (*decision.reasons, f"the model ({choice}) chose "
                   f"{pick.key if pick else 'none: plain chat'} among "
                   f"{', '.join(s.key for s in listed)}")
        return Decision(pick.name if pick else None, "model", decision.text, reasons=reasons,
                        scores=decision.scores, candidates=decision.candidates)

    async def _run_direct(self, skill: Skill, decision: RouteDecision,
                          ) -> tuple[str, Status, str | None]:
        """A routing rule that names a tool and no workflow: the tool runs, no model needed.
        Its output is the answer (literal, in code blocks)."""
        import shlex

        from pai_tui.skills.runner import step_output
        from pai_tui.skills.tools import find_tool

        tool = await asyncio.to_thread(find_tool, skill, decision.tool or "")
        if tool is None:
            return "", "error", f"the skill {skill.name} has no tool {decision.tool!r}"
        try:
            args = shlex.split(decision.text)
        except ValueError as error:
            return "", "error", f"cannot read the arguments: {error}"
        refused = await self.authorize(tool, args)
        if refused is not None:
            return "", "error", f"not run: {refused}"
        run = await self.run_tool(tool, args)
        return step_output(run), "complete" if run.ok else "error", \
            None if run.ok else f"{tool.qualified}: {run.status()}"

    async def answer(self, session_id: int, decision: RouteDecision | None = None,
                     ) -> MessageRecord:
        """Answer the session's latest user message, streaming and persisting as it grows.

        The message is routed first (unless `decision` says already): to a skill, which adds its
        instructions, nested skills and tools, or to plain chat. Returns the saved answer, whose
        status says how it ended (`error` and `incomplete` carry the reason). Cancelling the task
        keeps the partial answer, marked `cancelled`.
        """
        from pai_tui.skills.runner import (
            SkillError,
            SkillIncomplete,
            SkillTurn,
            StepRecorder,
            add_usage,
        )

        store = await self.store()
        # One trip to the database thread: every hop costs the first token some milliseconds.
        turn = await asyncio.to_thread(self._prepare_turn, store, session_id)
        choice, info, request, answer, left_out, user_text = turn
        if left_out:
            self.bus.publish(events.ContextTrimmed(session_id, left_out, info.context_window))
        reserve = request.max_tokens

        parts: list[str] = []
        usage = Usage()
        stop: Stop | None = None
        status: Status = "incomplete"
        error: str | None = None
        skill_turn: SkillTurn | None = None
        skill_name: str | None = None
        last_save = time.monotonic()
        try:
            decision, skill = await self._decide(session_id, choice, user_text, decision)
            direct = skill is not None and decision is not None and \
                decision.tool is not None and decision.workflow is None
            if skill is not None and decision is not None:
                skill_name = f"{skill.key}/{decision.tool}" if direct else skill.key
            self.bus.publish(events.TurnStarted(session_id, answer.id, choice.provider,
                                                choice.model, skill_name))
            if decision is not None and decision.error:  # "/nosuchskill": say so, send nothing
                status, error = "error", decision.error
            elif direct:
                assert skill is not None and decision is not None
                text, status, error = await self._run_direct(skill, decision)
                parts.append(text)
                self.bus.publish(events.TextDelta(session_id, answer.id, text))
            else:
                attempt = await self._attempts(choice)
                steps = StepRecorder(store, self.bus, session_id, answer.id)
                if skill is not None and decision is not None:
                    from pai_tui.llm.tool_loop import stream_with_tools

                    # Reading the skill's files happens off the event loop.
                    skill_turn = await asyncio.to_thread(SkillTurn, self, skill, steps,
                                                         decision.workflow)
                    request = await skill_turn.request(request, decision.text, attempt)
                    stream = stream_with_tools(attempt, request, skill_turn.execute,
                                               self.config.skills.max_tool_turns)
                else:
                    stream = attempt(request)
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
                    elif isinstance(delta, ToolResultPart) and not delta.ran \
                            and skill_turn is not None:
                        await skill_turn.refused(delta)
                status, error = _ending(stop, reserve)
                self.bus.publish(events.Connectivity(True))
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except (ProviderError, SkillError) as failure:
            unfinished = bool(parts) or isinstance(failure, SkillIncomplete)
            status, error = ("incomplete" if unfinished else "error"), str(failure)
            if isinstance(failure, NetworkError):
                self.bus.publish(events.Connectivity(False, str(failure)))
        except Exception as failure:  # a bug, not the network: keep what came, say what broke
            status, error = ("incomplete" if parts else "error"), f"{type(failure).__name__}: " \
                f"{failure}"
            raise
        finally:
            if skill_turn is not None:  # the skills it called count in its cost
                usage = add_usage(usage, skill_turn.spent)
            final = "".join(parts)
            cost = info.cost(usage)
            await asyncio.shield(asyncio.to_thread(
                store.update_message, answer.id, content=final, status=status,
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                cost=cost or 0.0, error=error, skill=skill_name))
            self.bus.publish(events.TurnFinished(session_id, answer.id, status, final, error,
                                                 usage.input_tokens, usage.output_tokens, cost))
            self.bus.publish(events.SessionUpdated(session_id))
        saved = await asyncio.to_thread(store.get_message, answer.id)
        assert saved is not None
        return saved


def _named_skill(said: str, listed: list[Skill]) -> Skill | None:
    """The skill a model's routing answer names: none when it starts by saying none, else the
    one it names first (in any spelling: `extract_wisdom`, `first principles`)."""
    from pai_tui.skills.model import skill_key

    said = skill_key(said)
    if re.match(r"\W*(none|no\b|plain)", said):
        return None
    found = [(position, skill) for skill in listed
             if (position := said.find(skill.key)) >= 0]
    return min(found, key=lambda hit: hit[0])[1] if found else None


def _ending(stop: Stop | None, max_tokens: int) -> tuple[Status, str | None]:
    if stop is None:
        return "incomplete", "the stream ended before its end marker (the connection was cut)"
    if stop.reason == "max_tokens":
        return "incomplete", f"the answer reached the output limit ({max_tokens} tokens)"
    if stop.reason == "tool_limit":
        return "incomplete", "stopped at the limit of tool round trips ([skills] max_tool_turns)"
    return "complete", None
